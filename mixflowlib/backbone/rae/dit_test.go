package rae_test

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/experiment/raeexp"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// TestDiTConfig checks the latent DiT's geometry and its errors.
func TestDiTConfig(t *testing.T) {
	spec := randomViT(t, tinyViTConfig(), 1).Spec() // 4×4×16
	cfg, err := rae.DiTConfig(spec, "micro", 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	micro, _ := sit.Preset("micro")
	if cfg.ImageSize != 4 || cfg.Channels != 16 || cfg.PatchSize != 1 || cfg.NumClasses != 4 ||
		cfg.Depth != micro.Depth || cfg.Hidden != micro.Hidden || cfg.NumTokens() != 16 {
		t.Errorf("DiTConfig = %s (%d tokens)", cfg, cfg.NumTokens())
	}
	cfg2, err := rae.DiTConfig(spec, "tiny", 2, 0)
	if err != nil || cfg2.NumTokens() != 4 || cfg2.NumClasses != 0 {
		t.Errorf("patch 2: %s, %d tokens, err %v", cfg2, cfg2.NumTokens(), err)
	}
	_, err = rae.DiTConfig(spec, "tiny", 3, 0)
	graphtest.MustContain(t, err, "rae:", "patch 3", "grid 4")
	_, err = rae.DiTConfig(spec, "huge", 1, 0)
	graphtest.MustContain(t, err, "rae:", "unknown preset")
	_, err = rae.DiTConfig(spec, "tiny", 1, -2)
	graphtest.MustContain(t, err, "rae:", "numClasses -2")
	spec.Dim = 0
	_, err = rae.DiTConfig(spec, "tiny", 1, 0)
	graphtest.MustContain(t, err, "Dim 0")
}

// TestLatentPipeline runs the whole RAE pipeline at toy size: latent source → DiT trained with the RAE
// MixFlow objective through mixflowlib/trainer (all DiT variables receive gradients, the loss drops) →
// sampling on the shifted grid → decoding to images.
func TestLatentPipeline(t *testing.T) {
	enc := randomViT(t, tinyViTConfig(), 11)
	encBefore := enc.Weights()
	st := statsFor(t, enc, 256, 12)
	dec := graphtest.Build(t, rae.NewDecoder, tinyDecoderConfig(0))
	ae := &rae.Autoencoder{Encoder: enc, Stats: st, Decoder: dec}
	src, err := rae.NewLatentSource(blobSource{size: 16, seed: 3}, ae)
	if err != nil {
		t.Fatal(err)
	}
	if got := src.Shape(); len(got) != 3 || got[0] != 4 || got[1] != 4 || got[2] != 16 {
		t.Fatalf("latent shape %v", got)
	}
	if !strings.Contains(src.Name(), "rae-latents(blobs,encoder="+enc.Fingerprint()[:8]) {
		t.Errorf("source name %q", src.Name())
	}
	b1, err := src.Batch(7, 4)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := src.Batch(7, 4)
	if mse(graphtest.Flat(t, b1.X), graphtest.Flat(t, b2.X)) != 0 || b1.Cond.Labels == nil {
		t.Error("latent batches are not a pure function of the step, or lost their labels")
	}

	ditCfg, err := rae.DiTConfig(enc.Spec(), "micro", 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	net, err := sit.New(ditCfg)
	if err != nil {
		t.Fatal(err)
	}
	_, shift, _ := rae.ShiftFor(16*16, 64) // √(256/64) = 2
	tr := trainLatent(t, "DiT", net, src, shift, 3)
	for name, w := range enc.Weights() {
		if mse(graphtest.Flat(t, w), graphtest.Flat(t, encBefore[name])) != 0 {
			t.Errorf("encoder weight %s changed during DiT training", name)
		}
	}
	for v := range tr.Store().IterVariables() {
		if strings.Contains(v.Path(), "patch_embed") {
			t.Errorf("encoder weight %s landed in the DiT trainer's store", v.Path())
		}
	}

	store, err := tr.SamplingStore(false)
	if err != nil {
		t.Fatal(err)
	}
	scfg, err := raeexp.SamplerConfig(8, shift)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sampler.New(nil, store, net, scfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Finalize()
	x0, _ := sampler.Noise(1, 6, 4, 4, 16)
	z, err := s.Sample(x0, datasets.Cond{Labels: b1.Cond.Labels})
	if err == nil {
		t.Fatal("6 noise samples with 4 labels accepted")
	}
	x0, _ = sampler.Noise(1, 4, 4, 4, 16)
	if z, err = s.Sample(x0, datasets.Cond{Labels: b1.Cond.Labels}); err != nil {
		t.Fatal(err)
	}
	// An untrained decoder (fresh store: it creates its variables on first use) is enough to check the plumbing.
	img, err := (&rae.Autoencoder{Encoder: enc, Stats: st, Decoder: dec, Store: model.NewStore()}).Decode(z)
	if err != nil {
		t.Fatal(err)
	}
	if d := img.Shape().Dimensions; d[0] != 4 || d[1] != 16 || d[2] != 16 || d[3] != 1 {
		t.Errorf("decoded samples %v", d)
	}
	for _, v := range graphtest.Flat(t, img) {
		if math.IsNaN(float64(v)) || v < -1 || v > 1 {
			t.Fatalf("decoded value %v outside [−1, 1]", v)
		}
	}
}
