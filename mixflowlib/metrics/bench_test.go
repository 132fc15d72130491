package metrics

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Throughput of the sample metrics on 2-D toys and of the Fréchet distance on feature dimensions of FID scale:
//
//	go test -run '^$' -bench . -benchtime 3x ./mixflowlib/metrics/

func BenchmarkSlicedWasserstein(b *testing.B) {
	for _, n := range []int{2000, 10000} {
		x, y := toyRows(b, "moons", n, 1), toyRows(b, "moons", n, 2)
		b.Run(fmt.Sprintf("N=%d/L=%d", n, DefaultProjections), func(b *testing.B) {
			for b.Loop() {
				if _, err := SlicedWasserstein(x, y, SWOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkMMD2(b *testing.B) {
	for _, n := range []int{2000, 10000} {
		x, y := toyRows(b, "moons", n, 1), toyRows(b, "moons", n, 2)
		b.Run(fmt.Sprintf("N=%d/median3", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := MMD2(x, y, MMDOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEnergyDistance(b *testing.B) {
	x, y := toyRows(b, "moons", 2000, 1), toyRows(b, "moons", 2000, 2)
	for b.Loop() {
		if _, err := EnergyDistance(x, y); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrecisionRecall(b *testing.B) {
	x, y := toyRows(b, "moons", 2000, 1), toyRows(b, "moons", 2000, 2)
	for b.Loop() {
		if _, _, err := PrecisionRecall(x, y, 3); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFrechetDistance(b *testing.B) {
	for _, d := range []int{64, 256, 2048} {
		rng := rand.New(rand.NewPCG(uint64(d), 1))
		e1, e2 := make([]float64, d), make([]float64, d)
		for i := range d {
			e1[i], e2[i] = 0.01+rng.Float64(), 0.01+rng.Float64()
		}
		g1 := Gaussian{Mean: make([]float64, d), Cov: randomSPD(rng, e1)}
		g2 := Gaussian{Mean: make([]float64, d), Cov: randomSPD(rng, e2)}
		b.Run(fmt.Sprintf("D=%d", d), func(b *testing.B) {
			for b.Loop() {
				if _, err := FrechetDistance(g1, g2); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// Both covariances singular (rank D/2): the eigendecomposition fallback.
	d := 256
	rng := rand.New(rand.NewPCG(9, 9))
	e := make([]float64, d)
	for i := range d / 2 {
		e[i] = 1
	}
	g := Gaussian{Mean: make([]float64, d), Cov: randomSPD(rng, e)}
	h := Gaussian{Mean: make([]float64, d), Cov: randomSPD(rng, e)}
	b.Run("D=256/singular", func(b *testing.B) {
		for b.Loop() {
			if _, err := FrechetDistance(g, h); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkFeatureStats(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := randRows(rng, 10000, 256)
	for b.Loop() {
		if _, err := FeatureStats(x); err != nil {
			b.Fatal(err)
		}
	}
}
