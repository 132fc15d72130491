package nn

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/layers/attention"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/internal/textenum"
)

// AttentionImpl selects how SelfAttention evaluates softmax(Q·Kᵀ/√d)·V. All implementations use the
// same variables, so a model trained with one can be evaluated with another.
//
// Measured on the pure-Go backend (2-core AMD EPYC with AVX2, GoMLX 0.28.16 + GOEXPERIMENT=simd, tiny
// SiT preset at batch 64, CPU time per call): the einsum form needs about half the CPU time of the fused
// one per training step (≈0.95 s vs ≈1.9 s) and a quarter per forward pass (≈0.25 s vs ≈1.1 s), because
// the backend's fused attention kernel is slower than its matrix products and has no gradient kernel
// (GoMLX then adds the decomposed graph for the backward pass). On XLA the
// fused op maps to cuDNN flash attention only for float16/bfloat16 on CUDA; in float32 it falls back to
// the decomposed graph. Hence the default is AttentionEinsum.
type AttentionImpl int

const (
	// AttentionDefault is AttentionEinsum, the implementation measured fastest (see AttentionImpl).
	AttentionDefault AttentionImpl = iota
	// AttentionEinsum writes attention out as two batched matrix products and a softmax, in the
	// [B, heads, N, d] layout. The forward pass and its gradient are ordinary graph ops on every backend.
	AttentionEinsum
	// AttentionFused calls GoMLX's attention.Core, which uses the backend's fused scaled-dot-product
	// attention kernel where there is one and the decomposed form elsewhere. Worth trying on GPUs with
	// half-precision models.
	AttentionFused
)

// String returns "default", "einsum" or "fused".
func (a AttentionImpl) String() string {
	switch a {
	case AttentionDefault:
		return "default"
	case AttentionEinsum:
		return "einsum"
	case AttentionFused:
		return "fused"
	}
	return fmt.Sprintf("AttentionImpl(%d)", int(a))
}

// MarshalText encodes the implementation by name (for JSON configs).
func (a AttentionImpl) MarshalText() ([]byte, error) {
	if a < AttentionDefault || a > AttentionFused {
		return nil, fmt.Errorf("nn: unknown attention implementation %d", int(a))
	}
	return []byte(a.String()), nil
}

// UnmarshalText decodes a name written by MarshalText.
func (a *AttentionImpl) UnmarshalText(text []byte) error {
	return textenum.Unmarshal(a, text, ParseAttentionImpl)
}

// ParseAttentionImpl maps "default" (or ""), "einsum" and "fused" to an AttentionImpl.
func ParseAttentionImpl(s string) (AttentionImpl, error) {
	switch s {
	case "", "default":
		return AttentionDefault, nil
	case "einsum":
		return AttentionEinsum, nil
	case "fused":
		return AttentionFused, nil
	}
	return 0, fmt.Errorf("nn: unknown attention implementation %q (want default, einsum or fused)", s)
}

// SelfAttention is the multi-head self-attention of ViT/DiT/SiT (timm's Attention with qkv_bias=True):
// one fused projection qkv = Dense(D → 3·D) (variables scope/qkv, output ordered (3, heads, head dim)
// as in the PyTorch reference), scaled dot-product attention per head with scale 1/√(D/heads), and the
// output projection Dense(D → D) (scope/proj). x is [B, N, D]; the result has the same shape.
// Weights use scope's initializer (SiT uses Xavier-uniform). D must be divisible by heads.
func SelfAttention(scope *model.Scope, x *Node, heads int, impl AttentionImpl) *Node {
	return selfAttention(scope, x, heads, impl, false)
}

// selfAttention is SelfAttention on x [B, N, D] or, with tokenMajor, on x [N, B, D] (the result in x's
// layout): the same variables and, bit for bit, the same values, transposed.
func selfAttention(scope *model.Scope, x *Node, heads int, impl AttentionImpl, tokenMajor bool) *Node {
	if x.Rank() != 3 {
		panic(fmt.Errorf("nn: SelfAttention: x must be [B, N, D], got %s", x.Shape()))
	}
	d0, d1, d := x.Shape().Dimensions[0], x.Shape().Dimensions[1], x.Shape().Dimensions[2]
	if heads <= 0 || d%heads != 0 {
		panic(fmt.Errorf("nn: SelfAttention: width %d is not divisible by %d heads", d, heads))
	}
	hd := d / heads
	qkv := Dense(scope.In("qkv"), x, true, 3, heads, hd) // [d0, d1, 3, heads, hd]
	scale := 1 / math.Sqrt(float64(hd))
	var out *Node // [d0, d1, heads, hd]
	switch impl {
	case AttentionFused:
		if tokenMajor {
			qkv = TransposeAllAxes(qkv, 1, 0, 2, 3, 4)
		}
		b, n := qkv.Shape().Dimensions[0], qkv.Shape().Dimensions[1]
		parts := Split(qkv, 2, 3)
		q := Reshape(parts[0], b, n, heads, hd)
		k := Reshape(parts[1], b, n, heads, hd)
		v := Reshape(parts[2], b, n, heads, hd)
		out, _ = attention.Core(q, k, v, attention.LayoutBSHD, attention.CoreOptions{Scale: scale})
		if tokenMajor {
			out = TransposeAllAxes(out, 1, 0, 2, 3)
		}
	case AttentionDefault, AttentionEinsum:
		out = einsumAttention(qkv, scale, tokenMajor)
	default:
		panic(fmt.Errorf("nn: SelfAttention: unknown attention implementation %d", int(impl)))
	}
	out = Reshape(out, d0, d1, d)
	return Dense(scope.In("proj"), out, true, d)
}

