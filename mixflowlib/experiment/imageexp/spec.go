package imageexp

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/objective"
	"github.com/mixflow/mixflow/mixflowlib/path"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// Limits on work sizes that keep a typo from asking for days of compute or gigabytes of memory.
const (
	// MaxImages is the largest number of images one evaluation setting generates per seed.
	MaxImages = 100_000
	// MaxSteps is the largest number of sampling steps accepted.
	MaxSteps = experiment.MaxSteps
)

// Objective kinds of ObjectiveSpec.Kind (objective.KindFM and objective.KindMixFlow).
const (
	// KindFM is standard flow matching.
	KindFM = objective.KindFM
	// KindMixFlow is MixFlow.
	KindMixFlow = objective.KindMixFlow
)

// ObjectiveSpec describes a training loss: an objective.Spec (flow matching or MixFlow with label
// dropout; its fields are promoted, and its JSON fields are this struct's) and optionally a registered
// wrapper (e.g. an auxiliary alignment loss).
type ObjectiveSpec struct {
	objective.Spec
	// Wrap names an ObjectiveWrapper registered with RegisterObjectiveWrapper ("" for none).
	Wrap string `json:"wrap,omitempty"`
	// WrapParams are the wrapper's parameters.
	WrapParams json.RawMessage `json:"wrap_params,omitempty"`
}

// FM returns standard flow matching with t ~ times ("" means U[0, 1]; e.g. "logit-normal(0,1)") and the
// given label-dropout probability.
func FM(times string, labelDropout float64) ObjectiveSpec {
	return ObjectiveSpec{Spec: objective.FMSpec(times, labelDropout)}
}

// MixFlow returns MixFlow with the paper's defaults (t ~ Beta(2,1), m ~ U[(1−γ)t, t], linear path,
// target at m), the given γ and label-dropout probability.
func MixFlow(gamma, labelDropout float64) ObjectiveSpec {
	return ObjectiveSpec{Spec: objective.MixFlowSpec(gamma, labelDropout)}
}

// Canonical returns o with every default spelled out and names normalised, and an error naming the
// first invalid field (objective.Spec's own for its fields).
func (o ObjectiveSpec) Canonical() (ObjectiveSpec, error) {
	spec, err := o.Spec.Canonical()
	if err != nil {
		return o, err
	}
	c := ObjectiveSpec{Spec: spec, Wrap: o.Wrap}
	if o.Wrap != "" {
		if _, err := wrappers.get(o.Wrap); err != nil {
			return o, err
		}
		if c.WrapParams, err = compactParams("objective wrapper "+o.Wrap, o.WrapParams); err != nil {
			return o, err
		}
	} else if p, _ := compactParams("", o.WrapParams); p != nil {
		return o, fmt.Errorf("imageexp: objective wrap_params %s given without a wrapper", o.WrapParams)
	}
	return c, nil
}

// Validate reports the first invalid field of o.
func (o ObjectiveSpec) Validate() error { return experiment.Validate(o) }

// Build returns the objective o describes.
func (o ObjectiveSpec) Build() (trainer.Objective, error) {
	c, err := o.Canonical()
	if err != nil {
		return nil, err
	}
	obj, err := c.Spec.Build()
	if err != nil {
		return nil, err
	}
	if c.Wrap != "" {
		w, _ := wrappers.get(c.Wrap)
		wrapped, err := w(c.WrapParams, obj)
		if err != nil {
			return nil, fmt.Errorf("imageexp: objective wrapper %s: %w", c.Wrap, err)
		}
		if wrapped == nil {
			return nil, fmt.Errorf("imageexp: objective wrapper %s returned nil", c.Wrap)
		}
		return wrapped, nil
	}
	return obj, nil
}

// Label returns a short human-readable name, e.g. "FM", "MixFlow γ=0.8", "FM t~logit-normal(0,1) +repa".
// Label dropout is not shown.
func (o ObjectiveSpec) Label() string {
	c, err := o.Canonical()
	if err != nil {
		return "invalid objective"
	}
	s := c.Spec.Label()
	if c.Wrap != "" {
		s += " +" + c.Wrap
	}
	return s
}

// pathOf returns the objective's interpolation path (linear for an invalid spec).
func (o ObjectiveSpec) pathOf() path.Path { return o.Spec.PathOf() }

