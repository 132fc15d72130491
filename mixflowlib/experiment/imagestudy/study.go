package imagestudy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
	"github.com/mixflow/mixflow/mixflowlib/objective"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// Spec is a whole image study under the fair-test protocol: one base trained with a decaying learning
// rate; post-training arms from its EMA weights (Arms[0] must be standard post-training, the base's own
// objective); training seeds 1 … Seeds for every arm (each seed its own post-training draws, batches and
// EMA); Epsilon Scaling and Time-Shift at sampling on the standard models; one paired evaluation of
// every model (the same noise and labels for all); exposure-bias diagnostics and Slow Flow for the base
// and the arms in DiagArms.
type Spec struct {
	// Base is the base model's training.
	Base imageexp.BaseSpec `json:"base"`
	// Post holds the post-training settings every arm shares; its Seed is replaced by the training seed.
	Post imageexp.TrainSpec `json:"post"`
	// KeepOptimizer carries the base's Adam moments into every post-training arm (with Post.LR equal to
	// the base's constant learning rate, standard post-training is then the base's training continued).
	KeepOptimizer bool `json:"keep_optimizer,omitempty"`
	// Arms are the post-training objectives; Arms[0] is standard post-training.
	Arms []imageexp.ObjectiveSpec `json:"arms"`
	// Seeds is the number of training seeds of every arm (seeds 1 … Seeds, trained seed by seed).
	Seeds int `json:"seeds"`
	// ArmSeeds, when set, gives each arm its own number of seeds (index as Arms; 0 means Seeds, and
	// none may exceed Seeds).
	ArmSeeds []int `json:"arm_seeds,omitempty"`
	// Eval evaluates every model.
	Eval imageexp.EvalSpec `json:"eval"`
	// EpsilonB is Epsilon Scaling's λ applied at sampling to the standard models (0: skipped).
	EpsilonB float64 `json:"epsilon_b,omitempty"`
	// TimeShift applies the Time-Shift Sampler to the standard models (σ_d² of the held-out images).
	TimeShift bool `json:"time_shift,omitempty"`
	// BaselineSeeds limits Epsilon Scaling and Time-Shift to the standard models of seeds 1 …
	// BaselineSeeds (0: every seed).
	BaselineSeeds int `json:"baseline_seeds,omitempty"`
	// DiagArms are the indices into Arms of the arms diagnosed (the base always is); Diag the
	// diagnostics; SlowFlow the Slow Flow measurement of the same models (zero Steps: skipped).
	DiagArms []int                 `json:"diag_arms"`
	Diag     DiagSpec              `json:"diag"`
	SlowFlow imageexp.SlowFlowSpec `json:"slowflow"`
}

// Validate reports the first invalid part of s.
func (s Spec) Validate() error {
	if err := s.Base.Validate(); err != nil {
		return err
	}
	if len(s.Arms) == 0 {
		return errors.New("imagestudy: no arms")
	}
	if s.Seeds < 1 {
		return fmt.Errorf("imagestudy: seeds %d must be >= 1", s.Seeds)
	}
	if len(s.ArmSeeds) != 0 && len(s.ArmSeeds) != len(s.Arms) {
		return fmt.Errorf("imagestudy: arm_seeds has %d entries for %d arms", len(s.ArmSeeds), len(s.Arms))
	}
	for i, n := range s.ArmSeeds {
		if n < 0 || n > s.Seeds {
			return fmt.Errorf("imagestudy: arm_seeds[%d] %d outside [0, seeds %d]", i, n, s.Seeds)
		}
	}
	labels := make([]string, len(s.Arms))
	for i, a := range s.Arms {
		if err := (imageexp.PostSpec{Objective: a, Train: s.Post, FromEMA: true, KeepOptimizer: s.KeepOptimizer}).Validate(); err != nil {
			return err
		}
		labels[i] = a.Label()
	}
	if i := experiment.FirstDuplicate(labels); i >= 0 {
		return fmt.Errorf("imagestudy: two arms are labelled %q", labels[i])
	}
	if err := s.Eval.Validate(); err != nil {
		return err
	}
	for _, i := range s.DiagArms {
		if i < 0 || i >= len(s.Arms) {
			return fmt.Errorf("imagestudy: diag arm %d outside [0, %d)", i, len(s.Arms))
		}
	}
	if _, err := s.Diag.Canonical(); err != nil {
		return err
	}
	if len(s.SlowFlow.Steps) > 0 {
		if err := s.SlowFlow.Validate(); err != nil {
			return fmt.Errorf("imagestudy: slowflow: %w", err)
		}
	}
	return nil
}

