package nn_test

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// Patchify turns an NHWC image batch into patch tokens; Unpatchify is its inverse.
func ExamplePatchify() {
	x := tensors.FromFlatDataAndDimensions(make([]float32, 2*28*28*1), 2, 28, 28, 1)
	outs := model.MustCallOnceN(backend.Must(), model.NewStore(), func(_ *model.Scope, x *Node) []*Node {
		tokens := nn.Patchify(x, 7) // [2, 16, 49]
		return []*Node{tokens, nn.Unpatchify(tokens, 4, 4, 7, 1)}
	}, x)
	fmt.Println(outs[0].Shape(), outs[1].Shape())
	// Output: (Float32)[2, 16, 49] (Float32)[2, 28, 28, 1]
}

// The fixed 2-D sin-cos position embedding of DiT/SiT: the first half of the channels encodes the column,
// the second half the row.
func ExamplePosEmbed2D() {
	pe, err := nn.PosEmbed2D(2, 2, 4) // 2×2 grid, 4 channels: [sin x, cos x, sin y, cos y]
	if err != nil {
		panic(err)
	}
	for n := 0; n < 4; n++ {
		fmt.Printf("token %d: %.3f\n", n, pe[n*4:(n+1)*4])
	}
	// Output:
	// token 0: [0.000 1.000 0.000 1.000]
	// token 1: [0.841 0.540 0.000 1.000]
	// token 2: [0.000 1.000 0.841 0.540]
	// token 3: [0.841 0.540 0.841 0.540]
}

// An adaLN-Zero residual branch: modulation vectors from the conditioning, a LayerNorm without affine,
// modulate, the branch, and the gate. At initialisation the gate is zero, so the block is the identity.
func ExampleAdaLNModulation() {
	x := tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4, 5, 6, 7, 8}, 1, 2, 4) // [B, N, D]
	c := tensors.FromFlatDataAndDimensions([]float32{0.5, -1, 2}, 1, 3)                // [B, Dc]
	out := model.MustCallOnce(backend.Must(), model.NewStore(), func(scope *model.Scope, x, c *Node) *Node {
		mod := nn.AdaLNModulation(scope.In("adaLN_modulation"), c, 3, 4) // shift, scale, gate
		h := nn.Modulate(nn.LayerNorm(x, nn.LayerNormEps), mod[0], mod[1])
		h = nn.SelfAttention(scope.In("attn"), h, 2, nn.AttentionDefault)
		return Add(x, nn.Gate(h, mod[2]))
	}, x, c)
	fmt.Println(out.Value())
	// Output: [[[1 2 3 4] [5 6 7 8]]]
}
