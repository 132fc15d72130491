// Command mixflow runs the 2-D toy experiments of MixFlow from the command line, on the same package the
// notebooks use (mixflowlib/experiment/toyexp) and with the same cache, so a model trained here is a cache
// hit in a notebook and the other way round.
//
// Usage, from the module root:
//
//	export GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd
//	go run ./mixflowlib/cmd/mixflow toy-train     [flags]   train the base model (flow matching)
//	go run ./mixflowlib/cmd/mixflow toy-posttrain [flags]   post-train it (-objective fm|mixflow -gamma 0.8 …)
//	go run ./mixflowlib/cmd/mixflow toy-eval      [flags]   sliced W₂ / MMD at several sampling steps
//	go run ./mixflowlib/cmd/mixflow slowflow      [flags]   the Slow Flow measurement
//	go run ./mixflowlib/cmd/mixflow ablation      [flags]   γ / timestep ablation over seeds
//
// toy-eval and slowflow measure the model named by -model: base, post (default), oracle (the exact
// velocity of the toy) or optimum (the exact minimiser of the MixFlow loss with -gamma).
//
// Run a subcommand with -h for its flags; -quick (or MIXFLOW_QUICK=1) gives smoke-test sizes (flags given
// on the command line win). Every subcommand prints its spec (JSON), its results as
// tables, and with -json FILE writes the results as JSON; -print-spec prints the spec and stops.
// Results are cached under $MIXFLOW_CACHE/experiments (default ~/.cache/mixflow/experiments); -cache DIR
// uses another cache root.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mixflow/mixflow/internal/cli"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/experiment/toyexp"
	"github.com/mixflow/mixflow/mixflowlib/experiment/toyexp/toyview"
	"github.com/mixflow/mixflow/widgets/table"
)

const usage = `mixflow: 2-D toy experiments of MixFlow (arXiv 2512.19311)

usage: mixflow <subcommand> [flags]

subcommands:
  toy-train      train the base model (standard flow matching) on a 2-D toy
  toy-posttrain  post-train the base model with flow matching or MixFlow
  toy-eval       evaluate a model (sliced W2, MMD vs fresh true samples) at several sampling steps
  slowflow       measure the Slow Flow of a model (nearest-data, nearest-final or forward-noised-pair)
  ablation       sweep post-training variants (γ, timestep distributions) over seeds

Run 'mixflow <subcommand> -h' for the flags of a subcommand.
`

func main() { cli.MainSub("mixflow", usage, run) }

// summaries are the one-line descriptions of the subcommands, the first line of their -h.
var summaries = map[string]string{
	"toy-train":     "train the base model (standard flow matching) on a 2-D toy",
	"toy-posttrain": "post-train the base model with flow matching or MixFlow",
	"toy-eval":      "evaluate a model (sliced W2, MMD vs fresh true samples) at several sampling steps",
	"slowflow":      "measure the Slow Flow of a model (nearest-data, nearest-final or forward-noised-pair)",
	"ablation":      "sweep post-training variants (γ, timestep distributions) over seeds",
}

// quickSizes are the flags -quick (or MIXFLOW_QUICK) sets when the command line does not: smoke-test
// sizes, the quick sizes of notebook 00 where it has them.
var quickSizes = map[string]string{
	"base-steps": "300", "post-steps": "100", "samples": "1000", "mmd-samples": "500",
	"n": "200", "ref": "1000", "seeds": "1", "gammas": "0,0.8",
}

