package nn

import (
	"cmp"
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/compute/shapes"
)

// DiTConfig holds the sizes every DiT-style image backbone shares: the patch embedding, the timestep
// embedding and the adaLN-Zero blocks (DiTBlock). The text-to-image DiT embeds it in its Config (its
// JSON keys are these fields' tags); SiT keeps its own fields and checks them through DiTConfig.
// Zero fields take the owner's defaults (WithDefaults).
type DiTConfig struct {
	// ImageSize is the height and width of the square input, in pixels or latent cells.
	ImageSize int `json:"image_size"`
	// Channels is the number of input and output channels.
	Channels int `json:"channels"`
	// PatchSize is the side p of the square patches; ImageSize must be a multiple of it.
	PatchSize int `json:"patch_size"`
	// Depth is the number of DiT blocks.
	Depth int `json:"depth"`
	// Hidden is the token width: a multiple of 4 (2-D sin-cos position embedding) and of Heads.
	Hidden int `json:"hidden"`
	// Heads is the number of attention heads.
	Heads int `json:"heads"`
	// MLPRatio is the width of each block's MLP relative to Hidden (int(Hidden·MLPRatio) units).
	MLPRatio float64 `json:"mlp_ratio"`
	// TimeFreqDim is the number of sinusoidal features of t fed to the timestep MLP (SiT: 256).
	TimeFreqDim int `json:"time_freq_dim"`
	// TimeScale multiplies t ∈ [0, 1] inside the sinusoids (SiT: 1, the raw t; DiT: 1000).
	TimeScale float64 `json:"time_scale"`
	// Attention selects the self-attention implementation (see AttentionImpl).
	Attention AttentionImpl `json:"attention"`
}

// SmallDiT returns the sizes that SiT and the text-to-image DiT take for zero fields (their "tiny"
// preset): 32×32 inputs with the given number of channels, patch 4, 4 blocks of width 128 with 4
// heads, MLP ratio 4, and 256 sinusoidal time features of the raw t (TimeScale 1, as SiT).
func SmallDiT(channels int) DiTConfig {
	return DiTConfig{ImageSize: 32, Channels: channels, PatchSize: 4, Depth: 4, Hidden: 128, Heads: 4, MLPRatio: 4,
		TimeFreqDim: 256, TimeScale: 1}
}

// CheckImageInput returns an error, prefixed with owner, unless x is float [B, ImageSize, ImageSize,
// Channels] with B > 0 and t is float [B] (one time per sample): the input check of DiT-style image
// backbones.
func (c DiTConfig) CheckImageInput(owner string, x, t shapes.Shape) error {
	if x.Rank() != 4 || x.Dimensions[1] != c.ImageSize || x.Dimensions[2] != c.ImageSize || x.Dimensions[3] != c.Channels {
		return fmt.Errorf("%s: x has shape %s, want [B, %d, %d, %d] (NHWC)", owner, x, c.ImageSize, c.ImageSize, c.Channels)
	}
	if !x.DType.IsFloat() {
		return fmt.Errorf("%s: x has dtype %s, want a float dtype", owner, x.DType)
	}
	b := x.Dimensions[0]
	if b <= 0 {
		return fmt.Errorf("%s: x has an empty batch: %s", owner, x)
	}
	if t.Rank() != 1 || t.Dimensions[0] != b || !t.DType.IsFloat() {
		return fmt.Errorf("%s: t has shape %s, want float [%d] (one time per sample)", owner, t, b)
	}
	return nil
}

// WithDefaults returns c with every zero field replaced by def's. Negative values are kept for Validate
// to report.
func (c DiTConfig) WithDefaults(def DiTConfig) DiTConfig {
	c.ImageSize = cmp.Or(c.ImageSize, def.ImageSize)
	c.Channels = cmp.Or(c.Channels, def.Channels)
	c.PatchSize = cmp.Or(c.PatchSize, def.PatchSize)
	c.Depth = cmp.Or(c.Depth, def.Depth)
	c.Hidden = cmp.Or(c.Hidden, def.Hidden)
	c.Heads = cmp.Or(c.Heads, def.Heads)
	c.TimeFreqDim = cmp.Or(c.TimeFreqDim, def.TimeFreqDim)
	c.MLPRatio = cmp.Or(c.MLPRatio, def.MLPRatio)
	c.TimeScale = cmp.Or(c.TimeScale, def.TimeScale)
	return c
}

