// Package sit is the SiT/DiT transformer backbone on GoMLX: a class-conditional (or unconditional)
// diffusion transformer that predicts the velocity field v_θ(x, t | y) of flow matching, as in
// SiT (Ma et al. 2024, github.com/willisma/SiT) and DiT (Peebles & Xie 2023).
//
// Architecture (per SiT's models.py): NHWC input [B, H, W, C] → p×p patches → Dense to Hidden plus the
// fixed 2-D sin-cos position embedding; conditioning c = MLP(sinusoid(t)) + label embedding (with a
// null row for classifier-free guidance); Depth adaLN-Zero blocks (LayerNorm without affine, modulated by
// shift/scale/gate vectors computed from SiLU(c), multi-head self-attention, MLP with GELU-tanh);
// a final adaLN layer and a zero-initialised Dense to p²·C; unpatchify back to [B, H, W, C].
// At initialisation the output is exactly zero and every block is the identity.
//
// Usage:
//
//	cfg, _ := sit.Preset("tiny") // or "SiT-XL/2", "micro", or a Config literal
//	net, err := sit.New(cfg)     // validates; *Model implements nn.Backbone and nn.Guidable
//	...
//	// inside a graph function (objective, sampler step), with the variables under /model:
//	ms := scope.In("model") // once per graph; Velocity/Forward may then be called on ms many times
//	v := net.Velocity(ms, xt, t, nn.Cond{Labels: labels})
//	out := net.Forward(ms, xt, t, nn.Cond{Labels: labels}) // out.Velocity, out.Hidden[k], out.Pooled
//
// Time convention: t = 0 is noise and t = 1 is data (SiT's and the MixFlow paper's), and t is embedded
// raw (no ×1000), as SiT does.
//
// Model implements nn.Backbone and nn.Guidable. Forward also returns the hidden tokens after every block
// (REPA aligns the tokens after block k, default 8, with DINOv2 features), the conditioning vector and
// pooled features; unused outputs cost nothing, since both GoMLX backends skip computations that no
// output depends on (the pure-Go backend by use counts at execution, XLA by dead-code elimination).
// It uses only standard GoMLX ops, so the same code runs on the pure-Go backend and on XLA (CPU or GPU);
// GoMLX's fused kernels (dense, layer norm, activations) are used where a backend has them and replaced
// by their decomposed graphs where it does not.
package sit

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"

	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// Model is a SiT/DiT backbone with a fixed, validated Config. It holds no variables itself: they live in
// the model.Store under the scope passed to Velocity/Forward (by the project's convention "/model").
//
// Variable layout under that scope mirrors the PyTorch module names: x_embedder/proj,
// t_embedder/mlp_0 and mlp_2, y_embedder/embedding_table, blocks_<i>/{adaLN_modulation, attn/qkv,
// attn/proj, mlp/fc1, mlp/fc2}, final_layer/{adaLN_modulation, linear}; each Dense keeps its weights
// [in, out] and biases under a "dense" sub-scope.
type Model struct {
	cfg       Config
	inference bool // ForInference: token-major blocks (see ForInference)
}

var (
	_ nn.Guidable  = (*Model)(nil)
	_ nn.Inferable = (*Model)(nil)
)

// New validates cfg (after defaults) and returns the model.
func New(cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Model{cfg: cfg.WithDefaults()}, nil
}

// ForInference implements nn.Inferable: the same model for graphs that are not differentiated (samplers).
// Its blocks run on the tokens in the token-major layout [N, B, D] (nn.DiTBlockTokenMajor), which
// saves the eight transposes of the tokens that every block's adaLN products cost in the [B, N, D]
// layout; the velocity, Hidden, Cond and Pooled are bit for bit those of the model itself. Its gradient
// would sum the weight gradients over the tokens in another order: train with the model itself.
func (m *Model) ForInference() nn.Backbone {
	return &Model{cfg: m.cfg, inference: true}
}

// Config returns the model's configuration, defaults applied.
func (m *Model) Config() Config { return m.cfg }

// String describes the model and its parameter count.
func (m *Model) String() string {
	n, _ := m.cfg.NumParams()
	return fmt.Sprintf("%s, %d parameters", m.cfg, n)
}

// Outputs holds what Forward computes. Hidden and Cond are intermediate values of the velocity
// computation anyway, and Pooled is one reduction that the backends skip when no output uses it, so
// asking for Forward instead of Velocity costs nothing extra.
type Outputs struct {
	// Velocity is v_θ(x, t | cond), shaped like x.
	Velocity *Node
	// Hidden[k] is the token sequence [B, N, Hidden] after k transformer blocks: Hidden[0] is the patch
	// embedding plus position embedding, Hidden[Depth] the input of the final layer. REPA's
	// "encoder_depth" k (default 8) is Hidden[k]. len(Hidden) = Depth + 1.
	Hidden []*Node
	// Cond is the conditioning vector c = t_emb + y_emb, [B, Hidden].
	Cond *Node
	// Pooled is the mean over tokens of Hidden[Depth], [B, Hidden]: a cheap global feature.
	Pooled *Node
}

