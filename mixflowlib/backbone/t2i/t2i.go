// Package t2i is a text-to-image diffusion transformer for MixFlow experiments: a small caption encoder
// trained by the project and a DiT conditioned on its output, predicting the velocity field
// v_θ(x, t | caption) of flow matching.
//
// Architecture:
//
//   - Caption encoder (EncodeText): token embedding + learned positions, a learned register token in
//     front, Text.Depth pre-LayerNorm transformer blocks whose attention ignores padding, a final
//     LayerNorm. Its output at the register position is the pooled caption; for the null caption (all
//     padding) the register sees only itself, so the pooled vector is a learned null embedding and the
//     null caption needs no special case. The encoder has no pre-training: it is trained jointly with the
//     DiT by the diffusion loss (set FreezeText to keep it fixed, e.g. while post-training).
//   - Image DiT: SiT's patch embedding with fixed 2-D sin-cos positions, timestep MLP, adaLN-Zero blocks
//     and final layer (the layers of mixflowlib/nn, as mixflowlib/backbone/sit). Conditioning
//     (Config.Conditioning): by default both routes SD3 uses — cross-attention in every block from the
//     image tokens to the text tokens, with the padding masked (between self-attention and the MLP,
//     pre-LayerNorm, output projection zero-initialised as PixArt-α), and the pooled caption through an
//     MLP added to the timestep embedding that drives adaLN. Cross-only and pooled-only are options;
//     pooled-only is the cheapest, cross-attention is what lets a model place and count objects per
//     word.
//
// Model implements nn.Backbone and nn.Guidable: NullCond replaces every caption by the null caption
// (all PadID tokens), the unconditional branch of classifier-free guidance; objective's label dropout
// already drops tokens to the null caption during training.
//
// Time convention: t = 0 is noise and t = 1 is data, embedded raw as SiT does.
//
// Usage:
//
//	tok, _ := captions.NewTokenizer(captions.DefaultMaxLen)
//	cfg, _ := t2i.Preset("tiny", tok.VocabSize(), tok.MaxLen)
//	net, err := t2i.New(cfg)
//	tokens, err := net.EncodePrompts(tok, []string{"two red squares at the top left"}) // host, checked
//	// in a graph, with the variables under /model:
//	v := net.Velocity(scope.In("model"), xt, t, nn.Cond{Tokens: tokens})
package t2i

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"

	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// Model is a text-conditioned DiT with a fixed, validated Config. It holds no variables: they live in
// the model.Store under the scope passed to Velocity/Forward ("/model" by the project's convention):
// text/{token_embedding, register, position_embedding, blocks_<i>/{attn/qkv, attn/proj, mlp/fc1,
// mlp/fc2}}, pooled_embedder/{mlp_0, mlp_2}, and SiT's names for the rest (x_embedder/proj,
// t_embedder/mlp_0 and mlp_2, blocks_<i>/{adaLN_modulation, attn, cross_attn/{q, kv, proj}, mlp},
// final_layer).
type Model struct {
	cfg Config
}

var _ nn.Guidable = (*Model)(nil)

// New validates cfg (after defaults) and returns the model.
func New(cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Model{cfg: cfg.WithDefaults()}, nil
}

// Config returns the model's configuration, defaults applied.
func (m *Model) Config() Config { return m.cfg }

// String describes the model and its parameter count.
func (m *Model) String() string {
	n, _ := m.cfg.NumParams()
	return fmt.Sprintf("%s, %d parameters", m.cfg, n)
}

// Outputs holds what Forward computes.
type Outputs struct {
	// Velocity is v_θ(x, t | caption), shaped like x.
	Velocity *Node
	// Hidden[k] is the image token sequence [B, N, Hidden] after k blocks; len(Hidden) = Depth + 1.
	Hidden []*Node
	// Cond is the adaLN conditioning vector [B, Hidden]: timestep embedding plus, with pooled
	// conditioning, the embedded pooled caption.
	Cond *Node
	// Text is the caption encoder's output.
	Text Text
}

// CheckInput returns an error unless x is float [B, ImageSize, ImageSize, Channels], t is float [B] and
// tokens (required) are integer [B, L] with 1 ≤ L ≤ Text.MaxLen.
func (m *Model) CheckInput(x, t shapes.Shape, tokens *shapes.Shape) error {
	if err := m.cfg.CheckImageInput("t2i", x, t); err != nil {
		return err
	}
	b := x.Dimensions[0]
	if tokens == nil {
		return fmt.Errorf("t2i: no caption tokens: the text-conditioned DiT needs Cond.Tokens [%d, L] (all %d for the null caption)", b, PadID)
	}
	if err := m.checkTokenShape(*tokens); err != nil {
		return err
	}
	if tokens.Dimensions[0] != b {
		return fmt.Errorf("t2i: tokens have shape %s for a batch of %d images", *tokens, b)
	}
	return nil
}