// TrainSpec holds the trainer settings of a run: the core's fields (experiment.TrainSpec, see
// trainer.Config for their meaning) with the image defaults. Zero fields take the defaults of
// DefaultTrainSpec when canonicalised, except where zero is meaningful (WeightDecay, ClipGradNorm,
// EMADecay: off); a zero CheckpointEvery becomes Steps/10, at least 100 (it does not change the result,
// but is part of the cache key).
type TrainSpec experiment.TrainSpec

// DefaultTrainSpec returns the defaults for small image models: 2000 AdamW steps of batch 64 at a
// constant 3e-4 with gradient clipping at 1, EMA 0.999, seed 1.
func DefaultTrainSpec() TrainSpec {
	return TrainSpec{Steps: 2000, BatchSize: 64, LR: 3e-4, Optimizer: "adamw", ClipGradNorm: 1, EMADecay: 0.999, Seed: 1}
}

// TrainDefaults are the values the image labs give zero TrainSpec fields.
var TrainDefaults = experiment.TrainDefaults{BatchSize: 64, LR: 3e-4,
	CheckpointEvery: func(steps int64) int64 { return max(100, steps/10) }}

// Canonical fills defaults and validates, returning an error naming the first invalid field.
func (t TrainSpec) Canonical() (TrainSpec, error) {
	c, err := experiment.TrainSpec(t).Canonical(TrainDefaults)
	return TrainSpec(c), err
}

// Validate reports the first invalid field of t.
func (t TrainSpec) Validate() error { return experiment.Validate(t) }

// BaseSpec describes the training of a base model from scratch (the core's experiment.BaseSpec with
// this package's data, model, objective and training specs).
type BaseSpec = experiment.BaseSpec[DataSpec, ModelSpec, ObjectiveSpec, TrainSpec]

// PostSpec describes a post-training run started from a base model's checkpoint (the core's
// experiment.PostSpec).
type PostSpec = experiment.PostSpec[ObjectiveSpec, TrainSpec]

// Sampler method names of SamplerSpec.Method (the core's).
const (
	MethodEuler         = experiment.MethodEuler
	MethodHeun          = experiment.MethodHeun
	MethodEulerMaruyama = experiment.MethodEulerMaruyama
	MethodHeunSDE       = experiment.MethodHeunSDE
)

// ParseMethod returns the sampler method of a name: "euler", "heun" (ODE), "euler-maruyama" or "heun-sde"
// (SDE; "sde" means "euler-maruyama"). See sampler.ParseMethod.
func ParseMethod(name string) (sampler.Method, error) {
	m, err := sampler.ParseMethod(name)
	if err != nil {
		return 0, fmt.Errorf("imageexp: %w", err)
	}
	return m, nil
}

// SamplerSpec is one sampling setting: a solver, its number of steps and classifier-free guidance.
type SamplerSpec struct {
	// Method is "euler", "heun", "euler-maruyama" or "heun-sde" ("" means "euler").
	Method string `json:"method"`
	// Steps is the number of integration intervals (see sampler.Config.Steps).
	Steps int `json:"steps"`
	// CFG is the guidance scale; 0 and 1 mean no guidance.
	CFG float64 `json:"cfg,omitempty"`
	// CFGMin and CFGMax bound the guidance interval in paper time (0 noise, 1 data); both 0 means the
	// whole [0, 1]. REPA's guidance-high 0.7 is CFGMin 0.3.
	CFGMin float64 `json:"cfg_min,omitempty"`
	CFGMax float64 `json:"cfg_max,omitempty"`
	// Shift warps the time grid towards noise (sampler.Config.Shift; 0 or 1: none).
	Shift float64 `json:"shift,omitempty"`
	// EpsilonB is the constant λ of Epsilon Scaling (sampler.EpsilonScaling{B: EpsilonB}), a
	// training-free exposure-bias baseline; 0 or 1: none.
	EpsilonB float64 `json:"epsilon_b,omitempty"`
	// TimeShiftVariance switches the Time-Shift Sampler on (sampler.DefaultTimeShift) with this data
	// variance σ_d² (sampler.ExampleVariance of training images); 0: off.
	TimeShiftVariance float64 `json:"time_shift_variance,omitempty"`
}

