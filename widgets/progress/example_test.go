package progress_test

import (
	"io"
	"math"

	"github.com/mixflow/mixflow/widgets/progress"
)

// A training loop with a progress bar and live loss curves, each updated in place.
func Example() {
	const steps = 200
	bar := progress.New("training", steps)
	bar.Unit = "step"
	bar.Writer = io.Discard // outside a notebook the bar prints to stderr; keep the example quiet
	loss := progress.NewLossPlot("MixFlow post-training")
	loss.Smooth = 0.9
	for step := 0; step < steps; step++ {
		l := 1/math.Sqrt(float64(step+1)) + 0.05 // your training step here
		if err := loss.Add(step, "loss", l); err != nil {
			panic(err) // a NaN loss: stop
		}
		bar.Metric("loss", l)
		bar.Add(1)
	}
	bar.Done()
	if err := loss.Flush(); err != nil {
		panic(err)
	}
	// Output:
}
