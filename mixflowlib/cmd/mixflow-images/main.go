// Command mixflow-images runs the image post-training experiments of MixFlow (arXiv 2512.19311) from the
// command line: a SiT trained on Fashion-MNIST with flow matching, post-trained with standard flow
// matching and with MixFlow, evaluated by our FID analogue at several numbers of sampling steps with and
// without guidance (the analogue of the paper's Table 4), and its Slow Flow. It runs on the package the
// notebooks use (mixflowlib/experiment/imageexp) with the same cache, so a model trained here is a cache
// hit in notebook 03 and the other way round.
//
// -study picks the experiment: sit (notebook 03, the default), repa (notebook 05: the same workflow with a
// REPA-SiT aligned to the project's encoder, repaexp.Workflow) or rae (notebook 06: a latent DiT on the
// encoder's latents, raeexp.DefaultWorkflow; only -base-steps, -post-steps, -n and -seeds change it).
//
// Usage, from the module root:
//
//	export GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd
//	go run ./mixflowlib/cmd/mixflow-images run    [flags]   the whole workflow; tables on stdout
//	go run ./mixflowlib/cmd/mixflow-images sample [flags]   a PNG grid of every model's samples, same noise
//
// Both take the workflow flags (-base-steps, -post-steps, -gamma, -n, -seeds, -steps, -cfg, …; run a
// subcommand with -h); with none they run notebook 03's full settings, and with -quick (or
// MIXFLOW_QUICK=1) its quick ones. -print-spec prints the workflow as JSON and stops; -json FILE writes
// the results as JSON; -out DIR also writes the tables (Markdown), figures (PNG) and sample grids.
// Results are cached under $MIXFLOW_CACHE/experiments (default ~/.cache/mixflow/experiments); -cache DIR
// uses another cache root.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mixflow/mixflow/datasets/fashionmnist"
	"github.com/mixflow/mixflow/internal/cli"
	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp/imageview"
	"github.com/mixflow/mixflow/mixflowlib/experiment/raeexp"
	"github.com/mixflow/mixflow/mixflowlib/experiment/repaexp"
	"github.com/mixflow/mixflow/mixflowlib/experiment/toyexp/toyview"
)

const usage = `mixflow-images: image post-training experiments of MixFlow (arXiv 2512.19311)

usage: mixflow-images <subcommand> [flags]

subcommands:
  run     train the base SiT, post-train it (standard FM and MixFlow), evaluate FID vs sampling steps
          with and without guidance, measure Slow Flow; print the tables
  sample  draw samples of every model of the workflow from the same noise and labels into a PNG grid

Run 'mixflow-images <subcommand> -h' for the flags.
`

func main() { cli.MainSub("mixflow-images", usage, run) }

// usageError marks errors in the command line (exit status 2).
func usageError(err error) error { return cli.UsageError{Err: err} }

// Summaries of the subcommands: the first line of their -h.
const (
	runSummary    = "train the base model, post-train it (standard FM and MixFlow), evaluate FID vs sampling steps with and without guidance, measure Slow Flow; print the tables"
	sampleSummary = "draw samples of every model of the workflow from the same noise and labels into a PNG grid"
)

func run(ctx context.Context, sub string, args []string, stdout, stderr io.Writer) error {
	switch sub {
	case "run":
		return cmdRun(ctx, args, stdout, stderr)
	case "sample":
		return cmdSample(ctx, args, stdout, stderr)
	}
	return cli.Usagef("unknown subcommand %q (want run or sample)", sub)
}

// workflowFlags are the flags that shape the workflow.
type workflowFlags struct {
	study                string
	set                  map[string]bool // flags given on the command line
	quick                bool
	baseSteps, postSteps int64
	gamma                float64
	baseTimes            string
	n                    int
	seeds                string
	steps                string
	methods              string
	cfg                  float64
	cfgMin, cfgMax       float64
	slowFlow             bool
	cache                string
	printSpec            bool
}

