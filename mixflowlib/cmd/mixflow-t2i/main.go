// Command mixflow-t2i runs the text-to-image MixFlow study of notebooks/07-text-to-image.ipynb from the
// command line: it trains a text-conditioned DiT on captioned shapes with flow matching, post-trains it
// with standard flow matching and with MixFlow for the same number of steps, and prints the attribute
// scores (GenEval-like: shape, colour, position, count, all) of each model at every sampling setting.
// Results are cached (mixflowlib/expcache), so a second run with the same settings only prints.
//
// Usage:
//
//	go run ./mixflowlib/cmd/mixflow-t2i                 # the notebook's CPU sizes (measured: 54 min on an idle 2-core machine)
//	go run ./mixflowlib/cmd/mixflow-t2i -quick          # smoke test, ≈ 2 min
//	go run ./mixflowlib/cmd/mixflow-t2i -sizes gpu      # the GPU sizes (backend from MIXFLOW_BACKEND)
//	go run ./mixflowlib/cmd/mixflow-t2i -base-steps 1500 -post-steps 0   # base model only
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/mixflow/mixflow/mixflowlib/backbone/t2i/t2iexp"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/env"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mixflow-t2i:", err)
		os.Exit(1)
	}
}

func run() error {
	sizesName := flag.String("sizes", "cpu", "size preset: cpu, quick or gpu")
	quick := flag.Bool("quick", env.Quick(), "shorthand for -sizes quick (default from "+env.QuickVar+")")
	modelName := flag.String("model", "", "t2i preset (micro, tiny, small, base); empty: the size preset's")
	hidden := flag.Int("hidden", -1, "model width override (-1: the size preset's)")
	depth := flag.Int("depth", -1, "model depth override (-1: the size preset's)")
	baseSteps := flag.Int64("base-steps", -1, "base training steps (-1: the size preset's)")
	postSteps := flag.Int64("post-steps", -1, "post-training steps; 0 trains and evaluates the base only")
	batch := flag.Int("batch", -1, "batch size")
	n := flag.Int("n", -1, "generated images per sampler setting and seed")
	seeds := flag.Int("seeds", -1, "number of evaluation seeds")
	steps := flag.String("steps", "", "comma-separated Euler step counts, e.g. 10,40")
	cfg := flag.Float64("cfg", -1, "guidance scale of the guided settings")
	flag.Parse()

	s := t2iexp.CPUSizes()
	switch {
	case *quick || *sizesName == "quick":
		s = t2iexp.QuickSizes()
	case *sizesName == "gpu":
		s = t2iexp.GPUSizes()
	case *sizesName != "cpu":
		return fmt.Errorf("unknown -sizes %q (want cpu, quick or gpu)", *sizesName)
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
				return fmt.Errorf("-steps %q: %w", *steps, err)
			}
			s.Steps = append(s.Steps, k)
		}
	}
	exp, err := t2iexp.NewExperiment(s)
	if err != nil {
		return err
	}
	fmt.Printf("backend: %s\nsizes: %+v\n", backend.Describe(), s)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	lab := &imageexp.Lab{Observer: imageexp.LogObserver(os.Stdout, 1, 30*time.Second)}
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
		fmt.Printf("%s: %d parameters, trained %.0f s, final loss %.4f\n", r.Label, r.NumParams, r.TrainSeconds, r.FinalLoss)
	}
	cmp, err := lab.Compare(ctx, runs, exp.Eval)
	if err != nil {
		return err
	}
	fmt.Print(t2iexp.FormatComparison(cmp))
	return nil
}