// seedsOf returns the number of training seeds of arm i.
func (s Spec) seedsOf(i int) int {
	if i < len(s.ArmSeeds) && s.ArmSeeds[i] != 0 {
		return s.ArmSeeds[i]
	}
	return s.Seeds
}

// ArmResult holds one arm's models, index i for training seed i+1, with their evaluations and, for a
// diagnosed arm, their diagnostics and Slow Flow.
type ArmResult struct {
	Label    string                     `json:"label"`
	Runs     []*imageexp.Run            `json:"runs"`
	Evals    []*imageexp.EvalResult     `json:"evals"`
	Diags    []*Diagnosis               `json:"diags,omitempty"`
	SlowFlow []*imageexp.SlowFlowResult `json:"slowflow,omitempty"`
}

// Result is what RunStudy produced.
type Result struct {
	Spec Spec `json:"spec"`
	// Base is the base model (one run, one evaluation, its diagnosis and Slow Flow).
	Base ArmResult `json:"base"`
	// Arms follow Spec.Arms.
	Arms []ArmResult `json:"arms"`
	// Epsilon and TimeShift are the standard models sampled with Epsilon Scaling and with Time-Shift
	// (empty when skipped).
	Epsilon   ArmResult `json:"epsilon"`
	TimeShift ArmResult `json:"time_shift"`
	// Reference is the forward-process Slow Flow band the models' bands are read against.
	Reference *imageexp.SlowFlowResult `json:"reference,omitempty"`
	// Seconds is the wall time of this call (small when everything came from the cache).
	Seconds float64 `json:"seconds"`
}

// RunStudy trains, evaluates and diagnoses everything spec asks for, seed by seed (the arms with several
// seeds first, then the one-seed arms), loading what lab's cache holds, and reports each finished piece to progress (nil: none). An
// interrupted study resumes where it stopped on the next call.
func RunStudy(ctx context.Context, lab *imageexp.Lab, spec Spec, progress func(string)) (*Result, error) {
	start := time.Now()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	say := func(format string, args ...any) {
		if progress != nil {
			progress(fmt.Sprintf("%s  %s", time.Now().UTC().Format("15:04:05"), fmt.Sprintf(format, args...)))
		}
	}
	out := &Result{Spec: spec, Base: ArmResult{Label: "base"}}
	base, err := lab.TrainBase(ctx, spec.Base)
	if err != nil {
		return nil, err
	}
	say("base: %s (%.0f s training)", base.Key, base.TrainSeconds)
	diagnosed := func(ar *ArmResult, run *imageexp.Run) error {
		dg, err := Diagnose(ctx, lab, run, spec.Diag)
		if err != nil {
			return err
		}
		ar.Diags = append(ar.Diags, dg)
		if len(spec.SlowFlow.Steps) > 0 {
			sf, err := lab.MeasureSlowFlow(ctx, run, spec.SlowFlow)
			if err != nil {
				return err
			}
			ar.SlowFlow = append(ar.SlowFlow, sf)
		}
		return nil
	}
	ev, err := lab.Evaluate(ctx, base, spec.Eval)
	if err != nil {
		return nil, err
	}
	out.Base.Runs, out.Base.Evals = []*imageexp.Run{base}, []*imageexp.EvalResult{ev}
	if err := diagnosed(&out.Base, base); err != nil {
		return nil, err
	}
	if len(spec.SlowFlow.Steps) > 0 {
		if out.Reference, err = lab.MeasureReferenceSlowFlow(ctx, base, spec.SlowFlow); err != nil {
			return nil, err
		}
	}
	say("base evaluated and diagnosed")
	var tsVar float64
	if spec.TimeShift {
		data, err := base.Data().Load()
		if err != nil {
			return nil, err
		}
		if tsVar, err = sampler.ExampleVariance(data.HeldOut.X); err != nil {
			return nil, fmt.Errorf("imagestudy: time-shift data variance: %w", err)
		}
	}
	diag := map[int]bool{}
	for _, i := range spec.DiagArms {
		diag[i] = true
	}
	out.Arms = make([]ArmResult, len(spec.Arms))
	for i, a := range spec.Arms {
		out.Arms[i] = ArmResult{Label: a.Label()}
	}
	std := spec.Arms[0].Label()
	if spec.EpsilonB != 0 {
		out.Epsilon.Label = fmt.Sprintf("%s + ε-scaling λ=%g", std, spec.EpsilonB)
	}
	if spec.TimeShift {
		out.TimeShift.Label = std + " + time-shift"
	}
	postArm := func(i int, a imageexp.ObjectiveSpec, seed int64) error {
		ts := spec.Post
		ts.Seed = seed
		run, err := lab.PostTrain(ctx, base, imageexp.PostSpec{Objective: a, Train: ts, FromEMA: true, KeepOptimizer: spec.KeepOptimizer})
		if err != nil {
			return err
		}
		ev, err := lab.Evaluate(ctx, run, spec.Eval)
		if err != nil {
			return err
		}
		ar := &out.Arms[i]
		ar.Runs, ar.Evals = append(ar.Runs, run), append(ar.Evals, ev)
		if i == 0 && (spec.BaselineSeeds == 0 || seed <= int64(spec.BaselineSeeds)) {
			if spec.EpsilonB != 0 {
				if err := sampledWith(ctx, lab, &out.Epsilon, run, spec.Eval, func(s *imageexp.SamplerSpec) { s.EpsilonB = spec.EpsilonB }); err != nil {
					return err
				}
			}
			if spec.TimeShift {
				if err := sampledWith(ctx, lab, &out.TimeShift, run, spec.Eval, func(s *imageexp.SamplerSpec) { s.TimeShiftVariance = tsVar }); err != nil {
					return err
				}
			}
		}
		if diag[i] {
			if err := diagnosed(ar, run); err != nil {
				return err
			}
		}
		say("seed %d: %s (%.0f s training)", seed, a.Label(), run.TrainSeconds)
		return nil
	}
	// Arms with several seeds first, seed by seed, so that the main comparison is complete before the
	// one-seed arms run.
	for _, single := range []bool{false, true} {
		for seed := int64(1); seed <= int64(spec.Seeds); seed++ {
			for i, a := range spec.Arms {
				if int(seed) > spec.seedsOf(i) || (spec.seedsOf(i) == 1) != single {
					continue
				}
				if err := postArm(i, a, seed); err != nil {
					return nil, err
				}
			}
		}
	}
	out.Seconds = time.Since(start).Seconds()
	return out, nil
}

