// Command train-classifier trains the frozen feature network of package evaluator on Fashion-MNIST and
// writes the files the package ships: the weights (classifier.mfckpt) and the FID reference statistics of
// the test split (reference-fmnist-test.mfckpt). It prints the training loss, the test accuracy and a
// sanity table (FID of clean, noisy and blurred real images against disjoint real images).
//
// Usage, from the module root:
//
//	export GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd
//	go run ./mixflowlib/cmd/train-classifier [-seed 1] [-epochs 4] [-out mixflowlib/evaluator/weights]
//
// The run is seeded: the same flags on the same backend give the same weights (compare the printed
// fingerprint). It needs the Fashion-MNIST files (apt-get install dataset-fashion-mnist).
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mixflow/mixflow/internal/cli"
	"github.com/mixflow/mixflow/mixflowlib/evaluator"
)

// summary is the first line of -h.
const summary = "train the evaluator's Fashion-MNIST ConvNet and write its weights and the FID reference statistics"

func main() {
	cli.Exit("train-classifier", run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) error {
	def := evaluator.DefaultTrainConfig()
	cfg := def
	fs := cli.NewFlagSet("train-classifier", summary, stderr)
	fs.Uint64Var(&cfg.Seed, "seed", def.Seed, "seed of the initial weights, batch order and augmentations")
	fs.IntVar(&cfg.Epochs, "epochs", def.Epochs, "passes over the 60000 training images")
	fs.IntVar(&cfg.Steps, "steps", 0, "if positive, train this many steps instead of -epochs")
	fs.IntVar(&cfg.BatchSize, "batch", def.BatchSize, "batch size")
	fs.Float64Var(&cfg.LR, "lr", def.LR, "peak learning rate (AdamW, linear warm-up then cosine decay)")
	fs.IntVar(&cfg.WarmupSteps, "warmup", def.WarmupSteps, "warm-up steps")
	fs.Float64Var(&cfg.WeightDecay, "wd", def.WeightDecay, "AdamW weight decay")
	fs.BoolVar(&cfg.Flip, "flip", def.Flip, "random horizontal flips")
	fs.IntVar(&cfg.MaxShift, "shift", def.MaxShift, "random translations of up to this many pixels")
	out := fs.String("out", filepath.Join("mixflowlib", "evaluator", "weights"), "directory to write the two files into")
	var quick bool
	cli.Quick(fs, &quick, "20 steps, 10 warm-up, files written under the temporary directory, not over the shipped ones")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if quick {
		if err := cli.SetUnset(fs, map[string]string{"steps": "20", "warmup": "10",
			"out": filepath.Join(os.TempDir(), "mixflow-quick", "evaluator")}); err != nil {
			return err
		}
	}
	if err := cli.CheckPositive(fs, "batch", "lr"); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return cli.UsageError{Err: err}
	}

	var err error
	if cfg.Backend, err = cli.Backend(stdout); err != nil {
		return err
	}
	rep, err := evaluator.TrainAndWrite(cfg, *out, stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "test accuracy: %.2f %%  (training took %s)\n", 100*rep.TestAccuracy, rep.TrainTime.Round(1e9))
	return nil
}
