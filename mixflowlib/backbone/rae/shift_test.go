package rae_test

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/experiment/raeexp"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/objective"
	"github.com/mixflow/mixflow/mixflowlib/timesteps"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestShiftFor checks RAE's s = √(dim/4096) at RAE's own sizes (DINOv2-B at 256 and 512 px), at the
// project encoder's 8×8×64 (exactly 1), below 1 (clamped), and with the pixel base (s = 2).
func TestShiftFor(t *testing.T) {
	for _, c := range []struct {
		dim, base   int
		raw, used   float64
		description string
	}{
		{768 * 16 * 16, 0, math.Sqrt(48), math.Sqrt(48), "RAE 256 px"},
		{768 * 32 * 32, rae.RAEShiftBase, math.Sqrt(192), math.Sqrt(192), "RAE 512 px"},
		{8 * 8 * 64, 0, 1, 1, "8×8×64 latent, RAE base"},
		{4 * 4 * 64, 0, 0.5, 1, "project encoder 4×4×64: RAE's formula gives s < 1, clamped"},
		{4 * 4 * 64, rae.PixelShiftBase, 8.0 / 7, 8.0 / 7, "project encoder, pixel base 28×28"},
	} {
		raw, used, err := rae.ShiftFor(c.dim, c.base)
		if err != nil {
			t.Fatalf("%s: %v", c.description, err)
		}
		if !near(raw, c.raw, 1e-12) || !near(used, c.used, 1e-12) {
			t.Errorf("%s: ShiftFor(%d, %d) = (%v, %v), want (%v, %v)", c.description, c.dim, c.base, raw, used, c.raw, c.used)
		}
	}
	_, _, err := rae.ShiftFor(0, 0)
	graphtest.MustContain(t, err, "rae:", "latentDim")
	_, _, err = rae.ShiftFor(4096, -1)
	graphtest.MustContain(t, err, "rae:", "base -1")
}

// TestShiftBothConventions checks that RAE's formula in its flipped time and timesteps.ShiftTime in ours are
// the same map, against hand values and on a grid.
func TestShiftBothConventions(t *testing.T) {
	// Hand values: s = 2, t_R = 0.5 → 2·0.5/(1 + 0.5) = 2/3; ours t = 0.5 → 0.5/(0.5 + 2·0.5) = 1/3 = 1 − 2/3.
	if got := rae.ShiftRAETime(0.5, 2); !near(got, 2.0/3, 1e-15) {
		t.Errorf("ShiftRAETime(0.5, 2) = %v, want 2/3", got)
	}
	if got := timesteps.ShiftTime(0.5, 2); !near(got, 1.0/3, 1e-15) {
		t.Errorf("ShiftTime(0.5, 2) = %v, want 1/3", got)
	}
	// RAE at 256 px: t_R = 0.001 (end of its ODE grid) becomes ≈ 0.00689 (mixflow-paper.md §3.4).
	if got := rae.ShiftRAETime(0.001, math.Sqrt(48)); !near(got, 0.00689, 5e-6) {
		t.Errorf("ShiftRAETime(0.001, √48) = %v, want ≈ 0.00689", got)
	}
	for _, s := range []float64{0.5, 1, 2, math.Sqrt(48), math.Sqrt(192)} {
		for i := 0; i <= 20; i++ {
			tR := float64(i) / 20
			want := rae.ShiftRAETime(tR, s)
			got := rae.ToRAETime(timesteps.ShiftTime(rae.FromRAETime(tR), s))
			if !near(got, want, 1e-12) {
				t.Errorf("s=%v t_R=%v: ours %v, RAE's %v", s, tR, got, want)
			}
		}
	}
	if rae.ToRAETime(0.25) != 0.75 || rae.FromRAETime(0.75) != 0.25 {
		t.Error("time conversion is not t ↦ 1 − t")
	}
}

// TestSamplerGridIsRAEGrid checks that the sampler's shifted grid is RAE's ODE grid (t_R = 1 − linspace,
// shifted with RAE's formula) mirrored into our time.
func TestSamplerGridIsRAEGrid(t *testing.T) {
	s := math.Sqrt(48)
	cfg, err := raeexp.SamplerConfig(rae.DefaultSamplingSteps, s)
	if err != nil {
		t.Fatal(err)
	}
	grid, err := cfg.Grid()
	if err != nil {
		t.Fatal(err)
	}
	if len(grid) != rae.DefaultSamplingSteps+1 {
		t.Fatalf("grid has %d points, want %d", len(grid), rae.DefaultSamplingSteps+1)
	}
	for i, g := range grid {
		tR := 1 - float64(i)/float64(rae.DefaultSamplingSteps) // RAE: from noise (1) to data (0)
		if want := rae.ShiftRAETime(tR, s); !near(rae.ToRAETime(g), want, 1e-6) {
			t.Errorf("grid[%d] = %v is t_R %v, RAE's shifted grid has %v", i, g, rae.ToRAETime(g), want)
		}
	}
	// The shift puts more steps near the noise: the first step is shorter than the last.
	if !(grid[1]-grid[0] < grid[len(grid)-1]-grid[len(grid)-2]) {
		t.Errorf("shifted grid does not crowd the noise end: first step %v, last %v", grid[1]-grid[0], grid[len(grid)-1]-grid[len(grid)-2])
	}
	_, err = raeexp.SamplerConfig(0, s)
	graphtest.MustContain(t, err, "raeexp:", "Steps 0")
	_, err = raeexp.SamplerConfig(10, -1)
	graphtest.MustContain(t, err, "raeexp:", "Shift -1")
}

