package imagestudy

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/lrschedule"
)

func TestSmallData(t *testing.T) {
	d, err := SmallFashionMNIST(SmallParams{Size: 12, HeldOut: 50}, 3).Load()
	if err != nil {
		t.Skipf("Fashion-MNIST not available: %v", err)
	}
	b, err := d.Train.Batch(0, 8)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.X.Shape().Dimensions; got[1] != 12 || got[2] != 12 || got[3] != 1 {
		t.Fatalf("batch shape %v, want [8 12 12 1]", got)
	}
	up, err := d.Decode(b.X)
	if err != nil {
		t.Fatal(err)
	}
	if got := up.Shape().Dimensions; got[1] != 28 || got[2] != 28 {
		t.Fatalf("decoded shape %v, want 28×28", got)
	}
	// The resize keeps the images' mean brightness (triangle filter, 8-bit rounding).
	a, _ := tensors.CopyFlatData[float32](b.X)
	u, _ := tensors.CopyFlatData[float32](up)
	if ma, mu := mean(a), mean(u); math.Abs(ma-mu) > 0.05 {
		t.Errorf("mean brightness %v at 12×12 vs %v after the resize to 28×28", ma, mu)
	}
	r, err := d.Real(5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.X.Shape().Dimensions; got[0] != 5 || got[1] != 28 {
		t.Fatalf("real images shape %v, want [5 28 28 1]", got)
	}
	if d.HeldOut.X.Shape().Dimensions[0] != 50 {
		t.Fatalf("held-out %v, want 50 images", d.HeldOut.X.Shape())
	}
}

func mean(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x)
	}
	return s / float64(len(v))
}

func TestParamsErrors(t *testing.T) {
	for _, tc := range []struct{ params, want string }{
		{`{"size":4}`, "size 4 outside [8, 28]"},
		{`{"size":29}`, "size 29 outside"},
		{`{"held_out":-1}`, "held_out -1 outside"},
		{`{"sise":16}`, "unknown field"},
	} {
		_, err := imageexp.DataSpec{Kind: DataSmallFashionMNIST, Params: []byte(tc.params)}.Canonical()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "imagestudy: ") {
			t.Errorf("params %s: error %v, want one starting imagestudy: and containing %q", tc.params, err, tc.want)
		}
	}
	c, err := imageexp.DataSpec{Kind: DataSmallFashionMNIST}.Canonical()
	if err != nil || string(c.Params) != `{"size":16,"held_out":2000}` {
		t.Errorf("default params %s, %v", c.Params, err)
	}
}