// einsumAttention computes softmax(q·kᵀ·scale)·v from the projected qkv [B, N, 3, heads, hd] and
// returns [B, N, heads, hd] (with tokenMajor: from [N, B, 3, heads, hd] to [N, B, heads, hd]). One
// transpose to [3, B, heads, N, hd] puts q, k and v in contiguous slices with the heads next to the batch
// axis, so both products are plain batched matrix products.
//
// The gradient is written out (attentionGrad) rather than left to GoMLX's autodiff of the products: for
// the key and value gradients, which contract over the query axis, autodiff hands the pure-Go backend
// products whose operands it transposes element by element (3.5 M values per SiT-tiny block, 11 % of the
// training step, 2026-12-07) and returns the value gradient transposed once more; attentionGrad transposes
// only the score-sized P and dS (2 M values) and assembles dq, dk, dv with one concatenation instead of
// Split's zero-padded sums. The same values; the gradients agree to float32 rounding.
func einsumAttention(qkv *Node, scale float64, tokenMajor bool) *Node {
	in, back := []int{2, 0, 3, 1, 4}, []int{0, 2, 1, 3} // [B, N, 3, h, hd] → [3, B, h, N, hd]; [B, h, N, hd] → [B, N, h, hd]
	if tokenMajor {
		in, back = []int{2, 1, 3, 0, 4}, []int{2, 0, 1, 3} // from [N, B, 3, h, hd]; to [N, B, h, hd]
	}
	qkvT := TransposeAllAxes(qkv, in...) // [3, B, heads, N, hd]
	var fwd attentionForward
	out, _ := InternalFusedOpCaller(func() *Node {
		return fwd.compute(qkvT, scale) // the value; its own gradient is replaced by the decomposed one's
	}, func() *Node {
		// Used for the gradient (and, where fusion is turned off, for the value as well): its value is the
		// same attention computed from x, and x's gradient is attentionGrad of the gradient captured below.
		var dec attentionForward
		var dOut *Node
		x := IdentityWithCustomGradient(qkvT, func(_, _ *Node) *Node {
			f := &fwd
			if f.p == nil { // the fused branch was not built: the decomposed one computed the value
				f = &dec
			}
			return f.grad(dOut, scale)
		})
		return IdentityWithCustomGradient(dec.compute(x, scale), func(_, v *Node) *Node {
			// The reverse pass reaches this node (built after x) before x: keep the output's gradient.
			dOut = v
			return v
		})
	}, true)
	return TransposeAllAxes(out, back...)
}

// attentionForward holds the forward values of one attention evaluation that its gradient needs.
type attentionForward struct {
	q, k, v, p *Node // q already scaled; p = softmax(q·kᵀ) [B, heads, N, N]
}

// compute returns softmax(q·kᵀ·scale)·v [B, heads, N, hd] for qkvT [3, B, heads, N, hd] and keeps what
// the gradient needs.
func (f *attentionForward) compute(qkvT *Node, scale float64) *Node {
	parts := splitLeading(qkvT) // 3 × [B, heads, N, hd]
	// Scaling q (B·N·D values) is cheaper than scaling the scores (B·heads·N² values).
	f.q, f.k, f.v = MulScalar(parts[0], scale), parts[1], parts[2]
	batch := []int{0, 1}
	f.p = softmaxLastAxis(DotGeneral(f.q, []int{3}, batch, f.k, []int{3}, batch)) // "bhqd,bhkd->bhqk"
	return DotGeneral(f.p, []int{3}, batch, f.v, []int{2}, batch)                 // "bhqk,bhkd->bhqd"
}

// grad returns the gradient with respect to qkvT [3, B, heads, N, hd] for the output gradient dOut
// [B, heads, N, hd]. Every product has its contracting axis last on the left and, on the right, last or
// right after the batch axes, the layouts the pure-Go backend multiplies without repacking.
func (f *attentionForward) grad(dOut *Node, scale float64) *Node {
	batch := []int{0, 1}
	dp := DotGeneral(dOut, []int{3}, batch, f.v, []int{3}, batch)                               // dO·vᵀ [B, h, q, k]
	ds := Mul(f.p, Sub(dp, ReduceAndKeep(Mul(dp, f.p), ReduceSum, -1)))                         // softmax gradient
	dq := MulScalar(DotGeneral(ds, []int{3}, batch, f.k, []int{2}, batch), scale)               // dS·k
	dk := DotGeneral(TransposeAllAxes(ds, 0, 1, 3, 2), []int{3}, batch, f.q, []int{2}, batch)   // dSᵀ·q
	dv := DotGeneral(TransposeAllAxes(f.p, 0, 1, 3, 2), []int{3}, batch, dOut, []int{2}, batch) // Pᵀ·dO
	return Concatenate([]*Node{InsertAxes(dq, 0), InsertAxes(dk, 0), InsertAxes(dv, 0)}, 0)
}

// splitLeading splits x [n, ...] into its n slices x[i] (shaped x without the leading axis). Each slice is a
// contiguous block of x, which the pure-Go backend copies as one block with Gather but element by element
// with Slice (9 % of a SiT-tiny sampling run, 2026-12-07); the values are the same. The gradient is that
// of Split (GoMLX's Gather gradient scatters into a zero tensor per slice).
func splitLeading(x *Node) []*Node {
	dims := x.Shape().Dimensions
	n, rest := dims[0], dims[1:]
	outs, _ := InternalFusedOpCallerMulti(func() []*Node {
		flat := Reshape(x, n, x.Shape().Size()/n)
		res := make([]*Node, n)
		for i := range n {
			res[i] = Reshape(Gather(flat, Const(x.Graph(), int32(i))), rest...)
		}
		return res
	}, func() []*Node {
		res := Split(x, 0, n)
		for i := range res {
			res[i] = Reshape(res[i], rest...)
		}
		return res
	}, true)
	return outs
}