// run executes one subcommand; it is main without the process exit, for tests.
func run(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) error {
	summary, ok := summaries[cmd]
	if !ok {
		return cli.Usagef("unknown subcommand %q (want toy-train, toy-posttrain, toy-eval, slowflow or ablation)", cmd)
	}
	fs := cli.NewFlagSet("mixflow "+cmd, summary, stderr)
	var o options
	o.common(fs)
	switch cmd {
	case "toy-train":
		o.base(fs)
	case "toy-posttrain":
		o.base(fs)
		o.post(fs)
	case "toy-eval":
		o.base(fs)
		o.post(fs)
		o.model(fs)
		o.eval(fs)
	case "slowflow":
		o.base(fs)
		o.post(fs)
		o.model(fs)
		o.slowflow(fs)
	case "ablation":
		o.base(fs)
		o.post(fs)
		o.eval(fs)
		o.sweepFlags(fs)
	}
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if o.quick {
		if err := cli.SetUnset(fs, quickSizes); err != nil {
			return err
		}
	}
	if err := cli.CheckPositive(fs, o.positive...); err != nil {
		return err
	}
	if err := o.finish(); err != nil {
		return cli.UsageError{Err: err}
	}
	lab := toyexp.Lab{}
	if o.cacheDir != "" {
		lab.Cache = expcache.New(o.cacheDir).WithSalt(toyexp.CacheSalt).WithLog(stderr)
	}
	if !o.quiet {
		lab.Observer = experiment.LogObserver(stderr, 1, 10*time.Second)
	}
	c := &command{o: o, lab: &lab, out: stdout, ctx: ctx}
	switch cmd {
	case "toy-train":
		return c.toyTrain()
	case "toy-posttrain":
		return c.toyPostTrain()
	case "toy-eval":
		return c.toyEval()
	case "slowflow":
		return c.slowFlow()
	default:
		return c.ablation()
	}
}

// options holds the parsed flags; the specs are assembled in finish.
type options struct {
	jsonOut, cacheDir string
	quiet, printSpec  bool
	quick             bool
	positive          []string // flags that must be > 0

	baseSpec toyexp.BaseSpec
	postSpec toyexp.PostSpec
	evalSpec toyexp.EvalSpec
	sfSpec   toyexp.SlowFlowSpec
	sweep    toyexp.SweepSpec

	seed                                 uint64
	objective, times, mixture, target    string
	gamma, shift                         float64
	whichModel                           string
	methods, steps, evalSeeds, sfSteps   string
	gammas, seeds                        string
	timestepVariants, standard, inclBase bool
	haveBase, havePost, haveEval, haveSF bool
	haveModel, haveSweep                 bool
	baseTrain, postTrain                 trainFlags
	postFromRaw                          bool
	postDataSeed                         uint64
}

type trainFlags struct {
	steps     int64
	batch     int
	lr, ema   float64
	clip, wd  float64
	optimizer string
}

func (t *trainFlags) register(fs *flag.FlagSet, o *options, prefix string, def toyexp.TrainSpec) {
	o.positive = append(o.positive, prefix+"steps", prefix+"batch", prefix+"lr")
	fs.Int64Var(&t.steps, prefix+"steps", def.Steps, "number of optimiser steps")
	fs.IntVar(&t.batch, prefix+"batch", def.BatchSize, "batch size")
	fs.Float64Var(&t.lr, prefix+"lr", def.LR, "learning rate (constant)")
	fs.Float64Var(&t.ema, prefix+"ema", def.EMADecay, "EMA decay (0: no EMA)")
	fs.Float64Var(&t.clip, prefix+"clip", def.ClipGradNorm, "gradient-norm clipping (0: off)")
	fs.Float64Var(&t.wd, prefix+"wd", def.WeightDecay, "weight decay")
	fs.StringVar(&t.optimizer, prefix+"optimizer", def.Optimizer, "adamw or adam")
}

func (t trainFlags) spec(seed int64) toyexp.TrainSpec {
	return toyexp.TrainSpec{Steps: t.steps, BatchSize: t.batch, LR: t.lr, EMADecay: t.ema, ClipGradNorm: t.clip,
		WeightDecay: t.wd, Optimizer: t.optimizer, Seed: seed}
}

func (o *options) common(fs *flag.FlagSet) {
	fs.StringVar(&o.jsonOut, "json", "", "also write the results as JSON to this file")
	fs.StringVar(&o.cacheDir, "cache", "", "cache root directory (default $MIXFLOW_CACHE/experiments or ~/.cache/mixflow/experiments)")
	fs.BoolVar(&o.quiet, "q", false, "no progress lines")
	fs.BoolVar(&o.printSpec, "print-spec", false, "print the spec as JSON and exit")
	cli.Quick(fs, &o.quick, "base 300 steps, post-training 100, 1000 samples, 1 seed, γ 0 and 0.8; flags given win")
}