// Canonical returns s with the method name canonical and a guidance interval dropped when there is no
// guidance, and validates it.
func (s SamplerSpec) Canonical() (SamplerSpec, error) {
	var err error
	if s.Method, err = experiment.CanonicalMethod("imageexp", s.Method); err != nil {
		return s, err
	}
	if s.Steps < 1 || s.Steps > MaxSteps {
		return s, fmt.Errorf("imageexp: sampler steps %d outside [1, %d]", s.Steps, MaxSteps)
	}
	if s.CFG == 1 {
		s.CFG = 0
	}
	if s.CFG == 0 {
		s.CFGMin, s.CFGMax = 0, 0
	}
	if s.CFGMax == 1 {
		s.CFGMax = 0
	}
	if s.Shift == 1 {
		s.Shift = 0
	}
	if s.EpsilonB == 1 {
		s.EpsilonB = 0
	}
	if _, err := s.Config(0); err != nil {
		return s, err
	}
	return s, nil
}

// Guided reports whether s applies classifier-free guidance.
func (s SamplerSpec) Guided() bool { return s.CFG != 0 && s.CFG != 1 }

// Label returns a short name, e.g. "euler 20", "heun 10 cfg=1.5", "euler 20 cfg=2 [0.3,1]".
func (s SamplerSpec) Label() string {
	c, err := s.Canonical()
	if err != nil {
		c = s
	}
	return c.label()
}

// label formats s as it is, without canonicalising it.
func (c SamplerSpec) label() string {
	return fmt.Sprintf("%s %d", c.Method, c.Steps) + c.options()
}

// Family returns the label of s without its number of steps, e.g. "euler", "euler cfg=1.5": the settings
// a metric-vs-steps curve shares.
func (s SamplerSpec) Family() string {
	c, err := s.Canonical()
	if err != nil {
		c = s
	}
	return c.Method + c.options()
}

// options formats the guidance and shift of s (empty without them).
func (c SamplerSpec) options() string {
	out := ""
	if c.Guided() {
		out += fmt.Sprintf(" cfg=%g", c.CFG)
		if c.CFGMin != 0 || c.CFGMax != 0 {
			hi := c.CFGMax
			if hi == 0 {
				hi = 1
			}
			out += fmt.Sprintf(" [%g,%g]", c.CFGMin, hi)
		}
	}
	if c.Shift != 0 {
		out += fmt.Sprintf(" shift=%g", c.Shift)
	}
	if c.EpsilonB != 0 && c.EpsilonB != 1 {
		out += fmt.Sprintf(" ε-scaling λ=%g", c.EpsilonB)
	}
	if c.TimeShiftVariance != 0 {
		out += " time-shift"
	}
	return out
}

// Config returns the sampler configuration of s; seed seeds the SDE noise.
func (s SamplerSpec) Config(seed uint64) (sampler.Config, error) {
	m, err := ParseMethod(s.Method)
	if err != nil {
		return sampler.Config{}, err
	}
	for _, v := range []float64{s.CFG, s.CFGMin, s.CFGMax, s.Shift, s.EpsilonB, s.TimeShiftVariance} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return sampler.Config{}, fmt.Errorf("imageexp: sampler %+v: non-finite value", s)
		}
	}
	cfg := sampler.Config{Method: m, Steps: s.Steps, Shift: s.Shift, Seed: seed,
		Guidance: sampler.Guidance{Scale: s.CFG, TMin: s.CFGMin, TMax: s.CFGMax}}
	if s.EpsilonB != 0 && s.EpsilonB != 1 {
		cfg.EpsilonScaling = sampler.EpsilonScaling{B: s.EpsilonB}
	}
	if s.TimeShiftVariance != 0 {
		cfg.TimeShift = sampler.DefaultTimeShift(s.TimeShiftVariance)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("imageexp: sampler %s: %w", s.label(), err)
	}
	return cfg, nil
}

// Guidance is one guidance setting of SamplerGrid: scale (0 or 1: none) and interval [TMin, TMax] in
// paper time (both 0: everywhere).
type Guidance struct {
	Scale, TMin, TMax float64
}

// NoGuidance is the Guidance setting without guidance.
var NoGuidance = Guidance{}

