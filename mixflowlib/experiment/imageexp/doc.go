// Package imageexp runs the image post-training experiments of MixFlow (arXiv 2512.19311): train a base
// flow-matching model on images, post-train it from that checkpoint with MixFlow and with standard flow
// matching (same steps, same seed, with EMA), sample it with Euler/Heun ODE or SDE solvers with
// classifier-free guidance at any number of steps, score the samples (FID vs number of sampling steps,
// the analogue of the paper's Table 4), and measure the Slow Flow of the samplers.
//
// Every experiment is a JSON-serialisable spec (BaseSpec, PostSpec, EvalSpec, SlowFlowSpec) and every
// result is cached on disk by mixflowlib/expcache under a hash of its full spec, so that a notebook cell
// (a new process each time) or a command-line run that repeats an experiment loads it at once, a changed
// spec computes anew, and a run killed half-way resumes from its last checkpoint.
//
// The package is generic over four plug-in points, each a registry of kinds built from JSON parameters
// (so that specs stay serialisable and hashable):
//
//   - backbones (RegisterBackbone, ModelSpec): any nn.Backbone, nn.Guidable for guidance; built in: "sit";
//   - data (RegisterData, DataSpec): a training datasets.Source, a held-out real set, the conditioning of
//     generated samples, real images for the metrics' noise floor and an optional decoder from model space
//     (e.g. latents) to images; built in: "fashion-mnist";
//   - objective wrappers (RegisterObjectiveWrapper, ObjectiveSpec.Wrap): a function that wraps the flow
//     matching or MixFlow objective, e.g. to add REPA's alignment loss (auxiliary terms registered with
//     nn.AddAuxLoss are added and logged by the trainer);
//   - evaluators (RegisterEvaluator, EvaluatorSpec): a function from generated images and their requested
//     conditioning to named metrics; built in: "fmnist" (mixflowlib/evaluator: our FID analogue,
//     precision/recall, conditional accuracy, Inception-Score analogue).
//
// Work is done by a Lab:
//
//	lab := &imageexp.Lab{}                                    // default cache, silent
//	base, err := lab.TrainBase(ctx, baseSpec)                 // flow matching from scratch
//	mix, err := lab.PostTrain(ctx, base, imageexp.PostSpec{Objective: imageexp.MixFlow(0.8, 0.1), Train: post})
//	std, err := lab.PostTrain(ctx, base, imageexp.PostSpec{Objective: imageexp.FM("", 0.1), Train: post})
//	cmp, err := lab.Compare(ctx, []*imageexp.Run{base, std, mix}, evalSpec) // metrics × samplers × seeds
//	sf, err := lab.MeasureSlowFlow(ctx, mix, slowSpec)
//
// Progress goes to an Observer (the experiment core's event types, so that experiment.LogObserver and
// the notebook progress view of experiment/expview serve every lab); the package holds no user interface.
//
// Time convention: t = 0 is noise, t = 1 is data.
package imageexp
