// Package raeexp runs RAE experiments (package rae) with the image post-training workflow of
// mixflowlib/experiment/imageexp: it trains and caches RAE's stage 1 (latent statistics and decoder for a
// frozen encoder, TrainAutoencoder) and registers the data kind "rae-fashion-mnist" (Data), whose model space
// is the normalised latent [Grid, Grid, Dim] of Fashion-MNIST images and whose Decode maps generated latents
// back to images for the evaluators. Base training, post-training (standard flow matching vs MixFlow), sampling
// and the metrics across sampling steps are then imageexp's, unchanged.
//
// Importing the package registers the data kind.
package raeexp

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets/fashionmnist"
	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/encoder"
	"github.com/mixflow/mixflow/mixflowlib/evaluator"
	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// EncoderDefault names the encoder the project ships (encoder.Default).
const EncoderDefault = "default"

// DecoderTrainSpec is how the decoder is trained (AdamW, linear warm-up then cosine decay to LR/10, EMA,
// gradient clipping at 1), on the Fashion-MNIST training images fitted to the encoder's input size.
type DecoderTrainSpec struct {
	// Steps is the number of optimiser updates. Default 1500.
	Steps int64 `json:"steps"`
	// BatchSize is the number of images per update. Default 64.
	BatchSize int `json:"batch_size"`
	// LR is the peak learning rate. Default 1e-3.
	LR float64 `json:"lr"`
	// WarmupSteps is the linear warm-up. Default 100 (at most Steps/2).
	WarmupSteps int64 `json:"warmup_steps"`
	// EMADecay is the decay of the weights' moving average used for decoding. Default 0.99: the run is short,
	// and the average starts from the initial weights, of which d^Steps remains (0.999 would keep 22 % of the
	// random initial decoder after 1500 steps, and its reconstructions were measured twice as bad as the raw
	// weights'; 0.99 keeps 3e-7).
	EMADecay float64 `json:"ema_decay"`
	// Seed seeds the initialisation, the noise augmentation and the order of the images. Default 1.
	Seed int64 `json:"seed"`
}

func (s DecoderTrainSpec) withDefaults() DecoderTrainSpec {
	if s.Steps == 0 {
		s.Steps = 1500
	}
	if s.BatchSize == 0 {
		s.BatchSize = 64
	}
	if s.LR == 0 {
		s.LR = 1e-3
	}
	if s.WarmupSteps == 0 {
		s.WarmupSteps = min(100, s.Steps/2)
	}
	if s.EMADecay == 0 {
		s.EMADecay = 0.99
	}
	if s.Seed == 0 {
		s.Seed = 1
	}
	return s
}

// trainerConfig returns the trainer configuration of s (defaults applied).
func (s DecoderTrainSpec) trainerConfig() trainer.Config {
	cfg := trainer.DefaultConfig()
	cfg.LR, cfg.BatchSize, cfg.Steps, cfg.Seed, cfg.EMADecay = s.LR, s.BatchSize, s.Steps, s.Seed, s.EMADecay
	cfg.Beta2, cfg.ClipGradNorm = 0.95, 1 // RAE's decoder and DiT optimiser settings
	cfg.Schedule = trainer.Schedule{Kind: trainer.WarmupCosine, WarmupSteps: s.WarmupSteps, FinalLR: s.LR / 10}
	cfg.LogEvery = max(1, s.Steps/10)
	cfg.CheckpointEvery = max(1, s.Steps/4)
	cfg.KeepCheckpoints = 1
	return cfg
}

// AutoencoderSpec describes RAE's stage 1 for Fashion-MNIST: which frozen encoder, how many training images
// the latent statistics use, the decoder and its training. It is JSON and keys the cache (Canonical fills
// the encoder's weight fingerprint, so new weights train a new decoder).
type AutoencoderSpec struct {
	// Encoder is EncoderDefault (the project's encoder) or the path of weights written by encoder.ViT.Save.
	Encoder string `json:"encoder"`
	// EncoderFingerprint is the fingerprint of the encoder's weights; Canonical fills it.
	EncoderFingerprint string `json:"encoder_fingerprint"`
	// StatsImages is the number of training images (the first ones) the latent statistics are computed on.
	// Default 20000; at most 60000.
	StatsImages int `json:"stats_images"`
	// Decoder is the decoder's architecture; its geometry (Grid, Dim, ImageSize, Channels) is taken from the
	// encoder. Zero sizes take the rae defaults; NoiseTau is used as given (0 = no augmentation).
	Decoder rae.DecoderConfig `json:"decoder"`
	// Train is the decoder's training.
	Train DecoderTrainSpec `json:"train"`
	// HeldOut is the number of Fashion-MNIST test images (the first ones) the reconstruction is scored on.
	// Default 1000.
	HeldOut int `json:"held_out"`
}

