package exposure

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// TestInjectedLagOracle is the audit's fact in D = 256: with δ = 0.1 at t0 = 0.5 and 200 Euler steps,
// the exact flow-matching velocity recovers (residual ≤ 1e-3) and the exact MixFlow minimiser (γ = 0.8)
// keeps the lag (residual within 20 % of δ). Radius 8 and std 0.001 make the modes sharp and far apart:
// at radius 4 a few of the 32 lagged starts are pulled to the wrong mode and the flow-matching residual
// is 0.008 (a wrong-mode error, not leftover noise).
func TestInjectedLagOracle(t *testing.T) {
	mix, err := oracle.NewRotated(oracle.RotatedConfig{Dim: 256, Components: 8, Radius: 8, Std: 1e-3, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := mix.Sample(rand.New(rand.NewPCG(2, 3)), 32)
	x1 := tensors.FromFlatDataAndDimensions(x, 32, 256)
	opt, err := oracle.NewMixFlowOptimum(mix, 0.8, 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := LagConfig{Deltas: []float64{0.1}, Sampler: sampler.Config{Steps: 200}, Seed: 4}
	for _, c := range []struct {
		name   string
		net    nn.Backbone
		lo, hi float64
	}{{"flow matching", mix, -1e-3, 1e-3}, {"MixFlow γ=0.8", opt, 0.08, 0.12}} {
		pts, err := InjectedLag(nil, model.NewStore(), c.net, x1, datasets.Cond{}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: δ = 0.1, residual %.5f", c.name, pts[0].Residual)
		if r := pts[0].Residual; !(r >= c.lo && r <= c.hi) {
			t.Errorf("%s: residual %v outside [%v, %v]", c.name, r, c.lo, c.hi)
		}
	}
	for _, c := range []struct {
		cfg  LagConfig
		want string
	}{
		{LagConfig{Deltas: []float64{0.5}}, "exposure: injected lag delta 0.5 must be < t0 0.5"},
		{LagConfig{Deltas: []float64{math.NaN()}}, "delta NaN must be >= 0"},
		{LagConfig{T0: 1.5}, "t0 1.5 outside (0, 1)"},
	} {
		c.cfg.Sampler.Steps = 2
		if _, err := InjectedLag(nil, model.NewStore(), mix, x1, datasets.Cond{}, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}
