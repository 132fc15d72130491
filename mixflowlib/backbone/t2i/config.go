package t2i

import (
	"cmp"
	"fmt"
	"math"
	"strings"

	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// Conditioning says how the caption reaches the image transformer.
type Conditioning string

const (
	// CrossPooled (the default) uses both routes, as SD3 does: every block cross-attends from the image
	// tokens to the text tokens, and the pooled caption vector is added to the timestep embedding that
	// drives adaLN.
	CrossPooled Conditioning = "cross+pooled"
	// Cross uses only cross-attention from image tokens to text tokens (PixArt-α); adaLN sees only t.
	Cross Conditioning = "cross"
	// Pooled uses only the pooled caption vector, added to the timestep embedding (the DiT class-label
	// route with a caption instead of a label). Cheapest; no per-token text access.
	Pooled Conditioning = "pooled"
)

// usesCross reports whether the blocks cross-attend to the text tokens.
func (c Conditioning) usesCross() bool { return c == CrossPooled || c == Cross }

// usesPooled reports whether the pooled caption is added to the adaLN conditioning.
func (c Conditioning) usesPooled() bool { return c == CrossPooled || c == Pooled }

// TextConfig describes the caption encoder: token embedding plus learned positions, a learned
// register token in front (its output is the pooled caption; for the all-padding null caption it is a
// learned null embedding), Depth pre-LayerNorm transformer blocks whose attention ignores padding, and a
// final LayerNorm. Zero fields take the documented defaults.
type TextConfig struct {
	// VocabSize is the number of token ids, padding (id 0) and unknown (id 1) included; required
	// (e.g. captions.Tokenizer.VocabSize()).
	VocabSize int `json:"vocab_size"`
	// MaxLen is the largest caption length in tokens the position table holds. Default 12
	// (captions.DefaultMaxLen).
	MaxLen int `json:"max_len"`
	// Width is the width of the text tokens. Default 64.
	Width int `json:"width"`
	// Depth is the number of transformer blocks; 0 means the default 2 and −1 means none (token and
	// position embeddings only; the register token then sees no word, so Pooled conditioning needs
	// Depth ≥ 1).
	Depth int `json:"depth"`
	// Heads is the number of attention heads. Default 2.
	Heads int `json:"heads"`
	// MLPRatio is the width of each block's MLP relative to Width. Default 4.
	MLPRatio float64 `json:"mlp_ratio"`
}

// Config describes a text-conditioned DiT: SiT's patch embedding, timestep MLP, adaLN-Zero blocks and
// final layer (mixflowlib/backbone/sit), a caption encoder (Text), and the conditioning route.
// Zero fields take the documented defaults ("tiny" preset sizes for 32×32 RGB captioned shapes).
type Config struct {
	// DiTConfig holds the image transformer's sizes, shared with SiT (nn.DiTConfig); its defaults here
	// are ImageSize 32, Channels 3 (RGB), PatchSize 4, Depth 4, Hidden 128, Heads 4 (self and
	// cross-attention), MLPRatio 4, TimeFreqDim 256, TimeScale 1. Cross-attention and the text encoder
	// always use the einsum attention, which supports the padding mask; Attention selects only the
	// self-attention's. Its fields keep their JSON keys at the top level ("image_size", …).
	nn.DiTConfig
	// Conditioning selects how the caption reaches the blocks; "" means CrossPooled.
	Conditioning Conditioning `json:"conditioning"`
	// Text configures the caption encoder.
	Text TextConfig `json:"text"`
	// FreezeText stops gradients at the caption encoder's output, so training leaves its weights
	// unchanged (as SD3 fine-tuning keeps its text encoders frozen). The variables are the same either
	// way, so a model trained with the encoder can be post-trained with it frozen.
	FreezeText bool `json:"freeze_text,omitempty"`
}

// Default values used for zero fields; the image transformer's other sizes are nn.SmallDiT's.
const (
	DefaultChannels     = 3
	DefaultTextMaxLen   = 12
	DefaultTextWidth    = 64
	DefaultTextDepth    = 2
	DefaultTextHeads    = 2
	DefaultTextMLPRatio = 4.0
)

// ditDefaults are the defaults of the DiT fields: nn.SmallDiT's sizes on RGB images.
var ditDefaults = nn.SmallDiT(DefaultChannels)

// WithDefaults returns c with every zero field replaced by its default. Negative values are kept for
// Validate to report (except Text.Depth −1, which means no text blocks).
func (c Config) WithDefaults() Config {
	c.DiTConfig = c.DiTConfig.WithDefaults(ditDefaults)
	c.Conditioning = cmp.Or(c.Conditioning, CrossPooled)
	c.Text.MaxLen = cmp.Or(c.Text.MaxLen, DefaultTextMaxLen)
	c.Text.Width = cmp.Or(c.Text.Width, DefaultTextWidth)
	c.Text.Depth = cmp.Or(c.Text.Depth, DefaultTextDepth)
	c.Text.Heads = cmp.Or(c.Text.Heads, DefaultTextHeads)
	c.Text.MLPRatio = cmp.Or(c.Text.MLPRatio, DefaultTextMLPRatio)
	return c
}

// textDepth is the number of text blocks (−1 means 0).
func (c Config) textDepth() int { return max(c.Text.Depth, 0) }

// Validate returns an error naming the first invalid field of c (after defaults), or nil.
func (c Config) Validate() error {
	c = c.WithDefaults()
	if err := c.DiTConfig.Validate("t2i"); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"Text.MaxLen", c.Text.MaxLen}, {"Text.Width", c.Text.Width}, {"Text.Heads", c.Text.Heads}} {
		if f.v < 0 {
			return fmt.Errorf("t2i: %s %d must be positive", f.name, f.v)
		}
	}
	badRatio := func(r float64, width int) bool {
		return math.IsNaN(r) || math.IsInf(r, 0) || r < 0 || int(float64(width)*r) < 1
	}
	switch {
	case c.Conditioning != CrossPooled && c.Conditioning != Cross && c.Conditioning != Pooled:
		return fmt.Errorf("t2i: unknown Conditioning %q (want %q, %q or %q)", c.Conditioning, CrossPooled, Cross, Pooled)
	case c.Text.VocabSize < 3:
		return fmt.Errorf("t2i: Text.VocabSize %d must be at least 3 (padding, unknown and one word); use the tokenizer's VocabSize()", c.Text.VocabSize)
	case c.Text.Depth < -1:
		return fmt.Errorf("t2i: Text.Depth %d must be ≥ 0 (−1: no text blocks)", c.Text.Depth)
	case c.Text.Width%c.Text.Heads != 0:
		return fmt.Errorf("t2i: Text.Width %d is not divisible by Text.Heads %d", c.Text.Width, c.Text.Heads)
	case badRatio(c.Text.MLPRatio, c.Text.Width):
		return fmt.Errorf("t2i: Text.MLPRatio %g must be positive and give at least one MLP unit", c.Text.MLPRatio)
	case c.Conditioning == Pooled && c.textDepth() == 0:
		return fmt.Errorf("t2i: Pooled conditioning needs Text.Depth ≥ 1: the pooled vector is the register token's output, which sees the caption only through the text blocks")
	}
	return nil
}