// SamplerGrid returns every combination of methods × steps × guidance, in that nesting order (guidance
// innermost). Empty guidance means no guidance.
func SamplerGrid(methods []string, steps []int, guidance []Guidance) []SamplerSpec {
	if len(guidance) == 0 {
		guidance = []Guidance{NoGuidance}
	}
	var out []SamplerSpec
	for _, m := range methods {
		for _, n := range steps {
			for _, g := range guidance {
				out = append(out, SamplerSpec{Method: m, Steps: n, CFG: g.Scale, CFGMin: g.TMin, CFGMax: g.TMax})
			}
		}
	}
	return out
}

// EvalSpec describes the sample-quality evaluation of a model: for every sampler setting and seed,
// generate N images (with the seed's noise and conditioning, the same for every model) and score them.
type EvalSpec struct {
	// Samplers are the sampling settings (see SamplerGrid).
	Samplers []SamplerSpec `json:"samplers"`
	// N is the number of images generated per setting and seed.
	N int `json:"n"`
	// Seeds are the evaluation seeds: each gives its own initial noise and conditioning. Two or more give
	// error bars over seeds.
	Seeds []uint64 `json:"seeds"`
	// UseEMA samples with the EMA weights (when the run kept an EMA).
	UseEMA bool `json:"use_ema"`
	// Evaluator scores the images (zero value: FashionMNISTEvaluator()).
	Evaluator EvaluatorSpec `json:"evaluator"`
	// BatchSize is the number of images per sampler call (0: 250).
	BatchSize int `json:"batch_size"`
	// Floor also scores N real images per seed (Data.Real): the metrics' noise floor, what a perfect
	// generator would get with N images.
	Floor bool `json:"floor"`
}

// DefaultEvalSpec returns Euler at 5, 10, 20 and 50 steps, without guidance and with guidance scale 1.5,
// 1000 images per setting, two seeds, EMA weights, the "fmnist" evaluator and its noise floor.
func DefaultEvalSpec() EvalSpec {
	return EvalSpec{
		Samplers: SamplerGrid([]string{MethodEuler}, []int{5, 10, 20, 50}, []Guidance{NoGuidance, {Scale: 1.5}}),
		N:        1000, Seeds: []uint64{0, 1}, UseEMA: true, Evaluator: FashionMNISTEvaluator(), Floor: true,
	}
}

// Canonical fills defaults and validates.
func (e EvalSpec) Canonical() (EvalSpec, error) {
	if len(e.Samplers) == 0 {
		return e, errors.New("imageexp: eval samplers: empty")
	}
	ss := make([]SamplerSpec, len(e.Samplers))
	seen := map[SamplerSpec]bool{}
	for i, s := range e.Samplers {
		c, err := s.Canonical()
		if err != nil {
			return e, err
		}
		if seen[c] {
			return e, fmt.Errorf("imageexp: eval samplers: %s appears twice", c.Label())
		}
		seen[c] = true
		ss[i] = c
	}
	e.Samplers = ss
	if e.N < 4 || e.N > MaxImages {
		return e, fmt.Errorf("imageexp: eval n %d outside [4, %d]", e.N, MaxImages)
	}
	if err := experiment.CheckSeeds("imageexp", "eval", e.Seeds); err != nil {
		return e, err
	}
	if e.Evaluator.Kind == "" {
		e.Evaluator = FashionMNISTEvaluator()
	}
	var err error
	if e.Evaluator, err = e.Evaluator.Canonical(); err != nil {
		return e, err
	}
	if e.BatchSize == 0 {
		e.BatchSize = 250
	}
	if e.BatchSize < 1 || e.BatchSize > 4096 {
		return e, fmt.Errorf("imageexp: eval batch_size %d outside [1, 4096]", e.BatchSize)
	}
	return e, nil
}

// Validate reports the first invalid field of e.
func (e EvalSpec) Validate() error { return experiment.Validate(e) }

// SlowFlowSpec describes a Slow Flow measurement; it is the core's spec (experiment.SlowFlowSpec, so the
// shared Slow Flow figures and tables take the results), with N generated images and ReferenceSize real held-out images
// (at most Data.HeldOut's size). Only the ODE methods "euler" and "heun" are accepted. The generated
// images are conditioned like an evaluation's (Data.Conds), without guidance.
type SlowFlowSpec = experiment.SlowFlowSpec

// SlowFlowResult is a Slow Flow measurement of one run: one slowflow.Result per number of steps.
type SlowFlowResult = experiment.SlowFlowResult