func (w *workflowFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&w.study, "study", "sit", "experiment: sit (notebook 03), repa (notebook 05) or rae (notebook 06)")
	cli.Quick(fs, &w.quick, "the notebooks' quick workflows")
	fs.Int64Var(&w.baseSteps, "base-steps", 0, "base training steps (0: the default workflow's, 4000, quick 150)")
	fs.Int64Var(&w.postSteps, "post-steps", 0, "post-training steps per variant (0: default, 1000, quick 60)")
	fs.Float64Var(&w.gamma, "gamma", 0.8, "MixFlow's slowing range γ")
	fs.StringVar(&w.baseTimes, "base-times", "uniform", `timestep distribution of the base (and standard post-) training, e.g. "uniform", "logit-normal(0,1)"`)
	fs.IntVar(&w.n, "n", 0, "generated images per sampler setting and seed (0: 1000, quick 100)")
	fs.StringVar(&w.seeds, "seeds", "", "comma-separated evaluation seeds (default 0,1; quick 0)")
	fs.StringVar(&w.steps, "steps", "", "comma-separated numbers of sampling steps (default 5,10,20,50; quick 2,5)")
	fs.StringVar(&w.methods, "methods", "euler", "comma-separated samplers: euler, heun, euler-maruyama, heun-sde")
	fs.Float64Var(&w.cfg, "cfg", 1.5, "guidance scale of the guided settings (0 or 1: evaluate without guidance only)")
	fs.Float64Var(&w.cfgMin, "cfg-min", 0, "guidance interval start (paper time, 0 noise)")
	fs.Float64Var(&w.cfgMax, "cfg-max", 0, "guidance interval end (0: 1)")
	fs.BoolVar(&w.slowFlow, "slowflow", true, "measure the Slow Flow of every model")
	fs.StringVar(&w.cache, "cache", "", "cache root (default $MIXFLOW_CACHE/experiments)")
	fs.BoolVar(&w.printSpec, "print-spec", false, "print the workflow spec as JSON and stop")
}

// parsedWorkflow records which flags fs was given (call it after parsing fs) and returns the -study's
// workflow with the flags' changes. With -print-spec it prints the workflow as JSON on stdout instead and
// reports done: the command stops there, returning err.
func (w *workflowFlags) parsedWorkflow(fs *flag.FlagSet, stdout io.Writer) (wf imageexp.Workflow, done bool, err error) {
	w.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { w.set[f.Name] = true })
	if wf, err = w.workflow(); err != nil || !w.printSpec {
		return wf, err != nil, err
	}
	return wf, true, printJSON(stdout, wf)
}

// workflow returns the -study's workflow with the flags' changes.
func (w *workflowFlags) workflow() (imageexp.Workflow, error) {
	switch w.study {
	case "sit":
		return w.sitWorkflow()
	case "repa":
		wf, err := w.sitWorkflow()
		if err != nil {
			return wf, err
		}
		return repaexp.Workflow(wf, nil)
	case "rae":
		return w.raeWorkflow()
	}
	return imageexp.Workflow{}, usageError(fmt.Errorf("-study %q: want sit, repa or rae", w.study))
}

// raeWorkflow returns raeexp.DefaultWorkflow with the size flags applied; the flags that shape a SiT
// workflow (objectives, samplers, guidance) are refused, since RAE's differ (γ 0.4, a γ = 0 control,
// the shifted sampling grid).
func (w *workflowFlags) raeWorkflow() (imageexp.Workflow, error) {
	for _, name := range []string{"gamma", "base-times", "steps", "methods", "cfg", "cfg-min", "cfg-max"} {
		if w.set[name] {
			return imageexp.Workflow{}, usageError(fmt.Errorf("-%s cannot be used with -study rae (its workflow is raeexp.DefaultWorkflow; change it in Go)", name))
		}
	}
	wf, err := raeexp.DefaultWorkflow(w.quick)
	if err != nil {
		return wf, err
	}
	if err := w.applySizes(&wf); err != nil {
		return wf, err
	}
	if !w.slowFlow {
		wf.SlowFlow.Steps = nil
	}
	if err := wf.Validate(); err != nil {
		return wf, usageError(err)
	}
	return wf, nil
}