// Grid returns the number of patches along each side, ImageSize / PatchSize.
func (c Config) Grid() int { return c.WithDefaults().DiTConfig.Grid() }

// NumTokens returns the number of image tokens, Grid()².
func (c Config) NumTokens() int { return c.Grid() * c.Grid() }

func (c Config) textMLPHidden() int { return int(float64(c.Text.Width) * c.Text.MLPRatio) }

// String returns a compact description, e.g.
// "T2I-DiT(depth 4, hidden 128, heads 4, patch 4, 32×32×3, cross+pooled; text 2×64, vocab 32, len 12)".
func (c Config) String() string {
	c = c.WithDefaults()
	frozen := ""
	if c.FreezeText {
		frozen = ", frozen"
	}
	return fmt.Sprintf("T2I-DiT(depth %d, hidden %d, heads %d, patch %d, %d×%d×%d, %s; text %d×%d, vocab %d, len %d%s)",
		c.Depth, c.Hidden, c.Heads, c.PatchSize, c.ImageSize, c.ImageSize, c.Channels, c.Conditioning,
		c.textDepth(), c.Text.Width, c.Text.VocabSize, c.Text.MaxLen, frozen)
}

// ParamCounts is the analytic parameter count of a Config, by component.
type ParamCounts struct {
	// Text is the caption encoder: token table, position table, register token, blocks.
	Text int
	// PooledEmbed is the MLP from the pooled caption to the conditioning vector (0 without pooling).
	PooledEmbed int
	// PatchEmbed, TimeEmbed and FinalLayer are as in sit.ParamCounts.
	PatchEmbed, TimeEmbed, FinalLayer int
	// Blocks are the DiT blocks, cross-attention included.
	Blocks int
	// Total is the sum of the above.
	Total int
}