// DefaultAutoencoderSpec returns the notebook's stage 1: the project encoder, statistics over 20000 training
// images, a 3-block, 96-wide decoder (4 heads, MLP ×4) with noise augmentation τ = rae.DefaultNoiseTau, 1500
// steps of batch 64.
func DefaultAutoencoderSpec() AutoencoderSpec {
	return AutoencoderSpec{
		Encoder:     EncoderDefault,
		StatsImages: 20000,
		Decoder:     rae.DecoderConfig{Width: 96, Depth: 3, Heads: 4, MLPRatio: 4, NoiseTau: rae.DefaultNoiseTau},
		Train:       DecoderTrainSpec{Steps: 1500},
		HeldOut:     1000,
	}
}

// LoadEncoder returns the encoder named by name: EncoderDefault or a weights file.
func LoadEncoder(name string) (*encoder.ViT, error) {
	if name == "" || name == EncoderDefault {
		return encoder.Default()
	}
	return encoder.Load(name)
}

// Canonical returns s with every default filled in, the decoder's geometry taken from the encoder and the
// encoder's fingerprint recorded, or an error naming the first invalid field.
func (s AutoencoderSpec) Canonical() (AutoencoderSpec, error) {
	if s.Encoder == "" {
		s.Encoder = EncoderDefault
	}
	enc, err := LoadEncoder(s.Encoder)
	if err != nil {
		return s, fmt.Errorf("raeexp: encoder %q: %w", s.Encoder, err)
	}
	spec := enc.Spec()
	if s.EncoderFingerprint != "" && s.EncoderFingerprint != spec.Fingerprint {
		return s, fmt.Errorf("raeexp: encoder %q has weights %.12s, the spec asks for %.12s", s.Encoder, spec.Fingerprint, s.EncoderFingerprint)
	}
	s.EncoderFingerprint = spec.Fingerprint
	if spec.Channels != 1 || spec.ImageSize < fashionmnist.Size {
		return s, fmt.Errorf("raeexp: encoder %s takes %d×%d×%d images; Fashion-MNIST needs 1 channel and at least %d pixels",
			spec.Name, spec.ImageSize, spec.ImageSize, spec.Channels, fashionmnist.Size)
	}
	if s.StatsImages == 0 {
		s.StatsImages = 20000
	}
	if s.StatsImages < 2 || s.StatsImages > fashionmnist.Train.Len() {
		return s, fmt.Errorf("raeexp: stats_images %d outside [2, %d]", s.StatsImages, fashionmnist.Train.Len())
	}
	if s.HeldOut == 0 {
		s.HeldOut = 1000
	}
	if s.HeldOut < 1 || s.HeldOut > fashionmnist.Test.Len() {
		return s, fmt.Errorf("raeexp: held_out %d outside [1, %d]", s.HeldOut, fashionmnist.Test.Len())
	}
	d := s.Decoder.WithDefaults()
	d.Grid, d.Dim, d.ImageSize, d.Channels = spec.Grid, spec.Dim, spec.ImageSize, spec.Channels
	if err := d.Validate(); err != nil {
		return s, fmt.Errorf("raeexp: %w", err)
	}
	s.Decoder = d
	s.Train = s.Train.withDefaults()
	if err := s.Train.trainerConfig().Validate(); err != nil {
		return s, fmt.Errorf("raeexp: decoder training: %w", err)
	}
	return s, nil
}

// Stage1 is a trained RAE stage 1 as cached: where its files are and how well it reconstructs.
type Stage1 struct {
	// Spec is the canonical spec it was trained with.
	Spec AutoencoderSpec `json:"spec"`
	// Dir is the cache entry holding the files (filled on load).
	Dir string `json:"-"`
	// StatsFile and DecoderDir are relative to Dir.
	StatsFile  string `json:"stats_file"`
	DecoderDir string `json:"decoder_dir"`
	// Report measures the reconstruction of the held-out test images.
	Report ReconstructionReport `json:"-"`
	// History is the decoder's training history.
	History *trainer.History `json:"history"`
	// StatsSeconds and TrainSeconds are the wall times of the statistics and of the decoder's training.
	StatsSeconds float64 `json:"stats_seconds"`
	TrainSeconds float64 `json:"train_seconds"`
}