func (o *options) base(fs *flag.FlagSet) {
	o.haveBase = true
	def := toyexp.DefaultBaseSpec()
	o.baseSpec = def
	fs.StringVar(&o.baseSpec.Data.Toy, "toy", def.Data.Toy, "toy distribution (datasets/toy2d spec, e.g. \"checkerboard\", \"moons(noise=0.05)\")")
	fs.IntVar(&o.baseSpec.Data.Dim, "dim", 2, "embedding dimension (>2: zero-padded extra coordinates)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the base model's data stream and training (and of post-training)")
	fs.IntVar(&o.baseSpec.Model.Width, "width", def.Model.Width, "MLP hidden width")
	fs.IntVar(&o.baseSpec.Model.Depth, "depth", def.Model.Depth, "MLP depth")
	fs.StringVar(&o.baseSpec.Model.Activation, "activation", "", "MLP activation (default silu)")
	fs.BoolVar(&o.baseSpec.Model.Residual, "residual", false, "residual MLP")
	o.baseTrain.register(fs, o, "base-", def.Train)
}

func (o *options) post(fs *flag.FlagSet) {
	o.havePost = true
	def := toyexp.DefaultPostSpec(toyexp.MixFlowObjective(0.8))
	fs.StringVar(&o.objective, "objective", "mixflow", "post-training objective: fm or mixflow")
	fs.Float64Var(&o.gamma, "gamma", 0.8, "MixFlow γ ∈ [0, 1]: m ~ U[(1−γ)t, t]")
	fs.StringVar(&o.times, "times", "", "distribution of t (timesteps spec; default uniform for fm, beta21 for mixflow)")
	fs.StringVar(&o.mixture, "mixture", "", "MixFlow mixture: relative (default) or absolute (m ~ U[0,1])")
	fs.StringVar(&o.target, "target", "", "MixFlow target time: m (default) or t")
	fs.Float64Var(&o.shift, "shift", 0, "MixFlow time shift s ≥ 1 applied before slowing (0: none)")
	fs.BoolVar(&o.postFromRaw, "post-from-raw", false, "start post-training from the base's raw weights instead of its EMA")
	fs.Uint64Var(&o.postDataSeed, "post-data-seed", 0, "seed of the post-training data stream (0: derived from the base's)")
	o.postTrain.register(fs, o, "post-", def.Train)
}

func (o *options) model(fs *flag.FlagSet) {
	o.haveModel = true
	fs.StringVar(&o.whichModel, "model", "post", "the model to measure: base, post, oracle (the exact velocity) or optimum (the exact minimiser of the MixFlow loss with -gamma); oracle and optimum exist for 8gaussians and gaussian in 2-D")
}

func (o *options) eval(fs *flag.FlagSet) {
	o.haveEval = true
	def := toyexp.DefaultEvalSpec()
	o.evalSpec = def
	fs.StringVar(&o.methods, "methods", "euler,heun", "ODE samplers, comma-separated")
	fs.StringVar(&o.steps, "steps", "5,10,20,50", "numbers of sampling steps, comma-separated")
	fs.IntVar(&o.evalSpec.Samples, "samples", def.Samples, "generated and true points per evaluation (sliced W2)")
	fs.IntVar(&o.evalSpec.MMDSamples, "mmd-samples", def.MMDSamples, "points used for the MMD (0: no MMD)")
	fs.IntVar(&o.evalSpec.Projections, "projections", def.Projections, "sliced W2 projections")
	fs.StringVar(&o.evalSeeds, "eval-seeds", "0", "evaluation seeds (noise and true points), comma-separated")
	fs.BoolVar(&o.evalSpec.UseEMA, "ema-weights", def.UseEMA, "sample with the EMA weights")
	o.positive = append(o.positive, "samples", "projections")
}

