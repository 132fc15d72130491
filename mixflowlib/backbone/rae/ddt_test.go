package rae_test

import (
	"math/rand"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

func tinyDDTConfig() rae.DDTConfig {
	return rae.DDTConfig{Grid: 4, Dim: 16, Patch: 2, Width: 32, Depth: 2, Heads: 2, HeadWidth: 48, HeadDepth: 1, HeadHeads: 2,
		MLPRatio: 2, NumClasses: 4, TimeFreqDim: 16}
}

// TestDDTShapesAndZeroInit checks the output shape, that the initial output is exactly zero (adaLN-Zero and a
// zero output layer), that two calls in one graph share the variables, and the analytic parameter count.
func TestDDTShapesAndZeroInit(t *testing.T) {
	be, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyDDTConfig()
	net, err := rae.NewDDT(cfg)
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	exec := model.MustNewExec(be, store, func(scope *model.Scope, x, tt, labels *Node) (*Node, *Node) {
		ms := scope.In("model")
		cond := nn.Cond{Labels: labels}
		return net.Velocity(ms, x, tt, cond), net.Velocity(ms, x, tt, net.NullCond(cond))
	})
	rng := rand.New(rand.NewSource(1))
	z := tensors.FromFlatDataAndDimensions(graphtest.Flat(t, randLatents(rng, 3, 16, 16)), 3, 4, 4, 16)
	ts := tensors.FromFlatDataAndDimensions([]float32{0.1, 0.5, 0.9}, 3)
	labels := tensors.FromFlatDataAndDimensions([]int32{0, 3, -1}, 3)
	v, vNull := exec.MustCall2(z, ts, labels)
	if d := v.Shape().Dimensions; len(d) != 4 || d[0] != 3 || d[1] != 4 || d[2] != 4 || d[3] != 16 {
		t.Fatalf("velocity shape %v", d)
	}
	for _, x := range append(graphtest.Flat(t, v), graphtest.Flat(t, vNull)...) {
		if x != 0 {
			t.Fatalf("initial output %v, want exactly 0", x)
		}
	}
	want, err := cfg.NumParams()
	graphtest.CheckNumParams(t, store, "/model/", want, err)
}

// TestDDTGradientsFlow trains the DDT with RAE's MixFlow objective on latents through mixflowlib/trainer and
// checks that every variable moves within a few steps (none is disconnected from the loss) and that the loss
// goes down.
func TestDDTGradientsFlow(t *testing.T) {
	enc := randomViT(t, tinyViTConfig(), 21)
	st := statsFor(t, enc, 128, 22)
	src, err := rae.NewLatentSource(blobSource{size: 16, seed: 5}, &rae.Autoencoder{Encoder: enc, Stats: st, Decoder: graphtest.Build(t, rae.NewDecoder, tinyDecoderConfig(0))})
	if err != nil {
		t.Fatal(err)
	}
	net, err := rae.NewDDT(tinyDDTConfig())
	if err != nil {
		t.Fatal(err)
	}
	trainLatent(t, "DDT", net, src, 2, 5)
}

// TestDDTConfigValidate checks the rejected fields.
func TestDDTConfigValidate(t *testing.T) {
	for _, c := range []struct {
		mod  func(*rae.DDTConfig)
		want string
	}{
		{func(c *rae.DDTConfig) { c.Grid = 0 }, "Grid 0"},
		{func(c *rae.DDTConfig) { c.Patch = 3 }, "Patch 3"},
		{func(c *rae.DDTConfig) { c.Width = 30 }, "Width 30"},
		{func(c *rae.DDTConfig) { c.HeadWidth = 47 }, "HeadWidth 47"},
		{func(c *rae.DDTConfig) { c.NumClasses = -1 }, "NumClasses -1"},
		{func(c *rae.DDTConfig) { c.TimeFreqDim = 15 }, "TimeFreqDim 15"},
		{func(c *rae.DDTConfig) { c.MLPRatio = -2 }, "MLPRatio -2"},
	} {
		cfg := tinyDDTConfig()
		c.mod(&cfg)
		_, err := rae.NewDDT(cfg)
		graphtest.MustContain(t, err, "rae: DDT", c.want)
	}
	d, err := rae.NewDDT(rae.DDTConfig{Grid: 4, Dim: 64})
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Config(); c.Patch != 1 || c.Width != 128 || c.HeadWidth != 256 || c.HeadDepth != 2 || c.HeadHeads != 4 {
		t.Errorf("defaults %+v", c)
	}
}
