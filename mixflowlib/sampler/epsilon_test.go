package sampler

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
)

// TestEpsilonScaling checks λ = 1 against the plain sampler (identical), Euler with λ_t = K·t + B against
// a host integration of v' = v/λ + (1 − 1/λ)·x/t with the oracle's host velocity, and the named errors.
func TestEpsilonScaling(t *testing.T) {
	g, _ := oracle.NewGaussian([]float64{1, -0.5}, []float64{0.5, 1.5})
	const b, steps = 4, 10
	x0 := mustNoise(t, 3, b, 2)
	plain := mustSample(t, g, Config{Steps: steps}, x0, datasets.Cond{})
	one := mustSample(t, g, Config{Steps: steps, EpsilonScaling: EpsilonScaling{B: 1}}, x0, datasets.Cond{})
	sameAsPlain(t, "λ = 1", one, plain)
	es := EpsilonScaling{K: 0.01, B: 1.02, TMin: 0.05}
	got := mustSample(t, g, Config{Steps: steps, EpsilonScaling: es}, x0, datasets.Cond{})
	start := tensors.MustCopyFlatData[float32](x0)
	for i := range b {
		x := []float64{float64(start[2*i]), float64(start[2*i+1])}
		for k := range steps {
			tt := float64(float32(float64(k) / steps))
			v, _ := g.VelocityAt(x, tt)
			for j := range x {
				if tt >= 0.05 {
					lam := 0.01*tt + 1.02
					v[j] = v[j]/lam + (1-1/lam)*x[j]/tt
				}
				x[j] += 1.0 / steps * v[j]
			}
		}
		for j := range x {
			if math.Abs(float64(got[2*i+j])-x[j]) > 1e-4*(1+math.Abs(x[j])) {
				t.Errorf("row %d coord %d: sampler %v, host %v", i, j, got[2*i+j], x[j])
			}
			if math.Abs(float64(got[2*i+j]-plain[2*i+j])) < 1e-4 {
				t.Errorf("row %d coord %d: λ = 1.02 left the sample unchanged", i, j)
			}
		}
	}
	for _, c := range []struct {
		es   EpsilonScaling
		want string
	}{
		{EpsilonScaling{B: -1}, "sampler: epsilon scaling lambda -1"},
		{EpsilonScaling{B: math.NaN()}, "sampler: epsilon scaling lambda NaN"},
		{EpsilonScaling{K: -2, B: 1}, "sampler: epsilon scaling lambda -1 (at t = 1) must be > 0"},
		{EpsilonScaling{B: 1, TMin: 1.5}, "sampler: epsilon scaling TMin 1.5 outside [0, 1]"},
	} {
		if err := (Config{Steps: 4, EpsilonScaling: c.es}).Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.es, err, c.want)
		}
	}
}

// TestSearchEpsilonB checks the search against samples drawn here for every B: each point's metric is the
// metric of those samples, and the chosen B is the one with the lowest metric.
func TestSearchEpsilonB(t *testing.T) {
	g, _ := oracle.NewGaussian([]float64{1, -0.5}, []float64{0.5, 1.5})
	x0 := mustNoise(t, 3, 64, 2)
	cfg := Config{Steps: 4}
	// The metric: distance of the sample's mean squared norm to that of B = 1.006's samples.
	ref := mustSample(t, g, Config{Steps: 4, EpsilonScaling: EpsilonScaling{B: 1.006}}, x0, datasets.Cond{})
	sq := func(v []float32) float64 {
		var s float64
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		return s / float64(len(v))
	}
	metric := func(x *tensors.Tensor) (float64, error) {
		return math.Abs(sq(tensors.MustCopyFlatData[float32](x)) - sq(ref)), nil
	}
	best, pts, err := SearchEpsilonB(nil, model.NewStore(), g, cfg, x0, datasets.Cond{}, nil, metric)
	if err != nil {
		t.Fatal(err)
	}
	if best != 1.006 || len(pts) != len(DefaultEpsilonBGrid) {
		t.Errorf("best B %v with %d points, want 1.006 with %d", best, len(pts), len(DefaultEpsilonBGrid))
	}
	for _, p := range pts {
		want := math.Abs(sq(mustSample(t, g, Config{Steps: 4, EpsilonScaling: EpsilonScaling{B: p.B}}, x0, datasets.Cond{})) - sq(ref))
		if p.Metric != want {
			t.Errorf("B = %v: metric %v, want %v", p.B, p.Metric, want)
		}
	}
	for _, c := range []struct {
		grid   []float64
		metric func(*tensors.Tensor) (float64, error)
		want   string
	}{
		{[]float64{1, 0}, metric, "sampler: epsilon scaling search at B = 0: sampler: epsilon scaling lambda 0 must be > 0"},
		{[]float64{1, -1}, metric, "lambda -1 (at t = 0.01) must be > 0"},
		{[]float64{}, metric, "the grid of B is empty"},
		{nil, nil, "needs a metric"},
		{[]float64{1, 1.01}, func(*tensors.Tensor) (float64, error) { return math.NaN(), nil }, "the metric is NaN for every B"},
	} {
		if _, _, err := SearchEpsilonB(nil, model.NewStore(), g, cfg, x0, datasets.Cond{}, c.grid, c.metric); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("grid %v: error %v, want one containing %q", c.grid, err, c.want)
		}
	}
}
