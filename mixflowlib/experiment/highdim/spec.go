package highdim

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/mixflow/mixflow/mixflowlib/backbone/mlp"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/objective"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
	"github.com/mixflow/mixflow/mixflowlib/timesteps"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// MaxDim is the largest data dimension DataSpec accepts (oracle.NewRotated's studies use 2 to 1024).
const MaxDim = 1024

// DataSpec describes the data: oracle.RotatedConfig as plain data, plus the seed of the training stream.
type DataSpec struct {
	// Dim is the data dimension D in [2, MaxDim].
	Dim int `json:"dim"`
	// Components, Radius and Std are oracle.RotatedConfig's (0: its defaults 8, 4, 0.5).
	Components int     `json:"components"`
	Radius     float64 `json:"radius"`
	Std        float64 `json:"std"`
	// MixSeed seeds the means and the rotation; StreamSeed the training stream.
	MixSeed    uint64 `json:"mix_seed"`
	StreamSeed uint64 `json:"stream_seed"`
}

// DefaultDataSpec returns the study's data in dimension dim: 8 Gaussians of std 0.1 whose means lie at
// radius 4 in a random 8-dimensional subspace of R^dim (mixture seed 1, stream seed 1).
func DefaultDataSpec(dim int) DataSpec {
	return DataSpec{Dim: dim, Components: 8, Radius: 4, Std: 0.1, MixSeed: 1, StreamSeed: 1}
}

// Canonical fills oracle.NewRotated's defaults and validates d.
func (d DataSpec) Canonical() (DataSpec, error) {
	d.Components = cmp.Or(d.Components, oracle.DefaultRotatedComponents)
	d.Radius = cmp.Or(d.Radius, oracle.DefaultRotatedRadius)
	d.Std = cmp.Or(d.Std, oracle.DefaultRotatedStd)
	if d.Dim < 2 || d.Dim > MaxDim {
		return d, fmt.Errorf("highdim: data dim %d outside [2, %d]", d.Dim, MaxDim)
	}
	if d.Components < 1 || d.Components > 1000 {
		return d, fmt.Errorf("highdim: data components %d outside [1, 1000]", d.Components)
	}
	if !finitePositive(d.Radius) || !finitePositive(d.Std) {
		return d, fmt.Errorf("highdim: data radius %v and std %v must be positive and finite", d.Radius, d.Std)
	}
	return d, nil
}

// Mixture returns the data distribution (and its exact velocity) d describes.
func (d DataSpec) Mixture() (*oracle.Mixture, error) {
	c, err := d.Canonical()
	if err != nil {
		return nil, err
	}
	mix, err := oracle.NewRotated(oracle.RotatedConfig{Dim: c.Dim, Components: c.Components, Radius: c.Radius, Std: c.Std, Seed: c.MixSeed})
	if err != nil {
		return nil, fmt.Errorf("highdim: data: %w", err)
	}
	return mix, nil
}

// optimum returns the exact minimiser of the MixFlow loss with slowing range gamma for d
// (oracle.NewMixFlowOptimum with its default nodes).
func (d DataSpec) optimum(gamma float64) (*oracle.MixFlowOptimum, error) {
	mix, err := d.Mixture()
	if err != nil {
		return nil, err
	}
	o, err := oracle.NewMixFlowOptimum(mix, gamma, 0)
	if err != nil {
		return nil, fmt.Errorf("highdim: %w", err)
	}
	return o, nil
}

// WideModel returns the network of the study for dimension dim: mlp.Wide's residual MLP of width
// max(2·dim, 256) with 3 blocks, as a experiment.MLPSpec.
func WideModel(dim int) experiment.MLPSpec {
	w := mlp.Wide(dim)
	return experiment.MLPSpec{Width: w.Width, Depth: w.Depth, Residual: w.Residual}
}

// Arm names a post-training (or base) objective: an objective.Spec, or Input Perturbation when
// InputPerturbation > 0 (then Objective must be flow matching; its Times are kept).
type Arm struct {
	// Objective is the loss (flow matching or MixFlow, objective.Spec).
	Objective objective.Spec `json:"objective"`
	// InputPerturbation is Input Perturbation's γ_ip (objective.InputPerturbation); 0 means none.
	InputPerturbation float64 `json:"input_perturbation,omitempty"`
}

// StandardArm is standard flow matching with t ~ U[0, 1] (the base's own objective).
func StandardArm() Arm { return Arm{Objective: objective.FMSpec("", 0)} }

// ControlArm is the γ = 0 control: MixFlow's Beta(2,1) times with no slowing.
func ControlArm() Arm { return Arm{Objective: objective.MixFlowSpec(0, 0)} }