// sampledWith evaluates run with every sampler of spec changed by change, appending to ar.
func sampledWith(ctx context.Context, lab *imageexp.Lab, ar *ArmResult, run *imageexp.Run, spec imageexp.EvalSpec, change func(*imageexp.SamplerSpec)) error {
	es := spec
	es.Floor = false
	es.Samplers = make([]imageexp.SamplerSpec, len(spec.Samplers))
	for k, s := range spec.Samplers {
		change(&s)
		es.Samplers[k] = s
	}
	ev, err := lab.Evaluate(ctx, run, es)
	if err != nil {
		return err
	}
	ar.Runs, ar.Evals = append(ar.Runs, run), append(ar.Evals, ev)
	return nil
}

// TrainSeconds returns the training wall time of every model of the result as recorded when each was
// trained (cache hits included): what the study costs from an empty cache, without evaluation.
func (r *Result) TrainSeconds() float64 {
	total := experiment.TrainSeconds(r.Base.Runs)
	for _, a := range r.Arms {
		total += experiment.TrainSeconds(a.Runs)
	}
	return total
}

// EvalSeconds returns the generation and scoring time of every evaluation of the result, as recorded
// when each was computed.
func (r *Result) EvalSeconds() float64 {
	total := 0.0
	for _, a := range append([]ArmResult{r.Base, r.Epsilon, r.TimeShift}, r.Arms...) {
		for _, e := range a.Evals {
			total += e.Seconds
		}
	}
	return total
}

// Mean returns the mean of metric over e's evaluation seeds at the sampler setting of e with s's method,
// steps and guidance (so that an evaluation with Epsilon Scaling or Time-Shift is read at the plain
// setting's name), and false when e has no such setting.
func Mean(e *imageexp.EvalResult, s imageexp.SamplerSpec, metric string) (float64, bool) {
	return meanOver(e, s, metric)
}

func meanOver(e *imageexp.EvalResult, s imageexp.SamplerSpec, metric string) (float64, bool) {
	for _, c := range e.Spec.Samplers {
		if c.Method == s.Method && c.Steps == s.Steps && c.CFG == s.CFG {
			v, ok := e.Value(c, metric)
			return v.Estimate, ok
		}
	}
	return 0, false
}

