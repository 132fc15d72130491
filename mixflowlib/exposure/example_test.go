package exposure_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/exposure"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// The injected-lag test of the exact velocity of a 64-D mixture: it recovers from
// small lags; at δ = 0.2 a few starts in 64-D are pulled to a wrong mode.
func ExampleInjectedLag() {
	mix, err := oracle.NewRotated(oracle.RotatedConfig{Dim: 64, Radius: 8, Std: 0.001, Seed: 1})
	if err != nil {
		panic(err)
	}
	x, _ := mix.Sample(rand.New(rand.NewPCG(1, 2)), 16)
	pts, err := exposure.InjectedLag(nil, model.NewStore(), mix, tensors.FromFlatDataAndDimensions(x, 16, 64),
		datasets.Cond{}, exposure.LagConfig{Sampler: sampler.Config{Steps: 100}})
	if err != nil {
		panic(err)
	}
	for _, p := range pts {
		fmt.Printf("δ = %.2f: residual %.4f\n", p.Delta, p.Residual)
	}
	// Output:
	// δ = 0.00: residual 0.0001
	// δ = 0.05: residual 0.0001
	// δ = 0.10: residual 0.0001
	// δ = 0.20: residual 0.0159
}
