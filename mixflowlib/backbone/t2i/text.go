package t2i

import (
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

// PadID is the token id of padding: an all-padding caption is the null caption of classifier-free
// guidance. It matches captions.PadID.
const PadID = 0

// UnknownID is the token id of a word outside the vocabulary. It matches captions.UnknownID.
const UnknownID = 1

// Text is the caption encoder's output for a batch of captions of L tokens.
type Text struct {
	// Tokens are the encoded text tokens [B, 1+L, Text.Width]: position 0 is the register token, then
	// one token per caption position.
	Tokens *Node
	// Keep is bool [B, 1+L]: true for the register token and the non-padding positions, the keys that
	// attention may look at.
	Keep *Node
	// Pooled is the register token's output [B, Text.Width]: the caption as one vector. For the null
	// caption it is a learned constant, the null embedding.
	Pooled *Node
}

// EncodeText runs the caption encoder on tokens (integer [B, L], L ≤ Text.MaxLen, PadID = padding),
// with its variables under scope (the model's "text" sub-scope when called by Forward). Ids outside
// [0, VocabSize) turn the whole caption's output into NaN: a graph cannot return an error, and a NaN loss
// stops the trainer instead of silently training on the wrong word (check tokens on the host with
// Model.CheckTokens first).
//
// Padding never influences a non-padding output: padded positions are masked out as keys of every
// attention (their weight is exactly zero), so captions padded to different lengths, or a different
// padding embedding, give the same Pooled and the same tokens at the kept positions.
func (m *Model) EncodeText(scope *model.Scope, tokens *Node) Text {
	if err := m.checkTokenShape(tokens.Shape()); err != nil {
		panic(err)
	}
	scope = scope.ResetVisited()
	c := m.cfg
	g := tokens.Graph()
	b, l, w := tokens.Shape().Dimensions[0], tokens.Shape().Dimensions[1], c.Text.Width
	dtype := dtypes.Float32
	ids := ConvertDType(tokens, dtypes.Int32)
	normal := scope.WithInitializer(nn.NormalWeightsZeroBias(scope, 0.02))

	// Token embeddings; invalid ids gather row 0 and are then replaced by NaN.
	invalid := LogicalOr(LessThan(ids, ScalarZero(g, dtypes.Int32)),
		GreaterOrEqual(ids, Const(g, int32(c.Text.VocabSize))))
	table := normal.VariableWithShape("token_embedding", shapes.Make(dtype, c.Text.VocabSize, w)).NodeValue(g)
	emb := Gather(table, InsertAxes(Where(invalid, ZerosLike(ids), ids), -1)) // [B, L, W]
	emb = Where(invalid, Scalar(g, dtype, math.NaN()), emb)

	register := normal.VariableWithShape("register", shapes.Make(dtype, 1, 1, w)).NodeValue(g)
	x := Concatenate([]*Node{BroadcastToDims(register, b, 1, w), emb}, 1) // [B, 1+L, W]
	pos := normal.VariableWithShape("position_embedding", shapes.Make(dtype, c.Text.MaxLen+1, w)).NodeValue(g)
	x = Add(x, InsertAxes(Slice(pos, AxisRange(0, l+1)), 0))

	keep := Concatenate([]*Node{BroadcastToDims(Const(g, true), b, 1), NotEqual(ids, ScalarZero(g, dtypes.Int32))}, 1)
	xavier := scope.WithInitializer(initializer.XavierUniformFn(scope))
	for i := range m.cfg.textDepth() {
		blk := xavier.In("blocks_%d", i)
		x = Add(x, maskedSelfAttention(blk.In("attn"), nn.LayerNorm(x, nn.LayerNormEps), keep, c.Text.Heads))
		mlp := blk.In("mlp")
		h := layers.Dense(mlp.In("fc1"), nn.LayerNorm(x, nn.LayerNormEps), true, c.textMLPHidden())
		h = activation.GeluApproximate(h)
		x = Add(x, layers.Dense(mlp.In("fc2"), h, true, w))
	}
	x = nn.LayerNorm(x, nn.LayerNormEps)
	pooled := Reshape(Slice(x, AxisRange(), AxisElem(0)), b, w)
	return Text{Tokens: x, Keep: keep, Pooled: pooled}
}
