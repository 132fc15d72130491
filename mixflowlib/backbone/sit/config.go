package sit

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// Config describes a SiT/DiT backbone. Zero fields take the defaults documented on each field (the "tiny"
// preset, unconditional); call Validate, or New, which validates, before use.
type Config struct {
	// ImageSize is the height and width of the square input, in pixels or latent cells. Default 32.
	ImageSize int
	// Channels is the number of input (and output) channels. Default 1 (grayscale). SD-VAE latents have 4.
	Channels int
	// PatchSize is the side p of the square patches; ImageSize must be a multiple of it. Default 4.
	PatchSize int
	// Depth is the number of transformer blocks. Default 4.
	Depth int
	// Hidden is the token width; it must be a multiple of 4 (2-D sin-cos position embedding) and of Heads.
	// Default 128.
	Hidden int
	// Heads is the number of attention heads. Default 4.
	Heads int
	// MLPRatio is the width of each block's MLP relative to Hidden (int(Hidden·MLPRatio) units).
	// Default 4.
	MLPRatio float64
	// NumClasses is the number of classes for class conditioning; 0 (the default) makes the model
	// unconditional. A conditional model has NumClasses + 1 label embeddings, the last one for NullLabel.
	NumClasses int
	// TimeFreqDim is the number of sinusoidal features of t fed to the timestep MLP. Default 256 (SiT).
	TimeFreqDim int
	// TimeScale multiplies t ∈ [0, 1] inside the sinusoidal embedding. Default 1: SiT embeds the raw t
	// (DiT uses 1000 on its integer timesteps).
	TimeScale float64
	// Attention selects the attention implementation; the default is the one measured fastest for
	// training on the pure-Go backend (see nn.AttentionImpl). Both use the same variables.
	Attention nn.AttentionImpl
}

// DefaultChannels is the number of channels a zero Channels field means (grayscale).
const DefaultChannels = 1

// ditDefaults are the defaults of the DiT fields: nn.SmallDiT's sizes on grayscale images.
var ditDefaults = nn.SmallDiT(DefaultChannels)

// DiT returns c's DiT fields as the nn.DiTConfig that the text-to-image DiT embeds. (SiT keeps its own
// fields so that its JSON keys, part of the image experiments' cache keys, stay as they are.)
func (c Config) DiT() nn.DiTConfig {
	return nn.DiTConfig{ImageSize: c.ImageSize, Channels: c.Channels, PatchSize: c.PatchSize, Depth: c.Depth,
		Hidden: c.Hidden, Heads: c.Heads, MLPRatio: c.MLPRatio, TimeFreqDim: c.TimeFreqDim, TimeScale: c.TimeScale,
		Attention: c.Attention}
}

// WithDefaults returns c with every zero field replaced by its default. Negative values are kept so that
// Validate can report them.
func (c Config) WithDefaults() Config {
	d := c.DiT().WithDefaults(ditDefaults)
	c.ImageSize, c.Channels, c.PatchSize, c.Depth, c.Hidden = d.ImageSize, d.Channels, d.PatchSize, d.Depth, d.Hidden
	c.Heads, c.MLPRatio, c.TimeFreqDim, c.TimeScale = d.Heads, d.MLPRatio, d.TimeFreqDim, d.TimeScale
	return c
}

// Validate returns an error naming the first invalid field of c (after applying defaults), or nil.
func (c Config) Validate() error {
	c = c.WithDefaults()
	if c.NumClasses < 0 {
		return fmt.Errorf("sit: NumClasses %d must be ≥ 0 (0 = unconditional)", c.NumClasses)
	}
	return c.DiT().Validate("sit")
}

// Grid returns the number of patches along each side, ImageSize / PatchSize (after defaults).
func (c Config) Grid() int {
	c = c.WithDefaults()
	return c.ImageSize / c.PatchSize
}

// NumTokens returns the number of patch tokens, Grid()².
func (c Config) NumTokens() int { return c.Grid() * c.Grid() }

// mlpHidden is the hidden width of a block's MLP, int(Hidden·MLPRatio) as in timm's Mlp.
func (c Config) mlpHidden() int { return c.DiT().MLPHidden() }

// String returns a compact description, e.g. "SiT(depth 4, hidden 128, heads 4, patch 4, 32×32×1, 10 classes)".
func (c Config) String() string {
	c = c.WithDefaults()
	classes := "unconditional"
	if c.NumClasses > 0 {
		classes = fmt.Sprintf("%d classes", c.NumClasses)
	}
	return fmt.Sprintf("SiT(depth %d, hidden %d, heads %d, patch %d, %d×%d×%d, %s)",
		c.Depth, c.Hidden, c.Heads, c.PatchSize, c.ImageSize, c.ImageSize, c.Channels, classes)
}

