// Package highdim runs the high-dimensional oracle toy of notebook 08 (issue 12, study 1): a mixture of
// isotropic Gaussians in a random D-dimensional rotation (oracle.NewRotated), whose exact velocity and
// exact MixFlow minimiser are known, a velocity MLP that does not bottleneck (mlp.Wide's shape), a base
// trained with flow matching to convergence, and post-training arms from that base: standard flow
// matching, the γ = 0 control (Beta(2,1) times, no slowing), MixFlow at several γ and Input Perturbation.
// Samples are scored against the exact data distribution, and the exposure bias of each model is
// measured with mixflowlib/exposure.
//
// It is built on the experiment core (mixflowlib/experiment: MLPSpec, TrainSpec, Train, the caching
// conventions) and adds only what the rotated mixture needs: its data stream, its exact references
// (OracleRun, OptimumRun) and metrics that make sense in D dimensions. Every result is cached by mixflowlib/expcache under a hash
// of its full spec, so a notebook cell (a new process each time) or a background run that repeats an
// experiment loads it, and an interrupted training resumes from its last checkpoint.
//
//	lab := highdim.Lab{}
//	base, err := lab.TrainBase(ctx, highdim.DefaultBaseSpec(64, 1))
//	post, err := lab.PostTrain(ctx, base, highdim.DefaultPostSpec(highdim.MixFlowArm(0.8), 1))
//	res, err := lab.Evaluate(ctx, post, highdim.DefaultEvalSpec())
//
// Time convention: t = 0 is noise, t = 1 is data, x_t = t·x1 + (1 − t)·x0.
package highdim
