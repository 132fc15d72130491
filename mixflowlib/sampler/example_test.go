package sampler_test

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// Sampling with Heun's method. Any nn.Backbone works; a trained one reads its weights from the store's
// "/model" scope (e.g. a trainer's SamplingStore). The exact Gaussian oracle needs none.
func ExampleNew() {
	net, _ := oracle.NewGaussian([]float64{3, -1}, []float64{0.5})
	s, err := sampler.New(nil, model.NewStore(), net, sampler.Config{Method: sampler.Heun, Steps: 20})
	if err != nil {
		panic(err)
	}
	defer s.Finalize()
	x0, _ := sampler.Noise(42, 2000, 2) // initial noise, [B, D]
	x1, err := s.Sample(x0, datasets.Cond{})
	if err != nil {
		panic(err)
	}
	flat := tensors.MustCopyFlatData[float32](x1)
	var m0, m1 float64
	for i := 0; i < len(flat); i += 2 {
		m0 += float64(flat[i]) / 2000
		m1 += float64(flat[i+1]) / 2000
	}
	fmt.Printf("%d evaluations, sample mean (%.1f, %.1f)\n", s.Evaluations(), m0, m1)
	// Output:
	// 40 evaluations, sample mean (3.0, -1.0)
}

// SiT's published SDE sampler (Euler–Maruyama, w(t) = σ_t, last "Mean" step of 0.04; SiT's 250 grid
// points are Steps = 249) with classifier-free guidance of scale 4 applied for t ≥ 0.3 only.
func ExampleConfig_sde() {
	net, _ := oracle.EightGaussians(2, 0.1) // class-conditional: label k = component k
	cfg := sampler.Config{
		Method:   sampler.EulerMaruyama,
		Steps:    249,
		Guidance: sampler.Guidance{Scale: 4, TMin: 0.3}, // TMax 0 means 1
		Seed:     7,
	}
	s, err := sampler.New(nil, model.NewStore(), net, cfg)
	if err != nil {
		panic(err)
	}
	defer s.Finalize()
	grid := s.Grid()
	fmt.Printf("%d states from t = %v to %v; the last step starts at %.2f\n", len(grid), grid[0], grid[len(grid)-1], grid[len(grid)-2])
	x0, _ := sampler.Noise(1, 4, 2)
	labels := tensors.FromFlatDataAndDimensions([]int32{0, 2, 4, 6}, 4)
	x, err := s.Sample(x0, datasets.Cond{Labels: labels})
	if err != nil {
		panic(err)
	}
	flat := tensors.MustCopyFlatData[float32](x)
	for i := 0; i < len(flat); i += 2 { // rounded to the nearest mode
		fmt.Printf("(%d, %d) ", int(math.Round(float64(flat[i]))), int(math.Round(float64(flat[i+1]))))
	}
	fmt.Println()
	// Output:
	// 251 states from t = 0 to 1; the last step starts at 0.96
	// (2, 0) (0, 2) (-2, 0) (0, -2)
}

// Trajectory keeps every intermediate state, e.g. for Slow Flow or trajectory plots.
func ExampleSampler_Trajectory() {
	net, _ := oracle.NewGaussian([]float64{1}, []float64{0.3})
	s, _ := sampler.New(nil, model.NewStore(), net, sampler.Config{Steps: 4, Shift: 3})
	x0, _ := sampler.Noise(3, 8, 1)
	tr, err := s.Trajectory(x0, datasets.Cond{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("times %.3f, %d states of shape %v\n", tr.Times, len(tr.States), tr.Shape)
	// Output:
	// times [0.000 0.100 0.250 0.500 1.000], 5 states of shape [8 1]
}