// Validate returns an error naming the first invalid field of c (call it after WithDefaults), prefixed
// with owner, the package whose configuration it is ("sit: Hidden 30 must be a multiple of 4 …").
func (c DiTConfig) Validate(owner string) error {
	if err := CheckPositive(owner+": ", "ImageSize Channels PatchSize Depth Hidden Heads TimeFreqDim",
		c.ImageSize, c.Channels, c.PatchSize, c.Depth, c.Hidden, c.Heads, c.TimeFreqDim); err != nil {
		return err
	}
	switch {
	case c.ImageSize%c.PatchSize != 0:
		return fmt.Errorf("%s: ImageSize %d is not a multiple of PatchSize %d", owner, c.ImageSize, c.PatchSize)
	case c.Hidden%4 != 0:
		return fmt.Errorf("%s: Hidden %d must be a multiple of 4 (2-D sin-cos position embedding)", owner, c.Hidden)
	case c.Hidden%c.Heads != 0:
		return fmt.Errorf("%s: Hidden %d is not divisible by Heads %d", owner, c.Hidden, c.Heads)
	case math.IsNaN(c.MLPRatio) || math.IsInf(c.MLPRatio, 0) || c.MLPRatio < 0 || c.MLPHidden() < 1:
		return fmt.Errorf("%s: MLPRatio %g must be positive and give at least one MLP unit", owner, c.MLPRatio)
	case c.TimeFreqDim%2 != 0:
		return fmt.Errorf("%s: TimeFreqDim %d must be even", owner, c.TimeFreqDim)
	case math.IsNaN(c.TimeScale) || math.IsInf(c.TimeScale, 0) || c.TimeScale < 0:
		return fmt.Errorf("%s: TimeScale %g must be positive and finite", owner, c.TimeScale)
	case c.Attention < AttentionDefault || c.Attention > AttentionFused:
		return fmt.Errorf("%s: unknown Attention implementation %d", owner, int(c.Attention))
	}
	return nil
}

// Grid returns the number of patches along each side, ImageSize / PatchSize.
func (c DiTConfig) Grid() int { return c.ImageSize / c.PatchSize }

// NumTokens returns the number of patch tokens, Grid()².
func (c DiTConfig) NumTokens() int { return c.Grid() * c.Grid() }

// MLPHidden is the hidden width of a block's MLP, int(Hidden·MLPRatio) as in timm's Mlp.
func (c DiTConfig) MLPHidden() int { return int(float64(c.Hidden) * c.MLPRatio) }

// Block returns the configuration of one DiTBlock of c.
func (c DiTConfig) Block() DiTBlockConfig {
	return DiTBlockConfig{Width: c.Hidden, Heads: c.Heads, MLPHidden: c.MLPHidden(), Attention: c.Attention}
}

// CheckPositive returns the error "<prefix><name> <value> must be positive" for the first of values
// that is not > 0, or nil: the size checks of the configurations' Validate methods. names lists the
// values' names, separated by spaces; prefix names the configuration ("rae: DDT ", "encoder:
// ViTConfig."). It panics when names and values differ in number.
func CheckPositive(prefix, names string, values ...int) error {
	fields := strings.Fields(names)
	if len(fields) != len(values) {
		panic(fmt.Errorf("nn: CheckPositive: %d names for %d values", len(fields), len(values)))
	}
	for i, v := range values {
		if v <= 0 {
			return fmt.Errorf("%s%s %d must be positive", prefix, fields[i], v)
		}
	}
	return nil
}
