// Command mixflow-t2i runs the one-seed text-to-image comparison (t2iexp.Experiment: MixFlow γ = 0.8,
// the earlier version of notebooks/07-text-to-image.ipynb, whose fair-test study with controls and
// training seeds is t2iexp.NewStudy run by imagestudy.RunStudy) from the command line: it trains a text-conditioned DiT on captioned shapes with flow matching, post-trains it
// with standard flow matching and with MixFlow for the same number of steps, and prints the attribute
// scores (GenEval-like: shape, colour, position, count, all) of each model at every sampling setting.
// Results are cached (mixflowlib/expcache), so a second run with the same settings only prints.
//
// Usage:
//
//	go run ./mixflowlib/cmd/mixflow-t2i                 # the CPU sizes of the earlier notebook (measured: 54 min on an idle 2-core machine)
//	go run ./mixflowlib/cmd/mixflow-t2i -quick          # smoke test, ≈ 2 min
//	go run ./mixflowlib/cmd/mixflow-t2i -sizes gpu      # the GPU sizes (backend from MIXFLOW_BACKEND)
//	go run ./mixflowlib/cmd/mixflow-t2i -base-steps 1500 -post-steps 0   # base model only
package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/mixflow/mixflow/internal/cli"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/experiment/t2iexp"
)

// summary is the first line of -h.
const summary = "the text-to-image MixFlow study of notebook 07: train a text-conditioned DiT, post-train it (standard FM and MixFlow), print attribute scores"

func main() { cli.Main("mixflow-t2i", run) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("mixflow-t2i", summary, stderr)
	sizesName := fs.String("sizes", "cpu", "size preset: cpu, quick or gpu")
	var quick bool
	cli.Quick(fs, &quick, "-sizes quick: a micro model, 60 + 20 steps, 16 images")
	modelName := fs.String("model", "", "t2i preset (micro, tiny, small, base); empty: the size preset's")
	hidden := fs.Int("hidden", -1, "model width override (-1: the size preset's)")
	depth := fs.Int("depth", -1, "model depth override (-1: the size preset's)")
	baseSteps := fs.Int64("base-steps", -1, "base training steps (-1: the size preset's)")
	postSteps := fs.Int64("post-steps", -1, "post-training steps (-1: the size preset's); 0 trains and evaluates the base only")
	batch := fs.Int("batch", -1, "batch size (-1: the size preset's)")
	n := fs.Int("n", -1, "generated images per sampler setting and seed (-1: the size preset's)")
	seeds := fs.Int("seeds", -1, "number of evaluation seeds (-1: the size preset's)")
	steps := fs.String("steps", "", "comma-separated Euler step counts, e.g. 10,40")
	cfg := fs.Float64("cfg", -1, "guidance scale of the guided settings (-1: the size preset's)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	// -1 keeps the preset's value; 0 is no size (post-steps excepted: 0 is "base only").
	for _, f := range []struct {
		name string
		v    int64
	}{{"hidden", int64(*hidden)}, {"depth", int64(*depth)}, {"base-steps", *baseSteps}, {"batch", int64(*batch)}, {"n", int64(*n)}, {"seeds", int64(*seeds)}} {
		if f.v == 0 || f.v < -1 {
			return cli.Usagef("-%s %d: must be > 0 (or -1 for the size preset's)", f.name, f.v)
		}
	}
	if *postSteps < -1 {
		return cli.Usagef("-post-steps %d: want > 0, 0 (base only) or -1 (the size preset's)", *postSteps)
	}

	s := t2iexp.CPUSizes()
	switch {
	case quick || *sizesName == "quick":
		s = t2iexp.QuickSizes()
	case *sizesName == "gpu":
		s = t2iexp.GPUSizes()
	case *sizesName != "cpu":
		return cli.Usagef("-sizes %q: want cpu, quick or gpu", *sizesName)
	}
	if *modelName != "" {
		s.Model = *modelName
	}
	setInt := func(dst *int, v int) {
		if v >= 0 {
			*dst = v
		}
	}
	setInt(&s.Hidden, *hidden)
	setInt(&s.Depth, *depth)
	setInt(&s.Batch, *batch)
	setInt(&s.EvalN, *n)
	setInt(&s.Seeds, *seeds)
	if *baseSteps >= 0 {
		s.BaseSteps = *baseSteps
	}
	baseOnly := *postSteps == 0
	if *postSteps > 0 {
		s.PostSteps = *postSteps
	}
	if *cfg >= 0 {
		s.CFG = *cfg
	}
	if *steps != "" {
		s.Steps = nil
		for _, f := range strings.Split(*steps, ",") {
			k, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return cli.Usagef("-steps %s: %q is not an integer", *steps, f)
			}
			if k <= 0 {
				return cli.Usagef("-steps %s: %d must be > 0", *steps, k)
			}
			s.Steps = append(s.Steps, k)
		}
	}
	exp, err := t2iexp.NewExperiment(s)
	if err != nil {
		return err
	}
	if _, err := cli.Backend(stdout); err != nil { // the labs take the process-wide backend; asked here first
		return err
	}
	fmt.Fprintf(stdout, "sizes: %+v\n", s)

	lab := &imageexp.Lab{Observer: imageexp.LogObserver(stdout, 1, 30*time.Second)}
	var runs []*imageexp.Run
	if baseOnly {
		base, err := lab.TrainBase(ctx, exp.Base)
		if err != nil {
			return err
		}
		base.Label = "base"
		runs = []*imageexp.Run{base}
	} else {
		r, err := exp.Train(ctx, lab)
		if err != nil {
			return err
		}
		runs = r.All()
	}
	for _, r := range runs {
		fmt.Fprintf(stdout, "%s: %d parameters, trained %.0f s, final loss %.4f\n", r.Label, r.NumParams, r.TrainSeconds, r.FinalLoss)
	}
	cmp, err := lab.Compare(ctx, runs, exp.Eval)
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, t2iexp.FormatComparison(cmp))
	return nil
}
