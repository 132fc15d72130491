package highdim

import (
	"context"
	"testing"

	"github.com/mixflow/mixflow/internal/errtest"
	"github.com/mixflow/mixflow/mixflowlib/expcache"
)

func testLab(t *testing.T) *Lab {
	return &Lab{Cache: expcache.New(t.TempDir()).WithLog(nil), Quiet: true}
}

func TestSpecValidation(t *testing.T) {
	errtest.Contains(t, "dim", DataSpec{Dim: 1}.validate(), "highdim: data dim 1 outside [2, 1024]")
	errtest.Contains(t, "std", DataSpec{Dim: 4, Std: -1}.validate(), "radius 4 and std -1 must be positive")
	errtest.Contains(t, "ip-mixflow", Arm{Objective: MixFlowArm(0.8).Objective, InputPerturbation: 0.1}.validate(), "needs a flow-matching objective")
	errtest.Contains(t, "ip-negative", InputPerturbationArm(-0.1).validate(), "input perturbation -0.1 must be positive")
	errtest.Contains(t, "sampler", EvalSpec{Samplers: []Sampler{{Method: "euler-maruyama", Steps: 5}}, Samples: 100, Seeds: []uint64{0}}.validate(), "only the ODE methods")
	errtest.Contains(t, "dup", EvalSpec{Samplers: []Sampler{{Method: "euler", Steps: 5}, {Method: "Euler", Steps: 5}}, Samples: 100, Seeds: []uint64{0}}.validate(), "euler-5 appears twice")
	if got := ControlArm().Label(); got != "MixFlow γ=0 control" {
		t.Errorf("control label %q", got)
	}
	if got := InputPerturbationArm(0.1).Label(); got != "IP γ=0.1" {
		t.Errorf("IP label %q", got)
	}
}

func (d DataSpec) validate() error { _, err := d.Canonical(); return err }
func (a Arm) validate() error      { _, err := a.Canonical(); return err }
func (e EvalSpec) validate() error { _, err := e.Canonical(); return err }

// The exact references: the exact velocity with many Heun steps matches the data (spread ≈ 1, every mode
// its share, Fréchet distance near the floor), while the exact MixFlow minimiser at γ = 0.8 keeps noise
// (spread well above 1): the lag MixFlow's ideal solution carries.
func TestExactReferences(t *testing.T) {
	lab := testLab(t)
	data := DefaultDataSpec(32)
	spec := EvalSpec{Samplers: []Sampler{{Method: "heun", Steps: 50}}, Samples: 1000, Seeds: []uint64{0}}
	orc, err := OracleRun(data)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := OptimumRun(data, 0.8)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := lab.Evaluate(context.Background(), orc, spec)
	if err != nil {
		t.Fatal(err)
	}
	rm, err := lab.Evaluate(context.Background(), opt, spec)
	if err != nil {
		t.Fatal(err)
	}
	so, _ := ro.Mean("heun-50", MetricSpread)
	sm, _ := rm.Mean("heun-50", MetricSpread)
	fo, _ := ro.Mean("heun-50", MetricFD)
	floor, _ := ro.Mean("data", MetricFD)
	modes, _ := ro.Mean("heun-50", MetricModes)
	if so < 0.8 || so > 1.25 || modes > 0.08 || fo > 3*floor+1e-3 {
		t.Errorf("exact velocity: spread %.3f (want ≈ 1), modes %.3f, fd %.4g (floor %.4g)", so, modes, fo, floor)
	}
	if sm < 2*so {
		t.Errorf("MixFlow optimum γ=0.8: spread %.3f, want well above the exact velocity's %.3f", sm, so)
	}
	again, err := lab.Evaluate(context.Background(), orc, spec)
	if err != nil || !again.FromCache {
		t.Errorf("second evaluation: err %v, from cache %v", err, again != nil && again.FromCache)
	}
}

