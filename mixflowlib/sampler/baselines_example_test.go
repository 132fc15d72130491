package sampler_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// meanSquare returns E‖x‖²/D of a float32 tensor.
func meanSquare(x *tensors.Tensor) float64 {
	var s float64
	flat := tensors.MustCopyFlatData[float32](x)
	for _, v := range flat {
		s += float64(v) * float64(v)
	}
	return s / float64(len(flat))
}

// Tuning Epsilon Scaling's λ = B for 5 Euler steps of the exact velocity of a 32-D mixture, on the
// distance between the samples' E‖x‖²/D and the held-out data's. So few steps need a λ far above the
// 1.001–1.02 of trained image models at 100 steps.
func ExampleSearchEpsilonB() {
	mix, _ := oracle.NewRotated(oracle.RotatedConfig{Dim: 32, Seed: 1})
	x, _ := mix.Sample(rand.New(rand.NewPCG(1, 2)), 512)
	want := meanSquare(tensors.FromFlatDataAndDimensions(x, 512, 32))
	x0, _ := sampler.Noise(3, 512, 32)
	grid := []float64{1, 1.1, 1.2, 1.3, 1.4} // nil searches DefaultEpsilonBGrid, 1 to 1.02
	best, pts, err := sampler.SearchEpsilonB(nil, model.NewStore(), mix, sampler.Config{Steps: 5}, x0, datasets.Cond{}, grid,
		func(s *tensors.Tensor) (float64, error) { return math.Abs(meanSquare(s) - want), nil })
	if err != nil {
		panic(err)
	}
	for _, p := range pts {
		fmt.Printf("B = %.1f: %.3f\n", p.B, p.Metric)
	}
	fmt.Println("best B:", best)
	// Output:
	// B = 1.0: 0.223
	// B = 1.1: 0.101
	// B = 1.2: 0.054
	// B = 1.3: 0.237
	// B = 1.4: 0.442
	// best B: 1.2
}

// The Time-Shift Sampler on 5 Euler steps of the same mixture: at the noisy end (t < 0.5) each sample
// is evaluated at the time within ±0.1 whose forward variance matches its own, which recovers part of
// the norm the coarse steps lose.
func ExampleTimeShift() {
	mix, _ := oracle.NewRotated(oracle.RotatedConfig{Dim: 32, Seed: 1})
	x, _ := mix.Sample(rand.New(rand.NewPCG(1, 2)), 512)
	data := tensors.FromFlatDataAndDimensions(x, 512, 32)
	sd2, _ := sampler.ExampleVariance(data)
	x0, _ := sampler.Noise(3, 512, 32)
	for _, cfg := range []sampler.Config{
		{Steps: 5},
		{Steps: 5, TimeShift: sampler.TimeShift{Window: 0.2, Cutoff: 0.5, DataVariance: sd2}},
	} {
		s, err := sampler.New(nil, model.NewStore(), mix, cfg)
		if err != nil {
			panic(err)
		}
		out, err := s.Sample(x0, datasets.Cond{})
		if err != nil {
			panic(err)
		}
		fmt.Printf("window %.1f: E‖x‖²/D %.3f (data %.3f)\n", cfg.TimeShift.Window, meanSquare(out), meanSquare(data))
		s.Finalize()
	}
	// Output:
	// window 0.0: E‖x‖²/D 0.527 (data 0.750)
	// window 0.2: E‖x‖²/D 0.569 (data 0.750)
}
