package imagestudy

import (
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/lrschedule"
	"github.com/mixflow/mixflow/mixflowlib/slowflow"
)

// StudySiT is the SiT of study 2: 16×16×1 input in 4×4 patches (16 tokens), 2 blocks of width 48 with 4
// heads, 10 classes (about 0.097 M parameters): small enough that a base trained at a constant learning
// rate reaches a plateau, where standard post-training no longer moves FID beyond seed noise, on two CPU
// cores shared with other jobs. (The previous 3-block, width-64 SiT of 0.24 M parameters was still
// improving fast after 5000 cosine-decayed steps: standard post-training moved its FID by −14.)
func StudySiT() sit.Config {
	return sit.Config{ImageSize: 16, Channels: 1, PatchSize: 4, Depth: 2, Hidden: 48, Heads: 4, MLPRatio: 4,
		NumClasses: 10, TimeFreqDim: 64}
}

// FullBaseSteps is the base training length of notebook 03's full run (about 16 min at 17 steps/s on
// the shared two-core machine).
const FullBaseSteps = 16000

// StudyLR is the learning rate of the base and of every post-training arm: constant (after a 200-step
// warm-up of the base), so that standard post-training is the base's own training continued, as in the
// paper (SiT post-trained at its base's constant learning rate).
const StudyLR = 1e-3

// StudyEMA is the EMA decay of the base and of every post-training arm (a window of about 200 steps:
// 400 post-training steps leave 13 % of the starting weights in the EMA).
const StudyEMA = 0.995

// StudySamplers are the protocol's samplers: Euler at 5, 10 and 20 steps and Heun at 10, unguided.
func StudySamplers() []imageexp.SamplerSpec {
	return []imageexp.SamplerSpec{{Method: imageexp.MethodEuler, Steps: 5}, {Method: imageexp.MethodEuler, Steps: 10},
		{Method: imageexp.MethodEuler, Steps: 20}, {Method: imageexp.MethodHeun, Steps: 10}}
}

// FullStudy is study 2 of the fair-test protocol (notebook 03): Fashion-MNIST at 16×16, StudySiT trained
// for baseSteps steps of batch 64 with flow matching (t ~ U[0, 1], label dropout 0.1), AdamW at the
// constant StudyLR after a 200-step warm-up, EMA StudyEMA; post-training arms of 400 steps of batch 64 that
// continue the base's training (the same constant learning rate, the base's Adam moments kept, from the
// base's EMA weights with a fresh EMA of the same decay): standard, the γ = 0 control and MixFlow γ = 0.2
// (the best γ of study 1, chosen before this run), MixFlow γ ∈ {0.4, 0.8} and Input Perturbation
// γ_ip = 0.1, each with training seeds 1–3; Epsilon Scaling λ = 1.005 and Time-Shift on every standard
// model; 2000 images per model and sampler (one evaluation seed: every model sees the same noise and
// labels), precision/recall included; injected lag and variance gap on 300 held-out images and Slow Flow
// (Euler 10, nearest-data against 2000 held-out images) for the base, the standard and the MixFlow
// γ = 0.2 and 0.8 models.
func FullStudy(baseSteps int64) Spec {
	const drop = 0.1
	return Spec{
		Base: imageexp.BaseSpec{
			Data:      SmallFashionMNIST(SmallParams{Size: 16, HeldOut: 2000}, 1),
			Model:     imageexp.SiT(StudySiT()),
			Objective: StandardArm(drop),
			Train: imageexp.TrainSpec{Steps: baseSteps, BatchSize: 64, LR: StudyLR, ClipGradNorm: 1, EMADecay: StudyEMA, Seed: 1,
				Schedule: lrschedule.Schedule{Kind: lrschedule.Constant, WarmupSteps: 200}},
		},
		Post:          imageexp.TrainSpec{Steps: 400, BatchSize: 64, LR: StudyLR, ClipGradNorm: 1, EMADecay: StudyEMA},
		KeepOptimizer: true,
		Arms: []imageexp.ObjectiveSpec{StandardArm(drop), ControlArm(drop), MixFlowArm(0.2, drop), MixFlowArm(0.4, drop),
			MixFlowArm(0.8, drop), InputPerturbationArm(0.1, drop)},
		Seeds: 3,
		Eval: imageexp.EvalSpec{Samplers: StudySamplers(), N: 2000, Seeds: []uint64{0}, UseEMA: true,
			Evaluator: imageexp.FashionMNISTEvaluator(), Floor: true},
		EpsilonB:  1.005,
		TimeShift: true,
		DiagArms:  []int{0, 2, 4},
		Diag:      fullDiag(),
		SlowFlow: imageexp.SlowFlowSpec{Protocol: slowflow.ProtocolNearestData, Method: imageexp.MethodEuler, Steps: []int{10},
			N: 256, ReferenceSize: 2000, Quantiles: slowflow.DefaultQuantiles, UseEMA: true},
	}
}

// fullDiag is DefaultDiagSpec on 300 held-out images.
func fullDiag() DiagSpec {
	d := DefaultDiagSpec()
	d.N = 300
	return d
}

// QuickStudy is the smoke-test size of FullStudy (a minute or two; its numbers mean nothing): 120 base
// steps, 30 post-training steps (EMA 0.9), 2 seeds of standard, γ = 0 control and MixFlow γ = 0.8,
// Epsilon Scaling and Time-Shift on the seed-1 standard model, 64 images at Euler 2 and Heun 2, no
// precision/recall, diagnostics on 32 images.
func QuickStudy() Spec {
	s := FullStudy(120)
	s.Base.Train.EMADecay, s.Base.Train.Schedule.WarmupSteps = 0.9, 20
	s.Post.Steps, s.Post.EMADecay = 30, 0.9
	s.Arms = []imageexp.ObjectiveSpec{s.Arms[0], s.Arms[1], s.Arms[4]}
	s.Seeds, s.ArmSeeds, s.DiagArms, s.BaselineSeeds = 2, nil, []int{0, 2}, 1
	s.Eval.N = 64
	s.Eval.Samplers = []imageexp.SamplerSpec{{Method: imageexp.MethodEuler, Steps: 2}, {Method: imageexp.MethodHeun, Steps: 2}}
	s.Eval.Evaluator.Params = []byte(`{"no_precision_recall":true}`)
	s.Diag.N, s.Diag.Sampler.Steps = 32, 4
	s.SlowFlow.Steps, s.SlowFlow.N, s.SlowFlow.ReferenceSize = []int{4}, 32, 500
	return s
}