func (o *options) slowflow(fs *flag.FlagSet) {
	o.haveSF = true
	def := toyexp.DefaultSlowFlowSpec()
	o.sfSpec = def
	fs.StringVar(&o.sfSpec.Protocol, "protocol", def.Protocol, "nearest-data, nearest-final or forward-noised-pair")
	fs.StringVar(&o.sfSpec.Method, "method", def.Method, "ODE sampler: euler or heun")
	fs.StringVar(&o.sfSteps, "steps", "5,10,20,50", "numbers of sampling steps, comma-separated")
	fs.IntVar(&o.sfSpec.N, "n", def.N, "number of sampling runs")
	fs.IntVar(&o.sfSpec.ReferenceSize, "ref", def.ReferenceSize, "reference points (nearest-data, nearest-final)")
	fs.Uint64Var(&o.sfSpec.Seed, "sf-seed", def.Seed, "seed of the noise and the reference points")
	fs.BoolVar(&o.sfSpec.UseEMA, "ema-weights", def.UseEMA, "sample with the EMA weights")
	o.positive = append(o.positive, "n", "ref")
}

func (o *options) sweepFlags(fs *flag.FlagSet) {
	o.haveSweep = true
	fs.StringVar(&o.gammas, "gammas", "0,0.3,0.5,0.7,0.8,0.9,1", "MixFlow γ values (t ~ Beta(2,1), m ~ U[(1−γ)t, t]), comma-separated; empty for none")
	fs.BoolVar(&o.timestepVariants, "timestep-variants", true, "add the paper's timestep ablation (t ~ U or Beta(2,1) × m ~ U[0,1] or U[0,t])")
	fs.BoolVar(&o.standard, "standard", true, "add standard post-training (flow matching, t ~ U[0,1]) as the reference")
	fs.BoolVar(&o.inclBase, "include-base", true, "evaluate the base model too (no post-training)")
	fs.StringVar(&o.seeds, "seeds", "1,2,3", "pipeline seeds (base, post-training), comma-separated")
}

// finish assembles the specs from the flags and validates them.
func (o *options) finish() error {
	var err error
	if o.haveBase {
		o.baseSpec.Data.Seed = o.seed
		o.baseSpec.Train = o.baseTrain.spec(int64(o.seed))
		if o.baseSpec, err = o.baseSpec.Canonical(); err != nil {
			return err
		}
	}
	if o.havePost {
		obj := toyexp.ObjectiveSpec{Kind: o.objective, Times: o.times}
		if strings.EqualFold(o.objective, toyexp.KindMixFlow) {
			obj.Gamma, obj.Mixture, obj.Target, obj.Shift = o.gamma, o.mixture, o.target, o.shift
		} else if o.mixture != "" || o.target != "" || o.shift != 0 {
			return errors.New("-mixture, -target and -shift apply to -objective mixflow only")
		}
		o.postSpec = toyexp.PostSpec{Objective: obj, Train: o.postTrain.spec(int64(o.seed)), FromEMA: !o.postFromRaw, DataSeed: o.postDataSeed}
		if o.postSpec, err = o.postSpec.Canonical(); err != nil {
			return err
		}
	}
	if o.haveModel {
		switch o.whichModel {
		case "base", "post", "oracle", "optimum":
		default:
			return fmt.Errorf("-model %q: want base, post, oracle or optimum", o.whichModel)
		}
	}
	if o.haveEval {
		o.evalSpec.Methods = splitList(o.methods)
		if o.evalSpec.Steps, err = parseInts("-steps", o.steps); err != nil {
			return err
		}
		if o.evalSpec.Seeds, err = parseUints("-eval-seeds", o.evalSeeds); err != nil {
			return err
		}
		if o.evalSpec, err = o.evalSpec.Canonical(); err != nil {
			return err
		}
	}
	if o.haveSF {
		if o.sfSpec.Steps, err = parseInts("-steps", o.sfSteps); err != nil {
			return err
		}
		if o.sfSpec, err = o.sfSpec.Canonical(); err != nil {
			return err
		}
	}
	if o.haveSweep {
		s := toyexp.SweepSpec{Base: o.baseSpec, Post: o.postSpec, Eval: o.evalSpec, IncludeBase: o.inclBase}
		if o.standard {
			s.Variants = append(s.Variants, toyexp.StandardVariant())
			s.Reference = toyexp.StandardVariant().Name
		}
		gs, err := parseFloats("-gammas", o.gammas)
		if err != nil {
			return err
		}
		s.Variants = append(s.Variants, toyexp.GammaVariants(gs...)...)
		if o.timestepVariants {
			for _, v := range toyexp.TimestepVariants() {
				// Beta(2,1) with m ~ U[0,t] is MixFlow γ = 1: keep one copy when γ = 1 is swept.
				if v.Objective.Mixture == "" && v.Objective.Times == "beta21" && contains(gs, 1) {
					continue
				}
				s.Variants = append(s.Variants, v)
			}
		}
		if s.Seeds, err = parseUints("-seeds", o.seeds); err != nil {
			return err
		}
		if o.sweep, err = s.Canonical(); err != nil {
			return err
		}
	}
	return nil
}

