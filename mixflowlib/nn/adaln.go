package nn

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// LayerNormEps is the LayerNorm epsilon of DiT/SiT blocks (PyTorch nn.LayerNorm(eps=1e-6)).
const LayerNormEps = 1e-6

// LayerNorm normalises x over its last axis without a learned gain or offset (elementwise_affine=False),
// as DiT/SiT blocks do before adaLN modulation. Its values are those of gnn.LayerNorm(x, []int{-1}, eps,
// nil, nil, nil) (the backend's fused kernel where there is one); its gradient is the closed form, which
// trains faster than GoMLX's op-by-op gradient of the decomposed graph (see fastgrad.go).
func LayerNorm(x *Node, eps float64) *Node {
	return layerNormLastAxis(x, eps)
}

// Modulate applies adaLN modulation x·(1 + scale) + shift. x is [B, N, D]; shift and scale are either
// per sample [B, D] (DiT/SiT: broadcast over the N tokens) or per token [B, N, D] (RAE's DDT head).
func Modulate(x, shift, scale *Node) *Node {
	if perSample(x, shift) && perSample(x, scale) {
		// Same values, faster on the pure-Go backend (see tokenMajor).
		return tokenMajor(func(xt *Node, v []*Node) *Node { return Add(Mul(xt, OnePlus(v[1])), v[0]) }, x, shift, scale)
	}
	shift, scale = perToken(x, shift), perToken(x, scale)
	return Add(Mul(x, OnePlus(scale)), shift)
}

// Gate multiplies a residual branch h [B, N, D] by an adaLN gate, per sample [B, D] or per token [B, N, D].
func Gate(h, gate *Node) *Node {
	if perSample(h, gate) {
		return tokenMajor(func(ht *Node, v []*Node) *Node { return Mul(ht, v[0]) }, h, gate)
	}
	return Mul(h, perToken(h, gate))
}

// perToken inserts the token axis into a per-sample modulation vector [B, D] so it broadcasts over x's tokens.
func perToken(x, v *Node) *Node {
	if v.Rank() == x.Rank() {
		return v
	}
	if v.Rank() != 2 || x.Rank() != 3 {
		panic(fmt.Errorf("nn: adaLN modulation %s does not fit tokens %s (want [B, D] or [B, N, D])", v.Shape(), x.Shape()))
	}
	return InsertAxes(v, 1)
}

// AdaLNModulation computes n adaLN modulation vectors of width dim from the conditioning c
// ([B, Dc], or [B, N, Dc] for per-token conditioning): SiLU(c) followed by one dense layer to n·dim
// outputs, split into n nodes shaped like c with last axis dim — in the order of the chunks of the
// PyTorch reference (DiT/SiT blocks: shift_msa, scale_msa, gate_msa, shift_mlp, scale_mlp, gate_mlp;
// final layer: shift, scale).
//
// The dense layer (variables under scope/dense) is zero-initialised: this is adaLN-Zero, which makes
// every modulated residual branch start as the identity (gate 0) and every modulation start as
// x·(1+0)+0.
func AdaLNModulation(scope *model.Scope, c *Node, n, dim int) []*Node {
	if n <= 0 || dim <= 0 {
		panic(fmt.Errorf("nn: AdaLNModulation: n=%d and dim=%d must be positive", n, dim))
	}
	h := activation.Swish(c) // SiLU
	out := Dense(scope.WithInitializer(initializer.Zero), h, true, n*dim)
	if n == 1 {
		return []*Node{out}
	}
	return Split(out, -1, n)
}