// zeroNet is a backbone that predicts zero velocity: the objective's terms then depend on the draws only.
type zeroNet struct{}

func (zeroNet) Velocity(_ *model.Scope, x, _ *Node, _ nn.Cond) *Node { return ZerosLike(x) }

// TestMixFlowObjectiveShiftsBeforeSlowing checks the configured RAE objective: it carries the shift and γ,
// and for given uniforms its times are the official diff's, t = ShiftTime(√U, s), m = t·(1 − γ·U'), which in
// RAE's time is t_R = shift(1 − √U), m_R = t_R + U'·γ·(1 − t_R). Slowing before shifting would give other
// times; the test checks that it does not.
func TestMixFlowObjectiveShiftsBeforeSlowing(t *testing.T) {
	const s, gamma = 2.0, rae.DefaultGamma
	obj, err := raeexp.MixFlowLoss(gamma, s, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Shift != s || obj.Gamma != 0.4 || obj.LabelDropout != 0.1 || obj.Times.Name() != "beta21" {
		t.Fatalf("objective %s: want shift %v, γ 0.4, Beta(2,1) times, dropout 0.1", obj.Name(), s)
	}
	uTime := []float32{0.04, 0.25, 0.5, 0.81, 0.99}
	uSlow := []float32{0.0, 0.5, 1, 0.3, 0.9}
	be, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	out, err := model.NewExec(be, store, func(scope *model.Scope, in []*Node) []*Node {
		x1 := in[0]
		d := objective.Draws{UTime: in[1], USlow: in[2], X0: ZerosLike(x1)}
		terms := obj.LossFromDraws(scope.In("model"), zeroNet{}, x1, nn.Cond{}, d)
		return []*Node{terms.T, terms.M}
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := out.Call(tensors.FromFlatDataAndDimensions(make([]float32, len(uTime)*2), len(uTime), 2),
		tensors.FromFlatDataAndDimensions(uTime, len(uTime)), tensors.FromFlatDataAndDimensions(uSlow, len(uSlow)))
	if err != nil {
		t.Fatal(err)
	}
	ts, ms := graphtest.Flat(t, res[0]), graphtest.Flat(t, res[1])
	for i := range uTime {
		u, v := float64(uTime[i]), float64(uSlow[i])
		wantT := timesteps.ShiftTime(math.Sqrt(u), s)
		wantM := wantT * (1 - gamma*v)
		if !near(float64(ts[i]), wantT, 1e-6) || !near(float64(ms[i]), wantM, 1e-6) {
			t.Errorf("U=%v U'=%v: (t, m) = (%v, %v), want (%v, %v)", u, v, ts[i], ms[i], wantT, wantM)
		}
		// The official diff, in RAE's time.
		tR := rae.ShiftRAETime(1-math.Sqrt(u), s)
		mR := tR + v*gamma*(1-tR)
		if !near(rae.ToRAETime(float64(ms[i])), mR, 1e-6) {
			t.Errorf("U=%v U'=%v: m_R = %v, the official diff gives %v", u, v, rae.ToRAETime(float64(ms[i])), mR)
		}
		// Slowing first and shifting after differs whenever U' > 0 (a check that the test can fail).
		if v > 0 {
			wrong := timesteps.ShiftTime(math.Sqrt(u)*(1-gamma*v), s)
			if near(float64(ms[i]), wrong, 1e-4) {
				t.Errorf("U=%v U'=%v: m = %v also matches slow-then-shift %v", u, v, ms[i], wrong)
			}
		}
	}

	for _, bad := range []struct {
		gamma, shift float64
		want         string
	}{{1.3, 2, "objective: gamma 1.3 outside [0, 1]"}, {math.NaN(), 2, "objective: gamma NaN outside [0, 1]"},
		{0.4, 0.5, "raeexp: shift 0.5"}, {0.4, math.NaN(), "raeexp: shift NaN"}} {
		_, err := raeexp.MixFlowLoss(bad.gamma, bad.shift, 0)
		graphtest.MustContain(t, err, bad.want) // γ is checked once, by objective
	}
}

// TestBaseObjective checks RAE's stage-2 times: logit-normal(0,1), shifted when s > 1.
func TestBaseObjective(t *testing.T) {
	o, err := raeexp.BaseLoss(2, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	if got := o.Times.Name(); got != "shift(2,logit-normal(0,1))" {
		t.Errorf("base times %s, want shift(2,logit-normal(0,1))", got)
	}
	// The median of logit-normal(0,1) is 0.5; shifted by 2 it is ShiftTime(0.5, 2) = 1/3.
	if got := o.Times.Quantile(0.5); !near(got, 1.0/3, 1e-9) {
		t.Errorf("median of the shifted base times %v, want 1/3", got)
	}
	o1, err := raeexp.BaseLoss(1, 0)
	if err != nil || o1.Times.Name() != "logit-normal(0,1)" {
		t.Errorf("BaseObjective(1) times %v (%v), want unshifted logit-normal(0,1)", o1.Times, err)
	}
	_, err = raeexp.BaseLoss(0.5, 0)
	graphtest.MustContain(t, err, "rae:", "shift 0.5")
	_, err = raeexp.BaseLoss(2, 1.5)
	graphtest.MustContain(t, err, "objective:", "dropout")
}