type command struct {
	o   options
	lab *toyexp.Lab
	out io.Writer
	ctx context.Context
}

// spec prints (and with -print-spec, only prints) the spec of the command.
func (c *command) spec(v any) (stop bool, err error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return true, err
	}
	if c.o.printSpec {
		_, err = fmt.Fprintln(c.out, string(b))
		return true, err
	}
	fmt.Fprintf(c.out, "backend: %s\nspec: %s\n\n", backend.Describe(), b)
	return false, nil
}

func (c *command) writeJSON(v any) error {
	if c.o.jsonOut == "" {
		return nil
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding results: %w", err)
	}
	if err := os.WriteFile(c.o.jsonOut, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "results written to %s\n", c.o.jsonOut)
	return nil
}

func (c *command) printTable(t *table.Table, err error) error {
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.out, t.Markdown())
	return err
}

func (c *command) printRun(r *toyexp.Run) {
	fmt.Fprintf(c.out, "%s: %s\n  key %s\n  checkpoint %s\n  parameters %d, final loss %.4f, training %.1f s (when computed)\n",
		r.Kind, r.Label, r.Key, r.Checkpoint, r.NumParams, r.FinalLoss, r.TrainSeconds)
}

func (c *command) toyTrain() error {
	if stop, err := c.spec(c.o.baseSpec); stop || err != nil {
		return err
	}
	r, err := c.lab.TrainBase(c.ctx, c.o.baseSpec)
	if err != nil {
		return err
	}
	c.printRun(r)
	return c.writeJSON(r)
}

func (c *command) toyPostTrain() error {
	if stop, err := c.spec(map[string]any{"base": c.o.baseSpec, "post": c.o.postSpec}); stop || err != nil {
		return err
	}
	base, err := c.lab.TrainBase(c.ctx, c.o.baseSpec)
	if err != nil {
		return err
	}
	c.printRun(base)
	r, err := c.lab.PostTrain(c.ctx, base, c.o.postSpec)
	if err != nil {
		return err
	}
	c.printRun(r)
	return c.writeJSON(r)
}

// specOrRun answers -print-spec with the base and post specs, -model and the measurement spec m under
// its key (stop is then true), or returns the model named by -model (see chosenRun).
func (c *command) specOrRun(key string, m any) (r *toyexp.Run, stop bool, err error) {
	if stop, err := c.spec(map[string]any{"base": c.o.baseSpec, "post": c.o.postSpec, "model": c.o.whichModel, key: m}); stop || err != nil {
		return nil, true, err
	}
	r, err = c.chosenRun()
	return r, err != nil, err
}

// chosenRun returns the model named by -model (training what it needs, or loading it from the cache).
func (c *command) chosenRun() (*toyexp.Run, error) {
	switch c.o.whichModel {
	case "oracle":
		return toyexp.OracleRun(c.o.baseSpec.Data)
	case "optimum":
		return toyexp.OptimumRun(c.o.baseSpec.Data, c.o.gamma)
	}
	base, err := c.lab.TrainBase(c.ctx, c.o.baseSpec)
	if err != nil || c.o.whichModel == "base" {
		return base, err
	}
	return c.lab.PostTrain(c.ctx, base, c.o.postSpec)
}

