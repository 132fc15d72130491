package chart_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mixflow/mixflow/widgets/chart"
)

// A figure with a quantile band under its mean line and the y = x diagonal. Display shows it in a notebook
// cell (interactive chart + PNG in one output); Save writes it anywhere else.
func ExampleFigure() {
	t := []float64{0, 0.25, 0.5, 0.75, 1}
	fig := chart.Single("Slowed vs sampling timestep", chart.Panel{
		X: chart.Axis{Label: "sampling timestep t"},
		Y: chart.Axis{Label: "slowed timestep"},
		Series: []chart.Series{
			chart.Line("y = x", t, t).Dashed().WithColor(chart.Neutral),
			chart.Band("model", t, []float64{0, 0.15, 0.3, 0.45, 0.6}, []float64{0, 0.24, 0.47, 0.7, 0.93}),
			chart.Line("model", t, []float64{0, 0.2, 0.4, 0.6, 0.8}),
		},
	})
	if err := fig.Display(); err != nil { // a no-op outside a notebook, after validating and rendering
		panic(err)
	}
	dir, _ := os.MkdirTemp("", "chart")
	defer os.RemoveAll(dir)
	fmt.Println(fig.Save(filepath.Join(dir, "slowflow.png")))
	fmt.Println(fig.Describe())
	// Output:
	// <nil>
	// Figure "Slowed vs sampling timestep": 1 panel(s);  [y = x, model, model]
}
