//go:build tools

// Package deps pins the modules the project builds on, so `go mod tidy` keeps them in go.mod even
// while only some packages import them. It is never compiled (build tag "tools").
package deps

import (
	_ "github.com/chromedp/chromedp"
	_ "github.com/go-echarts/go-echarts/v2/charts"
	_ "github.com/gomlx/compute/gobackend"
	_ "github.com/gomlx/gomlx/core/graph"
	_ "github.com/gomlx/gomlx/ml/model"
	_ "github.com/janpfeifer/gonb/gonbui"
	_ "gonum.org/v1/plot"
)