func (c *command) toyEval() error {
	r, stop, err := c.specOrRun("eval", c.o.evalSpec)
	if stop {
		return err
	}
	ev, err := c.lab.Evaluate(c.ctx, r, c.o.evalSpec)
	if err != nil {
		return err
	}
	for _, m := range c.o.evalSpec.Metrics() {
		if err := c.printTable(toyview.EvalTable(fmt.Sprintf("%s, mean over %d evaluation seeds", toyview.MetricLabel(m), len(c.o.evalSpec.Seeds)), m, []*toyexp.EvalResult{ev})); err != nil {
			return err
		}
	}
	return c.writeJSON(ev)
}

func (c *command) slowFlow() error {
	r, stop, err := c.specOrRun("slowflow", c.o.sfSpec)
	if stop {
		return err
	}
	sf, err := c.lab.MeasureSlowFlow(c.ctx, r, c.o.sfSpec)
	if err != nil {
		return err
	}
	if err := c.printTable(toyview.SlowFlowTable(fmt.Sprintf("Slow Flow (%s, %s)", c.o.sfSpec.Protocol, c.o.sfSpec.Method), []*toyexp.SlowFlowResult{sf})); err != nil {
		return err
	}
	// The band at a few sampling times of the finest measurement.
	res := sf.Results[len(sf.Results)-1]
	t := table.New("t", "mean m*", "median m*", "5 % (lo)", "95 % (hi)", "min", "max", "frac m* < t")
	t.Title = fmt.Sprintf("%s, %d steps: band", r.Label, res.Steps)
	t.Precision = 3
	stride := max(1, len(res.Stats)/10)
	for i, s := range res.Stats {
		if i%stride == 0 || i == len(res.Stats)-1 {
			if err := t.Add(s.T, s.Mean, s.Median, s.Lo, s.Hi, s.Min, s.Max, s.FracSlow); err != nil {
				return err
			}
		}
	}
	if err := c.printTable(t, nil); err != nil {
		return err
	}
	return c.writeJSON(sf)
}

func (c *command) ablation() error {
	if stop, err := c.spec(c.o.sweep); stop || err != nil {
		return err
	}
	start := time.Now()
	res, err := c.lab.Sweep(c.ctx, c.o.sweep)
	if err != nil {
		return err
	}
	for _, m := range c.o.sweep.Eval.Metrics() {
		for _, method := range c.o.sweep.Eval.Methods {
			if err := c.printTable(toyview.SweepTable(res, m, method)); err != nil {
				return err
			}
			if len(c.o.sweep.Variants)+boolInt(c.o.sweep.IncludeBase) > 1 {
				if err := c.printTable(toyview.DiffTable(res, m, method)); err != nil {
					return err
				}
			}
		}
	}
	fmt.Fprintf(c.out, "sweep: %.1f s now; %.1f s of training and evaluation when computed\n", time.Since(start).Seconds(), res.ComputeSeconds)
	return c.writeJSON(res)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseInts parses a comma-separated list of positive integers (numbers of sampling steps).
func parseInts(flagName, s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not an integer", flagName, f)
		}
		if v <= 0 && f == strings.TrimSpace(s) {
			return nil, fmt.Errorf("%s %d: must be > 0", flagName, v)
		} else if v <= 0 {
			return nil, fmt.Errorf("%s %s: %d must be > 0", flagName, s, v)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseUints(flagName, s string) ([]uint64, error) {
	var out []uint64
	for _, f := range splitList(s) {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a non-negative integer", flagName, f)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseFloats(flagName, s string) ([]float64, error) {
	var out []float64
	for _, f := range splitList(s) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a number", flagName, f)
		}
		out = append(out, v)
	}
	return out, nil
}

func contains(xs []float64, x float64) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