// CheckInput returns an error unless x has the shape [B, ImageSize, ImageSize, Channels] with a float
// dtype, t is [B] and labels (if given) are integer [B].
func (m *Model) CheckInput(x, t shapes.Shape, labels *shapes.Shape) error {
	if err := m.cfg.DiT().CheckImageInput("sit", x, t); err != nil {
		return err
	}
	b := x.Dimensions[0]
	if labels != nil && (labels.Rank() != 1 || labels.Dimensions[0] != b || !labels.DType.IsInt()) {
		return fmt.Errorf("sit: labels have shape %s, want int32 [%d]", *labels, b)
	}
	return nil
}

// Velocity implements nn.Backbone: v_θ(x, t | cond) for x [B, H, W, C] and t float [B] in paper time
// (0 noise, 1 data). It may be called several times in one graph (Heun, guidance); every call shares the
// variables under scope. It panics (GoMLX style) on shapes that do not fit the Config; see CheckInput.
func (m *Model) Velocity(scope *model.Scope, x, t *Node, cond nn.Cond) *Node {
	return m.Forward(scope, x, t, cond).Velocity
}

// NullCond implements nn.Guidable: the same batch with every label replaced by nn.NullLabel. For an
// unconditional model (NumClasses = 0) it returns cond unchanged, so guidance is a no-op.
func (m *Model) NullCond(cond nn.Cond) nn.Cond {
	if m.cfg.NumClasses == 0 || cond.Labels == nil {
		return cond
	}
	return nn.Cond{Labels: nn.NullLabels(cond.Labels), Tokens: cond.Tokens}
}

// Forward runs the network and returns the velocity together with the intermediate activations (see
// Outputs). Unconditional models ignore cond; conditional models treat nil cond.Labels as NullLabel for
// every sample. Labels outside [NullLabel, NumClasses) make the output NaN (see nn.LabelEmbedding).
func (m *Model) Forward(scope *model.Scope, x, t *Node, cond nn.Cond) Outputs {
	c := m.cfg
	var labelShape *shapes.Shape
	if c.NumClasses > 0 && cond.Labels != nil {
		s := cond.Labels.Shape()
		labelShape = &s
	}
	if err := m.CheckInput(x.Shape(), t.Shape(), labelShape); err != nil {
		panic(err)
	}
	scope = scope.ResetVisited()
	g := x.Graph()
	dtype := x.DType()
	b := x.Shape().Dimensions[0]
	grid := c.Grid()
	// SiT's initialize_weights: Xavier-uniform for every Linear (the patch embedding included, viewed as
	// a [Hidden, p²·C] matrix) with zero biases; the exceptions set their own initializer below.
	xavier := scope.WithInitializer(initializer.XavierUniformFn(scope))

	h := nn.Dense(xavier.In("x_embedder").In("proj"), nn.Patchify(x, c.PatchSize), true, c.Hidden)
	h = Add(h, nn.PosEmbed2DConst(h, grid, grid, c.Hidden))

	cvec := nn.TimestepMLP(scope.In("t_embedder"), ConvertDType(t, dtype), c.TimeFreqDim, c.Hidden, c.TimeScale)
	if c.NumClasses > 0 {
		labels := cond.Labels
		if labels == nil {
			labels = nn.NullLabels(Zeros(g, shapes.Make(dtypes.Int32, b)))
		}
		cvec = Add(cvec, nn.LabelEmbedding(scope.In("y_embedder"), labels, c.NumClasses, c.Hidden, dtype))
	}

	hidden := make([]*Node, 0, c.Depth+1)
	hidden = append(hidden, h)
	outDim := c.PatchSize * c.PatchSize * c.Channels
	var out *Node
	if m.inference {
		// Token-major [N, B, D] from the first block to the final layer; Hidden holds the [B, N, D]
		// transposes, which the backends skip when no output uses them.
		ht := TransposeAllAxes(h, 1, 0, 2)
		for i := range c.Depth {
			ht = nn.DiTBlockTokenMajor(xavier.In("blocks_%d", i), ht, cvec, c.DiT().Block())
			hidden = append(hidden, TransposeAllAxes(ht, 1, 0, 2))
		}
		h = hidden[c.Depth]
		out = TransposeAllAxes(nn.DiTFinalLayerTokenMajor(xavier.In("final_layer"), ht, cvec, outDim), 1, 0, 2)
	} else {
		for i := range c.Depth {
			h = m.block(xavier.In("blocks_%d", i), h, cvec)
			hidden = append(hidden, h)
		}
		out = nn.DiTFinalLayer(xavier.In("final_layer"), h, cvec, outDim)
	}
	v := nn.Unpatchify(out, grid, grid, c.PatchSize, c.Channels)

	return Outputs{Velocity: v, Hidden: hidden, Cond: cvec, Pooled: ReduceMean(h, 1)}
}

// block is one adaLN-Zero DiT/SiT block (nn.DiTBlock without cross-attention).
func (m *Model) block(scope *model.Scope, x, cvec *Node) *Node {
	c := m.cfg
	return nn.DiTBlock(scope, x, cvec, c.DiT().Block(), nil)
}
