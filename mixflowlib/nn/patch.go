package nn

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
)

// CheckPatchable returns an error unless shape is an image batch [B, H, W, C] whose height and width are
// positive multiples of the patch size p.
func CheckPatchable(shape shapes.Shape, p int) error {
	if p <= 0 {
		return fmt.Errorf("nn: patch size %d must be positive", p)
	}
	if shape.Rank() != 4 {
		return fmt.Errorf("nn: image batch must have shape [B, H, W, C], got %s", shape)
	}
	h, w := shape.Dimensions[1], shape.Dimensions[2]
	if h <= 0 || w <= 0 || shape.Dimensions[3] <= 0 {
		return fmt.Errorf("nn: image batch %s has an empty axis", shape)
	}
	if h%p != 0 || w%p != 0 {
		return fmt.Errorf("nn: image size %d×%d is not a multiple of the patch size %d", h, w, p)
	}
	return nil
}

// Patchify cuts an NHWC image batch x [B, H, W, C] into non-overlapping p×p patches and returns the
// tokens [B, (H/p)·(W/p), p·p·C], row-major over the patch grid (token n = i·(W/p) + j for patch row i,
// column j). Within a token the values are ordered (row in patch, column in patch, channel): the order of
// SiT/DiT's final layer and unpatchify, so Unpatchify(Patchify(x)) = x.
//
// A p×p stride-p convolution (DiT's PatchEmbed) equals Patchify followed by a dense layer; a PyTorch
// Conv2d weight [out, C, p, p] corresponds to our dense weight [p·p·C, out] after permuting to (p, p, C).
// It panics (GoMLX style) if x is not patchable; see CheckPatchable.
func Patchify(x *Node, p int) *Node {
	if err := CheckPatchable(x.Shape(), p); err != nil {
		panic(err)
	}
	d := x.Shape().Dimensions
	b, h, w, c := d[0], d[1], d[2], d[3]
	gh, gw := h/p, w/p
	x = Reshape(x, b, gh, p, gw, p, c)
	x = TransposeAllAxes(x, 0, 1, 3, 2, 4, 5) // [B, gh, gw, p, p, C]
	return Reshape(x, b, gh*gw, p*p*c)
}

// Unpatchify is the inverse of Patchify: tokens [B, gridH·gridW, p·p·C] back to the image batch
// [B, gridH·p, gridW·p, C]. It panics (GoMLX style) if the token shape does not match the arguments.
func Unpatchify(tokens *Node, gridH, gridW, p, channels int) *Node {
	s := tokens.Shape()
	if gridH <= 0 || gridW <= 0 || p <= 0 || channels <= 0 {
		panic(fmt.Errorf("nn: Unpatchify: grid %d×%d, patch %d and channels %d must be positive", gridH, gridW, p, channels))
	}
	if s.Rank() != 3 || s.Dimensions[1] != gridH*gridW || s.Dimensions[2] != p*p*channels {
		panic(fmt.Errorf("nn: Unpatchify: tokens %s do not match grid %d×%d, patch %d, %d channels (want [B, %d, %d])",
			s, gridH, gridW, p, channels, gridH*gridW, p*p*channels))
	}
	b := s.Dimensions[0]
	x := Reshape(tokens, b, gridH, gridW, p, p, channels)
	x = TransposeAllAxes(x, 0, 1, 3, 2, 4, 5) // [B, gridH, p, gridW, p, C]
	return Reshape(x, b, gridH*p, gridW*p, channels)
}