// MixFlowArm is MixFlow with the paper's defaults and slowing range gamma.
func MixFlowArm(gamma float64) Arm { return Arm{Objective: objective.MixFlowSpec(gamma, 0)} }

// InputPerturbationArm is Input Perturbation with γ_ip = gamma on flow matching with t ~ U[0, 1].
func InputPerturbationArm(gamma float64) Arm {
	return Arm{Objective: objective.FMSpec("", 0), InputPerturbation: gamma}
}

// Canonical validates a and spells out its defaults.
func (a Arm) Canonical() (Arm, error) {
	var err error
	if a.Objective, err = a.Objective.Canonical(); err != nil {
		return a, fmt.Errorf("highdim: %w", err)
	}
	if a.InputPerturbation != 0 {
		if !finitePositive(a.InputPerturbation) {
			return a, fmt.Errorf("highdim: input perturbation %v must be positive and finite (0: none)", a.InputPerturbation)
		}
		if a.Objective.Kind != objective.KindFM {
			return a, fmt.Errorf("highdim: input perturbation %v needs a flow-matching objective, not %q", a.InputPerturbation, a.Objective.Kind)
		}
	}
	return a, nil
}

// Label returns a short name: "FM", "MixFlow γ=0.8", objective.ControlLabel ("MixFlow γ=0 control"),
// "IP γ=0.1".
func (a Arm) Label() string {
	c, err := a.Canonical()
	if err != nil {
		return "invalid arm"
	}
	if c.InputPerturbation != 0 {
		return fmt.Sprintf("IP γ=%g", c.InputPerturbation)
	}
	return c.Objective.Label()
}

// build returns the trainer objective of a (canonical).
func (a Arm) build() (trainer.Objective, error) {
	if a.InputPerturbation == 0 {
		return a.Objective.Build()
	}
	times, err := timesteps.ByName(a.Objective.Times)
	if err != nil {
		return nil, fmt.Errorf("highdim: %w", err)
	}
	o := objective.InputPerturbation{Gamma: a.InputPerturbation, Times: times}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return o, nil
}

// trainDefaults fill the zero fields of the study's TrainSpecs (toyexp's: batch 256, learning rate 1e-3).
var trainDefaults = experiment.TrainDefaults{BatchSize: 256, LR: 1e-3}

// BaseSpec describes the training of a base model from scratch.
type BaseSpec struct {
	Data  DataSpec             `json:"data"`
	Model experiment.MLPSpec   `json:"model"`
	Arm   Arm                  `json:"arm"`
	Train experiment.TrainSpec `json:"train"`
}

// DefaultBaseSpec returns the study's base for dimension dim and training seed: the Wide MLP trained with
// flow matching (t ~ U[0, 1]) for 6000 AdamW steps of batch 256, learning rate 1e-3 with a 200-step
// warm-up and a cosine decay to 1e-5 (so that the base is converged when post-training starts), EMA 0.999.
func DefaultBaseSpec(dim int, seed int64) BaseSpec {
	return BaseSpec{
		Data: DefaultDataSpec(dim), Model: WideModel(dim), Arm: StandardArm(),
		Train: experiment.TrainSpec{Steps: 6000, BatchSize: 256, LR: 1e-3, Optimizer: "adamw", EMADecay: 0.999, Seed: seed,
			Schedule: trainer.Schedule{Kind: trainer.WarmupCosine, WarmupSteps: 200, FinalLR: 1e-5}},
	}
}

// Canonical canonicalises and validates every part.
func (b BaseSpec) Canonical() (BaseSpec, error) {
	var err error
	if b.Data, err = b.Data.Canonical(); err != nil {
		return b, err
	}
	if b.Model, err = b.Model.Canonical(); err != nil {
		return b, err // the core names itself
	}
	b.Arm, b.Train, err = canonicalTraining(b.Arm, b.Train)
	return b, err
}

// canonicalTraining canonicalises and validates what every training spec holds: the arm and the training
// settings (whose errors the core names itself).
func canonicalTraining(arm Arm, train experiment.TrainSpec) (Arm, experiment.TrainSpec, error) {
	a, err := arm.Canonical()
	if err != nil {
		return arm, train, err
	}
	tr, err := train.Canonical(trainDefaults)
	return a, tr, err
}

// PostSpec describes a post-training run started from a base model's EMA weights, with a fresh
// optimiser and a fresh EMA.
type PostSpec struct {
	Arm   Arm                  `json:"arm"`
	Train experiment.TrainSpec `json:"train"`
	// DataSeed seeds the post-training data stream; 0 derives it from the base's stream seed and the
	// post-training seed, so post-training neither replays the base's batches nor shares them across
	// training seeds.
	DataSeed uint64 `json:"data_seed,omitempty"`
}