func TestSpecValidate(t *testing.T) {
	if err := FullStudy(1000).Validate(); err != nil {
		t.Fatalf("FullStudy: %v", err)
	}
	for _, tc := range []struct {
		change func(*Spec)
		want   string
	}{
		{func(s *Spec) { s.Arms = nil }, "imagestudy: no arms"},
		{func(s *Spec) { s.Seeds = 0 }, "imagestudy: seeds 0 must be >= 1"},
		{func(s *Spec) { s.Arms, s.ArmSeeds = append(s.Arms, s.Arms[0]), nil }, "two arms are labelled"},
		{func(s *Spec) { s.ArmSeeds = []int{1} }, "arm_seeds has 1 entries for 6 arms"},
		{func(s *Spec) { s.ArmSeeds = []int{4, 0, 0, 0, 0, 0} }, "arm_seeds[0] 4 outside"},
		{func(s *Spec) { s.DiagArms = []int{6} }, "diag arm 6 outside [0, 6)"},
		{func(s *Spec) { s.Diag.N = 2 }, "diag n 2 outside"},
		{func(s *Spec) { s.Diag.LagDeltas = []float64{0.6} }, "lag delta 0.6 outside"},
		{func(s *Spec) { s.Diag.Sampler.CFG = 1.5 }, "want no guidance"},
	} {
		s := FullStudy(1000)
		tc.change(&s)
		if err := s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

// TestFullStudyContinuesBase checks the convergence design of the full study: the base is trained at a
// constant learning rate and every arm continues it at that rate with the base's optimiser state and EMA
// decay, so that standard post-training is the base's own training continued.
func TestFullStudyContinuesBase(t *testing.T) {
	s := FullStudy(FullBaseSteps)
	b := s.Base.Train
	if b.Schedule.Kind != lrschedule.Constant || b.LR != StudyLR || s.Post.LR != b.LR {
		t.Errorf("base schedule %q lr %g, post lr %g: want a constant %g for both", b.Schedule.Kind, b.LR, s.Post.LR, StudyLR)
	}
	if !s.KeepOptimizer || s.Post.EMADecay != b.EMADecay || s.Post.Schedule.Kind != "" && s.Post.Schedule.Kind != lrschedule.Constant {
		t.Errorf("keep optimizer %v, post EMA %g vs base %g, post schedule %q", s.KeepOptimizer, s.Post.EMADecay, b.EMADecay, s.Post.Schedule.Kind)
	}
	if s.Arms[0].Label() != StandardArm(0.1).Label() || s.seedsOf(2) < 3 || s.seedsOf(1) < 3 || s.seedsOf(0) < 3 {
		t.Errorf("arm 0 %q, seeds %d/%d/%d: want standard first and 3 seeds of the main comparison", s.Arms[0].Label(), s.seedsOf(0), s.seedsOf(1), s.seedsOf(2))
	}
}

// TestQuickStudy runs the quick study end to end on a fresh cache: every arm and seed, the baselines at
// sampling, diagnostics, the paired differences and the convergence check; a second run comes from the
// cache with identical numbers.
func TestQuickStudy(t *testing.T) {
	if testing.Short() {
		t.Skip("trains models")
	}
	if _, err := SmallFashionMNIST(SmallParams{}, 1).Load(); err != nil {
		t.Skipf("Fashion-MNIST not available: %v", err)
	}
	lab := &imageexp.Lab{Cache: expcache.New(t.TempDir()).WithSalt(imageexp.CacheSalt)}
	spec := QuickStudy()
	spec.ArmSeeds = []int{2, 2, 1}
	ctx := context.Background()
	res, err := RunStudy(ctx, lab, spec, func(s string) { t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Arms) != 3 || len(res.Arms[0].Runs) != 2 || len(res.Arms[2].Runs) != 1 {
		t.Fatalf("arms %d, runs %d / %d, want 3 arms with 2, 2, 1 seeds", len(res.Arms), len(res.Arms[0].Runs), len(res.Arms[2].Runs))
	}
	for _, a := range res.Arms {
		for _, r := range a.Runs {
			if r.Post == nil || r.Post.KeepOptimizer != spec.KeepOptimizer || !r.Post.FromEMA {
				t.Fatalf("%s: post spec %+v, want keep_optimizer %v from the EMA", a.Label, r.Post, spec.KeepOptimizer)
			}
		}
	}
	if res.Arms[0].Runs[0].Key == res.Arms[0].Runs[1].Key {
		t.Fatal("two training seeds gave the same run")
	}
	if len(res.Epsilon.Evals) != 1 || len(res.TimeShift.Evals) != 1 { // BaselineSeeds 1
		t.Fatalf("epsilon %d, time-shift %d evaluations, want 1 each", len(res.Epsilon.Evals), len(res.TimeShift.Evals))
	}
	if !strings.Contains(res.Epsilon.Evals[0].Rows[0].Sampler, "ε-scaling λ=1.005") || !strings.Contains(res.TimeShift.Evals[0].Rows[0].Sampler, "time-shift") {
		t.Errorf("baseline samplers %q, %q", res.Epsilon.Evals[0].Rows[0].Sampler, res.TimeShift.Evals[0].Rows[0].Sampler)
	}
	if len(res.Base.Diags) != 1 || len(res.Arms[0].Diags) != 2 || len(res.Arms[1].Diags) != 0 || len(res.Arms[2].Diags) != 1 {
		t.Fatalf("diagnoses base %d, arms %d/%d/%d", len(res.Base.Diags), len(res.Arms[0].Diags), len(res.Arms[1].Diags), len(res.Arms[2].Diags))
	}
	dg := res.Base.Diags[0]
	if len(dg.Lag) != 4 || len(dg.Gap) == 0 || math.IsNaN(dg.LagSlope()) || math.IsNaN(dg.FinalGap()) {
		t.Fatalf("base diagnosis %+v", dg)
	}
	if len(res.Base.SlowFlow) != 1 || res.Reference == nil {
		t.Fatal("no Slow Flow for the base or no reference band")
	}
	s := spec.Eval.Samplers[0]
	d, err := PairedDiff(res.Arms[1].Evals, res.Arms[0].Evals, s, imageexp.MetricFID)
	if err != nil || d.N != 2 {
		t.Fatalf("paired difference %+v, %v", d, err)
	}
	// By hand: the mean of the two per-seed differences.
	want := 0.0
	for i := range 2 {
		a, _ := res.Arms[1].Evals[i].Value(s, imageexp.MetricFID)
		b, _ := res.Arms[0].Evals[i].Value(s, imageexp.MetricFID)
		want += (a.Estimate - b.Estimate) / 2
	}
	if math.Abs(d.Estimate-want) > 1e-9 || !(d.Lo <= d.Estimate && d.Estimate <= d.Hi) {
		t.Errorf("paired difference %+v, want estimate %v inside its interval", d, want)
	}
	if _, err := PairedDiff(res.Arms[2].Evals, res.Arms[0].Evals, s, imageexp.MetricFID); err == nil {
		t.Error("a paired difference over one seed gave no error")
	}
	conv, err := res.CheckConvergence(s, imageexp.MetricFID)
	if err != nil {
		t.Fatal(err)
	}
	if conv.Converged != ((conv.Change.Lo <= 0 && conv.Change.Hi >= 0) || math.Abs(conv.Change.Estimate) <= conv.SeedNoise) || conv.Change.N != 2 {
		t.Errorf("convergence %+v", conv)
	}
	again, err := RunStudy(ctx, lab, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := PairedDiff(again.Arms[1].Evals, again.Arms[0].Evals, s, imageexp.MetricFID)
	if d2 != d || again.Base.Diags[0].Lag[3] != dg.Lag[3] {
		t.Errorf("second run differs: %+v vs %+v", d2, d)
	}
}

// TestHeldOutKeepsTokens: the diagnostics' held-out slice carries caption tokens as well as labels
// (text-to-image models are diagnosed on their own captions), row for row with the images.
func TestHeldOutKeepsTokens(t *testing.T) {
	x := tensors.FromFlatDataAndDimensions([]float32{0, 1, 2, 3, 4, 5}, 3, 2)
	tok := tensors.FromFlatDataAndDimensions([]int32{1, 2, 3, 4, 5, 6}, 3, 2)
	data := &imageexp.Data{Name: "toy"}
	data.HeldOut.X, data.HeldOut.Cond.Tokens = x, tok
	gx, cond, err := heldOut(data, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := gx.Value().([][]float32); len(got) != 2 || got[1][1] != 3 {
		t.Errorf("images %v, want the first two rows", got)
	}
	if cond.Labels != nil {
		t.Errorf("labels %v from data without labels", cond.Labels)
	}
	if cond.Tokens == nil {
		t.Fatal("tokens dropped")
	}
	if got := cond.Tokens.Value().([][]int32); len(got) != 2 || got[0][0] != 1 || got[1][1] != 4 {
		t.Errorf("tokens %v, want [[1 2] [3 4]]", got)
	}
	if _, _, err := heldOut(data, 4); err == nil {
		t.Error("n beyond the held-out set: no error")
	}
}
