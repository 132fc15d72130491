// Package encoder provides frozen image encoders: networks that map images to a grid of feature tokens and
// are never trained by the model that uses them. REPA aligns a diffusion transformer's hidden tokens with
// such features (mixflowlib/backbone/repa) and RAE diffuses in their latent space.
//
// # The contract
//
// An Encoder maps NHWC float32 images in [−1, 1] of size Spec().ImageSize to tokens [B, Grid², Dim] on a
// Grid×Grid patch grid, row-major (token n = i·Grid + j for patch row i, column j). Encode builds the
// network inside the caller's graph, with its weights as graph constants and its output behind
// StopGradient: it creates no model variables, so no optimiser, EMA or checkpoint of the model that uses it
// can see or change it, and it can be called inside a training step, a sampler or a host-side exec alike.
//
// # The encoder this project ships
//
// Default returns a small Vision Transformer trained by the project on the 60000 Fashion-MNIST training
// images (ViT; see ViTConfig and TrainConfig): 28×28 inputs (Fashion-MNIST's own size), patch 7, a 4×4
// grid of 64-dimensional tokens, 3 pre-LayerNorm blocks, about 104 000 parameters. Each token describes
// 49 pixels with 64 numbers, about the ratio of RAE's DINOv2-B (16×16×3 pixel values per 768-dimensional
// token), and the grid is exactly the patch grid of a SiT on 28×28 images with patch 7. Its
// weights are embedded with go:embed (weights/vit-fmnist.mfckpt, SHA-256 checked);
// `go run ./mixflowlib/cmd/train-encoder` retrains them, seeded, in a few minutes on a laptop CPU.
//
// It is deliberately not the network behind our FID (mixflowlib/evaluator, a ConvNet classifier): a
// model aligned to the very features that score it would be optimised toward the metric. Architecture
// (ViT vs ConvNet), objective (classification plus masked-patch reconstruction vs classification only)
// and seed differ. The reconstruction term keeps local image content in the tokens, which a
// RAE decoder needs; the classification term gives them the class-level semantics REPA borrows from
// DINOv2's features.
//
// # Plugging in other weights
//
// Any type with Spec and Encode is an Encoder; REPA and RAE take the interface. To use, say, an exported
// DINOv2: read the weights on the host, build the network in Encode with graph.ConstCachedTensor for each
// weight, convert the input from [−1, 1] to the network's normalisation (DINOv2: (x+1)/2, then ImageNet
// mean and standard deviation, resized to 224×224 so that patch 14 gives a 16×16 grid), return the
// patch tokens [B, 256, 768] wrapped in StopGradient, and give Spec a Fingerprint of the weights so that
// caches keyed on the Spec change when the weights do. Check it with CheckEncoder.
package encoder

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style

	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// Spec describes an encoder's input and output. All fields are plain values, so a Spec can be part of a
// configuration that expcache hashes: the Fingerprint changes whenever the weights do.
type Spec struct {
	// Name identifies the architecture, e.g. "vit-s28-c1-p7-w64-d3-h4-m2".
	Name string `json:"name"`
	// Fingerprint is a hex SHA-256 of the weights.
	Fingerprint string `json:"fingerprint"`
	// ImageSize is the height and width Encode expects (use Fit for other sizes).
	ImageSize int `json:"image_size"`
	// Channels is the number of input channels.
	Channels int `json:"channels"`
	// Grid is the side of the token grid: Encode returns Grid² tokens, row-major.
	Grid int `json:"grid"`
	// Dim is the width of each token.
	Dim int `json:"dim"`
}

// NumTokens returns Grid², the number of tokens per image.
func (s Spec) NumTokens() int { return s.Grid * s.Grid }

// Validate returns an error unless every size is positive.
func (s Spec) Validate() error {
	return nn.CheckPositive(fmt.Sprintf("encoder: spec %q: ", s.Name), "ImageSize Channels Grid Dim",
		s.ImageSize, s.Channels, s.Grid, s.Dim)
}

// String returns a compact description, e.g. "vit-s28-c1-p7-w64-d3-h4-m2 (28×28×1 → 4×4×64, weights 1a2b3c4d)".
func (s Spec) String() string {
	fp := s.Fingerprint
	if len(fp) > 8 {
		fp = fp[:8]
	}
	return fmt.Sprintf("%s (%d×%d×%d → %d×%d×%d, weights %s)", s.Name, s.ImageSize, s.ImageSize, s.Channels,
		s.Grid, s.Grid, s.Dim, fp)
}

