// Package experiment is the one core the experiment labs (experiment/toyexp, experiment/imageexp,
// experiment/highdim and the image plug-ins on imageexp) share: progress reporting (Observer, Event,
// Stage, LogObserver), the sampler method names and step checks of their specs, and the Slow Flow
// measurement (SlowFlowSpec, SlowFlowResult, the per-step measurement loop). A lab plugs in its data,
// backbone and evaluator; the core holds what would otherwise be written once per lab.
package experiment
