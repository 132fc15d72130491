package rae_test

import (
	"context"
	"math"
	"math/rand"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/experiment/raeexp"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

func tinyDecoderConfig(tau float64) rae.DecoderConfig {
	return rae.DecoderConfig{Grid: 4, Dim: 16, ImageSize: 16, Channels: 1, Width: 32, Depth: 2, Heads: 2, MLPRatio: 2, NoiseTau: tau}
}

// TestDecoderShapes checks both latent layouts, the output shape, and the analytic parameter count.
func TestDecoderShapes(t *testing.T) {
	be, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyDecoderConfig(0)
	d := graphtest.Build(t, rae.NewDecoder, cfg)
	store := model.NewStore()
	exec := model.MustNewExec(be, store, func(scope *model.Scope, z3, z4 *Node) (*Node, *Node) {
		ms := scope.In("model")
		return d.Decode(ms, z3), d.Decode(ms, z4) // twice in one graph: the variables are shared
	})
	rng := rand.New(rand.NewSource(3))
	z := randLatents(rng, 5, 16, 16)
	z4 := tensors.FromFlatDataAndDimensions(graphtest.Flat(t, z), 5, 4, 4, 16)
	a, b := exec.MustCall2(z, z4)
	for _, out := range []*tensors.Tensor{a, b} {
		if got := out.Shape().Dimensions; len(got) != 4 || got[0] != 5 || got[1] != 16 || got[2] != 16 || got[3] != 1 {
			t.Fatalf("decoded shape %v, want [5 16 16 1]", got)
		}
	}
	if mse(graphtest.Flat(t, a), graphtest.Flat(t, b)) != 0 {
		t.Error("the two latent layouts decode differently")
	}
	want, err := cfg.NumParams()
	graphtest.CheckNumParams(t, store, "/model/", want, err)
	if err := d.CheckLatents(tensors.FromFlatDataAndDimensions(make([]float32, 16*15), 1, 16, 15).Shape()); err == nil {
		t.Error("latents of width 15 accepted")
	}
}

// TestDecoderConfigValidate checks every rejected field.
func TestDecoderConfigValidate(t *testing.T) {
	good := tinyDecoderConfig(0.5)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mod  func(*rae.DecoderConfig)
		want string
	}{
		{func(c *rae.DecoderConfig) { c.Grid = 0 }, "Grid 0"},
		{func(c *rae.DecoderConfig) { c.Dim = -1 }, "Dim -1"},
		{func(c *rae.DecoderConfig) { c.ImageSize = 18 }, "not a multiple of the latent grid 4"},
		{func(c *rae.DecoderConfig) { c.Width = 30 }, "Width 30"},
		{func(c *rae.DecoderConfig) { c.Heads = 3 }, "Heads 3"},
		{func(c *rae.DecoderConfig) { c.MLPRatio = math.NaN() }, "MLPRatio NaN"},
		{func(c *rae.DecoderConfig) { c.NoiseTau = -0.1 }, "NoiseTau -0.1"},
		{func(c *rae.DecoderConfig) { c.NoiseTau = math.Inf(1) }, "NoiseTau +Inf"},
		{func(c *rae.DecoderConfig) { c.Attention = 7 }, "Attention"},
	} {
		cfg := good
		c.mod(&cfg)
		_, err := rae.NewDecoder(cfg)
		graphtest.MustContain(t, err, "rae: decoder", c.want)
	}
}

// TestDecoderTrainingKeepsEncoderFrozen trains the decoder through mixflowlib/trainer with the encoder in the
// training step and checks (1) that the first step moves every decoder variable (all receive gradients),
// (2) that the store holds no encoder variable, (3) that the encoder's weights and its output are bit-for-bit
// unchanged afterwards, and (4) that the loss went down.
func TestDecoderTrainingKeepsEncoderFrozen(t *testing.T) {
	enc := randomViT(t, tinyViTConfig(), 5)
	before := enc.Weights()
	st := statsFor(t, enc, 256, 6)
	dec := graphtest.Build(t, rae.NewDecoder, tinyDecoderConfig(0.3))
	cfg := trainer.DefaultConfig()
	cfg.LR, cfg.BatchSize, cfg.Steps, cfg.LogEvery, cfg.EMADecay = 2e-3, 32, 60, 10, 0.9
	tr, err := raeexp.NewDecoderTrainer(cfg, raeexp.ReconstructionObjective{Encoder: enc, Stats: st, Decoder: dec}, blobSource{size: 16, seed: 1})
	init := initTrainer(t, tr, err)
	images, _ := blobImages(rand.New(rand.NewSource(99)), 8, 16)
	ae := &rae.Autoencoder{Encoder: enc, Stats: st, Decoder: dec}
	z0, err := ae.Encode(images)
	if err != nil {
		t.Fatal(err)
	}
	first, err := tr.TrainStep()
	if err != nil {
		t.Fatal(err)
	}
	after := graphtest.VarsUnder(t, tr.Store(), "/model/")
	if unchanged := graphtest.UnchangedVars(init, after); len(unchanged) > 0 {
		t.Errorf("decoder variables without gradient after one step: %v", unchanged)
	}
	for n := range init {
		if !strings.HasPrefix(n, "/model/embed/") && !strings.HasPrefix(n, "/model/blocks_") && !strings.HasPrefix(n, "/model/pred/") {
			t.Errorf("unexpected model variable %s (the encoder must not create variables)", n)
		}
	}
	for v := range tr.Store().IterVariables() {
		if strings.Contains(v.Path(), "patch_embed") || strings.Contains(v.Path(), "norm1") {
			t.Errorf("encoder weight %s landed in the trainer's store", v.Path())
		}
	}
	if _, err := tr.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := tr.History()
	last := h.Loss[len(h.Loss)-1]
	if !(last < 0.7*first.Loss) {
		t.Errorf("reconstruction loss %v after %d steps, first step %v: not learning", last, tr.Step(), first.Loss)
	}
	for name, w := range enc.Weights() {
		if mse(graphtest.Flat(t, w), graphtest.Flat(t, before[name])) != 0 {
			t.Errorf("encoder weight %s changed during decoder training", name)
		}
	}
	z1, err := ae.Encode(images)
	if err != nil {
		t.Fatal(err)
	}
	if mse(graphtest.Flat(t, z0), graphtest.Flat(t, z1)) != 0 {
		t.Error("the encoder's output changed during decoder training")
	}
}