// checkTokenShape checks that tokens are integer [B, L] with 1 ≤ L ≤ MaxLen.
func (m *Model) checkTokenShape(s shapes.Shape) error {
	if s.Rank() != 2 || !s.DType.IsInt() || s.Dimensions[0] <= 0 {
		return fmt.Errorf("t2i: caption tokens have shape %s, want int32 [B, L]", s)
	}
	if l := s.Dimensions[1]; l < 1 || l > m.cfg.Text.MaxLen {
		return fmt.Errorf("t2i: captions of %d tokens, want 1 to Text.MaxLen = %d", l, m.cfg.Text.MaxLen)
	}
	return nil
}

// Velocity implements nn.Backbone: v_θ(x, t | cond.Tokens) for x [B, H, W, C] and t float [B] in paper
// time. It may be called several times in one graph; all calls share the variables under scope. It
// panics (GoMLX style) on shapes that do not fit the Config, including missing tokens; see CheckInput.
func (m *Model) Velocity(scope *model.Scope, x, t *Node, cond nn.Cond) *Node {
	return m.Forward(scope, x, t, cond).Velocity
}

// NullCond implements nn.Guidable: the same batch with every caption replaced by the null caption (all
// PadID). Labels are kept as they are (the model ignores them).
func (m *Model) NullCond(cond nn.Cond) nn.Cond {
	if cond.Tokens == nil {
		return cond
	}
	return nn.Cond{Labels: cond.Labels, Tokens: ZerosLike(cond.Tokens)}
}

// Forward runs the caption encoder and the DiT and returns the velocity with intermediate values
// (see Outputs).
func (m *Model) Forward(scope *model.Scope, x, t *Node, cond nn.Cond) Outputs {
	var ts *shapes.Shape
	if cond.Tokens != nil {
		s := cond.Tokens.Shape()
		ts = &s
	}
	if err := m.CheckInput(x.Shape(), t.Shape(), ts); err != nil {
		panic(err)
	}
	scope = scope.ResetVisited()
	c := m.cfg
	dtype := x.DType()
	grid := c.Grid()

	textScope := scope.In("text")
	text := m.EncodeText(textScope, cond.Tokens)
	for v := range textScope.IterVariables() {
		v.SetTrainable(!c.FreezeText)
	}
	ctx, pooled := ConvertDType(text.Tokens, dtype), ConvertDType(text.Pooled, dtype)
	if c.FreezeText {
		ctx, pooled = StopGradient(ctx), StopGradient(pooled)
	}

	xavier := scope.WithInitializer(initializer.XavierUniformFn(scope))
	h := layers.Dense(xavier.In("x_embedder").In("proj"), nn.Patchify(x, c.PatchSize), true, c.Hidden)
	h = Add(h, nn.PosEmbed2DConst(h, grid, grid, c.Hidden))

	cvec := nn.TimestepMLP(scope.In("t_embedder"), ConvertDType(t, dtype), c.TimeFreqDim, c.Hidden, c.TimeScale)
	if c.Conditioning.usesPooled() {
		pe := scope.In("pooled_embedder").WithInitializer(nn.NormalWeightsZeroBias(scope, 0.02))
		p := activation.Swish(layers.Dense(pe.In("mlp_0"), pooled, true, c.Hidden))
		cvec = Add(cvec, layers.Dense(pe.In("mlp_2"), p, true, c.Hidden))
	}

	hidden := make([]*Node, 0, c.Depth+1)
	hidden = append(hidden, h)
	for i := range c.Depth {
		h = m.block(xavier.In("blocks_%d", i), h, cvec, ctx, text.Keep)
		hidden = append(hidden, h)
	}

	out := nn.DiTFinalLayer(xavier.In("final_layer"), h, cvec, c.PatchSize*c.PatchSize*c.Channels)
	v := nn.Unpatchify(out, grid, grid, c.PatchSize, c.Channels)
	return Outputs{Velocity: v, Hidden: hidden, Cond: cvec, Text: text}
}

// block is an adaLN-Zero DiT block (nn.DiTBlock) with cross-attention to the caption between
// self-attention and the MLP (x = x + CrossAttn(LN(x), text), cross-attention conditioning only).
func (m *Model) block(scope *model.Scope, x, cvec, ctx, keep *Node) *Node {
	c := m.cfg
	var cross nn.CrossFn
	if c.Conditioning.usesCross() {
		cross = func(scope *model.Scope, normed *Node) *Node { return crossAttention(scope, normed, ctx, keep, c.Heads) }
	}
	return nn.DiTBlock(scope, x, cvec, c.Block(), cross)
}