// ReconstructionReport measures a decoder on held-out images (EMA weights, no noise augmentation).
type ReconstructionReport struct {
	// Images is the number of held-out test images.
	Images int `json:"images"`
	// MSE is the mean squared error per pixel in [−1, 1] units, and PSNR = 10·log10(4/MSE) in dB (peak-to-peak
	// range 2).
	MSE  float64 `json:"mse"`
	PSNR float64 `json:"psnr"`
	// MeanImageMSE is the MSE of predicting every image by the mean training image: the trivial baseline.
	MeanImageMSE float64 `json:"mean_image_mse"`
	// FIDRecon and FIDReal are our FID (mixflowlib/evaluator) of the reconstructions and of the originals:
	// their difference is what the decoder alone costs on the generation metric (RAE's rFID).
	FIDRecon float64 `json:"fid_recon"`
	FIDReal  float64 `json:"fid_real"`
}

// String formats the report on one line.
func (r ReconstructionReport) String() string {
	return fmt.Sprintf("%d held-out images: MSE %.4f (PSNR %.1f dB; mean-image baseline %.4f), FID reconstructions %.2f vs originals %.2f",
		r.Images, r.MSE, r.PSNR, r.MeanImageMSE, r.FIDRecon, r.FIDReal)
}

// Autoencoder loads the trained stage 1: encoder, statistics and the decoder's EMA weights.
func (s *Stage1) Autoencoder() (*rae.Autoencoder, error) {
	enc, err := LoadEncoder(s.Spec.Encoder)
	if err != nil {
		return nil, fmt.Errorf("raeexp: %w", err)
	}
	if enc.Fingerprint() != s.Spec.EncoderFingerprint {
		return nil, fmt.Errorf("raeexp: encoder %q now has weights %.12s, stage 1 was trained with %.12s", s.Spec.Encoder, enc.Fingerprint(), s.Spec.EncoderFingerprint)
	}
	st, err := rae.LoadStats(filepath.Join(s.Dir, s.StatsFile))
	if err != nil {
		return nil, err
	}
	dec, err := rae.NewDecoder(s.Spec.Decoder)
	if err != nil {
		return nil, err
	}
	store, err := trainer.SamplingStoreFromCheckpoint(filepath.Join(s.Dir, s.DecoderDir), true)
	if err != nil {
		return nil, fmt.Errorf("raeexp: decoder weights: %w", err)
	}
	ae := &rae.Autoencoder{Encoder: enc, Stats: st, Decoder: dec, Store: store}
	return ae, ae.Check()
}

// Cache is where TrainAutoencoder and the data kind keep stage 1; nil means expcache.Default().
var Cache *expcache.Cache

func cache() *expcache.Cache {
	if Cache != nil {
		return Cache
	}
	return expcache.Default()
}

// TrainAutoencoder returns the stage 1 described by spec, from the cache or trained now (statistics, then the
// decoder with mixflowlib/trainer), with its reconstruction report (cached apart, so that a failure of the
// evaluator does not lose the decoder); onStep, if not nil, receives the report of every decoder training
// step (for a progress bar). A run killed half-way resumes from the decoder's last checkpoint.
func TrainAutoencoder(ctx context.Context, spec AutoencoderSpec, onStep func(trainer.StepReport)) (*Stage1, error) {
	return stage1(ctx, spec, onStep, true)
}

// stage1 is TrainAutoencoder, with the reconstruction report only when withReport (the data kind does not
// need it, nor the evaluator it takes).
func stage1(ctx context.Context, spec AutoencoderSpec, onStep func(trainer.StepReport), withReport bool) (*Stage1, error) {
	c, err := spec.Canonical()
	if err != nil {
		return nil, err
	}
	res, info, err := expcache.Compute(cache(), "rae-stage1", c, func(dir string) (*Stage1, error) {
		return trainStage1(ctx, c, dir, onStep)
	})
	if err != nil {
		return nil, fmt.Errorf("raeexp: stage 1: %w", err)
	}
	res.Dir = info.Dir
	if !withReport {
		return res, nil
	}
	rep, _, err := expcache.Compute(cache(), "rae-stage1-report", c, func(string) (ReconstructionReport, error) {
		ae, err := res.Autoencoder()
		if err != nil {
			return ReconstructionReport{}, err
		}
		return heldOutReport(ae, c.HeldOut)
	})
	if err != nil {
		return nil, fmt.Errorf("raeexp: stage 1 reconstruction report: %w", err)
	}
	res.Report = rep
	return res, nil
}

