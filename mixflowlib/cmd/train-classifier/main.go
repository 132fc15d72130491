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
	cfg := evaluator.DefaultTrainConfig()
	fs := cli.NewFlagSet("train-classifier", summary, stderr)
	cli.SideTrainFlags(fs, cli.SideTrain{Seed: &cfg.Seed, Steps: &cfg.Steps, Epochs: &cfg.Epochs, BatchSize: &cfg.BatchSize,
		WarmupSteps: &cfg.WarmupSteps, MaxShift: &cfg.MaxShift, LR: &cfg.LR, WeightDecay: &cfg.WeightDecay, Flip: &cfg.Flip})
	out := fs.String("out", filepath.Join("mixflowlib", "evaluator", "weights"), "directory to write the two files into")
	if err := cli.ParseQuick(fs, args, "20 steps, 10 warm-up, files written under the temporary directory, not over the shipped ones",
		cli.SideTrainQuick(map[string]string{"out": filepath.Join(os.TempDir(), "mixflow-quick", "evaluator")})); err != nil {
		return err
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