// applySizes applies the size flags (-base-steps, -post-steps, -n, -seeds) to wf; a shorter base training
// keeps its learning-rate warm-up within a tenth of the steps.
func (w *workflowFlags) applySizes(wf *imageexp.Workflow) error {
	if w.baseSteps != 0 {
		wf.Base.Train.Steps = w.baseSteps
		wf.Base.Train.Schedule.WarmupSteps = min(wf.Base.Train.Schedule.WarmupSteps, w.baseSteps/10)
	}
	if w.postSteps != 0 {
		wf.Post.Steps = w.postSteps
	}
	if w.n != 0 {
		wf.Eval.N = w.n
	}
	if w.seeds != "" {
		seeds, err := parseList(w.seeds, func(s string) (uint64, error) { return strconv.ParseUint(s, 10, 64) })
		if err != nil {
			return usageError(fmt.Errorf("-seeds: %w", err))
		}
		wf.Eval.Seeds = seeds
	}
	return nil
}

// sitWorkflow returns imageexp.DefaultWorkflow with the flags' changes.
func (w *workflowFlags) sitWorkflow() (imageexp.Workflow, error) {
	wf := imageexp.DefaultWorkflow(w.quick)
	if err := w.applySizes(&wf); err != nil {
		return wf, err
	}
	steps := stepsOf(wf.Eval.Samplers)
	if w.steps != "" {
		var err error
		if steps, err = parseList(w.steps, strconv.Atoi); err != nil {
			return wf, usageError(fmt.Errorf("-steps: %w", err))
		}
	}
	methods, _ := parseList(w.methods, func(s string) (string, error) { return s, nil })
	wf.Base.Objective.Times = w.baseTimes
	wf.Variants = []imageexp.ObjectiveSpec{imageexp.FM(w.baseTimes, 0.1), imageexp.MixFlow(w.gamma, 0.1)}
	guidance := []imageexp.Guidance{imageexp.NoGuidance}
	if w.cfg != 0 && w.cfg != 1 {
		guidance = append(guidance, imageexp.Guidance{Scale: w.cfg, TMin: w.cfgMin, TMax: w.cfgMax})
	}
	wf.Eval.Samplers = imageexp.SamplerGrid(methods, steps, guidance)
	if !w.slowFlow {
		wf.SlowFlow.Steps = nil
	}
	if err := wf.Validate(); err != nil {
		return wf, usageError(err)
	}
	return wf, nil
}

// stepsOf returns the distinct step counts of samplers, in order.
func stepsOf(samplers []imageexp.SamplerSpec) []int {
	var out []int
	seen := map[int]bool{}
	for _, s := range samplers {
		if !seen[s.Steps] {
			seen[s.Steps] = true
			out = append(out, s.Steps)
		}
	}
	return out
}

func (w *workflowFlags) lab(stderr io.Writer) *imageexp.Lab {
	lab := &imageexp.Lab{Observer: imageexp.LogObserver(stderr, 1, 15*time.Second)}
	if w.cache != "" {
		lab.Cache = expcache.New(w.cache).WithSalt(imageexp.CacheSalt).WithLog(stderr)
	}
	return lab
}