// DefaultPostSpec returns post-training with arm for 1500 steps of batch 256 at a constant 1e-4
// (a tenth of the base's peak rate), EMA 0.995 (a horizon of 200 steps, so the final EMA holds little of
// the starting weights), training seed seed.
func DefaultPostSpec(arm Arm, seed int64) PostSpec {
	return PostSpec{Arm: arm, Train: experiment.TrainSpec{Steps: 1500, BatchSize: 256, LR: 1e-4, Optimizer: "adamw", EMADecay: 0.995, Seed: seed}}
}

// Canonical canonicalises and validates every part.
func (p PostSpec) Canonical() (PostSpec, error) {
	var err error
	p.Arm, p.Train, err = canonicalTraining(p.Arm, p.Train)
	return p, err
}

// Sampler is one sampling setting of an evaluation: an ODE method, a number of steps and optional
// Epsilon Scaling (a training-free exposure-bias baseline).
type Sampler struct {
	// Method is "euler" or "heun".
	Method string `json:"method"`
	// Steps is the number of intervals.
	Steps int `json:"steps"`
	// EpsilonB is Epsilon Scaling's constant λ (sampler.EpsilonScaling{B: EpsilonB}); 0 means off.
	EpsilonB float64 `json:"epsilon_b,omitempty"`
}

// Name returns e.g. "euler-10" or "euler-10 ε×1.01".
func (s Sampler) Name() string {
	n := fmt.Sprintf("%s-%d", s.Method, s.Steps)
	if s.EpsilonB != 0 {
		n += fmt.Sprintf(" ε/%g", s.EpsilonB)
	}
	return n
}

// Config returns the sampler.Config of s.
func (s Sampler) Config() (sampler.Config, error) {
	m, err := sampler.ParseMethod(s.Method)
	if err != nil {
		return sampler.Config{}, fmt.Errorf("highdim: %w", err)
	}
	if m.Stochastic() {
		return sampler.Config{}, fmt.Errorf("highdim: sampler method %q: only the ODE methods euler and heun are supported", s.Method)
	}
	if s.Steps < 1 || s.Steps > 10_000 {
		return sampler.Config{}, fmt.Errorf("highdim: sampler steps %d outside [1, 10000]", s.Steps)
	}
	c := sampler.Config{Method: m, Steps: s.Steps}
	if s.EpsilonB != 0 {
		c.EpsilonScaling = sampler.EpsilonScaling{B: s.EpsilonB}
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("highdim: sampler %s: %w", s.Name(), err)
	}
	return c, nil
}

// StudySamplers are the protocol's samplers: Euler at 5, 10 and 20 steps and Heun at 10.
func StudySamplers() []Sampler {
	return []Sampler{{Method: "euler", Steps: 5}, {Method: "euler", Steps: 10}, {Method: "euler", Steps: 20}, {Method: "heun", Steps: 10}}
}

// EvalSpec describes the evaluation of a model against the exact data distribution.
type EvalSpec struct {
	// Samplers are the sampling settings.
	Samplers []Sampler `json:"samplers"`
	// Samples is the number of generated (and of fresh true) points per setting and seed.
	Samples int `json:"samples"`
	// Seeds are the evaluation seeds (each its own noise and true points); every model is scored on the
	// same noise, so differences between models are paired.
	Seeds []uint64 `json:"seeds"`
	// UseEMA samples with the EMA weights.
	UseEMA bool `json:"use_ema"`
}

// DefaultEvalSpec returns StudySamplers, 4000 samples, one evaluation seed, EMA weights.
func DefaultEvalSpec() EvalSpec {
	return EvalSpec{Samplers: StudySamplers(), Samples: 4000, Seeds: []uint64{0}, UseEMA: true}
}

// Canonical validates e and normalises method names.
func (e EvalSpec) Canonical() (EvalSpec, error) {
	if len(e.Samplers) == 0 {
		return e, errors.New("highdim: eval samplers: empty")
	}
	out := make([]Sampler, len(e.Samplers))
	names := make([]string, len(e.Samplers))
	for i, s := range e.Samplers {
		s.Method = strings.ToLower(strings.TrimSpace(s.Method))
		if _, err := s.Config(); err != nil {
			return e, err
		}
		out[i], names[i] = s, s.Name()
	}
	if d := experiment.FirstDuplicate(names); d >= 0 {
		return e, fmt.Errorf("highdim: eval samplers: %s appears twice", names[d])
	}
	e.Samplers = out
	if e.Samples < 16 || e.Samples > 1<<18 {
		return e, fmt.Errorf("highdim: eval samples %d outside [16, %d]", e.Samples, 1<<18)
	}
	if err := experiment.CheckSeeds("highdim", "eval", e.Seeds); err != nil {
		return e, err
	}
	return e, nil
}

func finitePositive(v float64) bool { return v > 0 && !math.IsInf(v, 0) }