// Encoder is a frozen image encoder.
type Encoder interface {
	// Spec describes the input the encoder expects and the tokens it returns.
	Spec() Spec
	// Encode builds the encoder in the graph of images, float32 [B, ImageSize, ImageSize, Channels] in
	// [−1, 1], and returns the tokens [B, Grid², Dim] (float32). It must create no model variables (weights
	// are graph constants) and must return its output behind StopGradient, so that nothing can train it.
	// It panics (GoMLX style) on a wrong input shape.
	Encode(images *Node) *Node
}

// CheckImagesShape returns an error unless dims is an image batch [B, ImageSize, ImageSize, Channels] (B > 0)
// that an encoder with this spec accepts.
func CheckImagesShape(spec Spec, dims []int) error {
	if len(dims) != 4 || dims[0] <= 0 || dims[1] != spec.ImageSize || dims[2] != spec.ImageSize || dims[3] != spec.Channels {
		return fmt.Errorf("encoder: %s: images have shape %v, want [B, %d, %d, %d] (NHWC; see encoder.Fit for other sizes)",
			spec.Name, dims, spec.ImageSize, spec.ImageSize, spec.Channels)
	}
	return nil
}

// Fit brings an image batch [B, H, W, C] to size×size in the graph: centred padding with −1 (the
// black background of Fashion-MNIST-style data) along an axis that is smaller, a centred crop along an
// axis that is larger; odd margins put the extra row or column at the bottom or right, as datasets/images
// does (so 28×28 → 32×32 matches the padded training images exactly). It returns images unchanged when
// they already have the size. It panics (GoMLX style) if images is not rank 4 or size is not positive.
func Fit(images *Node, size int) *Node {
	if images.Rank() != 4 || size <= 0 {
		panic(fmt.Errorf("encoder: Fit: want images [B, H, W, C] and a positive size, got %s and %d", images.Shape(), size))
	}
	d := images.Shape().Dimensions
	x := images
	axes := [2]int{1, 2}
	for _, ax := range axes {
		n := d[ax]
		switch {
		case n < size:
			before := (size - n) / 2
			pads := make([]compute.PadAxis, 4)
			pads[ax] = compute.PadAxis{Start: before, End: size - n - before}
			x = Pad(x, Scalar(x.Graph(), x.DType(), -1), pads...)
		case n > size:
			start := (n - size) / 2
			ranges := []SliceAxisSpec{AxisRange(), AxisRange(), AxisRange(), AxisRange()}
			ranges[ax] = AxisRange(start, start+size)
			x = Slice(x, ranges...)
		}
	}
	return x
}

// Resize brings an image batch [B, H, W, C] to size×size in the graph by interpolation: the triangle
// filter of datasets/images' Resize (images.ResizeWeights along each axis; bilinear on pixel centres when
// enlarging), as a fixed linear map (gradients flow through it). Unlike Fit it keeps the whole image and
// fills the encoder's frame, the way REPA resizes ImageNet images to DINOv2's 224×224. It returns images
// unchanged when they already have the size and panics (GoMLX style) if images is not rank 4 or size is
// not positive.
func Resize(batch *Node, size int) *Node {
	if batch.Rank() != 4 || size <= 0 {
		panic(fmt.Errorf("encoder: Resize: want images [B, H, W, C] and a positive size, got %s and %d", batch.Shape(), size))
	}
	d := batch.Shape().Dimensions
	g, x := batch.Graph(), batch
	axis := func(n int) *Node {
		w := images.ResizeWeights(n, size)
		f := make([]float32, len(w))
		for i, v := range w {
			f[i] = float32(v)
		}
		return Reshape(ConvertDType(Const(g, f), x.DType()), size, n)
	}
	if d[1] != size {
		x = Einsum("ih,bhwc->biwc", axis(d[1]), x)
	}
	if d[2] != size {
		x = Einsum("jw,biwc->bijc", axis(d[2]), x)
	}
	return x
}

// ResampleTokens maps tokens [B, from², D] on a from×from grid to a to×to grid covering the same square,
// as a fixed linear map (a graph constant; gradients flow through it to tokens). Each target cell is the
// area-weighted average of the source cells it overlaps: exact average pooling when from is a multiple of
// to (8×8 → 4×4 averages 2×2 blocks), exact repetition when to is a multiple of from, and overlap weights
// otherwise (8×8 → 7×7). It returns tokens unchanged when from == to and panics (GoMLX style) on a shape
// that does not match from. See MapTokens for grids over different image frames.
func ResampleTokens(tokens *Node, from, to int) *Node {
	if from <= 0 || to <= 0 {
		panic(fmt.Errorf("encoder: ResampleTokens: grids %d and %d must be positive", from, to))
	}
	checkGrid("ResampleTokens", tokens, from)
	if from == to {
		return tokens
	}
	return applyWeights(tokens, AreaWeights(from, to), from, to)
}

