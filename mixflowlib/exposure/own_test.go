package exposure

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/mlp"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// TestOwnTrajectoryError checks both columns against a host computation: the oracle scaled by 1.2 has
// error 0.04·‖v*(x, t)‖²/D at any x, evaluated here with VelocityAt on the sampler's own trajectory and
// on the true interpolations. The exact oracle against itself has error 0.
func TestOwnTrajectoryError(t *testing.T) {
	const n, d, steps = 16, 32, 8
	mix, err := oracle.NewRotated(oracle.RotatedConfig{Dim: d, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := mix.Sample(rand.New(rand.NewPCG(1, 1)), n)
	x1 := tensors.FromFlatDataAndDimensions(x, n, d)
	scaled, err := oracle.NewPerturbed(mix, 1.2, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := ErrorConfig{Sampler: sampler.Config{Steps: steps}, Seed: 9}
	pts, err := OwnTrajectoryError(nil, model.NewStore(), scaled, mix, x1, datasets.Cond{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != steps {
		t.Fatalf("%d points, want %d", len(pts), steps)
	}
	s, err := sampler.New(nil, model.NewStore(), scaled, cfg.Sampler)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Finalize()
	noise, _ := sampler.Noise(cfg.Seed, n, d)
	tr, err := s.Trajectory(noise, datasets.Cond{})
	if err != nil {
		t.Fatal(err)
	}
	x0 := tensors.MustCopyFlatData[float32](noise)
	hostErr := func(state func(j int) float64, tt float64) float64 {
		var sum float64
		row := make([]float64, d)
		for i := range n {
			for j := range row {
				row[j] = state(i*d + j)
			}
			v, err := mix.VelocityAt(row, tt)
			if err != nil {
				t.Fatal(err)
			}
			for _, vj := range v {
				sum += 0.04 * vj * vj
			}
		}
		return sum / float64(n*d)
	}
	for i, p := range pts {
		own := hostErr(func(j int) float64 { return float64(tr.States[i][j]) }, tr.Times[i])
		tru := hostErr(func(j int) float64 { return p.T*float64(x[j]) + (1-p.T)*float64(x0[j]) }, p.T)
		if p.T != tr.Times[i] || math.Abs(p.Own-own) > 1e-4*own || math.Abs(p.True-tru) > 1e-4*tru {
			t.Errorf("t = %v: own %v true %v, host %v %v", p.T, p.Own, p.True, own, tru)
		}
	}
	self, err := OwnTrajectoryError(nil, model.NewStore(), mix, mix, x1, datasets.Cond{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range self {
		if p.Own != 0 || p.True != 0 {
			t.Errorf("oracle against itself at t = %v: own %v, true %v, want 0", p.T, p.Own, p.True)
		}
	}
	// An untrained network has no weights: a named error, and the store is left empty.
	store := model.NewStore()
	net, err := mlp.New(mlp.Config{Dim: d})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OwnTrajectoryError(nil, store, net, mix, x1, datasets.Cond{}, cfg); err == nil || !strings.Contains(err.Error(), "no weights") {
		t.Errorf("untrained network: error %v, want one saying the store has no weights", err)
	}
	if store.NumVariables() != 0 {
		t.Errorf("the store has %d variables after the failed call, want 0", store.NumVariables())
	}
	for _, c := range []struct {
		cfg  ErrorConfig
		want string
	}{
		{ErrorConfig{Sampler: sampler.Config{Steps: 2, TStart: 0.5, TEnd: 1}}, "TStart 0.5 must be 0"},
		{ErrorConfig{}, "Steps 0"},
	} {
		if _, err := OwnTrajectoryError(nil, model.NewStore(), mix, mix, x1, datasets.Cond{}, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}
