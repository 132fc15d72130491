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
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/evaluator"
)

func main() {
	def := evaluator.DefaultTrainConfig()
	cfg := def
	seed := flag.Uint64("seed", def.Seed, "seed of the initial weights, batch order and augmentations")
	flag.IntVar(&cfg.Epochs, "epochs", def.Epochs, "passes over the 60000 training images")
	flag.IntVar(&cfg.Steps, "steps", 0, "if positive, train this many steps instead of -epochs")
	flag.IntVar(&cfg.BatchSize, "batch", def.BatchSize, "batch size")
	flag.Float64Var(&cfg.LR, "lr", def.LR, "peak learning rate (AdamW, linear warm-up then cosine decay)")
	flag.IntVar(&cfg.WarmupSteps, "warmup", def.WarmupSteps, "warm-up steps")
	flag.Float64Var(&cfg.WeightDecay, "wd", def.WeightDecay, "AdamW weight decay")
	flag.BoolVar(&cfg.Flip, "flip", def.Flip, "random horizontal flips")
	flag.IntVar(&cfg.MaxShift, "shift", def.MaxShift, "random translations of up to this many pixels")
	out := flag.String("out", filepath.Join("mixflowlib", "evaluator", "weights"), "directory to write the two files into")
	flag.Parse()
	cfg.Seed = *seed

	fmt.Println("backend:", backend.Describe())
	rep, err := evaluator.TrainAndWrite(cfg, *out, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "train-classifier:", err)
		os.Exit(1)
	}
	fmt.Printf("test accuracy: %.2f %%  (training took %s)\n", 100*rep.TestAccuracy, rep.TrainTime.Round(1e9))
}
