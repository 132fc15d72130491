package t2iexp

import (
	"context"
	"fmt"

	"github.com/mixflow/mixflow/datasets/captions"
	"github.com/mixflow/mixflow/mixflowlib/backbone/t2i"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
)

// Experiment is the whole text-to-image post-training study: a base model trained with standard flow
// matching, post-trained from its EMA weights for the same number of steps with standard flow matching
// (the paper's "ft" baselines) and with MixFlow, and evaluated with the attribute checker at several
// sampling step counts, with and without guidance, over several sampling seeds.
type Experiment struct {
	// Base is the base training (data, model, objective, trainer settings).
	Base imageexp.BaseSpec
	// Standard and MixFlow are the two post-trainings; they differ only in the objective.
	Standard, MixFlow imageexp.PostSpec
	// Eval is the evaluation of every run.
	Eval imageexp.EvalSpec
}

// Sizes are the work-size knobs of an Experiment.
type Sizes struct {
	// Model is the t2i preset name ("micro", "tiny", "small", "base") and Hidden, Depth and Patch override
	// its width, depth and patch size when non-zero.
	Model                string
	Hidden, Depth, Patch int
	// BaseSteps and PostSteps are the numbers of optimiser updates of the base and of each post-training;
	// Batch is the batch size of both.
	BaseSteps, PostSteps int64
	Batch                int
	// EvalN is the number of generated images per sampler setting and seed; Seeds the number of
	// evaluation seeds (Experiment) or of training seeds per arm (Study, which evaluates on one seed).
	EvalN, Seeds int
	// Steps are the sampling step counts (Euler) and CFG the guidance scale of the guided settings.
	Steps []int
	CFG   float64
}

// CPUSizes are the sizes of the notebook's full run on a 2-core CPU (measured: 54 minutes on an otherwise
// idle machine): the "tiny" preset narrowed to 96 channels, 8000 base steps and 750 post-training steps at
// batch 32, 128 images per setting and seed, two seeds, Euler at 10 and 40 steps (the paper's Table 7)
// without guidance and with scale 2.
func CPUSizes() Sizes {
	return Sizes{Model: "tiny", Hidden: 96, BaseSteps: 8000, PostSteps: 750, Batch: 32, EvalN: 128, Seeds: 2,
		Steps: []int{10, 40}, CFG: 2}
}

// QuickSizes are CI smoke-test sizes (about two minutes): a micro model, a few dozen steps, 16 images.
func QuickSizes() Sizes {
	return Sizes{Model: "micro", BaseSteps: 60, PostSteps: 20, Batch: 16, EvalN: 16, Seeds: 2, Steps: []int{10, 40}, CFG: 2}
}

// GPUSizes are sizes for a real run on a GPU: the "small" preset (DiT-S width, 12 blocks) on 64×64
// images, 100k base steps and 10k post-training steps (the paper post-trains SD3.5 for 10k steps) at
// batch 256, 2000 images per setting, Euler at 10 and 40 steps.
func GPUSizes() Sizes {
	return Sizes{Model: "small", BaseSteps: 100_000, PostSteps: 10_000, Batch: 256, EvalN: 2000, Seeds: 2,
		Steps: []int{10, 40}, CFG: 2}
}