// MapTokens maps the tokens of an encoder, computed on images that Fit brought from image×image pixels to
// encImage×encImage, onto the grid×grid patch grid of the original image×image frame (e.g. the patch
// grid of a SiT on those images). Target cell i covers pixels [i·image/grid, (i+1)·image/grid) of the
// original frame, which Fit's centred padding (or crop) places at an offset in the encoder's frame; its
// token is the average of the encoder cells it overlaps, weighted by overlap area (and renormalised over
// the part inside the encoder's frame when Fit cropped). So 28×28 images with a 4×4 grid (patch 7) read
// an encoder that saw them padded to 32×32 with an 8×8 grid at the right pixels, not shifted by the
// padding. With image == encImage it is ResampleTokens. It panics (GoMLX style) on a token shape that
// does not match encGrid or on sizes that are not positive.
func MapTokens(tokens *Node, encImage, encGrid, image, grid int) *Node {
	if encImage <= 0 || encGrid <= 0 || image <= 0 || grid <= 0 {
		panic(fmt.Errorf("encoder: MapTokens: sizes %d, %d, %d, %d must be positive", encImage, encGrid, image, grid))
	}
	checkGrid("MapTokens", tokens, encGrid)
	if image == encImage && grid == encGrid {
		return tokens
	}
	return applyWeights(tokens, GridWeights(encImage, encGrid, image, grid), encGrid, grid)
}

func checkGrid(fn string, tokens *Node, grid int) {
	if tokens.Rank() != 3 || tokens.Shape().Dimensions[1] != grid*grid {
		panic(fmt.Errorf("encoder: %s: tokens %s do not lie on a %d×%d grid (want [B, %d, D])",
			fn, tokens.Shape(), grid, grid, grid*grid))
	}
}

// applyWeights applies the separable 1-D weights w [to][from] along both grid axes.
func applyWeights(tokens *Node, w1 []float64, from, to int) *Node {
	m := make([]float32, to*to*from*from)
	for i := 0; i < to; i++ {
		for j := 0; j < to; j++ {
			row := m[(i*to+j)*from*from:]
			for a := 0; a < from; a++ {
				wa := w1[i*from+a]
				if wa == 0 {
					continue
				}
				for b := 0; b < from; b++ {
					row[a*from+b] = float32(wa * w1[j*from+b])
				}
			}
		}
	}
	g := tokens.Graph()
	mat := Reshape(ConvertDType(Const(g, m), tokens.DType()), to*to, from*from)
	return Einsum("mn,bnd->bmd", mat, tokens)
}

// AreaWeights returns the 1-D area-interpolation matrix [to][from] (row-major, flat) that maps from cells
// to to cells covering the same interval: entry (i, a) is the fraction of target cell i covered by source
// cell a, so every row sums to 1. ResampleTokens applies it along both grid axes.
func AreaWeights(from, to int) []float64 { return gridWeights(1, from, 1, to, 0) }

// GridWeights returns the 1-D weights [grid][encGrid] (row-major, flat) of MapTokens: entry (i, a) is the
// fraction of target cell i (of the original image×image frame, placed in the encoder's encImage frame as
// Fit places it) covered by encoder cell a, renormalised over the part of the target cell inside the
// encoder's frame. Every row sums to 1. It panics if a target cell lies wholly outside the encoder's frame.
func GridWeights(encImage, encGrid, image, grid int) []float64 {
	var off float64
	if image <= encImage {
		off = float64((encImage - image) / 2)
	} else {
		off = -float64((image - encImage) / 2)
	}
	return gridWeights(float64(encImage), encGrid, float64(image), grid, off)
}

// gridWeights: source cells split [0, srcLen) into from cells; target cells split [off, off+dstLen) into to cells.
func gridWeights(srcLen float64, from int, dstLen float64, to int, off float64) []float64 {
	w := make([]float64, to*from)
	for i := 0; i < to; i++ {
		lo, hi := off+dstLen*float64(i)/float64(to), off+dstLen*float64(i+1)/float64(to)
		total := 0.0
		for a := 0; a < from; a++ {
			slo, shi := srcLen*float64(a)/float64(from), srcLen*float64(a+1)/float64(from)
			if overlap := math.Min(hi, shi) - math.Max(lo, slo); overlap > 0 {
				w[i*from+a] = overlap
				total += overlap
			}
		}
		if total == 0 {
			panic(fmt.Errorf("encoder: target cell %d of %d lies outside the encoder's frame", i, to))
		}
		for a := 0; a < from; a++ {
			w[i*from+a] /= total
		}
	}
	return w
}
