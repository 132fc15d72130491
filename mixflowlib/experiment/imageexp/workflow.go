package imageexp

import (
	"context"
	"errors"
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/slowflow"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// Workflow is the whole post-training experiment of the image issue: train a base model with standard
// flow matching, post-train it from its EMA weights with each variant's objective for the same number of
// steps with the same seed, evaluate the base and every post-trained model with one EvalSpec (FID vs
// number of sampling steps, with and without guidance), and measure their Slow Flow. Notebook 03 and the
// mixflow-images command run it.
type Workflow struct {
	// Base is the base model's training.
	Base BaseSpec `json:"base"`
	// Post holds the post-training settings every variant shares (steps, optimiser, EMA, seed).
	Post TrainSpec `json:"post"`
	// FromEMA starts post-training from the base's EMA weights.
	FromEMA bool `json:"from_ema"`
	// Variants are the post-training objectives, e.g. standard flow matching and MixFlow.
	Variants []ObjectiveSpec `json:"variants"`
	// Eval evaluates the base and every post-trained model.
	Eval EvalSpec `json:"eval"`
	// SlowFlow is measured for every model; zero Steps skips it.
	SlowFlow SlowFlowSpec `json:"slowflow"`
}

// Validate reports the first invalid part of w.
func (w Workflow) Validate() error {
	if _, err := w.Base.Canonical(); err != nil {
		return err
	}
	if len(w.Variants) == 0 {
		return errors.New("imageexp: workflow: no post-training variants")
	}
	labels := []string{"base (" + w.Base.Objective.Label() + ")"}
	for _, v := range w.Variants {
		p := PostSpec{Objective: v, Train: w.Post, FromEMA: w.FromEMA}
		if err := p.Validate(); err != nil {
			return err
		}
		labels = append(labels, v.Label())
	}
	if d := experiment.FirstDuplicate(labels); d >= 0 {
		return fmt.Errorf("imageexp: workflow: two models are labelled %q", labels[d])
	}
	if err := w.Eval.Validate(); err != nil {
		return err
	}
	if len(w.SlowFlow.Steps) > 0 {
		if err := w.SlowFlow.Validate(); err != nil {
			return fmt.Errorf("imageexp: workflow slowflow: %w", err)
		}
	}
	return nil
}

// SmallSiT returns the SiT of the Fashion-MNIST experiments on this project's CPU budget: 28×28×1
// input in 7×7 patches (16 tokens), 4 blocks of width 96 with 4 heads, 10 classes (about 0.7 M
// parameters). The preset "tiny" (32×32 in 4×4 patches, 64 tokens, width 128) is about 10× slower per
// step on the pure-Go backend.
func SmallSiT() sit.Config {
	return sit.Config{ImageSize: 28, Channels: 1, PatchSize: 7, Depth: 4, Hidden: 96, Heads: 4, MLPRatio: 4,
		NumClasses: 10, TimeFreqDim: 64}
}

// FashionMNISTWorkflow returns the workflow of notebook 03: SmallSiT on 28×28 Fashion-MNIST, trained with
// flow matching (t ~ U[0, 1], label dropout 0.1 for guidance) for baseSteps steps of batch 64 (AdamW
// 5e-4 after a 200-step warm-up, EMA 0.999), then post-trained for postSteps steps with standard flow
// matching and with MixFlow γ = 0.8 (t ~ Beta(2,1)), both from the base's EMA weights with seed 2 (AdamW
// 2e-4, a fresh EMA of decay 0.995, so that the EMA of a short post-training reflects it); evaluated with Euler at 5, 10, 20 and 50 steps without
// guidance and with guidance scale 1.5 on n images per setting and seed for each seed in seeds (plus the
// real-data noise floor); Slow Flow with Euler at 10 and 50 steps on 256 images against the 2000 held-out
// test images.
func FashionMNISTWorkflow(baseSteps, postSteps int64, n int, seeds []uint64) Workflow {
	return Workflow{
		Base: BaseSpec{
			Data:      FashionMNIST(FashionMNISTParams{Size: 28, HeldOut: 2000}, 1),
			Model:     SiT(SmallSiT()),
			Objective: FM("uniform", 0.1),
			Train: TrainSpec{Steps: baseSteps, BatchSize: 64, LR: 5e-4, ClipGradNorm: 1, EMADecay: 0.999, Seed: 1,
				Schedule: scheduleWarmup(min(200, baseSteps/10))},
		},
		Post:     TrainSpec{Steps: postSteps, BatchSize: 64, LR: 2e-4, ClipGradNorm: 1, EMADecay: 0.995, Seed: 2},
		FromEMA:  true,
		Variants: []ObjectiveSpec{FM("uniform", 0.1), MixFlow(0.8, 0.1)},
		Eval: EvalSpec{
			Samplers: SamplerGrid([]string{MethodEuler}, []int{5, 10, 20, 50}, []Guidance{NoGuidance, {Scale: 1.5}}),
			N:        n, Seeds: seeds, UseEMA: true, Evaluator: FashionMNISTEvaluator(), Floor: true,
		},
		SlowFlow: SlowFlowSpec{Protocol: slowflow.ProtocolNearestData, Method: MethodEuler, Steps: []int{10, 50},
			N: 256, ReferenceSize: 2000, Quantiles: slowflow.DefaultQuantiles, UseEMA: true},
	}
}

// WorkflowResult holds everything a Workflow produced.
type WorkflowResult struct {
	// Base is the base model; Posts the post-trained models, one per variant, in order.
	Base  *Run   `json:"base"`
	Posts []*Run `json:"posts"`
	// Comparison evaluates Base (the reference) and Posts.
	Comparison *Comparison `json:"comparison"`
	// SlowFlow holds one measurement per model (Base first), or nil when skipped.
	SlowFlow []*SlowFlowResult `json:"slowflow,omitempty"`
	// SlowFlowReference is the forward-process reference band of the nearest-data protocol
	// (Lab.MeasureReferenceSlowFlow), nil when skipped or under another protocol.
	SlowFlowReference *SlowFlowResult `json:"slowflow_reference,omitempty"`
}

// Runs returns the base followed by the post-trained models.
func (r *WorkflowResult) Runs() []*Run { return append([]*Run{r.Base}, r.Posts...) }

// RunWorkflow trains, post-trains, evaluates and measures everything w describes; every piece is cached
// on its own (see TrainBase, PostTrain, Evaluate, MeasureSlowFlow), so a second call costs seconds and an
// interrupted one resumes.
func (l *Lab) RunWorkflow(ctx context.Context, w Workflow) (*WorkflowResult, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	res := &WorkflowResult{}
	var err error
	if res.Base, err = l.TrainBase(ctx, w.Base); err != nil {
		return nil, err
	}
	for _, v := range w.Variants {
		post, err := l.PostTrain(ctx, res.Base, PostSpec{Objective: v, Train: w.Post, FromEMA: w.FromEMA})
		if err != nil {
			return nil, err
		}
		res.Posts = append(res.Posts, post)
	}
	if res.Comparison, err = l.Compare(ctx, res.Runs(), w.Eval); err != nil {
		return nil, err
	}
	if len(w.SlowFlow.Steps) > 0 {
		for _, r := range res.Runs() {
			sf, err := l.MeasureSlowFlow(ctx, r, w.SlowFlow)
			if err != nil {
				return nil, err
			}
			res.SlowFlow = append(res.SlowFlow, sf)
		}
		if c, err := w.SlowFlow.Canonical(); err == nil && c.Protocol == slowflow.ProtocolNearestData {
			if res.SlowFlowReference, err = l.MeasureReferenceSlowFlow(ctx, res.Base, w.SlowFlow); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

// scheduleWarmup returns a constant learning rate after a linear warm-up of n steps.
func scheduleWarmup(n int64) trainer.Schedule {
	return trainer.Schedule{Kind: trainer.Constant, WarmupSteps: n}
}

// DefaultWorkflow returns the settings of notebook 03 and of the mixflow-images command. Full:
// FashionMNISTWorkflow(4000, 1000, 1000, []uint64{0, 1}). Quick (a smoke test of every stage for CI, in
// a couple of minutes; its numbers mean nothing): 100 base and 40 post-training steps (EMA 0.9), 64
// images per setting, one seed, Euler at 2 and 5 steps with and without guidance, no precision/recall
// (which need a pass of the classifier over the 10 000 test images), Slow Flow at 5 steps on 32 images.
func DefaultWorkflow(quick bool) Workflow {
	if !quick {
		return FashionMNISTWorkflow(4000, 1000, 1000, []uint64{0, 1})
	}
	w := FashionMNISTWorkflow(100, 40, 64, []uint64{0})
	w.Base.Train.EMADecay, w.Post.EMADecay = 0.9, 0.9 // so few steps that a slow EMA would still be the initial weights
	w.Eval.Samplers = SamplerGrid([]string{MethodEuler}, []int{2, 5}, []Guidance{NoGuidance, {Scale: 1.5}})
	w.Eval.Evaluator.Params = MustJSON(FMNISTEvalParams{NoPrecisionRecall: true})
	w.SlowFlow.Steps, w.SlowFlow.N, w.SlowFlow.ReferenceSize = []int{5}, 32, 500
	return w
}