// PairedDiff returns, over training seeds, the paired difference arm − ref of metric at the sampler
// setting s (each model's value averaged over its evaluation seeds) with its Student-t 95 % interval:
// arm[i] and ref[i] come from training seed i+1 of the same base; a ref of one element (the base) is
// paired with every arm seed. Negative means arm is lower (better for FID).
func PairedDiff(arm, ref []*imageexp.EvalResult, s imageexp.SamplerSpec, metric string) (metrics.Summary, error) {
	if len(ref) != 1 && len(ref) < len(arm) {
		return metrics.Summary{}, fmt.Errorf("imagestudy: paired difference: %d arm results vs %d reference results", len(arm), len(ref))
	}
	d := make([]float64, len(arm))
	for i := range arm {
		r := ref[0]
		if len(ref) > 1 {
			r = ref[i]
		}
		a, ok1 := meanOver(arm[i], s, metric)
		b, ok2 := meanOver(r, s, metric)
		if !ok1 || !ok2 {
			return metrics.Summary{}, fmt.Errorf("imagestudy: paired difference: no %s at %s for seed %d", metric, s.Label(), i+1)
		}
		d[i] = a - b
	}
	sum, err := metrics.Summarize(d)
	if err != nil {
		return sum, fmt.Errorf("imagestudy: paired difference: %w", err)
	}
	return sum, nil
}

// OverSeeds returns the mean of metric at s over results (one per training seed) with its Student-t
// 95 % interval.
func OverSeeds(results []*imageexp.EvalResult, s imageexp.SamplerSpec, metric string) (metrics.Summary, error) {
	v := make([]float64, len(results))
	for i, r := range results {
		m, ok := meanOver(r, s, metric)
		if !ok {
			return metrics.Summary{}, fmt.Errorf("imagestudy: no %s at %s for seed %d", metric, s.Label(), i+1)
		}
		v[i] = m
	}
	sum, err := metrics.Summarize(v)
	if err != nil {
		return sum, fmt.Errorf("imagestudy: %w", err)
	}
	return sum, nil
}

// Convergence is the protocol's convergence check of the base: the paired change of metric from the
// base to standard post-training (Arms[0]) over training seeds, against the spread of the standard
// models over those seeds (the paired seed noise).
type Convergence struct {
	// Sampler and Metric are where it was read.
	Sampler string `json:"sampler"`
	Metric  string `json:"metric"`
	// Change is standard − base over training seeds, with its 95 % interval.
	Change metrics.Summary `json:"change"`
	// SeedNoise is the standard deviation of the standard models' metric over training seeds.
	SeedNoise float64 `json:"seed_noise"`
	// Converged says standard post-training for the post-training budget moves the metric by no more
	// than its seed noise: the interval of Change contains 0, or |Change.Estimate| ≤ SeedNoise (the
	// criterion of notebook 08).
	Converged bool `json:"converged"`
}

// CheckConvergence returns the convergence check of r at s for metric.
func (r *Result) CheckConvergence(s imageexp.SamplerSpec, metric string) (Convergence, error) {
	if len(r.Arms) == 0 || len(r.Base.Evals) == 0 {
		return Convergence{}, errors.New("imagestudy: convergence: no base or no standard arm")
	}
	ch, err := PairedDiff(r.Arms[0].Evals, r.Base.Evals, s, metric)
	if err != nil {
		return Convergence{}, err
	}
	sp, err := OverSeeds(r.Arms[0].Evals, s, metric)
	if err != nil {
		return Convergence{}, err
	}
	c := Convergence{Sampler: s.Label(), Metric: metric, Change: ch, SeedNoise: sp.Std}
	c.Converged = (ch.Lo <= 0 && ch.Hi >= 0) || abs(ch.Estimate) <= sp.Std
	return c, nil
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// Arms of the protocol, on imageexp's objective specs.

// StandardArm is standard post-training with the base's own objective: flow matching with t ~ U[0, 1]
// and label dropout p.
func StandardArm(p float64) imageexp.ObjectiveSpec { return imageexp.FM("uniform", p) }

// ControlArm is the γ = 0 control (objective.ControlLabel): Beta(2,1) times, no slowing.
func ControlArm(p float64) imageexp.ObjectiveSpec { return imageexp.MixFlow(0, p) }

// MixFlowArm is MixFlow at γ with label dropout p.
func MixFlowArm(gamma, p float64) imageexp.ObjectiveSpec { return imageexp.MixFlow(gamma, p) }

// InputPerturbationArm is Input Perturbation (Ning 2023) with γ_ip = gamma on the base's flow matching.
func InputPerturbationArm(gamma, p float64) imageexp.ObjectiveSpec {
	return imageexp.ObjectiveSpec{Spec: objective.InputPerturbationSpec(gamma, p)}
}
