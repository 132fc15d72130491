package highdim

import (
	"context"
	"fmt"
	"time"

	"github.com/mixflow/mixflow/mixflowlib/experiment"
)

// DimPlan is the part of a study in one data dimension: Seeds training seeds (1 … Seeds), each with its
// own base (Base with Train.Seed set to the seed) post-trained with every arm (Post with Arm and
// Train.Seed set).
type DimPlan struct {
	Dim   int      `json:"dim"`
	Seeds int      `json:"seeds"`
	Base  BaseSpec `json:"base"`
	Post  PostSpec `json:"post"`
	Arms  []Arm    `json:"arms"`
	// Optima are the γ of the exact MixFlow minimisers evaluated beside the trained models.
	Optima []float64 `json:"optima"`
	// DiagArms are the indices into Arms of the arms whose models are diagnosed (the base always is).
	DiagArms []int `json:"diag_arms"`
	// EpsilonB are the constant λ of Epsilon Scaling applied at sampling to the models of Arms[0] (the
	// standard post-training): one extra evaluation with every sampler of the study per λ.
	EpsilonB []float64 `json:"epsilon_b,omitempty"`
}

// StudySpec is the whole study: one DimPlan per dimension, the evaluation and the diagnostics.
type StudySpec struct {
	Dims []DimPlan `json:"dims"`
	Eval EvalSpec  `json:"eval"`
	Diag DiagSpec  `json:"diag"`
}

// ArmResult holds one arm's models and evaluations, index i for training seed i+1.
type ArmResult struct {
	Arm   Arm           `json:"arm"`
	Label string        `json:"label"`
	Runs  []*Run        `json:"runs"`
	Evals []*EvalResult `json:"evals"`
	Diags []*Diagnosis  `json:"diags,omitempty"`
}

// DimResult is the outcome of one DimPlan.
type DimResult struct {
	Plan DimPlan `json:"plan"`
	// Base holds the bases (Runs, Evals, Diags per seed).
	Base ArmResult `json:"base"`
	// Arms follow Plan.Arms.
	Arms []ArmResult `json:"arms"`
	// Oracle is the exact velocity's evaluation and diagnosis; Optima the exact MixFlow minimisers'.
	Oracle     *EvalResult   `json:"oracle"`
	OracleDiag *Diagnosis    `json:"oracle_diag"`
	Optima     []*EvalResult `json:"optima"`
	// Epsilon holds, per Plan.EpsilonB, the evaluations of Arms[0]'s models with Epsilon Scaling.
	Epsilon []ArmResult `json:"epsilon,omitempty"`
}

// StudyResult is the outcome of a StudySpec.
type StudyResult struct {
	Spec StudySpec   `json:"spec"`
	Dims []DimResult `json:"dims"`
	// Seconds is the wall time of this call (small when everything came from the cache).
	Seconds float64 `json:"seconds"`
}

// RunStudy trains, evaluates and diagnoses everything spec asks for, seed by seed, loading what the
// cache holds, and reports each finished piece to progress (nil: none). An interrupted study resumes
// where it stopped on the next call.
func (l *Lab) RunStudy(ctx context.Context, spec StudySpec, progress func(string)) (*StudyResult, error) {
	start := time.Now()
	say := func(format string, args ...any) {
		if progress != nil {
			progress(fmt.Sprintf("%s  %s", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...)))
		}
	}
	out := &StudyResult{Spec: spec}
	for _, p := range spec.Dims {
		if p.Seeds < 1 {
			return nil, fmt.Errorf("highdim: study D=%d: seeds %d must be >= 1", p.Dim, p.Seeds)
		}
		dr := DimResult{Plan: p, Base: ArmResult{Arm: p.Base.Arm, Label: "base"}}
		data := p.Base.Data
		data.Dim = p.Dim
		orc, err := OracleRun(data)
		if err != nil {
			return nil, err
		}
		if dr.Oracle, err = l.Evaluate(ctx, orc, spec.Eval); err != nil {
			return nil, err
		}
		if dr.OracleDiag, err = l.Diagnose(ctx, orc, spec.Diag); err != nil {
			return nil, err
		}
		for _, g := range p.Optima {
			opt, err := OptimumRun(data, g)
			if err != nil {
				return nil, err
			}
			ev, err := l.Evaluate(ctx, opt, spec.Eval)
			if err != nil {
				return nil, err
			}
			dr.Optima = append(dr.Optima, ev)
		}
		say("D=%d: exact references done", p.Dim)
		dr.Arms = make([]ArmResult, len(p.Arms))
		for i, a := range p.Arms {
			dr.Arms[i] = ArmResult{Arm: a, Label: a.Label()}
		}
		for _, b := range p.EpsilonB {
			if len(p.Arms) == 0 {
				return nil, fmt.Errorf("highdim: study D=%d: epsilon scaling needs an arm to apply to", p.Dim)
			}
			dr.Epsilon = append(dr.Epsilon, ArmResult{Arm: p.Arms[0], Label: fmt.Sprintf("%s + ε-scaling λ=%g", p.Arms[0].Label(), b)})
		}
		diag := map[int]bool{}
		for _, i := range p.DiagArms {
			diag[i] = true
		}
		for seed := int64(1); seed <= int64(p.Seeds); seed++ {
			bs := p.Base
			bs.Data.Dim = p.Dim
			bs.Train.Seed = seed
			base, err := l.TrainBase(ctx, bs)
			if err != nil {
				return nil, err
			}
			ev, err := l.Evaluate(ctx, base, spec.Eval)
			if err != nil {
				return nil, err
			}
			dg, err := l.Diagnose(ctx, base, spec.Diag)
			if err != nil {
				return nil, err
			}
			dr.Base.Runs, dr.Base.Evals, dr.Base.Diags = append(dr.Base.Runs, base), append(dr.Base.Evals, ev), append(dr.Base.Diags, dg)
			say("D=%d seed %d: base %s (%.0f s training)", p.Dim, seed, cacheNote(base), base.TrainSeconds)
			for i, a := range p.Arms {
				ps := p.Post
				ps.Arm = a
				ps.Train.Seed = seed
				run, err := l.PostTrain(ctx, base, ps)
				if err != nil {
					return nil, err
				}
				ev, err := l.Evaluate(ctx, run, spec.Eval)
				if err != nil {
					return nil, err
				}
				ar := &dr.Arms[i]
				ar.Runs, ar.Evals = append(ar.Runs, run), append(ar.Evals, ev)
				if i == 0 {
					for j, b := range p.EpsilonB {
						es := spec.Eval
						es.Samplers = make([]Sampler, len(spec.Eval.Samplers))
						for k, smp := range spec.Eval.Samplers {
							smp.EpsilonB = b
							es.Samplers[k] = smp
						}
						ev, err := l.Evaluate(ctx, run, es)
						if err != nil {
							return nil, err
						}
						dr.Epsilon[j].Runs, dr.Epsilon[j].Evals = append(dr.Epsilon[j].Runs, run), append(dr.Epsilon[j].Evals, ev)
					}
				}
				if diag[i] {
					dg, err := l.Diagnose(ctx, run, spec.Diag)
					if err != nil {
						return nil, err
					}
					ar.Diags = append(ar.Diags, dg)
				}
				say("D=%d seed %d: %s %s (%.0f s training)", p.Dim, seed, a.Label(), cacheNote(run), run.TrainSeconds)
			}
		}
		out.Dims = append(out.Dims, dr)
	}
	out.Seconds = time.Since(start).Seconds()
	return out, nil
}