// ParamCounts counts the parameters analytically, without building the model.
func (c Config) ParamCounts() (ParamCounts, error) {
	if err := c.Validate(); err != nil {
		return ParamCounts{}, err
	}
	c = c.WithDefaults()
	dense := func(in, out int) int { return in*out + out }
	h, w, p2c := c.Hidden, c.Text.Width, c.PatchSize*c.PatchSize*c.Channels
	var pc ParamCounts
	textBlock := dense(w, 3*w) + dense(w, w) + dense(w, c.textMLPHidden()) + dense(c.textMLPHidden(), w)
	pc.Text = c.Text.VocabSize*w + (c.Text.MaxLen+1)*w + w + c.textDepth()*textBlock
	if c.Conditioning.usesPooled() {
		pc.PooledEmbed = dense(w, h) + dense(h, h)
	}
	pc.PatchEmbed = dense(p2c, h)
	pc.TimeEmbed = dense(c.TimeFreqDim, h) + dense(h, h)
	block := dense(h, 6*h) + dense(h, 3*h) + dense(h, h) + dense(h, c.MLPHidden()) + dense(c.MLPHidden(), h)
	if c.Conditioning.usesCross() {
		block += dense(h, h) + dense(w, 2*h) + dense(h, h) // q, kv, proj
	}
	pc.Blocks = c.Depth * block
	pc.FinalLayer = dense(h, 2*h) + dense(h, p2c)
	pc.Total = pc.Text + pc.PooledEmbed + pc.PatchEmbed + pc.TimeEmbed + pc.Blocks + pc.FinalLayer
	return pc, nil
}

// NumParams returns ParamCounts().Total.
func (c Config) NumParams() (int, error) {
	pc, err := c.ParamCounts()
	return pc.Total, err
}

// presets maps preset names to their sizes: image side, patch, depth, hidden, heads, text width,
// text depth, text heads.
var presets = map[string][8]int{
	"micro": {32, 8, 1, 32, 2, 32, 1, 2},
	"tiny":  {32, 4, 4, 128, 4, 64, 2, 2},
	"small": {64, 4, 12, 384, 6, 256, 4, 4},
	"base":  {64, 2, 12, 768, 12, 512, 6, 8},
}

// PresetNames lists the names Preset accepts, smallest first.
func PresetNames() []string { return []string{"micro", "tiny", "small", "base"} }

// Preset returns a named configuration for a vocabulary of vocabSize tokens (the tokenizer's
// VocabSize()) and captions of up to maxLen tokens (0: DefaultTextMaxLen), RGB images:
//
//   - "micro": 1 block, 32 wide, patch 8 on 32×32, 1 text block of 32: for tests.
//   - "tiny": 4 blocks, 128 wide, 4 heads, patch 4 on 32×32 (64 tokens), 2 text blocks of 64: trains on a
//     laptop CPU in tens of minutes.
//   - "small": 12 blocks, 384 wide, 6 heads (DiT-S), patch 4 on 64×64, 4 text blocks of 256: a GPU run.
//   - "base": 12 blocks, 768 wide, 12 heads (DiT-B), patch 2 on 64×64 (1024 tokens), 6 text blocks of 512.
//
// Change ImageSize (a multiple of the patch) for other data.
func Preset(name string, vocabSize, maxLen int) (Config, error) {
	p, ok := presets[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return Config{}, fmt.Errorf("t2i: unknown preset %q (want one of %s)", name, strings.Join(PresetNames(), ", "))
	}
	c := Config{DiTConfig: nn.DiTConfig{ImageSize: p[0], Channels: 3, PatchSize: p[1], Depth: p[2], Hidden: p[3], Heads: p[4]},
		Text: TextConfig{VocabSize: vocabSize, MaxLen: maxLen, Width: p[5], Depth: p[6], Heads: p[7]}}.WithDefaults()
	return c, c.Validate()
}