func trainStage1(ctx context.Context, spec AutoencoderSpec, dir string, onStep func(trainer.StepReport)) (*Stage1, error) {
	enc, err := LoadEncoder(spec.Encoder)
	if err != nil {
		return nil, err
	}
	size := enc.Spec().ImageSize
	train, err := fashionmnist.Load(fashionmnist.Train)
	if err != nil {
		return nil, err
	}
	out := &Stage1{Spec: spec, StatsFile: "stats.mfckpt", DecoderDir: "decoder"}

	// 1. Per-element statistics over the first StatsImages training images.
	t0 := time.Now()
	seq, err := images.NewSource(train, images.Options{Sequential: true, Height: size, Width: size})
	if err != nil {
		return nil, err
	}
	done := 0
	st, err := rae.ComputeStats(nil, enc, func() (*tensors.Tensor, error) {
		if done >= spec.StatsImages {
			return nil, nil
		}
		n := min(rae.DefaultHostBatch, spec.StatsImages-done)
		b, err := seq.Range(done, n)
		done += n
		return b.X, err
	})
	if err != nil {
		return nil, err
	}
	if err := st.Save(filepath.Join(dir, out.StatsFile)); err != nil {
		return nil, err
	}
	out.StatsSeconds = time.Since(t0).Seconds()

	// 2. The decoder, trained through mixflowlib/trainer (resumes from dir/decoder after a kill).
	t0 = time.Now()
	src, err := images.NewSource(train, images.Options{Seed: uint64(spec.Train.Seed), Height: size, Width: size})
	if err != nil {
		return nil, err
	}
	dec, err := rae.NewDecoder(spec.Decoder)
	if err != nil {
		return nil, err
	}
	cfg := spec.Train.trainerConfig()
	cfg.CheckpointDir = filepath.Join(dir, out.DecoderDir)
	tr, err := NewDecoderTrainer(cfg, ReconstructionObjective{Encoder: enc, Stats: st, Decoder: dec}, src)
	if err != nil {
		return nil, err
	}
	tr.SetLog(nil)
	tr.OnStep(func(r trainer.StepReport) error {
		if onStep != nil {
			onStep(r)
		}
		return nil
	})
	if out.History, err = tr.Train(ctx); err != nil {
		return nil, err
	}
	out.TrainSeconds = time.Since(t0).Seconds()
	return out, nil
}

// heldOutReport scores ae on the first n Fashion-MNIST test images (fitted to the encoder's input size).
func heldOutReport(ae *rae.Autoencoder, n int) (ReconstructionReport, error) {
	size := ae.Encoder.Spec().ImageSize
	train, err := fashionmnist.Load(fashionmnist.Train)
	if err != nil {
		return ReconstructionReport{}, err
	}
	test, err := fashionmnist.Load(fashionmnist.Test)
	if err != nil {
		return ReconstructionReport{}, err
	}
	held, err := images.HeldOut(test, n, images.Options{Height: size, Width: size})
	if err != nil {
		return ReconstructionReport{}, err
	}
	return Reconstruction(ae, held.X, train)
}

// Reconstruction scores ae on images x [N, H, W, 1] (float32 in [−1, 1]): MSE and PSNR, the mean-image
// baseline (the mean of meanOf's images, fitted to x's size; nil skips it), and our FID of the reconstructions
// and of x itself.
func Reconstruction(ae *rae.Autoencoder, x *tensors.Tensor, meanOf *images.Set) (ReconstructionReport, error) {
	var r ReconstructionReport
	rec, err := ae.Reconstruct(x)
	if err != nil {
		return r, err
	}
	a, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		return r, err
	}
	b, err := tensors.CopyFlatData[float32](rec)
	if err != nil {
		return r, err
	}
	n := x.Shape().Dimensions[0]
	per := len(a) / n
	r.Images = n
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		r.MSE += d * d
	}
	r.MSE /= float64(len(a))
	r.PSNR = 10 * math.Log10(4/r.MSE)
	if meanOf != nil {
		dims := x.Shape().Dimensions
		src, err := images.NewSource(meanOf, images.Options{Sequential: true, Height: dims[1], Width: dims[2]})
		if err != nil {
			return r, err
		}
		mean := make([]float64, per)
		count := 0
		for lo := 0; lo < meanOf.Len(); lo += 1000 {
			bt, err := src.Range(lo, min(1000, meanOf.Len()-lo))
			if err != nil {
				return r, err
			}
			v, _ := tensors.CopyFlatData[float32](bt.X)
			for i, p := range v {
				mean[i%per] += float64(p)
			}
			count += bt.X.Shape().Dimensions[0]
		}
		for i := range a {
			d := float64(a[i]) - mean[i%per]/float64(count)
			r.MeanImageMSE += d * d
		}
		r.MeanImageMSE /= float64(len(a))
	}
	ev, err := evaluator.Default()
	if err != nil {
		return r, err
	}
	if r.FIDRecon, err = ev.FID(rec); err != nil {
		return r, err
	}
	if r.FIDReal, err = ev.FID(x); err != nil {
		return r, err
	}
	return r, nil
}
