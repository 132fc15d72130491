package sampler

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// BenchmarkSamplerStep measures sampler step throughput with oracle backbones (one iteration = one
// Sample of 50 steps). Reported: steps/s and samples·steps/s.
func BenchmarkSamplerStep(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	mu := make([]float64, 784)
	for i := range mu {
		mu[i] = rng.Float64()*2 - 1
	}
	gauss, _ := oracle.NewGaussian(mu, []float64{0.3})
	means := make([][]float64, 10)
	weights := make([]float64, 10)
	for k := range means {
		means[k] = make([]float64, 784)
		for i := range means[k] {
			means[k][i] = rng.Float64()*2 - 1
		}
		weights[k] = 1
	}
	mix10, _ := oracle.NewMixture(weights, means, []float64{0.3})
	eight, _ := oracle.EightGaussians(2, 0.1)
	labels := make([]int32, 256)
	for i := range labels {
		labels[i] = int32(i % 10)
	}
	for _, bc := range []struct {
		name string
		net  nn.Backbone
		cfg  Config
		b, d int
		cond datasets.Cond
	}{
		{"gaussian-D784-B256-euler", gauss, Config{Steps: 50}, 256, 784, datasets.Cond{}},
		{"gaussian-D784-B256-heun", gauss, Config{Method: Heun, Steps: 50}, 256, 784, datasets.Cond{}},
		{"gaussian-D784-B256-em", gauss, Config{Method: EulerMaruyama, Steps: 50}, 256, 784, datasets.Cond{}},
		{"mixture10-D784-B256-euler-cfg", mix10, Config{Steps: 50, Guidance: Guidance{Scale: 2}}, 256, 784,
			datasets.Cond{Labels: tensors.FromFlatDataAndDimensions(labels, 256)}},
		{"8gaussians-D2-B4000-euler", eight, Config{Steps: 50}, 4000, 2, datasets.Cond{}},
		{"8gaussians-D2-B4000-em", eight, Config{Method: EulerMaruyama, Steps: 50}, 4000, 2, datasets.Cond{}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := New(nil, model.NewStore(), bc.net, bc.cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Finalize()
			x0, _ := Noise(1, bc.b, bc.d)
			out, err := s.Sample(x0, bc.cond) // compile outside the timing
			if err != nil {
				b.Fatal(err)
			}
			_ = out.FinalizeAll()
			b.ResetTimer()
			for range b.N {
				out, err := s.Sample(x0, bc.cond)
				if err != nil {
					b.Fatal(err)
				}
				_ = out.FinalizeAll()
			}
			steps := float64(len(s.steps) * b.N)
			b.ReportMetric(steps/b.Elapsed().Seconds(), "steps/s")
			b.ReportMetric(steps*float64(bc.b)/b.Elapsed().Seconds(), "samples·steps/s")
		})
	}
}
