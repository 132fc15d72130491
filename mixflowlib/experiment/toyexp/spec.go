package toyexp

import (
	"errors"
	"fmt"

	"github.com/mixflow/mixflow/datasets/toy2d"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/objective"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
	"github.com/mixflow/mixflow/mixflowlib/slowflow"
)

// Limits on work sizes that keep a typo from asking for hours of compute or gigabytes of memory.
const (
	// MaxDim is the largest embedding dimension DataSpec.Dim accepts.
	MaxDim = 4096
	// MaxSamples is the largest number of samples an evaluation or Slow Flow measurement draws.
	MaxSamples = experiment.MaxSamples
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

// DataSpec names the training data: a toy of datasets/toy2d and the seed of its training stream.
type DataSpec struct {
	// Toy is a datasets/toy2d spec, e.g. "8gaussians(std=0.05)", "checkerboard", "moons(noise=0.05)".
	Toy string `json:"toy"`
	// Seed seeds the training stream (toy2d.Source): batch k is a pure function of (Seed, k).
	Seed uint64 `json:"seed"`
	// Dim is the dimension the 2-D points are embedded in by zero padding (0 or 2: plain 2-D). With Dim > 2
	// the extra coordinates of every data point are 0, so in a noisy sample they hold only noise.
	Dim int `json:"dim,omitempty"`
}

// Canonical returns d with the toy spelled canonically (toy2d's Name) and Dim 2 for 0, so that
// equivalent specs hash alike; it validates d.
func (d DataSpec) Canonical() (DataSpec, error) {
	toy, err := toy2d.ByName(d.Toy)
	if err != nil {
		return d, fmt.Errorf("toyexp: data toy %q: %w", d.Toy, err)
	}
	d.Toy = toy.Name()
	if d.Dim == 0 {
		d.Dim = 2
	}
	if d.Dim < 2 || d.Dim > MaxDim {
		return d, fmt.Errorf("toyexp: data dim %d outside [2, %d]", d.Dim, MaxDim)
	}
	return d, nil
}

// Validate reports whether d is usable.
func (d DataSpec) Validate() error { return experiment.Validate(d) }

// ModelSpec configures the velocity network, an unconditional mlp.MLP: the core's experiment.MLPSpec
// (zero fields take mlp's defaults; the input dimension comes from DataSpec.Dim).
type ModelSpec = experiment.MLPSpec

// ObjectiveSpec is the toy experiments' training loss: objective.Spec, which validates and builds it
// (label dropout stays 0: the toy MLP is unconditional).
type ObjectiveSpec = objective.Spec

// FMObjective returns standard flow matching with t ~ U[0, 1] (the base training of the toy experiments
// and the "standard post-training" baseline).
func FMObjective() ObjectiveSpec { return objective.FMSpec("", 0) }

// MixFlowObjective returns MixFlow with the paper's defaults (t ~ Beta(2,1), m ~ U[(1−γ)t, t], linear
// path, target at m) and the given γ.
func MixFlowObjective(gamma float64) ObjectiveSpec { return objective.MixFlowSpec(gamma, 0) }

// TrainSpec holds the trainer settings of a toy run: the core's fields (experiment.TrainSpec, see
// trainer.Config for their meaning) with the toy defaults. Zero fields take the defaults of
// DefaultTrainSpec when canonicalised, except where zero is meaningful (WeightDecay, ClipGradNorm,
// EMADecay: off; CheckpointEvery: every Steps/4).
type TrainSpec experiment.TrainSpec

// DefaultTrainSpec returns the toy defaults: 20 000 AdamW steps of batch 256 at a constant 1e-3,
// no clipping, EMA 0.999, seed 1.
func DefaultTrainSpec() TrainSpec {
	return TrainSpec{Steps: 20_000, BatchSize: 256, LR: 1e-3, Optimizer: "adamw", EMADecay: 0.999, Seed: 1}
}

// TrainDefaults are the values the toy labs (toyexp, experiment/highdim) give zero TrainSpec fields.
var TrainDefaults = experiment.TrainDefaults{BatchSize: 256, LR: 1e-3}

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

// DefaultBaseSpec returns the base model of the toy experiments: an MLP of width 64 and depth 3
// (about 12.7 k parameters, small enough not to fit the toy perfectly) trained with standard flow matching
// (t ~ U[0, 1]) on 8 Gaussians with a small std (sharp modes) for DefaultTrainSpec's 20 000 steps.
func DefaultBaseSpec() BaseSpec {
	return BaseSpec{
		Data:      DataSpec{Toy: "8gaussians(std=0.05)", Seed: 1},
		Model:     ModelSpec{Width: 64, Depth: 3},
		Objective: FMObjective(),
		Train:     DefaultTrainSpec(),
	}
}

// PostSpec describes a post-training run started from a base model (the core's experiment.PostSpec).
type PostSpec = experiment.PostSpec[ObjectiveSpec, TrainSpec]

// DefaultPostSpec returns post-training with obj for 5 000 steps with the base's optimiser settings
// (DefaultTrainSpec), starting from the base's EMA weights.
func DefaultPostSpec(obj ObjectiveSpec) PostSpec {
	t := DefaultTrainSpec()
	t.Steps = 5000
	return PostSpec{Objective: obj, Train: t, FromEMA: true}
}

// Sampler method names accepted by EvalSpec.Methods and SlowFlowSpec.Method (the core's).
const (
	MethodEuler         = experiment.MethodEuler
	MethodHeun          = experiment.MethodHeun
	MethodEulerMaruyama = experiment.MethodEulerMaruyama
	MethodHeunSDE       = experiment.MethodHeunSDE
)

// samplerConfig returns the sampler of a study: method m with steps intervals; the SDE methods draw
// their noise from seed (the evaluation's seed), the ODE methods ignore it.
func samplerConfig(m sampler.Method, steps int, seed uint64) sampler.Config {
	return sampler.Config{Method: m, Steps: steps, Seed: seedSDE + seed}
}

// Metric names of EvalSpec.
const (
	// MetricSW is the sliced 2-Wasserstein distance to fresh true samples (metrics.SlicedWasserstein).
	MetricSW = "sw2"
	// MetricMMD is the unbiased squared MMD to fresh true samples under an RBF kernel with bandwidths
	// fixed from the true samples (0.5, 1, 2 × their median distance), so models share one kernel.
	MetricMMD = "mmd2"
)

// EvalSpec describes the sample-quality evaluation of a model.
type EvalSpec struct {
	// Methods are the samplers: "euler", "heun", "euler-maruyama", "heun-sde" (MethodEuler, …).
	Methods []string `json:"methods"`
	// Steps are the numbers of sampling steps (intervals).
	Steps []int `json:"steps"`
	// Samples is the number of generated (and of fresh true) points per evaluation, for the sliced
	// Wasserstein distance.
	Samples int `json:"samples"`
	// MMDSamples is the number of those points (the first ones) used for the MMD, whose cost grows as
	// the square; 0 skips the MMD.
	MMDSamples int `json:"mmd_samples"`
	// Projections is the number of directions of the sliced Wasserstein distance (0: 256). The
	// directions depend only on the evaluation seed, so every model is scored on the same ones.
	Projections int `json:"projections"`
	// Seeds are the evaluation seeds: each gives its own initial noise and its own fresh true samples.
	Seeds []uint64 `json:"seeds"`
	// UseEMA samples with the EMA weights (when the run kept an EMA).
	UseEMA bool `json:"use_ema"`
}

// DefaultEvalSpec returns Euler and Heun at 5, 10, 20 and 50 steps, 10 000 samples (2 000 for the MMD),
// 256 projections, one evaluation seed, EMA weights. The sliced Wasserstein distance between two
// independent sets of 10 000 true points of the default toy is about 0.06 (EvalResult.Floor): mostly the
// random imbalance of the mode weights, which W₂ charges for (it shrinks only like N^(−1/4)).
func DefaultEvalSpec() EvalSpec {
	return EvalSpec{
		Methods: []string{MethodEuler, MethodHeun}, Steps: []int{5, 10, 20, 50},
		Samples: 10_000, MMDSamples: 2000, Projections: 256, Seeds: []uint64{0}, UseEMA: true,
	}
}

// Canonical fills defaults and validates.
func (e EvalSpec) Canonical() (EvalSpec, error) {
	if len(e.Methods) == 0 {
		return e, errors.New("toyexp: eval methods: empty")
	}
	ms := make([]string, len(e.Methods))
	for i, m := range e.Methods {
		meth, err := experiment.ParseMethod(m)
		if err != nil {
			return e, err
		}
		ms[i] = meth.String() // "euler", "heun" as before; "sde" becomes "euler-maruyama"
	}
	e.Methods = ms
	if err := experiment.CheckSteps("eval", e.Steps); err != nil {
		return e, err
	}
	if e.Samples < 2 || e.Samples > MaxSamples {
		return e, fmt.Errorf("toyexp: eval samples %d outside [2, %d]", e.Samples, MaxSamples)
	}
	if e.MMDSamples < 0 || e.MMDSamples == 1 || e.MMDSamples > e.Samples {
		return e, fmt.Errorf("toyexp: eval mmd_samples %d: want 0 (no MMD) or 2 … samples (%d)", e.MMDSamples, e.Samples)
	}
	if e.Projections == 0 {
		e.Projections = 256
	}
	if e.Projections < 1 || e.Projections > 100_000 {
		return e, fmt.Errorf("toyexp: eval projections %d outside [1, 100000]", e.Projections)
	}
	if err := experiment.CheckSeeds("toyexp", "eval", e.Seeds); err != nil {
		return e, err
	}
	return e, nil
}

// Validate reports the first invalid field of e.
func (e EvalSpec) Validate() error { return experiment.Validate(e) }

// Metrics returns the names of the metrics e computes.
func (e EvalSpec) Metrics() []string {
	if e.MMDSamples > 0 {
		return []string{MetricSW, MetricMMD}
	}
	return []string{MetricSW}
}

// SlowFlowSpec describes a Slow Flow measurement: the core's spec (experiment.SlowFlowSpec).
type SlowFlowSpec = experiment.SlowFlowSpec

// DefaultSlowFlowSpec returns the nearest-data protocol with Euler at 5, 10, 20 and 50 steps, 1 000 runs
// against 5 000 reference points, 5–95 % band, EMA weights. (The nearest-data search costs N × reference
// size per sampling state; the paper used 20 000 images and 50 steps.)
func DefaultSlowFlowSpec() SlowFlowSpec {
	return SlowFlowSpec{
		Protocol: slowflow.ProtocolNearestData, Method: MethodEuler, Steps: []int{5, 10, 20, 50},
		N: 1000, ReferenceSize: 5000, Seed: 0, Quantiles: slowflow.DefaultQuantiles, UseEMA: true,
	}
}
