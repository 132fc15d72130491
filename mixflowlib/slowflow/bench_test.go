package slowflow

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/path"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// BenchmarkNearestTimes measures the per-step Slow Flow measurement of protocols (a) and (c): m* for N
// samples against their pairs. One iteration = one sampling step; reported in samples·steps/s.
func BenchmarkNearestTimes(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, p := range []path.Path{path.Linear{}, gvp{}} {
		for _, d := range []int{2, 784} {
			const n = 4096
			xhat, x0, x1 := randVec(rng, n*d, 1), randVec(rng, n*d, 1), randVec(rng, n*d, 1)
			b.Run(fmt.Sprintf("%s-D%d-N%d", p.Name(), d, n), func(b *testing.B) {
				for range b.N {
					if _, err := NearestTimes(p, xhat, x0, x1, d); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples·steps/s")
			})
		}
	}
}

// BenchmarkNearestDataSearch measures one step of protocol (b): the joint search over a reference set
// of R points and m, for N samples (linear path, compiled search on the backend).
func BenchmarkNearestDataSearch(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, c := range []struct{ n, r, d int }{{1000, 8192, 2}, {256, 4096, 784}} {
		xh, x0h := randVec(rng, c.n*c.d, 1), randVec(rng, c.n*c.d, 1)
		xhat := tensors.FromFlatDataAndDimensions(xh, c.n, c.d)
		x0 := tensors.FromFlatDataAndDimensions(x0h, c.n, c.d)
		set, err := newRefSet(backend.Must(), randVec(rng, c.r*c.d, 1), c.d, c.n, 0, path.Linear{}, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("D%d-N%d-R%d", c.d, c.n, c.r), func(b *testing.B) {
			if _, _, err := set.nearestLine(xhat, x0, xh, x0h); err != nil { // compile outside the timing
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				if _, _, err := set.nearestLine(xhat, x0, xh, x0h); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c.n*b.N)/b.Elapsed().Seconds(), "samples·steps/s")
		})
		set.finalize()
	}
}

// BenchmarkForwardNoisedPair measures protocol (a) end to end (Euler sampling with the Gaussian oracle
// plus the measurement) in samples·steps/s.
func BenchmarkForwardNoisedPair(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, d := range []int{2, 784} {
		n := 256
		if d == 2 {
			n = 4000
		}
		mu := make([]float64, d)
		g, _ := oracle.NewGaussian(mu, []float64{0.5})
		x1 := tensors.FromFlatDataAndDimensions(g.Sample(rng, n), n, d)
		x0, _ := sampler.Noise(1, n, d)
		s, err := sampler.New(nil, model.NewStore(), g, sampler.Config{Steps: 50})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("D%d-N%d-50steps", d, n), func(b *testing.B) {
			for range b.N {
				if _, err := ForwardNoisedPair(s, x0, x1, datasets.Cond{}, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(51*n*b.N)/b.Elapsed().Seconds(), "samples·steps/s")
		})
		s.Finalize()
	}
}
