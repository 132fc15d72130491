// Package toyexp runs the 2-D toy experiments of MixFlow (arXiv 2512.19311): train a small flow-matching
// model on a 2-D toy distribution, post-train it with standard flow matching or with MixFlow, measure
// its Slow Flow, and compare sample quality (sliced Wasserstein, MMD against fresh true samples) at
// several numbers of sampling steps, over seeds.
//
// Every experiment is described by a JSON-serialisable spec (DataSpec, ModelSpec, ObjectiveSpec,
// TrainSpec, EvalSpec, SlowFlowSpec, SweepSpec) and every result is cached on disk by mixflowlib/expcache
// under a hash of the full spec, so a notebook cell (a new process each time) or a command-line run that
// repeats an experiment loads it instantly, and a changed spec computes anew. Work is done by a Lab:
//
//	lab := toyexp.Lab{}                                       // default cache, silent
//	base, err := lab.TrainBase(ctx, toyexp.DefaultBaseSpec())  // flow matching, t ~ U[0, 1]
//	post, err := lab.PostTrain(ctx, base, toyexp.DefaultPostSpec(toyexp.MixFlowObjective(0.8)))
//	table, err := lab.Evaluate(ctx, post, toyexp.DefaultEvalSpec())
//	sf, err := lab.MeasureSlowFlow(ctx, post, toyexp.DefaultSlowFlowSpec())
//	sweep, err := lab.Sweep(ctx, toyexp.SweepSpec{...})        // variants × seeds → tidy table + summaries
//
// Two reference models need no training: OracleRun, the exact velocity of the toy (the "perfect model",
// whose only error is the sampler's), and OptimumRun, the exact minimiser of the MixFlow loss for a given γ
// (what MixFlow asks for, without any model error). Both exist for the Gaussian-mixture toys in 2-D and
// go through Evaluate, MeasureSlowFlow and Samples like trained runs.
//
// Progress is reported to an experiment.Observer (plain log lines with experiment.LogObserver; progress bars and live loss
// curves in a notebook with the toyview sub-package), so this package holds no user interface.
//
// Time convention: t = 0 is noise, t = 1 is data. Models are unconditional MLPs (mixflowlib/backbone/mlp)
// on the toy's points; DataSpec.Dim > 2 embeds the 2-D points in a higher-dimensional space by zero
// padding, so the extra coordinates of a noisy sample carry only noise (their data value is 0): in high
// dimension the noise level of an input can be read off the input itself, as in images, which it cannot
// be in 2-D.
package toyexp