// A tiny base and two post-trainings: cached, labelled, and the paired difference has one entry per
// training seed.
func TestTrainPostTrainPaired(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	lab := testLab(t)
	ctx := context.Background()
	spec := EvalSpec{Samplers: []Sampler{{Method: "euler", Steps: 5}}, Samples: 64, Seeds: []uint64{0}}
	var std, mf []*EvalResult
	for seed := int64(1); seed <= 2; seed++ {
		b := DefaultBaseSpec(4, seed)
		b.Model.Width, b.Train.Steps, b.Train.BatchSize, b.Train.Schedule.WarmupSteps = 32, 30, 32, 5
		base, err := lab.TrainBase(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		for _, arm := range []Arm{StandardArm(), MixFlowArm(0.8)} {
			p := DefaultPostSpec(arm, seed)
			p.Train.Steps, p.Train.BatchSize = 10, 32
			post, err := lab.PostTrain(ctx, base, p)
			if err != nil {
				t.Fatal(err)
			}
			if post.Label != arm.Label() || post.BaseKey != base.Key || post.FromCache {
				t.Errorf("post run %q base %q from cache %v", post.Label, post.BaseKey, post.FromCache)
			}
			res, err := lab.Evaluate(ctx, post, spec)
			if err != nil {
				t.Fatal(err)
			}
			if arm.Objective.Kind == "fm" {
				std = append(std, res)
			} else {
				mf = append(mf, res)
			}
		}
		again, err := lab.TrainBase(ctx, b)
		if err != nil || !again.FromCache {
			t.Fatalf("second TrainBase: err %v", err)
		}
	}
	d, err := PairedDiff(mf, std, "euler-5", MetricFD)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 2 || !(d.Lo <= d.Estimate && d.Estimate <= d.Hi) {
		t.Errorf("paired difference %v", d)
	}
	if _, err := PairedDiff(mf, std[:1], "euler-5", MetricFD); err == nil {
		t.Error("mismatched lengths: no error")
	}
}

// A tiny study: every arm has one model and evaluation per seed, Epsilon Scaling evaluates the first arm,
// only the listed arms are diagnosed, and a second call loads everything from the cache.
func TestRunStudy(t *testing.T) {
	if testing.Short() {
		t.Skip("trains")
	}
	lab := testLab(t)
	b := DefaultBaseSpec(4, 1)
	b.Model.Width, b.Train.Steps, b.Train.BatchSize, b.Train.Schedule.WarmupSteps = 32, 30, 32, 5
	p := DefaultPostSpec(StandardArm(), 1)
	p.Train.Steps, p.Train.BatchSize = 10, 32
	diag := DefaultDiagSpec()
	diag.N, diag.LagSteps = 32, 4
	spec := StudySpec{
		Dims: []DimPlan{{Dim: 4, Seeds: 2, Base: b, Post: p, Arms: []Arm{StandardArm(), ControlArm()},
			Optima: []float64{0.5}, DiagArms: []int{1}, EpsilonB: []float64{1.01}}},
		Eval: EvalSpec{Samplers: []Sampler{{Method: "euler", Steps: 3}}, Samples: 32, Seeds: []uint64{0}},
		Diag: diag,
	}
	var lines int
	res, err := lab.RunStudy(context.Background(), spec, func(string) { lines++ })
	if err != nil {
		t.Fatal(err)
	}
	d := res.Dims[0]
	if len(d.Base.Runs) != 2 || len(d.Base.Diags) != 2 || len(d.Arms) != 2 || len(d.Arms[0].Evals) != 2 ||
		len(d.Arms[0].Diags) != 0 || len(d.Arms[1].Diags) != 2 || len(d.Optima) != 1 || len(d.Epsilon) != 1 || len(d.Epsilon[0].Evals) != 2 {
		t.Fatalf("study shape: %+v", d)
	}
	if _, ok := d.Epsilon[0].Evals[0].Mean("euler-3 ε/1.01", MetricFD); !ok {
		t.Errorf("epsilon evaluation rows: %+v", d.Epsilon[0].Evals[0].Rows)
	}
	if lines != 1+2*3 || res.TrainSeconds() <= 0 {
		t.Errorf("%d progress lines, training %v s", lines, res.TrainSeconds())
	}
	again, err := lab.RunStudy(context.Background(), spec, nil)
	if err != nil || !again.Dims[0].Arms[1].Runs[1].FromCache {
		t.Errorf("second study: err %v", err)
	}
	spec.Dims[0].Seeds = 0
	_, err = lab.RunStudy(context.Background(), spec, nil)
	errtest.Contains(t, "zero seeds", err, "seeds 0")
	if _, err := (DiagSpec{N: 8}).Canonical(); err == nil {
		t.Error("diagnostics n 8: no error")
	}
}
