package metrics_test

import (
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/metrics"
)

// A histogram of timesteps as a density: cell edges for the bars, Centres to compare with a density
// evaluated at the cell midpoints.
func ExampleHistogram() {
	edges, density, err := metrics.Histogram([]float64{0.1, 0.2, 0.6, 0.7, 0.8, 1}, 2, 0, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("edges", edges, "centres", metrics.Centres(edges))
	fmt.Printf("density %.3f\n", density)
	// Output:
	// edges [0 0.5 1] centres [0.25 0.75]
	// density [0.667 1.333]
}
