package rae

import (
	"cmp"
	"fmt"
	"math"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"

	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// DecoderConfig describes a Decoder: a ViT-MAE-style transformer from latent tokens to pixel patches, the
// small counterpart of RAE's GeneralDecoder (ViT-XL, 28 blocks of width 1152, patch 16). Zero fields take
// the defaults documented on each field, except the latent and image geometry, which must be given (see
// DecoderFor).
type DecoderConfig struct {
	// Grid is the side of the latent token grid G (Grid² tokens, row-major).
	Grid int `json:"grid"`
	// Dim is the latent token width D.
	Dim int `json:"dim"`
	// ImageSize is the height and width of the output image; it must be a multiple of Grid, and each token
	// decodes to a patch of side ImageSize/Grid.
	ImageSize int `json:"image_size"`
	// Channels is the number of output channels (1 for Fashion-MNIST).
	Channels int `json:"channels"`
	// Width is the transformer's token width; a multiple of 4 and of Heads. Default 128.
	Width int `json:"width"`
	// Depth is the number of transformer blocks. Default 4.
	Depth int `json:"depth"`
	// Heads is the number of attention heads. Default 4.
	Heads int `json:"heads"`
	// MLPRatio is each block's MLP width relative to Width. Default 4.
	MLPRatio float64 `json:"mlp_ratio"`
	// NoiseTau is RAE's decoder noise augmentation τ: while training, each sample's normalised latent gets
	// Gaussian noise of standard deviation σ = τ·U, U ~ U[0, 1) drawn per sample, so that the decoder also
	// maps slightly-off latents (as a diffusion model generates them) to clean images. 0 turns it off.
	// RAE adds the noise to the raw encoder output before normalisation, with τ = 0.8 for DINOv2-B; here it
	// is added to the normalised latent, whose elements all have unit variance, so τ is in units of each
	// element's standard deviation. Sampling (Decode outside training) never adds noise.
	NoiseTau float64 `json:"noise_tau"`
	// Attention selects the attention implementation (see nn.AttentionImpl).
	Attention nn.AttentionImpl `json:"attention"`
}

// Default values of the DecoderConfig fields, used for zero fields.
const (
	DefaultDecoderWidth    = 128
	DefaultDecoderDepth    = 4
	DefaultDecoderHeads    = 4
	DefaultDecoderMLPRatio = 4.0
	// DefaultNoiseTau is the noise augmentation of the project's decoder presets (see DecoderConfig.NoiseTau).
	DefaultNoiseTau = 0.5
)

// WithDefaults returns c with zero fields replaced by their defaults (geometry fields are left alone).
func (c DecoderConfig) WithDefaults() DecoderConfig {
	c.Width = cmp.Or(c.Width, DefaultDecoderWidth)
	c.Depth = cmp.Or(c.Depth, DefaultDecoderDepth)
	c.Heads = cmp.Or(c.Heads, DefaultDecoderHeads)
	c.MLPRatio = cmp.Or(c.MLPRatio, DefaultDecoderMLPRatio)
	return c
}

// Validate returns an error naming the first invalid field (after defaults).
func (c DecoderConfig) Validate() error {
	c = c.WithDefaults()
	if err := nn.CheckPositive("rae: decoder ", "Grid Dim ImageSize Channels Width Depth Heads",
		c.Grid, c.Dim, c.ImageSize, c.Channels, c.Width, c.Depth, c.Heads); err != nil {
		return err
	}
	switch {
	case c.ImageSize%c.Grid != 0:
		return fmt.Errorf("rae: decoder ImageSize %d is not a multiple of the latent grid %d", c.ImageSize, c.Grid)
	case c.Width%4 != 0 || c.Width%c.Heads != 0:
		return fmt.Errorf("rae: decoder Width %d must be a multiple of 4 and of Heads %d", c.Width, c.Heads)
	case math.IsNaN(c.MLPRatio) || math.IsInf(c.MLPRatio, 0) || c.MLPRatio <= 0 || c.mlpHidden() < 1:
		return fmt.Errorf("rae: decoder MLPRatio %v must be positive and give at least one MLP unit", c.MLPRatio)
	case !(c.NoiseTau >= 0) || math.IsInf(c.NoiseTau, 0):
		return fmt.Errorf("rae: decoder NoiseTau %v must be finite and ≥ 0", c.NoiseTau)
	case c.Attention < nn.AttentionDefault || c.Attention > nn.AttentionFused:
		return fmt.Errorf("rae: decoder: unknown Attention implementation %d", int(c.Attention))
	}
	return nil
}

// Patch returns the side of the pixel patch each token decodes to, ImageSize / Grid.
func (c DecoderConfig) Patch() int { return c.ImageSize / c.Grid }

func (c DecoderConfig) mlpHidden() int { return int(float64(c.Width) * c.MLPRatio) }

// NumParams returns the number of trainable parameters of the decoder, analytically.
func (c DecoderConfig) NumParams() (int, error) {
	if err := c.Validate(); err != nil {
		return 0, err
	}
	c = c.WithDefaults()
	dense := func(in, out int) int { return in*out + out }
	w, m, p := c.Width, c.mlpHidden(), c.Patch()
	perBlock := dense(w, 3*w) + dense(w, w) + dense(w, m) + dense(m, w)
	return dense(c.Dim, w) + c.Depth*perBlock + dense(w, p*p*c.Channels), nil
}

// String describes the decoder, e.g. "decoder(4×4×64 → 28×28×1, width 128, depth 4, heads 4, τ 0.5)".
func (c DecoderConfig) String() string {
	c = c.WithDefaults()
	return fmt.Sprintf("decoder(%d×%d×%d → %d×%d×%d, width %d, depth %d, heads %d, τ %g)",
		c.Grid, c.Grid, c.Dim, c.ImageSize, c.ImageSize, c.Channels, c.Width, c.Depth, c.Heads, c.NoiseTau)
}

// Decoder maps normalised latents to images. It holds no variables: they live in the model.Store under the
// scope given to Decode (by the trainer's convention "/model").
//
// Architecture: Dense(D → Width) on every token plus the fixed 2-D sin-cos position embedding of the grid;
// Depth pre-LayerNorm transformer blocks (x += Attn(LN(x)); x += MLP(LN(x)), GELU); a final LayerNorm and
// Dense(Width → p²·C) per token, unpatchified into the image. Differences from RAE's GeneralDecoder, which
// is Hugging Face's ViT-MAE decoder: no CLS token, LayerNorms without learned affine (the dense layers that
// follow absorb it), and the output is the image in [−1, 1] directly (RAE de-normalises with the encoder's
// ImageNet mean and standard deviation).
//
// Variable layout under the scope: embed, blocks_<i>/{attn/qkv, attn/proj, mlp/fc1, mlp/fc2}, pred; each
// Dense keeps its weights and biases under a "dense" sub-scope.
type Decoder struct {
	cfg DecoderConfig
}

// NewDecoder validates cfg (after defaults) and returns the decoder.
func NewDecoder(cfg DecoderConfig) (*Decoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Decoder{cfg: cfg.WithDefaults()}, nil
}

// Config returns the decoder's configuration, defaults applied.
func (d *Decoder) Config() DecoderConfig { return d.cfg }

// CheckLatents returns an error unless shape is a float32 latent batch [B, Grid², Dim] or [B, Grid, Grid, Dim].
func (d *Decoder) CheckLatents(shape shapes.Shape) error {
	c := d.cfg
	dims := shape.Dimensions
	ok := (len(dims) == 3 && dims[1] == c.Grid*c.Grid && dims[2] == c.Dim) ||
		(len(dims) == 4 && dims[1] == c.Grid && dims[2] == c.Grid && dims[3] == c.Dim)
	if !ok || dims[0] <= 0 || !shape.DType.IsFloat() {
		return fmt.Errorf("rae: decoder latents have shape %s, want float [B, %d, %d] or [B, %d, %d, %d]",
			shape, c.Grid*c.Grid, c.Dim, c.Grid, c.Grid, c.Dim)
	}
	return nil
}

// Decode returns the images [B, ImageSize, ImageSize, Channels] decoded from normalised latents z
// ([B, Grid², Dim] or [B, Grid, Grid, Dim]). Values are not clipped; clip to [−1, 1] for display and
// scoring. It may be called several times in one graph and panics (GoMLX style) on a shape that does not
// fit; see CheckLatents.
func (d *Decoder) Decode(scope *model.Scope, z *Node) *Node {
	if err := d.CheckLatents(z.Shape()); err != nil {
		panic(err)
	}
	c := d.cfg
	scope = scope.ResetVisited()
	b := z.Shape().Dimensions[0]
	z = Reshape(z, b, c.Grid*c.Grid, c.Dim)
	xavier := scope.WithInitializer(initializer.XavierUniformFn(scope))
	h := layers.Dense(xavier.In("embed"), z, true, c.Width)
	h = Add(h, nn.PosEmbed2DConst(h, c.Grid, c.Grid, c.Width))
	for i := range c.Depth {
		blk := xavier.In("blocks_%d", i)
		h = Add(h, nn.SelfAttention(blk.In("attn"), nn.LayerNorm(h, nn.LayerNormEps), c.Heads, c.Attention))
		mlp := blk.In("mlp")
		m := layers.Dense(mlp.In("fc1"), nn.LayerNorm(h, nn.LayerNormEps), true, c.mlpHidden())
		m = activation.GeluApproximate(m)
		h = Add(h, layers.Dense(mlp.In("fc2"), m, true, c.Width))
	}
	p := c.Patch()
	out := layers.Dense(xavier.In("pred"), nn.LayerNorm(h, nn.LayerNormEps), true, p*p*c.Channels)
	return nn.Unpatchify(out, c.Grid, c.Grid, p, c.Channels)
}
