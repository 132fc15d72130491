package nn

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint
)

// This file holds graph formulations that compute exactly what the plain GoMLX calls compute, but train
// faster on the pure-Go backend (measured with `go run ./mixflowlib/cmd/bench`, see its README):
//
//   - GoMLX differentiates its fused LayerNorm and Softmax kernels through their decomposed graphs, which
//     recomputes the forward pass op by op (for Softmax, including Exp) and then back-propagates through
//     every op. layerNormLastAxis and softmaxLastAxis keep the fused forward kernel and attach the
//     closed-form gradient instead: 6 elementwise passes for LayerNorm, 3 for Softmax.
//   - The backend multiplies [B, N, D] by a per-sample [B, 1, D] vector through a generic per-element
//     iterator, but [N, B, D] by [1, B, D] with a vectorised row loop, and it swaps the first two axes
//     with block copies: tokenMajor does the adaLN products in the [N, B, D] layout, bit for bit the same
//     values, in about half the time forward and backward.

// withGradient returns a node whose value is value and whose gradient with respect to x (which has
// value's shape) is grad(v) for the incoming gradient v; value itself is not differentiated.
func withGradient(value, x *Node, grad func(v *Node) *Node) *Node {
	id := IdentityWithCustomGradient(x, func(_, v *Node) *Node { return grad(v) })
	// id − x is exactly zero (for finite x); it only carries the custom gradient to x.
	return Add(StopGradient(value), Sub(id, StopGradient(x)))
}

// layerNormLastAxis is gnn.LayerNorm over the last axis without gain or offset (the same values: the
// backend's fused kernel where there is one) with the closed-form gradient
// dx = (v − mean(v) − y·mean(v·y)) / σ, where y is the output and σ = √(var(x) + eps).
func layerNormLastAxis(x *Node, eps float64) *Node {
	var y *Node
	grad := func(v *Node) *Node {
		mu := ReduceAndKeep(x, ReduceMean, -1)
		invStd := Rsqrt(AddScalar(ReduceAndKeep(Square(Sub(x, mu)), ReduceMean, -1), eps))
		meanV := ReduceAndKeep(v, ReduceMean, -1)
		meanVY := ReduceAndKeep(Mul(v, y), ReduceMean, -1)
		return Mul(Sub(Sub(v, meanV), Mul(y, meanVY)), invStd)
	}
	decomposed := func() *Node {
		// Used for the value only where the backend has no fused LayerNorm (or GOMLX_FUSION is off).
		mu := ReduceAndKeep(x, ReduceMean, -1)
		xc := Sub(x, mu)
		value := Div(xc, Sqrt(AddScalar(ReduceAndKeep(Square(xc), ReduceMean, -1), eps)))
		return withGradient(value, x, grad)
	}
	y, _ = InternalFusedOpCaller(func() *Node { return BackendFusedLayerNorm(x, []int{-1}, eps, nil, nil) }, decomposed, true)
	return y
}

// softmaxLastAxis is Softmax(x, -1) (the same values: the backend's fused kernel where there is one) with
// the closed-form gradient dx = y·(v − Σ v·y), where y is the output.
func softmaxLastAxis(x *Node) *Node {
	var y *Node
	grad := func(v *Node) *Node {
		return Mul(y, Sub(v, ReduceAndKeep(Mul(v, y), ReduceSum, -1)))
	}
	decomposed := func() *Node {
		e := Exp(Sub(x, StopGradient(ReduceAndKeep(x, ReduceMax, -1))))
		return withGradient(Div(e, ReduceAndKeep(e, ReduceSum, -1)), x, grad)
	}
	y, _ = InternalFusedOpCaller(func() *Node { return BackendFusedSoftmax(x, x.Rank()-1) }, decomposed, true)
	return y
}

// perSample reports whether v is a per-sample vector [B, D] for the tokens x [B, N, D].
func perSample(x, v *Node) bool {
	return x.Rank() == 3 && v.Rank() == 2
}

// tokenMajor evaluates f on x [B, N, D] and per-sample vectors vs [B, D] in the token-major layout:
// f receives x as [N, B, D] and each vector as [1, B, D], and its [N, B, D] result is returned as
// [B, N, D]. Elementwise f gives the same values as in the [B, N, D] layout with [B, 1, D] vectors.
func tokenMajor(f func(xt *Node, vs []*Node) *Node, x *Node, vs ...*Node) *Node {
	ins := make([]*Node, len(vs))
	for i, v := range vs {
		ins[i] = InsertAxes(v, 0)
	}
	return TransposeAllAxes(f(TransposeAllAxes(x, 1, 0, 2), ins), 1, 0, 2)
}
