package nn

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint
)

// TimestepEmbedding returns SiT's sinusoidal embedding of t, shape [B, dim] for t of shape [B]:
// [cos(t·f_0), …, cos(t·f_{h−1}), sin(t·f_0), …, sin(t·f_{h−1})] with h = dim/2 and
// f_i = maxPeriod^(−i/h) · scale.
//
// SiT embeds the raw t ∈ [0, 1] (scale 1, maxPeriod 10000); DiT multiplies t by 1000 first. With raw t the
// highest frequency is 1 rad per unit of t, so a small MLP that follows must do the sharpening: pass
// scale > 1 (e.g. 1000) for networks that need to tell nearby timesteps apart quickly.
// dim must be even.
func TimestepEmbedding(t *Node, dim int, maxPeriod, scale float64) *Node {
	if dim%2 != 0 {
		panic("nn.TimestepEmbedding: dim must be even")
	}
	g := t.Graph()
	half := dim / 2
	freqs := make([]float64, half)
	for i := range freqs {
		freqs[i] = scale * math.Exp(-math.Log(maxPeriod)*float64(i)/float64(half))
	}
	f := ConvertDType(Const(g, freqs), t.DType())
	args := Mul(InsertAxes(t, -1), InsertAxes(f, 0)) // [B, half]
	return Concatenate([]*Node{Cos(args), Sin(args)}, -1)
}
