package rae

import (
	"fmt"

	"github.com/mixflow/mixflow/datasets"
)

// LatentSource streams the normalised latents of an image source: batch k is the image batch k of Images,
// encoded by the frozen encoder and normalised, X float32 [B, Grid, Grid, Dim], with the images' labels. It
// implements datasets.Source and keeps its contract (a pure function of the step), so the trainer, the
// objectives and the samplers work on latents unchanged. Encoding happens on the host per batch (one encoder
// forward pass); nothing is stored.
type LatentSource struct {
	images datasets.Source
	ae     *Autoencoder
}

// NewLatentSource returns the latent stream of images through ae (whose decoder weights are not needed).
func NewLatentSource(images datasets.Source, ae *Autoencoder) (*LatentSource, error) {
	if images == nil {
		return nil, fmt.Errorf("rae: latent source needs an image source")
	}
	if err := ae.Check(); err != nil {
		return nil, err
	}
	return &LatentSource{images: images, ae: ae}, nil
}

// Name implements datasets.Source: the image source, the encoder weights and the statistics, e.g.
// "rae-latents(fashion-mnist/train(…),encoder=1a2b3c4d,stats=5e6f7a8b)".
func (s *LatentSource) Name() string {
	return fmt.Sprintf("rae-latents(%s,encoder=%s,stats=%s)", s.images.Name(), short(s.ae.Encoder.Spec().Fingerprint),
		short(s.ae.Stats.Fingerprint()))
}

// Shape returns the shape of one latent, [Grid, Grid, Dim].
func (s *LatentSource) Shape() []int { return s.ae.LatentShape() }

// Batch implements datasets.Source.
func (s *LatentSource) Batch(step int64, size int) (datasets.Batch, error) {
	b, err := s.images.Batch(step, size)
	if err != nil {
		return datasets.Batch{}, err
	}
	z, err := s.ae.Encode(b.X)
	if err != nil {
		return datasets.Batch{}, fmt.Errorf("rae: latent batch %d: %w", step, err)
	}
	return datasets.Batch{X: z, Cond: b.Cond}, nil
}

func short(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}
