package highdim_test

import (
	"context"
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/experiment/highdim"
)

// Score the exact velocity of the 64-D study data and the exact MixFlow minimiser at γ = 0.8 with
// Euler at 20 steps: Euler's error shrinks the exact velocity's samples (spread below 1), the minimiser
// keeps noise (spread above 1).
func ExampleLab_Evaluate() {
	cache, remove := experiment.TempCache("highdim-example")
	defer remove()
	lab := highdim.Lab{Cache: cache, Quiet: true}
	data := highdim.DefaultDataSpec(64)
	spec := highdim.EvalSpec{Samplers: []highdim.Sampler{{Method: "euler", Steps: 20}}, Samples: 1000, Seeds: []uint64{0}}
	orc, _ := highdim.OracleRun(data)
	opt, _ := highdim.OptimumRun(data, 0.8)
	for _, run := range []*highdim.Run{orc, opt} {
		res, err := lab.Evaluate(context.Background(), run, spec)
		if err != nil {
			fmt.Println(err)
			return
		}
		s, _ := res.Mean("euler-20", highdim.MetricSpread)
		fmt.Printf("%s: spread %.1f\n", run.Label, s)
	}
	// Output:
	// exact velocity: spread 0.6
	// MixFlow optimum γ=0.8: spread 1.4
}
