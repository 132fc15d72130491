package rae

import (
	"cmp"
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"

	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// DDTConfig describes a DDT: RAE's DiT^DH, a DiT trunk followed by a wide, shallow "decoupled" head that sees
// the noisy latent again. Zero fields take the defaults documented on each field, except the latent
// geometry (Grid, Dim), which must be given.
type DDTConfig struct {
	// Grid and Dim are the latent's geometry: Grid×Grid tokens of width Dim, input [B, Grid, Grid, Dim].
	Grid int `json:"grid"`
	Dim  int `json:"dim"`
	// Patch is the side of the latent patches (Grid must be a multiple). Default 1 (RAE).
	Patch int `json:"patch"`
	// Width, Depth and Heads size the trunk. Defaults 128, 4, 4 (RAE's XL: 1152, 28, 16).
	Width int `json:"width"`
	Depth int `json:"depth"`
	Heads int `json:"heads"`
	// HeadWidth, HeadDepth and HeadHeads size the head. Defaults 2·Width, 2, Heads (RAE's XL: 2048, 2, 16).
	HeadWidth int `json:"head_width"`
	HeadDepth int `json:"head_depth"`
	HeadHeads int `json:"head_heads"`
	// MLPRatio is the MLP width of every block relative to its width. Default 4.
	MLPRatio float64 `json:"mlp_ratio"`
	// NumClasses is the number of classes (0: unconditional); NullLabel selects the guidance row.
	NumClasses int `json:"num_classes"`
	// TimeFreqDim is the number of sinusoidal features of t. Default 256.
	TimeFreqDim int `json:"time_freq_dim"`
	// Attention selects the attention implementation.
	Attention nn.AttentionImpl `json:"attention"`
}

// WithDefaults returns c with zero fields replaced by their defaults.
func (c DDTConfig) WithDefaults() DDTConfig {
	c.Patch = cmp.Or(c.Patch, 1)
	c.Width = cmp.Or(c.Width, 128)
	c.Depth = cmp.Or(c.Depth, 4)
	c.Heads = cmp.Or(c.Heads, 4)
	c.HeadWidth = cmp.Or(c.HeadWidth, 2*c.Width)
	c.HeadDepth = cmp.Or(c.HeadDepth, 2)
	c.HeadHeads = cmp.Or(c.HeadHeads, c.Heads)
	c.TimeFreqDim = cmp.Or(c.TimeFreqDim, 256)
	c.MLPRatio = cmp.Or(c.MLPRatio, 4)
	return c
}

// Validate returns an error naming the first invalid field (after defaults).
func (c DDTConfig) Validate() error {
	c = c.WithDefaults()
	if err := nn.CheckPositive("rae: DDT ", "Grid Dim Patch Width Depth Heads HeadWidth HeadDepth HeadHeads TimeFreqDim",
		c.Grid, c.Dim, c.Patch, c.Width, c.Depth, c.Heads, c.HeadWidth, c.HeadDepth, c.HeadHeads, c.TimeFreqDim); err != nil {
		return err
	}
	switch {
	case c.Grid%c.Patch != 0:
		return fmt.Errorf("rae: DDT Patch %d does not divide the latent grid %d", c.Patch, c.Grid)
	case c.Width%4 != 0 || c.Width%c.Heads != 0:
		return fmt.Errorf("rae: DDT Width %d must be a multiple of 4 and of Heads %d", c.Width, c.Heads)
	case c.HeadWidth%c.HeadHeads != 0:
		return fmt.Errorf("rae: DDT HeadWidth %d is not divisible by HeadHeads %d", c.HeadWidth, c.HeadHeads)
	case math.IsNaN(c.MLPRatio) || math.IsInf(c.MLPRatio, 0) || c.MLPRatio <= 0 || int(float64(c.Width)*c.MLPRatio) < 1:
		return fmt.Errorf("rae: DDT MLPRatio %v must be positive", c.MLPRatio)
	case c.NumClasses < 0:
		return fmt.Errorf("rae: DDT NumClasses %d must be ≥ 0", c.NumClasses)
	case c.TimeFreqDim%2 != 0:
		return fmt.Errorf("rae: DDT TimeFreqDim %d must be even", c.TimeFreqDim)
	case c.Attention < nn.AttentionDefault || c.Attention > nn.AttentionFused:
		return fmt.Errorf("rae: DDT: unknown Attention implementation %d", int(c.Attention))
	}
	return nil
}

// NumParams returns the number of trainable parameters, analytically.
func (c DDTConfig) NumParams() (int, error) {
	if err := c.Validate(); err != nil {
		return 0, err
	}
	c = c.WithDefaults()
	dense := func(in, out int) int { return in*out + out }
	block := func(w int) int {
		m := int(float64(w) * c.MLPRatio)
		return dense(w, 6*w) + dense(w, 3*w) + dense(w, w) + dense(w, m) + dense(m, w)
	}
	in := c.Patch * c.Patch * c.Dim
	n := dense(in, c.Width) + dense(c.TimeFreqDim, c.Width) + dense(c.Width, c.Width) + c.Depth*block(c.Width)
	if c.NumClasses > 0 {
		n += (c.NumClasses + 1) * c.Width
	}
	n += dense(c.Width, c.HeadWidth) + dense(in, c.HeadWidth) + c.HeadDepth*block(c.HeadWidth)
	n += dense(c.HeadWidth, 2*c.HeadWidth) + dense(c.HeadWidth, in)
	return n, nil
}

// DDT is RAE's DiT^DH on latents [B, Grid, Grid, Dim], in the project's time convention (t = 0 noise). It
// implements nn.Backbone and nn.Guidable, so the objectives, the trainer and the samplers use it like a SiT.
//
//	trunk: tokens h = Dense(patches) + 2-D sin-cos positions; c = MLP(sinusoid(t)) + label embedding;
//	       Depth adaLN-Zero blocks (SiT's, modulated by c per sample)
//	head:  s = Dense(SiLU(h + c))                     (per-token conditioning, HeadWidth)
//	       z = Dense(patches)                          (the noisy latent again, no positions, as RAE)
//	       HeadDepth adaLN-Zero blocks on z, modulated per token by s
//	       final adaLN (per token) and a zero-initialised Dense to the patch values, unpatchified
//
// Differences from RAE's DiTwDDTHead: LayerNorm, GELU MLPs and 2-D sin-cos positions instead of RMSNorm,
// SwiGLU and RoPE; SiT's sinusoidal time embedding instead of fixed Gaussian-Fourier features; the head's
// conditioning adds the full c (time and class) where RAE adds the time embedding only. At initialisation the
// output is exactly zero.
type DDT struct {
	cfg DDTConfig
}

var _ nn.Guidable = (*DDT)(nil)

// NewDDT validates cfg (after defaults) and returns the model.
func NewDDT(cfg DDTConfig) (*DDT, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &DDT{cfg: cfg.WithDefaults()}, nil
}

// Config returns the configuration, defaults applied.
func (d *DDT) Config() DDTConfig { return d.cfg }

// NullCond implements nn.Guidable: every label replaced by nn.NullLabel (unchanged when unconditional).
func (d *DDT) NullCond(cond nn.Cond) nn.Cond {
	if d.cfg.NumClasses == 0 || cond.Labels == nil {
		return cond
	}
	return nn.Cond{Labels: nn.NullLabels(cond.Labels), Tokens: cond.Tokens}
}

// Velocity implements nn.Backbone for x [B, Grid, Grid, Dim] and t float [B]. It panics (GoMLX style) on
// shapes that do not fit the configuration.
func (d *DDT) Velocity(scope *model.Scope, x, t *Node, cond nn.Cond) *Node {
	c := d.cfg
	dims := x.Shape().Dimensions
	if len(dims) != 4 || dims[1] != c.Grid || dims[2] != c.Grid || dims[3] != c.Dim || !x.DType().IsFloat() {
		panic(fmt.Errorf("rae: DDT input %s, want float [B, %d, %d, %d]", x.Shape(), c.Grid, c.Grid, c.Dim))
	}
	b := dims[0]
	if t.Rank() != 1 || t.Shape().Dimensions[0] != b {
		panic(fmt.Errorf("rae: DDT times %s, want [%d]", t.Shape(), b))
	}
	scope = scope.ResetVisited()
	g, dtype := x.Graph(), x.DType()
	grid := c.Grid / c.Patch
	xavier := scope.WithInitializer(initializer.XavierUniformFn(scope))
	patches := nn.Patchify(x, c.Patch)

	h := layers.Dense(xavier.In("x_embedder"), patches, true, c.Width)
	h = Add(h, nn.PosEmbed2DConst(h, grid, grid, c.Width))
	cvec := nn.TimestepMLP(scope.In("t_embedder"), ConvertDType(t, dtype), c.TimeFreqDim, c.Width, 1)
	if c.NumClasses > 0 {
		labels := cond.Labels
		if labels == nil {
			labels = nn.NullLabels(Zeros(g, shapes.Make(dtypes.Int32, b)))
		}
		cvec = Add(cvec, nn.LabelEmbedding(scope.In("y_embedder"), labels, c.NumClasses, c.Width, dtype))
	}
	for i := range c.Depth {
		h = d.block(xavier.In("blocks_%d", i), h, cvec, c.Width, c.Heads)
	}

	s := activation.Swish(Add(h, InsertAxes(cvec, 1)))
	s = layers.Dense(xavier.In("s_projector"), s, true, c.HeadWidth)
	z := layers.Dense(xavier.In("head_x_embedder"), patches, true, c.HeadWidth)
	for i := range c.HeadDepth {
		z = d.block(xavier.In("head_blocks_%d", i), z, s, c.HeadWidth, c.HeadHeads)
	}
	out := nn.DiTFinalLayer(xavier.In("final_layer"), z, s, c.Patch*c.Patch*c.Dim)
	return nn.Unpatchify(out, grid, grid, c.Patch, c.Dim)
}

// block is an adaLN-Zero block (nn.DiTBlock) of width w modulated by cond, per sample [B, w'] or per
// token [B, N, w'].
func (d *DDT) block(scope *model.Scope, x, cond *Node, w, heads int) *Node {
	return nn.DiTBlock(scope, x, cond, nn.DiTBlockConfig{Width: w, Heads: heads, MLPHidden: int(float64(w) * d.cfg.MLPRatio), Attention: d.cfg.Attention}, nil)
}