// TestAutoencoderBadInput checks mismatched parts and bad tensors.
func TestAutoencoderBadInput(t *testing.T) {
	enc := randomViT(t, tinyViTConfig(), 7)
	st := statsFor(t, enc, 64, 8)
	dec := graphtest.Build(t, rae.NewDecoder, tinyDecoderConfig(0))

	graphtest.MustContain(t, (&rae.Autoencoder{Encoder: enc, Stats: st}).Check(), "rae:", "needs an encoder, stats and a decoder")
	wrongDec := tinyDecoderConfig(0)
	wrongDec.Dim, wrongDec.Width = 8, 32
	graphtest.MustContain(t, (&rae.Autoencoder{Encoder: enc, Stats: st, Decoder: graphtest.Build(t, rae.NewDecoder, wrongDec)}).Check(), "rae:", "decoder expects 4×4×8")
	other := *st
	other.Encoder = "0000000000000000"
	graphtest.MustContain(t, (&rae.Autoencoder{Encoder: enc, Stats: &other, Decoder: dec}).Check(), "rae:", "stats were computed with encoder weights")

	ae := &rae.Autoencoder{Encoder: enc, Stats: st, Decoder: dec}
	_, err := ae.Encode(tensors.FromFlatDataAndDimensions(make([]float32, 2*8*8), 2, 8, 8, 1))
	graphtest.MustContain(t, err, "rae:", "want [B, 16, 16, 1]")
	x := make([]float32, 16*16)
	x[37] = float32(math.NaN())
	_, err = ae.Encode(tensors.FromFlatDataAndDimensions(x, 1, 16, 16, 1))
	graphtest.MustContain(t, err, "rae:", "NaN", "example 0, element 37")
	x[37] = 3
	_, err = ae.Encode(tensors.FromFlatDataAndDimensions(x, 1, 16, 16, 1))
	graphtest.MustContain(t, err, "rae:", "±2")
	_, err = ae.Decode(tensors.FromFlatDataAndDimensions(make([]float32, 16*16), 1, 4, 4, 16))
	graphtest.MustContain(t, err, "rae:", "Store is nil")

	ae = &rae.Autoencoder{Encoder: enc, Stats: st, Decoder: dec, Store: model.NewStore()}
	_, err = ae.Decode(tensors.FromFlatDataAndDimensions(make([]float32, 16*8), 1, 4, 4, 8))
	graphtest.MustContain(t, err, "rae: decoder latents", "want float [B, 16, 16]")
	z := make([]float32, 16*16)
	z[5] = float32(math.Inf(-1))
	_, err = ae.Decode(tensors.FromFlatDataAndDimensions(z, 1, 4, 4, 16))
	graphtest.MustContain(t, err, "rae:", "-Inf")

	_, err = raeexp.NewDecoderTrainer(trainer.DefaultConfig(), raeexp.ReconstructionObjective{Encoder: enc, Decoder: dec}, blobSource{size: 16})
	graphtest.MustContain(t, err, "rae:", "needs an encoder, stats and a decoder")
}

// TestReconstructionObjectiveName checks that the objective's name (recorded in checkpoints and histories)
// identifies the encoder, its weights and the decoder.
func TestReconstructionObjectiveName(t *testing.T) {
	enc := randomViT(t, tinyViTConfig(), 7)
	st := statsFor(t, enc, 64, 8)
	obj := raeexp.ReconstructionObjective{Encoder: enc, Stats: st, Decoder: graphtest.Build(t, rae.NewDecoder, tinyDecoderConfig(0))}
	for _, part := range []string{"rae-reconstruction(encoder=vit-s16", "@" + enc.Fingerprint()[:8], "stats=" + st.Fingerprint()[:8],
		"decoder(4×4×16 → 16×16×1, width 32, depth 2, heads 2, τ 0)", "loss=mse"} {
		if !strings.Contains(obj.Name(), part) {
			t.Errorf("objective name %q lacks %q", obj.Name(), part)
		}
	}
}
