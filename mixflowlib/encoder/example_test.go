package encoder_test

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/encoder"
)

// The shipped encoder: 28×28 grayscale images to a 4×4 grid of 64-dimensional tokens.
func ExampleDefault() {
	enc, err := encoder.Default()
	if err != nil {
		panic(err)
	}
	s := enc.Spec()
	fmt.Printf("%s: %d×%d×%d → %d tokens of %d\n", s.Name, s.ImageSize, s.ImageSize, s.Channels, s.NumTokens(), s.Dim)
	fmt.Println("parameters:", enc.Config().NumParams())
	// Output:
	// vit-s28-c1-p7-w64-d3-h4-m2: 28×28×1 → 16 tokens of 64
	// parameters: 103744
}

// Encoding images on the host, here three black 32×32 images (Fashion-MNIST padded, as the SiT "tiny"
// preset trains on): they are centre-cropped to the encoder's 28×28.
func ExampleEncodeTensor() {
	enc, err := encoder.Default()
	if err != nil {
		panic(err)
	}
	blank := make([]float32, 3*32*32)
	for i := range blank {
		blank[i] = -1 // black
	}
	tokens, err := encoder.EncodeTensor(enc, tensors.FromFlatDataAndDimensions(blank, 3, 32, 32, 1), 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(tokens.Shape())
	// Output:
	// (Float32)[3, 16, 64]
}

// Inside a graph (a training step, an RAE encoding pass), Encode is an ordinary graph function; MapTokens
// puts its tokens on another model's patch grid, here the 8×8 grid of 4-pixel patches of a SiT on 32×32
// images.
func ExampleMapTokens() {
	enc, err := encoder.Default()
	if err != nil {
		panic(err)
	}
	out := MustExecOnce(backend.Must(), func(x *Node) *Node {
		tokens := enc.Encode(encoder.Fit(x, 28))       // [B, 16, 64]: centre crop 32 → 28
		return encoder.MapTokens(tokens, 28, 4, 32, 8) // [B, 64, 64]
	}, tensors.FromFlatDataAndDimensions(make([]float32, 2*32*32), 2, 32, 32, 1))
	fmt.Println(out.Shape())
	// Output:
	// (Float32)[2, 64, 64]
}