// NewExperiment returns the study with the given sizes and the settings that do not depend on them:
// captioned shapes at 32×32 (64×64 for the "small" and "base" presets), base training with flow matching
// on logit-normal(0, 1) times (as SD3) and 10 % caption dropout, AdamW at a constant 3e-4 with clipping
// at 1 and EMA 0.995 (a time constant of 200 steps: these runs are short, and a longer EMA would still
// hold much of the untrained or pre-post-training weights); post-training from the base's EMA weights
// with a fresh optimiser and otherwise identical settings (as the paper post-trains with each model's
// own hyper-parameters), standard flow matching (same times) versus MixFlow with γ = 0.8 (t ~ Beta(2,1)),
// same seed, same batches.
func NewExperiment(s Sizes) (Experiment, error) {
	if err := s.check(); err != nil {
		return Experiment{}, err
	}
	cfg, err := modelConfig(s)
	if err != nil {
		return Experiment{}, err
	}
	data := DataParams{Size: cfg.ImageSize}
	const dropout = 0.1
	base := imageexp.TrainSpec{Steps: s.BaseSteps, BatchSize: s.Batch, LR: 3e-4, Optimizer: "adamw", ClipGradNorm: 1,
		EMADecay: 0.995, Seed: 1}
	post := base
	post.Steps, post.Seed = s.PostSteps, 2
	seeds := make([]uint64, s.Seeds)
	for i := range seeds {
		seeds[i] = uint64(i)
	}
	e := Experiment{
		Base: imageexp.BaseSpec{Data: Data(data, 1), Model: Model(cfg),
			Objective: imageexp.FM("logit-normal(0,1)", dropout), Train: base},
		Standard: imageexp.PostSpec{Objective: imageexp.FM("logit-normal(0,1)", dropout), Train: post, FromEMA: true},
		MixFlow:  imageexp.PostSpec{Objective: imageexp.MixFlow(0.8, dropout), Train: post, FromEMA: true},
		Eval: imageexp.EvalSpec{
			Samplers: imageexp.SamplerGrid([]string{imageexp.MethodEuler}, s.Steps,
				[]imageexp.Guidance{imageexp.NoGuidance, {Scale: s.CFG}}),
			N: s.EvalN, Seeds: seeds, UseEMA: true, Evaluator: Evaluator(), BatchSize: min(s.EvalN, 128),
		},
	}
	return e, e.Validate()
}

// Validate checks every part of the experiment.
func (e Experiment) Validate() error {
	for _, err := range []error{e.Base.Validate(), e.Standard.Validate(), e.MixFlow.Validate(), e.Eval.Validate()} {
		if err != nil {
			return err
		}
	}
	return nil
}

// Runs are the three trained models of an Experiment.
type Runs struct {
	Base, Standard, MixFlow *imageexp.Run
}

// All returns the runs in table order: base, standard post-training, MixFlow.
func (r Runs) All() []*imageexp.Run { return []*imageexp.Run{r.Base, r.Standard, r.MixFlow} }

// Train trains (or loads from the lab's cache) the base model and both post-trainings.
func (e Experiment) Train(ctx context.Context, lab *imageexp.Lab) (Runs, error) {
	var r Runs
	var err error
	if r.Base, err = lab.TrainBase(ctx, e.Base); err != nil {
		return r, err
	}
	if r.Standard, err = lab.PostTrain(ctx, r.Base, e.Standard); err != nil {
		return r, err
	}
	r.Standard.Label = "standard post-training"
	if r.MixFlow, err = lab.PostTrain(ctx, r.Base, e.MixFlow); err != nil {
		return r, err
	}
	r.MixFlow.Label = "MixFlow post-training"
	r.Base.Label = "base"
	return r, nil
}

// Compare evaluates the three runs with e.Eval (cached per run, setting and seed); the base is the
// reference of the paired differences.
func (e Experiment) Compare(ctx context.Context, lab *imageexp.Lab, r Runs) (*imageexp.Comparison, error) {
	return lab.Compare(ctx, r.All(), e.Eval)
}

// check reports sizes that neither the experiment nor the study can run: every step count, the batch,
// the seeds and the sampling steps must be positive, and at least 4 images evaluated.
func (s Sizes) check() error {
	if s.BaseSteps < 1 || s.PostSteps < 1 || s.Batch < 1 || s.EvalN < 4 || s.Seeds < 1 || len(s.Steps) == 0 {
		return fmt.Errorf("t2iexp: sizes %+v: steps, batch, images, seeds and sampling steps must be positive", s)
	}
	return nil
}

// modelConfig returns the t2i configuration of s: the preset with s's overrides, for the captions
// tokenizer's vocabulary and caption length.
func modelConfig(s Sizes) (t2i.Config, error) {
	tok, err := captions.NewTokenizer(captions.DefaultMaxLen)
	if err != nil {
		return t2i.Config{}, err
	}
	cfg, err := t2i.Preset(s.Model, tok.VocabSize(), tok.MaxLen)
	if err != nil {
		return cfg, err
	}
	if s.Hidden > 0 {
		cfg.Hidden = s.Hidden
	}
	if s.Depth > 0 {
		cfg.Depth = s.Depth
	}
	if s.Patch > 0 {
		cfg.PatchSize = s.Patch
	}
	return cfg, cfg.Validate()
}
