package sampler

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
)

// bruteTau minimises (v − [(1 − τ)² + τ²s])² over 20001 points of the window: an independent check of
// the closed-form minimum.
func bruteTau(ts TimeShift, v, t float64) float64 {
	lo, hi := ts.window(t)
	best, bestG := t, math.Inf(1)
	for i := range 20001 {
		tau := lo + (hi-lo)*float64(i)/20000
		f := (1-tau)*(1-tau) + tau*tau*ts.DataVariance
		if g := (f - v) * (f - v); g < bestG {
			best, bestG = tau, g
		}
	}
	return best
}

// TestTimeShift checks window 0 against the plain sampler (identical), Tau and an Euler run against a
// host integration that picks τ by brute force, and the named errors.
func TestTimeShift(t *testing.T) {
	const b, d, steps = 6, 8, 5
	mu := make([]float64, d)
	for i := range mu {
		mu[i] = 0.3 * float64(i%3-1)
	}
	g, _ := oracle.NewGaussian(mu, []float64{0.6})
	x0 := mustNoise(t, 5, b, d)
	plain := mustSample(t, g, Config{Steps: steps}, x0, datasets.Cond{})
	zero := mustSample(t, g, Config{Steps: steps, TimeShift: TimeShift{DataVariance: 0.4}}, x0, datasets.Cond{})
	sameAsPlain(t, "window 0", zero, plain)
	ts := TimeShift{Window: 0.3, Cutoff: 0.7, DataVariance: 0.4}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		v, tt := 2*rng.Float64(), rng.Float64()
		if got, want := ts.Tau(v, tt), bruteTau(ts, v, tt); math.Abs(got-want) > 1e-4 {
			t.Errorf("Tau(%v, %v) = %v, brute force %v", v, tt, got, want)
		}
	}
	got := mustSample(t, g, Config{Steps: steps, TimeShift: ts}, x0, datasets.Cond{})
	start := tensors.MustCopyFlatData[float32](x0)
	shifted := 0
	for i := range b {
		x := make([]float64, d)
		for j := range x {
			x[j] = float64(start[i*d+j])
		}
		for k := range steps {
			tt := float64(float32(float64(k) / steps))
			var m, q float64
			for _, xj := range x {
				m += xj / d
				q += xj * xj / d
			}
			tau := bruteTau(ts, q-m*m, tt)
			if tau != tt {
				shifted++
			}
			v, _ := g.VelocityAt(x, tau)
			for j := range x {
				x[j] += 1.0 / steps * v[j]
			}
		}
		for j := range x {
			if math.Abs(float64(got[i*d+j])-x[j]) > 2e-3*(1+math.Abs(x[j])) {
				t.Errorf("row %d coord %d: sampler %v, host %v", i, j, got[i*d+j], x[j])
			}
		}
	}
	if shifted == 0 {
		t.Error("no evaluation was shifted: the test does not exercise the shift")
	}
	for _, c := range []struct {
		ts   TimeShift
		want string
	}{
		{TimeShift{Window: -0.1, DataVariance: 1}, "sampler: time shift window -0.1 must be >= 0"},
		{TimeShift{Window: math.NaN(), DataVariance: 1}, "sampler: time shift window NaN must be >= 0"},
		{TimeShift{Window: 0.1, Cutoff: 1.5, DataVariance: 1}, "sampler: time shift cutoff 1.5 outside [0, 1]"},
		{TimeShift{Window: 0.1, Cutoff: -0.5, DataVariance: 1}, "sampler: time shift cutoff -0.5 outside [0, 1]"},
		{TimeShift{Window: 0.1}, "sampler: time shift data variance 0 must be > 0"},
	} {
		if err := (Config{Steps: 4, TimeShift: c.ts}).Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.ts, err, c.want)
		}
	}
	x1 := tensors.FromFlatDataAndDimensions([]float32{1, 3, 0, 0, -2, 2}, 2, 3)
	if v, err := ExampleVariance(x1); err != nil || math.Abs(v-(14.0/9+24.0/9)/2) > 1e-12 {
		t.Errorf("ExampleVariance = %v, %v, want %v", v, err, (14.0/9+24.0/9)/2)
	}
}