// ParamCounts is the analytic parameter count of a Config, by component. All counted parameters are
// trainable; the fixed 2-D position embedding is a constant and is reported apart.
type ParamCounts struct {
	// PatchEmbed is the patch projection Dense(p²·C → Hidden) with bias.
	PatchEmbed int
	// TimeEmbed is the timestep MLP: Dense(TimeFreqDim → Hidden), Dense(Hidden → Hidden), with biases.
	TimeEmbed int
	// LabelEmbed is the (NumClasses + 1) × Hidden label table; 0 when unconditional.
	LabelEmbed int
	// Blocks is the sum over the Depth blocks of adaLN (Hidden → 6·Hidden), qkv (Hidden → 3·Hidden),
	// the attention projection (Hidden → Hidden) and the MLP (Hidden → M → Hidden), all with biases.
	Blocks int
	// FinalLayer is the final adaLN (Hidden → 2·Hidden) and the output Dense(Hidden → p²·C).
	FinalLayer int
	// Total is the number of trainable parameters, the sum of the above.
	Total int
	// PosEmbedFixed is the size of the fixed position embedding (NumTokens × Hidden). It is not a
	// parameter here; PyTorch SiT/DiT count it because they store it as a frozen nn.Parameter.
	PosEmbedFixed int
}

// ParamCounts counts the parameters of the architecture analytically, without building it.
func (c Config) ParamCounts() (ParamCounts, error) {
	if err := c.Validate(); err != nil {
		return ParamCounts{}, err
	}
	c = c.WithDefaults()
	h, p2c, m := c.Hidden, c.PatchSize*c.PatchSize*c.Channels, c.mlpHidden()
	dense := func(in, out int) int { return in*out + out }
	var pc ParamCounts
	pc.PatchEmbed = dense(p2c, h)
	pc.TimeEmbed = dense(c.TimeFreqDim, h) + dense(h, h)
	if c.NumClasses > 0 {
		pc.LabelEmbed = (c.NumClasses + 1) * h
	}
	perBlock := dense(h, 6*h) + dense(h, 3*h) + dense(h, h) + dense(h, m) + dense(m, h)
	pc.Blocks = c.Depth * perBlock
	pc.FinalLayer = dense(h, 2*h) + dense(h, p2c)
	pc.Total = pc.PatchEmbed + pc.TimeEmbed + pc.LabelEmbed + pc.Blocks + pc.FinalLayer
	pc.PosEmbedFixed = c.NumTokens() * h
	return pc, nil
}

// NumParams returns the number of trainable parameters (ParamCounts().Total).
func (c Config) NumParams() (int, error) {
	pc, err := c.ParamCounts()
	return pc.Total, err
}

// sizes are the SiT model sizes of the SiT/DiT papers: depth, hidden, heads.
var sizes = map[string][3]int{
	"S":  {12, 384, 6},
	"B":  {12, 768, 12},
	"L":  {24, 1024, 16},
	"XL": {28, 1152, 16},
}

// Preset returns a named configuration:
//
//   - "SiT-S/2", "SiT-B/4", "SiT-XL/2", … (also "S/2", "xl/8"): the SiT/DiT sizes S (12 blocks, 384 wide,
//     6 heads), B (12/768/12), L (24/1024/16), XL (28/1152/16) with patch 2, 4 or 8, set up for ImageNet
//     256×256 through the SD-VAE: 32×32×4 latents and 1000 classes.
//   - "tiny": 4 blocks, 128 wide, 4 heads, patch 4, for 32×32×1 Fashion-MNIST with 10 classes; trains on
//     a laptop CPU in minutes.
//   - "micro": 2 blocks, 64 wide, 2 heads, patch 4, same data; for tests and smoke runs.
//
// Change ImageSize, Channels or NumClasses on the result for other data (e.g. ImageSize 28 for unpadded
// Fashion-MNIST with patch 4 or 7).
func Preset(name string) (Config, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	switch key {
	case "tiny":
		return Config{ImageSize: 32, Channels: 1, PatchSize: 4, Depth: 4, Hidden: 128, Heads: 4, NumClasses: 10}.WithDefaults(), nil
	case "micro":
		return Config{ImageSize: 32, Channels: 1, PatchSize: 4, Depth: 2, Hidden: 64, Heads: 2, NumClasses: 10}.WithDefaults(), nil
	}
	key = strings.TrimPrefix(key, "sit-")
	key = strings.TrimPrefix(key, "dit-")
	size, patch, ok := strings.Cut(key, "/")
	dims, known := sizes[strings.ToUpper(size)]
	p, err := strconv.Atoi(patch)
	if !ok || !known || err != nil || (p != 2 && p != 4 && p != 8) {
		return Config{}, fmt.Errorf("sit: unknown preset %q (want one of %s)", name, strings.Join(PresetNames(), ", "))
	}
	return Config{ImageSize: 32, Channels: 4, PatchSize: p, Depth: dims[0], Hidden: dims[1], Heads: dims[2],
		NumClasses: 1000}.WithDefaults(), nil
}

// PresetNames lists the names Preset accepts (in their canonical spelling).
func PresetNames() []string {
	names := []string{"micro", "tiny"}
	var sit []string
	for s := range sizes {
		for _, p := range []int{2, 4, 8} {
			sit = append(sit, fmt.Sprintf("SiT-%s/%d", s, p))
		}
	}
	order := map[string]int{"S": 0, "B": 1, "L": 2, "XL": 3}
	sort.Slice(sit, func(i, j int) bool {
		si, _, _ := strings.Cut(strings.TrimPrefix(sit[i], "SiT-"), "/")
		sj, _, _ := strings.Cut(strings.TrimPrefix(sit[j], "SiT-"), "/")
		if si != sj {
			return order[si] < order[sj]
		}
		return sit[i] < sit[j]
	})
	return append(names, sit...)
}
