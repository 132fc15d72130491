package t2iexp

import (
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/lrschedule"
)

// Study holds the parts of the text-to-image study under the fair-test protocol (issue 12, study 3b)
// that a notebook assembles into an imagestudy.Spec (this package may not import imagestudy, a sibling
// experiment package): a base trained at a constant learning rate, post-training arms that continue its
// training from its EMA weights with its Adam moments (Post, KeepOptimizer in the spec), each arm with
// training seeds 1 … Seeds, and one paired evaluation (the same captions and noise for every model).
type Study struct {
	// Base is the base model's training.
	Base imageexp.BaseSpec
	// Post holds the post-training settings every arm shares (its Seed is replaced by the training seed).
	Post imageexp.TrainSpec
	// Arms are the post-training objectives: standard post-training (the base's own objective), the
	// γ = 0 control and MixFlow at StudyGamma.
	Arms []imageexp.ObjectiveSpec
	// Seeds is the number of training seeds of every arm.
	Seeds int
	// Eval evaluates every model with the attribute checker at every sampler, unguided and guided.
	Eval imageexp.EvalSpec
}

// StudyGamma is MixFlow's γ in the study: the best γ of study 2 (notebook 03), chosen before this run.
const StudyGamma = 0.2

// StudyLR and StudyEMA are the constant learning rate and the EMA decay of the base and of every arm
// (study 2's recipe: a 200-step EMA window, standard post-training is the base's training continued).
const (
	StudyLR  = 1e-3
	StudyEMA = 0.995
)

// studyDropout is the caption dropout of the base and of every arm (for guidance).
const studyDropout = 0.1

// StudySizes are the sizes of notebook 07's full run, chosen to fit well within 40 minutes from an empty
// cache on a 2-core CPU: the "tiny" preset cut to 2 blocks of width 64 with 4×4 patches (64 image tokens,
// so that shapes, positions and counts can be drawn; the previous run's 8×8 patches gave 16 tokens and
// every model drew one blob: 0 % on all attributes), 2500 base steps and 200-step arms at batch 32,
// 3 training seeds, 300 evaluation captions, Euler and Heun at 10 steps, unguided and with guidance
// scale 2. Measured on 2026-12-08 (shared machine): the base in 312 s (8 steps/s), each arm in 22–32 s,
// the whole notebook in 856 s from an empty cache (8.8 min training, 4.8 min evaluation).
func StudySizes() Sizes {
	return Sizes{Model: "tiny", Hidden: 64, Depth: 2, Patch: 4, BaseSteps: 2500, PostSteps: 200, Batch: 32,
		EvalN: 300, Seeds: 3, Steps: []int{10}, CFG: 2}
}

// QuickStudySizes are the smoke-test sizes of the study (CI; its numbers mean nothing): the "micro"
// preset, 60 base steps, 20-step arms at batch 16, 2 training seeds, 32 captions, 4 sampling steps.
func QuickStudySizes() Sizes {
	return Sizes{Model: "micro", BaseSteps: 60, PostSteps: 20, Batch: 16, EvalN: 32, Seeds: 2, Steps: []int{4}, CFG: 2}
}

// NewStudy returns the study with sizes s: captioned shapes at the model's image side; the base trained
// with flow matching on logit-normal(0, 1) times (as SD3) and 10 % caption dropout, AdamW at the constant
// StudyLR after a 200-step warm-up (at most a tenth of the base), clipping at 1, EMA StudyEMA; arms of
// s.PostSteps steps at the same learning rate and EMA: standard post-training (the base's objective), the
// γ = 0 control (Beta(2,1) times, no slowing) and MixFlow γ = StudyGamma; s.Seeds training seeds; the
// evaluation of s.EvalN held-out captions of evaluation seed 0 at Euler and Heun with s.Steps steps,
// unguided and with guidance scale s.CFG.
func NewStudy(s Sizes) (Study, error) {
	if err := s.check(); err != nil {
		return Study{}, err
	}
	cfg, err := modelConfig(s)
	if err != nil {
		return Study{}, err
	}
	std := imageexp.FM("logit-normal(0,1)", studyDropout)
	st := Study{
		Base: imageexp.BaseSpec{Data: Data(DataParams{Size: cfg.ImageSize}, 1), Model: Model(cfg), Objective: std,
			Train: imageexp.TrainSpec{Steps: s.BaseSteps, BatchSize: s.Batch, LR: StudyLR, Optimizer: "adamw",
				ClipGradNorm: 1, EMADecay: StudyEMA, Seed: 1,
				Schedule: lrschedule.Schedule{Kind: lrschedule.Constant, WarmupSteps: min(200, s.BaseSteps/10)}}},
		Post: imageexp.TrainSpec{Steps: s.PostSteps, BatchSize: s.Batch, LR: StudyLR, Optimizer: "adamw",
			ClipGradNorm: 1, EMADecay: StudyEMA},
		Arms:  []imageexp.ObjectiveSpec{std, imageexp.MixFlow(0, studyDropout), imageexp.MixFlow(StudyGamma, studyDropout)},
		Seeds: s.Seeds,
		Eval: imageexp.EvalSpec{
			Samplers: imageexp.SamplerGrid([]string{imageexp.MethodEuler, imageexp.MethodHeun}, s.Steps,
				[]imageexp.Guidance{imageexp.NoGuidance, {Scale: s.CFG}}),
			N: s.EvalN, Seeds: []uint64{0}, UseEMA: true, Evaluator: Evaluator(), BatchSize: min(s.EvalN, 128),
		},
	}
	return st, st.Validate()
}

// Validate checks the base, every arm (as a post-training from the base's EMA weights with its
// optimiser kept) and the evaluation.
func (st Study) Validate() error {
	if st.Seeds < 1 || len(st.Arms) == 0 {
		return fmt.Errorf("t2iexp: study with %d seeds and %d arms", st.Seeds, len(st.Arms))
	}
	if err := st.Base.Validate(); err != nil {
		return err
	}
	for _, a := range st.Arms {
		if err := (imageexp.PostSpec{Objective: a, Train: st.Post, FromEMA: true, KeepOptimizer: true}).Validate(); err != nil {
			return err
		}
	}
	return st.Eval.Validate()
}
