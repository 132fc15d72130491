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
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mixflow/mixflow/datasets/fashionmnist"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/encoder"
)

func main() {
	def := encoder.DefaultTrainConfig()
	cfg := def
	flag.Uint64Var(&cfg.Seed, "seed", def.Seed, "seed of the initial weights, masks, batch order and augmentations")
	flag.IntVar(&cfg.Steps, "steps", def.Steps, "optimiser steps (0: use -epochs)")
	flag.IntVar(&cfg.Epochs, "epochs", def.Epochs, "passes over the 60000 training images when -steps is 0")
	flag.IntVar(&cfg.BatchSize, "batch", def.BatchSize, "batch size")
	flag.Float64Var(&cfg.LR, "lr", def.LR, "peak learning rate (AdamW, linear warm-up then cosine decay)")
	flag.IntVar(&cfg.WarmupSteps, "warmup", def.WarmupSteps, "warm-up steps")
	flag.Float64Var(&cfg.WeightDecay, "wd", def.WeightDecay, "AdamW weight decay")
	flag.Float64Var(&cfg.MaskRatio, "mask", def.MaskRatio, "fraction of patches masked during training")
	flag.Float64Var(&cfg.ReconWeight, "recon", def.ReconWeight, "weight of the reconstruction term")
	flag.BoolVar(&cfg.Flip, "flip", def.Flip, "random horizontal flips")
	flag.IntVar(&cfg.MaxShift, "shift", def.MaxShift, "random translations of up to this many pixels")
	out := flag.String("out", filepath.Join("mixflowlib", "encoder", "weights", encoder.WeightsFile), "weights file to write")
	every := flag.Int("every", 100, "print progress every this many steps")
	flag.Parse()

	if err := run(cfg, *out, *every); err != nil {
		fmt.Fprintln(os.Stderr, "train-encoder:", err)
		os.Exit(1)
	}
}

func run(cfg encoder.TrainConfig, out string, every int) error {
	fmt.Println("backend:", backend.Describe())
	train, err := fashionmnist.Load(fashionmnist.Train)
	if err != nil {
		return err
	}
	test, err := fashionmnist.Load(fashionmnist.Test)
	if err != nil {
		return err
	}
	fmt.Printf("encoder %s, %d parameters; training on %s\n", cfg.Arch.Name(), cfg.Arch.NumParams(), train)
	vit, rep, err := encoder.Train(train, test, cfg, every, func(p encoder.TrainProgress) {
		fmt.Printf("step %5d/%d  loss %.4f  (ce %.4f, recon %.4f)  lr %.2e  %s\n", p.Step, p.Steps, p.Loss, p.CE,
			p.Recon, p.LR, p.Elapsed.Round(1e9))
	})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := encoder.SaveTrained(out, vit, cfg, rep, map[string]any{"backend": backend.Current().Config}); err != nil {
		return err
	}
	fmt.Printf("trained %d steps in %s\n", rep.Steps, rep.TrainTime.Round(1e9))
	fmt.Printf("held-out (%d test images): accuracy %.2f %%, reconstruction MSE %.4f\n", rep.TestImages,
		100*rep.TestAccuracy, rep.TestReconMSE)
	fmt.Printf("wrote %s\nspec %s\nfingerprint %s\n", out, vit.Spec(), vit.Fingerprint())
	return nil
}
