package t2i

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// maskedScore is the score given to masked keys: exp(maskedScore − max) is exactly 0 in float32 and
// float64, so a masked key gets weight 0 and its value (whatever it holds) adds exactly nothing.
const maskedScore = -1e9

// attend computes multi-head attention softmax(q·kᵀ/√d + mask)·v. q is [B, Nq, heads, d], k and v are
// [B, Nk, heads, d], keep is bool [B, Nk] (false: the key is ignored) or nil. Every query must keep at
// least one key (callers keep the text register token). Returns [B, Nq, heads·d].
//
// The heads are moved next to the batch axis first, so both products are plain batched matrix products
// (the layout measured fastest on the pure-Go backend, see nn.AttentionImpl).
func attend(q, k, v, keep *Node) *Node {
	b, nq, heads, d := q.Shape().Dimensions[0], q.Shape().Dimensions[1], q.Shape().Dimensions[2], q.Shape().Dimensions[3]
	nk := k.Shape().Dimensions[1]
	q = TransposeAllAxes(MulScalar(q, 1/math.Sqrt(float64(d))), 0, 2, 1, 3) // [B, heads, Nq, d]
	k = TransposeAllAxes(k, 0, 2, 1, 3)
	v = TransposeAllAxes(v, 0, 2, 1, 3)
	scores := Einsum("bhqd,bhkd->bhqk", q, k)
	if keep != nil {
		if kd := keep.Shape().Dimensions; len(kd) != 2 || kd[0] != b || kd[1] != nk {
			panic(fmt.Errorf("t2i: attention mask %s does not match %d keys of batch %d", keep.Shape(), nk, b))
		}
		scores = Where(Reshape(keep, b, 1, 1, nk), scores, Scalar(q.Graph(), scores.DType(), maskedScore))
	}
	out := Einsum("bhqk,bhkd->bhqd", Softmax(scores, -1), v) // [B, heads, Nq, d]
	return Reshape(TransposeAllAxes(out, 0, 2, 1, 3), b, nq, heads*d)
}

// maskedSelfAttention is multi-head self-attention over x [B, N, D] that ignores the keys where keep
// (bool [B, N]) is false: a fused qkv projection (scope/qkv) and an output projection (scope/proj), as
// nn.SelfAttention, plus the mask.
func maskedSelfAttention(scope *model.Scope, x, keep *Node, heads int) *Node {
	b, n, d := x.Shape().Dimensions[0], x.Shape().Dimensions[1], x.Shape().Dimensions[2]
	hd := d / heads
	qkv := layers.Dense(scope.In("qkv"), x, true, 3, heads, hd) // [B, N, 3, heads, hd]
	parts := Split(qkv, 2, 3)
	q := Reshape(parts[0], b, n, heads, hd)
	k := Reshape(parts[1], b, n, heads, hd)
	v := Reshape(parts[2], b, n, heads, hd)
	return layers.Dense(scope.In("proj"), attend(q, k, v, keep), true, d)
}

// crossAttention lets the image tokens x [B, N, D] attend to the text tokens ctx [B, L, Dt], ignoring
// the text positions where keep (bool [B, L]) is false: q = Dense(x) (scope/q), k, v = Dense(ctx)
// (scope/kv), and an output projection (scope/proj) initialised to zero, as PixArt-α does, so that a
// fresh block starts as the identity.
func crossAttention(scope *model.Scope, x, ctx, keep *Node, heads int) *Node {
	b, d := x.Shape().Dimensions[0], x.Shape().Dimensions[2]
	l := ctx.Shape().Dimensions[1]
	hd := d / heads
	q := layers.Dense(scope.In("q"), x, true, heads, hd)        // [B, N, heads, hd]
	kv := layers.Dense(scope.In("kv"), ctx, true, 2, heads, hd) // [B, L, 2, heads, hd]
	parts := Split(kv, 2, 2)
	k := Reshape(parts[0], b, l, heads, hd)
	v := Reshape(parts[1], b, l, heads, hd)
	return layers.Dense(scope.In("proj").WithInitializer(initializer.Zero), attend(q, k, v, keep), true, d)
}