func parseList[T any](s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, f := range strings.Split(s, ",") {
		v, err := parse(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("mixflow-images run", runSummary, stderr)
	var wfl workflowFlags
	wfl.register(fs)
	jsonOut := fs.String("json", "", "write the results as JSON to this file")
	outDir := fs.String("out", "", "also write tables (Markdown), figures and grids (PNG) into this directory")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	wf, done, err := wfl.parsedWorkflow(fs, stdout)
	if done {
		return err
	}
	if _, err := cli.Backend(stderr); err != nil { // the labs take the process-wide backend; asked here first
		return err
	}
	start := time.Now()
	res, err := wfl.lab(stderr).RunWorkflow(ctx, wf)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "workflow done in %.1f s\n", time.Since(start).Seconds())
	report, err := buildReport(res)
	if err != nil {
		return err
	}
	for _, r := range report {
		fmt.Fprintln(stdout, r.markdown)
	}
	if *jsonOut != "" {
		f, err := os.Create(*jsonOut)
		if err != nil {
			return err
		}
		if err := printJSON(f, res); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if *outDir != "" {
		return writeOut(*outDir, res, report)
	}
	return nil
}

type section struct {
	name, markdown string
}

func buildReport(res *imageexp.WorkflowResult) ([]section, error) {
	var out []section
	rt, err := imageview.RunsTable(res.Runs())
	if err != nil {
		return nil, err
	}
	out = append(out, section{"runs", rt.Markdown()})
	for _, m := range res.Comparison.Metrics {
		t, err := imageview.StepsTable(res.Comparison, m)
		if err != nil {
			return nil, err
		}
		out = append(out, section{"table-" + m, t.Markdown()})
	}
	dt, err := imageview.DiffTable(res.Comparison, imageexp.MetricFID)
	if err == nil {
		out = append(out, section{"diff-fid", dt.Markdown()})
	}
	if len(res.SlowFlow) > 0 {
		t, err := toyview.SlowFlowTable("Slow Flow: mean gap t − m* (nearest-data protocol)", res.SlowFlow)
		if err != nil {
			return nil, err
		}
		out = append(out, section{"slowflow", t.Markdown()})
	}
	return out, nil
}

func writeOut(dir string, res *imageexp.WorkflowResult, report []section) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, s := range report {
		if err := os.WriteFile(filepath.Join(dir, s.name+".md"), []byte(s.markdown+"\n"), 0o644); err != nil {
			return err
		}
	}
	for _, m := range res.Comparison.Metrics {
		fig, err := imageview.MetricVsSteps(res.Comparison, m, "")
		if err != nil {
			return err
		}
		if err := fig.Save(filepath.Join(dir, m+"-vs-steps.png")); err != nil {
			return err
		}
	}
	if len(res.SlowFlow) > 0 {
		for _, n := range res.SlowFlow[0].Spec.Steps {
			fig, err := toyview.SlowFlow(res.SlowFlow, n, 0, "")
			if res.SlowFlowReference != nil {
				fig, err = imageview.SlowFlowWithReference(res.SlowFlow, res.SlowFlowReference, []int{n}, 0, "", 1)
			}
			if err != nil {
				return err
			}
			if err := fig.Save(filepath.Join(dir, fmt.Sprintf("slowflow-%d.png", n))); err != nil {
				return err
			}
		}
	}
	return nil
}

func cmdSample(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("mixflow-images sample", sampleSummary, stderr)
	var wfl workflowFlags
	wfl.register(fs)
	method := fs.String("method", "euler", "sampler: euler, heun, euler-maruyama, heun-sde")
	steps := fs.Int("sample-steps", 10, "sampling steps")
	cfg := fs.Float64("sample-cfg", 0, "guidance scale (0: none)")
	cols := fs.Int("cols", 10, "images per model (one of each class for 10)")
	seed := fs.Uint64("seed", 0, "seed of the noise and labels")
	out := fs.String("o", "samples.png", "PNG file to write")
	useEMA := fs.Bool("ema", true, "sample with the EMA weights (false: the raw weights)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if err := cli.CheckPositive(fs, "sample-steps", "cols"); err != nil {
		return err
	}
	wf, done, err := wfl.parsedWorkflow(fs, stdout)
	if done {
		return err
	}
	lab := wfl.lab(stderr)
	// Train (or load) the models only; sampling is cheap.
	wf.SlowFlow.Steps = nil
	base, err := lab.TrainBase(ctx, wf.Base)
	if err != nil {
		return err
	}
	runs := []*imageexp.Run{base}
	for _, v := range wf.Variants {
		p, err := lab.PostTrain(ctx, base, imageexp.PostSpec{Objective: v, Train: wf.Post, FromEMA: wf.FromEMA})
		if err != nil {
			return err
		}
		runs = append(runs, p)
	}
	s := imageexp.SamplerSpec{Method: *method, Steps: *steps, CFG: *cfg}
	var sets []*imageexp.Samples
	for _, r := range runs {
		smp, err := lab.Generate(r, s, *cols, *seed, *useEMA)
		if err != nil {
			return err
		}
		sets = append(sets, smp)
	}
	g, err := imageview.SideBySide(sets, *cols, fashionmnist.ClassNames, "Same noise and labels, "+s.Label())
	if err != nil {
		return err
	}
	if err := g.Save(*out); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "wrote", *out)
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