func cacheNote(r *Run) string {
	if r.FromCache {
		return "from cache"
	}
	return "trained"
}

// TrainSeconds returns the total training wall time of every model of the result, as recorded when each
// was trained (cache hits included), i.e. what the study costs from an empty cache.
func (s *StudyResult) TrainSeconds() float64 {
	var total float64
	for _, d := range s.Dims {
		total += experiment.TrainSeconds(d.Base.Runs)
		for _, a := range d.Arms {
			total += experiment.TrainSeconds(a.Runs)
		}
	}
	return total
}

// FullStudy is notebook 08's full run: D = 64 (the main comparison: 5 training seeds, every arm),
// D = 2 (3 seeds, four arms) and D = 256 (3 seeds, three arms), bases trained with a cosine decay (5000,
// 3000 and 1500 steps of batch 128), post-training arms of 700 steps (300 at D = 256), 2000 evaluation
// samples, Epsilon Scaling on the standard model at D = 64 and 2. Its cost is about an hour on two CPU
// cores shared with other jobs.
func FullStudy() StudySpec {
	plan := func(dim, seeds int, baseSteps, postSteps int64, arms []Arm, diag []int, eps []float64) DimPlan {
		b := DefaultBaseSpec(dim, 1)
		b.Train.Steps, b.Train.BatchSize = baseSteps, 128
		p := DefaultPostSpec(StandardArm(), 1)
		p.Train.Steps, p.Train.BatchSize = postSteps, 128
		return DimPlan{Dim: dim, Seeds: seeds, Base: b, Post: p, Arms: arms, Optima: []float64{0.2, 0.8}, DiagArms: diag, EpsilonB: eps}
	}
	all := []Arm{StandardArm(), ControlArm(), MixFlowArm(0.2), MixFlowArm(0.4), MixFlowArm(0.8), InputPerturbationArm(0.1)}
	four := []Arm{StandardArm(), ControlArm(), MixFlowArm(0.2), MixFlowArm(0.8)}
	three := []Arm{StandardArm(), ControlArm(), MixFlowArm(0.2)}
	diag := DefaultDiagSpec()
	diag.N = 500
	ev := DefaultEvalSpec()
	ev.Samples = 2000
	return StudySpec{
		Dims: []DimPlan{
			plan(64, 5, 5000, 700, all, []int{0, 1, 2, 4}, []float64{1.005, 1.02}),
			plan(2, 3, 3000, 700, four, []int{0, 2, 3}, []float64{1.005, 1.02}),
			plan(256, 3, 1500, 300, three, []int{0, 2}, nil),
		},
		Eval: ev, Diag: diag,
	}
}

// QuickStudy is the smoke-test size of FullStudy (seconds of training): D = 16 and 2, 2 seeds, 150 base
// steps, 30 post-training steps, four arms at D = 16. Its numbers are not results.
func QuickStudy() StudySpec {
	s := FullStudy()
	s.Dims = s.Dims[:2]
	s.Dims[0].Dim, s.Dims[0].Arms, s.Dims[0].DiagArms = 16, []Arm{StandardArm(), ControlArm(), MixFlowArm(0.8), InputPerturbationArm(0.1)}, []int{0, 2}
	s.Dims[1].Arms, s.Dims[1].DiagArms = s.Dims[1].Arms[:3], []int{0, 2}
	for i := range s.Dims {
		d := &s.Dims[i]
		d.Seeds, d.Base.Train.Steps, d.Base.Train.Schedule.WarmupSteps, d.Post.Train.Steps = 2, 150, 20, 30
		d.EpsilonB = d.EpsilonB[:1]
	}
	s.Eval.Samples, s.Diag.N, s.Diag.LagSteps = 300, 200, 10
	return s
}
