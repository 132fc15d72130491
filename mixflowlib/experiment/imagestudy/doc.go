// Package imagestudy runs study 2 of the fair-test protocol for MixFlow (arXiv 2512.19311): a SiT on
// Fashion-MNIST small enough that its base converges on a CPU, post-trained from that one base with
// every arm of the protocol (standard post-training, the γ = 0 control, MixFlow γ sweep, Input
// Perturbation) for several training seeds, Epsilon Scaling and Time-Shift at sampling on the standard
// models, one paired evaluation of every model (the same noise and labels), and the exposure-bias
// diagnostics (injected lag, variance gap, Slow Flow against its forward-process reference band).
//
// It is built on imageexp's public API: its data kind "fashion-mnist-small" (DataSmallFashionMNIST,
// images resized to a small side in model space and back to 28×28 for the shipped evaluator) is
// registered with imageexp.RegisterData, models are trained, evaluated and cached by an imageexp.Lab,
// and the diagnostics are cached in the same cache. A study is resumable: an interrupted RunStudy
// continues from what the cache holds.
//
//	spec := imagestudy.FullStudy(8000)
//	res, err := imagestudy.RunStudy(ctx, &imageexp.Lab{}, spec, log)
//	conv, err := res.CheckConvergence(imagestudy.StudySamplers()[1], imageexp.MetricFID)
//	diff, err := imagestudy.PairedDiff(res.Arms[2].Evals, res.Arms[0].Evals, s, imageexp.MetricFID)
//
// Time convention: t = 0 is noise, t = 1 is data.
package imagestudy
