package raeexp

import (
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// Shift returns the resolution shift notebook 06 uses for the latent of stage1: RAE's s = √(latent dim / base)
// with base rae.PixelShiftBase (the 28×28 images the pixel-space SiT trains on unshifted), clamped at 1 (see
// the rae package documentation). For the project encoder's 4×4×64 latent it is √(1024/784) = 8/7.
func Shift(stage1 AutoencoderSpec) (float64, error) {
	dim, err := LatentDim(stage1)
	if err != nil {
		return 0, err
	}
	_, s, err := rae.ShiftFor(dim, rae.PixelShiftBase)
	return s, err
}

// BaseSpec returns the base training of the RAE experiment in the latent space of stage1: the "tiny" SiT
// trunk (4 blocks, width 128, 4 heads) on the Grid×Grid×Dim latent with patch 1 and 10 classes
// (rae.DiTConfig), trained with RAE's flow matching (t ~ logit-normal(0, 1) shifted by Shift(stage1), label
// dropout 0.1) for steps AdamW steps of batch 64 at 5e-4 (warm-up min(200, steps/10)), clipping 1, seed 1, on
// the training stream of seed 1, with an EMA of decay 0.998 (the EMA starts from the initial weights, of which
// 0.998^steps remains: 0.25 % after 3000 steps, where 0.999 would keep 5 %).
func BaseSpec(stage1 AutoencoderSpec, steps int64) (imageexp.BaseSpec, error) {
	c, err := stage1.Canonical()
	if err != nil {
		return imageexp.BaseSpec{}, err
	}
	enc, err := LoadEncoder(c.Encoder)
	if err != nil {
		return imageexp.BaseSpec{}, fmt.Errorf("raeexp: %w", err)
	}
	dit, err := rae.DiTConfig(enc.Spec(), "tiny", 1, 10)
	if err != nil {
		return imageexp.BaseSpec{}, err
	}
	return latentBase(c, dit, imageexp.TrainSpec{Steps: steps, BatchSize: 64, LR: 5e-4, ClipGradNorm: 1, EMADecay: 0.998, Seed: 1,
		Schedule: trainer.Schedule{Kind: trainer.Constant, WarmupSteps: min(200, steps/10)}})
}

// RAEWorkflow returns the RAE experiment as an imageexp.Workflow: the base training of BaseSpec(stage1,
// baseSteps); post-training from the base's EMA weights for postSteps steps at 2e-4 (seed 2; EMA 0.99, restarted
// from the starting weights, so that after 500 steps 0.7 % of the base remains in it where 0.999 would keep 61 %) with
// the same flow matching (standard) and with MixFlow (γ = rae.DefaultGamma = 0.4, t ~ Beta(2,1), shift before
// slowing) and, as a control, MixFlow with γ = 0 (the same Beta(2,1) times and shift, no slowing: it separates
// the effect of the time distribution from that of the slowed input); evaluation with Euler on the shifted grid
// at each of steps, no guidance, n decoded images per setting and seed, the "fmnist" evaluator with its
// real-data noise floor, EMA weights.
func RAEWorkflow(stage1 AutoencoderSpec, baseSteps, postSteps int64, n int, seeds []uint64, steps []int) (imageexp.Workflow, error) {
	base, err := BaseSpec(stage1, baseSteps)
	if err != nil {
		return imageexp.Workflow{}, err
	}
	s, err := Shift(stage1)
	if err != nil {
		return imageexp.Workflow{}, err
	}
	mix, err := MixFlowObjective(rae.DefaultGamma, s, 0.1)
	if err != nil {
		return imageexp.Workflow{}, err
	}
	times, err := MixFlowObjective(0, s, 0.1)
	if err != nil {
		return imageexp.Workflow{}, err
	}
	var samplers []imageexp.SamplerSpec
	for _, k := range steps {
		samplers = append(samplers, imageexp.SamplerSpec{Method: imageexp.MethodEuler, Steps: k, Shift: s})
	}
	w := imageexp.Workflow{
		Base:     base,
		Post:     imageexp.TrainSpec{Steps: postSteps, BatchSize: 64, LR: 2e-4, ClipGradNorm: 1, EMADecay: 0.99, Seed: 2},
		FromEMA:  true,
		Variants: []imageexp.ObjectiveSpec{base.Objective, mix, times},
		Eval: imageexp.EvalSpec{Samplers: samplers, N: n, Seeds: seeds, UseEMA: true,
			Evaluator: imageexp.FashionMNISTEvaluator(), Floor: true},
	}
	return w, w.Validate()
}

// DefaultStage1 returns notebook 06's stage 1: DefaultAutoencoderSpec, or in quick mode (a smoke test) 1000
// images for the statistics and 50 decoder steps.
func DefaultStage1(quick bool) AutoencoderSpec {
	s := DefaultAutoencoderSpec()
	if quick {
		s.StatsImages, s.Train.Steps = 1000, 50
	}
	return s
}

// DefaultWorkflow returns notebook 06's experiment. Full: RAEWorkflow(DefaultStage1(false), 3000, 500, 1000,
// seeds {0, 1}, Euler at 5, 10 and 50 steps), sized for a shared 2-core CPU. Quick (CI smoke test; its numbers
// mean nothing): 100 base and 40 post-training steps, 100 images, one seed, Euler at 5 and 20 steps.
func DefaultWorkflow(quick bool) (imageexp.Workflow, error) {
	if quick {
		return RAEWorkflow(DefaultStage1(true), 100, 40, 100, []uint64{0}, []int{5, 20})
	}
	return RAEWorkflow(DefaultStage1(false), 3000, 500, 1000, []uint64{0, 1}, []int{5, 10, 50})
}
