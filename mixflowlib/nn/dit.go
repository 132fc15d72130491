package nn

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// DiTBlockConfig sizes one adaLN-Zero DiT block (see DiTBlock).
type DiTBlockConfig struct {
	// Width is the token width D.
	Width int
	// Heads is the number of self-attention heads (Width must be divisible by it).
	Heads int
	// MLPHidden is the hidden width of the block's MLP (DiT/SiT: int(Width·mlp_ratio)).
	MLPHidden int
	// Attention selects the self-attention implementation (see AttentionImpl).
	Attention AttentionImpl
}

// CrossFn is an optional cross-attention step of a DiT block: given its scope (block/cross_attn) and
// the LayerNorm of the tokens [B, N, D], it returns the residual [B, N, D] added to the tokens.
type CrossFn func(scope *model.Scope, normed *Node) *Node

// DiTBlock is the adaLN-Zero DiT/SiT block shared by SiT, the text-to-image DiT and RAE's DDT head:
//
//	x = x + gate_msa · Attn(modulate(LN(x), shift_msa, scale_msa))
//	x = x + cross(LN(x))                           (only when cross is not nil)
//	x = x + gate_mlp · MLP(modulate(LN(x), shift_mlp, scale_mlp))
//
// x is [B, N, D]; cond is per sample [B, Dc] or per token [B, N, Dc]. The variables live under scope
// with the PyTorch reference's names: adaLN_modulation (zero-initialised, see AdaLNModulation), attn,
// cross_attn (the cross step's own), mlp/fc1 and mlp/fc2; the MLP uses GELU with the tanh
// approximation, as SiT's Mlp(act_layer=GELU(approximate="tanh")).
func DiTBlock(scope *model.Scope, x, cond *Node, cfg DiTBlockConfig, cross CrossFn) *Node {
	mod := AdaLNModulation(scope.In("adaLN_modulation"), cond, 6, cfg.Width)
	h := Modulate(LayerNorm(x, LayerNormEps), mod[0], mod[1])
	h = SelfAttention(scope.In("attn"), h, cfg.Heads, cfg.Attention)
	x = Add(x, Gate(h, mod[2]))
	if cross != nil {
		x = Add(x, cross(scope.In("cross_attn"), LayerNorm(x, LayerNormEps)))
	}
	h = ditMLP(scope, Modulate(LayerNorm(x, LayerNormEps), mod[3], mod[4]), cfg)
	return Add(x, Gate(h, mod[5]))
}

// ditMLP is a DiT block's MLP under scope/mlp: fc1 to cfg.MLPHidden, GELU (tanh approximation), fc2 back
// to cfg.Width, on the last axis of h in either token layout.
func ditMLP(scope *model.Scope, h *Node, cfg DiTBlockConfig) *Node {
	mlp := scope.In("mlp")
	h = Dense(mlp.In("fc1"), h, true, cfg.MLPHidden)
	h = activation.GeluApproximate(h)
	return Dense(mlp.In("fc2"), h, true, cfg.Width)
}

// DiTFinalLayer is DiT's final layer: modulate(LN(h), shift, scale) with a zero-initialised adaLN
// modulation of cond, then a zero-initialised dense layer to outDim per token. h is [B, N, D]; cond is
// [B, Dc] or [B, N, Dc]; the variables live under scope/adaLN_modulation and scope/linear.
func DiTFinalLayer(scope *model.Scope, h, cond *Node, outDim int) *Node {
	width := h.Shape().Dimensions[h.Rank()-1]
	mod := AdaLNModulation(scope.In("adaLN_modulation"), cond, 2, width) // shift, scale
	out := Modulate(LayerNorm(h, LayerNormEps), mod[0], mod[1])
	return Dense(scope.In("linear").WithInitializer(initializer.Zero), out, true, outDim)
}

// DiTBlockTokenMajor is DiTBlock without cross-attention for tokens in the token-major layout xt
// [N, B, D] and per-sample conditioning cond [B, Dc]: the same variables and, bit for bit, the same values
// (transposed). It is for graphs that are not differentiated (sampling): DiTBlock does its adaLN products
// in this layout anyway (see tokenMajor) and pays two transposes of the tokens for each, eight per block;
// a stack of token-major blocks pays one at each end. The gradient of this graph would sum the weight
// gradients over the tokens in another order than DiTBlock's, so training keeps DiTBlock.
func DiTBlockTokenMajor(scope *model.Scope, xt, cond *Node, cfg DiTBlockConfig) *Node {
	if xt.Rank() != 3 || cond.Rank() != 2 {
		panic(fmt.Errorf("nn: DiTBlockTokenMajor: tokens %s and conditioning %s: want [N, B, D] and [B, Dc]", xt.Shape(), cond.Shape()))
	}
	mod := modulationRows(AdaLNModulation(scope.In("adaLN_modulation"), cond, 6, cfg.Width))
	h := Add(Mul(LayerNorm(xt, LayerNormEps), OnePlus(mod[1])), mod[0])
	h = selfAttention(scope.In("attn"), h, cfg.Heads, cfg.Attention, true)
	xt = Add(xt, Mul(h, mod[2]))
	h = ditMLP(scope, Add(Mul(LayerNorm(xt, LayerNormEps), OnePlus(mod[4])), mod[3]), cfg)
	return Add(xt, Mul(h, mod[5]))
}

// DiTFinalLayerTokenMajor is DiTFinalLayer for tokens in the token-major layout ht [N, B, D] and
// per-sample conditioning cond [B, Dc], with the result [N, B, outDim]: the same variables and, bit for
// bit, the same values (transposed); like DiTBlockTokenMajor, for graphs that are not differentiated.
func DiTFinalLayerTokenMajor(scope *model.Scope, ht, cond *Node, outDim int) *Node {
	if ht.Rank() != 3 || cond.Rank() != 2 {
		panic(fmt.Errorf("nn: DiTFinalLayerTokenMajor: tokens %s and conditioning %s: want [N, B, D] and [B, Dc]", ht.Shape(), cond.Shape()))
	}
	width := ht.Shape().Dimensions[2]
	mod := modulationRows(AdaLNModulation(scope.In("adaLN_modulation"), cond, 2, width)) // shift, scale
	out := Add(Mul(LayerNorm(ht, LayerNormEps), OnePlus(mod[1])), mod[0])
	return Dense(scope.In("linear").WithInitializer(initializer.Zero), out, true, outDim)
}

// modulationRows turns per-sample modulation vectors [B, D] into [1, B, D], broadcast over the leading
// token axis of token-major tokens [N, B, D] (the backend's vectorised row loop, see tokenMajor).
func modulationRows(mod []*Node) []*Node {
	for i, v := range mod {
		mod[i] = InsertAxes(v, 0)
	}
	return mod
}
