//go:build !noxla

package backend

import (
	"github.com/gomlx/go-xla/compute/xla" // registers the XLA backend; no autoinstall: never downloads plugins
	"github.com/gomlx/go-xla/pjrt"
)

func init() {
	xlaAvailable = true
	listPlugins = func() map[string]string {
		xla.EnableAutoInstall(false)
		return pjrt.AvailablePlugins()
	}
}
