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

// The variance gap of the exact velocity of a 64-D mixture: with 100 Euler steps the generated norms
// follow the forward process; with 3 steps they fall short of it (negative gap) at the data end.
func ExampleVarianceGap() {
	mix, err := oracle.NewRotated(oracle.RotatedConfig{Dim: 64, Seed: 1})
	if err != nil {
		panic(err)
	}
	x, _ := mix.Sample(rand.New(rand.NewPCG(1, 2)), 256)
	x1 := tensors.FromFlatDataAndDimensions(x, 256, 64)
	for _, steps := range []int{100, 3} {
		pts, err := exposure.VarianceGap(nil, model.NewStore(), mix, x1, datasets.Cond{},
			exposure.GapConfig{Sampler: sampler.Config{Steps: steps}, Seed: 3})
		if err != nil {
			panic(err)
		}
		last := pts[len(pts)-1]
		fmt.Printf("%3d steps: at t = 1, E‖x̂‖²/D %.2f vs %.2f, gap %.2f (± %.2f)\n", steps, last.Generated, last.Reference, last.Gap, last.StdErr)
	}
	// Output:
	// 100 steps: at t = 1, E‖x̂‖²/D 0.49 vs 0.50, gap -0.01 (± 0.01)
	//   3 steps: at t = 1, E‖x̂‖²/D 0.26 vs 0.50, gap -0.24 (± 0.01)
}

// The own-trajectory error of a model that overshoots the exact velocity of a 64-D mixture by 10 %: its
// error is 1 % of ‖v*‖²/D wherever it is evaluated, so the two columns differ only by where the states
// lie (its own states run ahead of the true interpolations). A trained model's Own ≫ True is exposure bias.
func ExampleOwnTrajectoryError() {
	mix, err := oracle.NewRotated(oracle.RotatedConfig{Dim: 64, Seed: 1})
	if err != nil {
		panic(err)
	}
	net, err := oracle.NewPerturbed(mix, 1.1, nil)
	if err != nil {
		panic(err)
	}
	x, _ := mix.Sample(rand.New(rand.NewPCG(1, 2)), 64)
	pts, err := exposure.OwnTrajectoryError(nil, model.NewStore(), net, mix, tensors.FromFlatDataAndDimensions(x, 64, 64),
		datasets.Cond{}, exposure.ErrorConfig{Sampler: sampler.Config{Steps: 4}})
	if err != nil {
		panic(err)
	}
	for _, p := range pts {
		fmt.Printf("t = %.2f: own %.3f, true %.3f\n", p.T, p.Own, p.True)
	}
	// Output:
	// t = 0.00: own 0.010, true 0.010
	// t = 0.25: own 0.007, true 0.008
	// t = 0.50: own 0.005, true 0.006
	// t = 0.75: own 0.003, true 0.003
}
