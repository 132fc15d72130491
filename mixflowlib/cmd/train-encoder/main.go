// Command train-encoder trains the frozen representation encoder of package encoder (the small ViT that
// REPA aligns to and RAE diffuses in) on the Fashion-MNIST training split and writes its weights, the
// file the package ships (mixflowlib/encoder/weights/vit-fmnist.mfckpt). It prints the training loss, the
// held-out accuracy of the training classification head, the held-out reconstruction error of the
// training reconstruction head, and the fingerprint of the weights.
//
// Usage, from the module root:
//
//	export GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd
//	go run ./mixflowlib/cmd/train-encoder [-seed 7] [-steps 3000] [-out mixflowlib/encoder/weights/vit-fmnist.mfckpt]
//
// The run is seeded: the same flags on the same backend give the same weights (compare the printed
// fingerprint). It needs the Fashion-MNIST files (apt-get install dataset-fashion-mnist). Cost: a step
// takes about 135 ms of CPU time (BenchmarkTrainStep in mixflowlib/encoder), so the default 3000 steps
// are about 7 CPU-minutes; the shipped weights took 18 minutes of wall time on a 2-core machine shared
// with other jobs (load average about 17).
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mixflow/mixflow/datasets/fashionmnist"
	"github.com/mixflow/mixflow/internal/cli"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/encoder"
)

// summary is the first line of -h.
const summary = "train the frozen ViT encoder (REPA target, RAE encoder) on Fashion-MNIST and write its weights"

func main() {
	cli.Exit("train-encoder", parse(os.Args[1:], os.Stdout, os.Stderr))
}

// parse reads the flags and runs the training.
func parse(args []string, stdout, stderr io.Writer) error {
	cfg := encoder.DefaultTrainConfig()
	fs := cli.NewFlagSet("train-encoder", summary, stderr)
	cli.SideTrainFlags(fs, cli.SideTrain{Seed: &cfg.Seed, Steps: &cfg.Steps, Epochs: &cfg.Epochs, BatchSize: &cfg.BatchSize,
		WarmupSteps: &cfg.WarmupSteps, MaxShift: &cfg.MaxShift, LR: &cfg.LR, WeightDecay: &cfg.WeightDecay, Flip: &cfg.Flip})
	fs.Float64Var(&cfg.MaskRatio, "mask", cfg.MaskRatio, "fraction of patches masked during training")
	fs.Float64Var(&cfg.ReconWeight, "recon", cfg.ReconWeight, "weight of the reconstruction term")
	out := fs.String("out", filepath.Join("mixflowlib", "encoder", "weights", encoder.WeightsFile), "weights file to write")
	every := fs.Int("every", 100, "print progress every this many steps")
	if err := cli.ParseQuick(fs, args, "20 steps, 10 warm-up, weights written under the temporary directory, not over the shipped ones",
		cli.SideTrainQuick(map[string]string{"every": "5", "out": filepath.Join(os.TempDir(), "mixflow-quick", encoder.WeightsFile)})); err != nil {
		return err
	}
	if err := cli.CheckPositive(fs, "batch", "lr", "every"); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return cli.UsageError{Err: err}
	}
	return run(cfg, *out, *every, stdout)
}

func run(cfg encoder.TrainConfig, out string, every int, stdout io.Writer) error {
	var err error
	if cfg.Backend, err = cli.Backend(stdout); err != nil {
		return err
	}
	train, err := fashionmnist.Load(fashionmnist.Train)
	if err != nil {
		return err
	}
	test, err := fashionmnist.Load(fashionmnist.Test)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "encoder %s, %d parameters; training on %s\n", cfg.Arch.Name(), cfg.Arch.NumParams(), train)
	vit, rep, err := encoder.Train(train, test, cfg, every, func(p encoder.TrainProgress) {
		fmt.Fprintf(stdout, "step %5d/%d  loss %.4f  (ce %.4f, recon %.4f)  lr %.2e  %s\n", p.Step, p.Steps, p.Loss, p.CE,
			p.Recon, p.LR, p.Elapsed.Round(1e9))
	})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := encoder.SaveTrained(out, vit, cfg, rep, map[string]any{"backend": backend.ConfigOf(cfg.Backend)}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trained %d steps in %s\n", rep.Steps, rep.TrainTime.Round(1e9))
	fmt.Fprintf(stdout, "held-out (%d test images): accuracy %.2f %%, reconstruction MSE %.4f\n", rep.TestImages,
		100*rep.TestAccuracy, rep.TestReconMSE)
	fmt.Fprintf(stdout, "wrote %s\nspec %s\nfingerprint %s\n", out, vit.Spec(), vit.Fingerprint())
	return nil
}
