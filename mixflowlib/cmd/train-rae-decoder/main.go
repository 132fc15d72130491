// Command train-rae-decoder trains RAE's stage 1 for Fashion-MNIST (package rae, via raeexp.TrainAutoencoder):
// the per-element latent statistics of a frozen encoder over the training images and a decoder from the
// normalised latents back to images, then scores the reconstruction of held-out test images (MSE, PSNR, our
// FID of the reconstructions vs the originals). The result is cached under the experiment cache
// (mixflowlib/expcache, $MIXFLOW_CACHE), keyed by the full spec, so notebook 06 and the "rae-fashion-mnist"
// data kind reuse it when the flags match their spec; a second run with the same flags prints the cached
// report at once.
//
// Usage, from the module root:
//
//	export GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd
//	go run ./mixflowlib/cmd/train-rae-decoder [-steps 1500] [-width 96] [-depth 3] [-tau 0.5] [-encoder default]
//
// The run is seeded (-seed): the same flags on the same backend give the same decoder. It needs the
// Fashion-MNIST files (apt-get install dataset-fashion-mnist).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mixflow/mixflow/internal/cli"
	"github.com/mixflow/mixflow/mixflowlib/experiment/raeexp"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// summary is the first line of -h.
const summary = "train RAE's stage 1 for Fashion-MNIST (latent statistics of the frozen encoder and a decoder back to images), cached"

func main() {
	cli.Exit("train-rae-decoder", run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) error {
	spec := raeexp.DefaultAutoencoderSpec()
	fs := cli.NewFlagSet("train-rae-decoder", summary, stderr)
	fs.StringVar(&spec.Encoder, "encoder", spec.Encoder, `frozen encoder: "default" (the project's) or a weights file written by encoder.ViT.Save`)
	fs.IntVar(&spec.StatsImages, "stats-images", spec.StatsImages, "training images the latent statistics are computed on")
	fs.IntVar(&spec.Decoder.Width, "width", spec.Decoder.Width, "decoder width")
	fs.IntVar(&spec.Decoder.Depth, "depth", spec.Decoder.Depth, "decoder blocks")
	fs.IntVar(&spec.Decoder.Heads, "heads", spec.Decoder.Heads, "decoder attention heads")
	fs.Float64Var(&spec.Decoder.MLPRatio, "mlp-ratio", spec.Decoder.MLPRatio, "decoder MLP width relative to its width")
	fs.Float64Var(&spec.Decoder.NoiseTau, "tau", spec.Decoder.NoiseTau, "noise augmentation τ of the normalised latents (0: none)")
	fs.Int64Var(&spec.Train.Steps, "steps", spec.Train.Steps, "training steps")
	fs.IntVar(&spec.Train.BatchSize, "batch", 64, "batch size")
	fs.Float64Var(&spec.Train.LR, "lr", 1e-3, "peak learning rate (AdamW, warm-up then cosine to lr/10)")
	fs.Int64Var(&spec.Train.Seed, "seed", 1, "seed of the initialisation, augmentation and batch order")
	fs.IntVar(&spec.HeldOut, "held-out", spec.HeldOut, "test images the reconstruction is scored on")
	if err := cli.ParseQuick(fs, args, "20 steps, statistics over 512 images, 100 held-out images",
		map[string]string{"steps": "20", "stats-images": "512", "held-out": "100"}); err != nil {
		return err
	}
	if err := cli.CheckPositive(fs, "steps", "batch", "lr", "stats-images", "held-out"); err != nil {
		return err
	}

	if _, err := cli.Backend(stdout); err != nil {
		return err
	}
	every := max(1, spec.Train.Steps/20)
	s1, err := raeexp.TrainAutoencoder(context.Background(), spec, func(r trainer.StepReport) {
		if r.Step%every == 0 || r.Step == spec.Train.Steps {
			fmt.Fprintf(stdout, "decoder %d/%d: %s\n", r.Step, spec.Train.Steps, r)
		}
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "decoder:", s1.Spec.Decoder)
	fmt.Fprintf(stdout, "statistics over %d images took %.0f s, decoder training %.0f s\n", s1.Spec.StatsImages, s1.StatsSeconds, s1.TrainSeconds)
	fmt.Fprintln(stdout, "reconstruction:", s1.Report)
	fmt.Fprintln(stdout, "files:", filepath.Join(s1.Dir, s1.StatsFile), filepath.Join(s1.Dir, s1.DecoderDir))
	return nil
}
