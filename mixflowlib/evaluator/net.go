package evaluator

import (
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Architecture names the feature network's layout. Weight files record it, and loading weights written
// for another layout is an error.
const Architecture = "fmnist-convnet-v1: conv3x3(32)-pool-conv3x3(64)-pool-conv3x3(32)-pool-dense(128)-dense(10)"

const (
	// InputSize is the side of the images the network sees: Fashion-MNIST's 28 pixels. Larger inputs are
	// cropped or resized to it (see Fit).
	InputSize = 28
	// FeatureDim is the dimension of the features used by the Fréchet distance and precision/recall: the
	// output of the network's penultimate layer.
	FeatureDim = 128
	// NumClasses is the number of Fashion-MNIST classes the network predicts.
	NumClasses = 10
	// Scope is the model.Store scope holding the network's variables.
	Scope = "/classifier"
)

// convChannels are the output channels of the three 3×3 convolutions (at 28², 14² and 7² pixels).
var convChannels = [3]int{32, 64, 32}

// Network builds the feature network on x, float32 [B, 28, 28, 1] in [−1, 1], and returns the penultimate
// features [B, FeatureDim] and the class logits [B, NumClasses]. Call it with a scope at Scope (the
// variables live there); it may be called more than once per graph.
//
// Layout: x ↦ (x+1)/2 (so that the black background is 0, matching the zero padding of the convolutions),
// then three stages of 3×3 convolution ("same" padding, 32, 64 and 32 channels) + ReLU + 2×2 max pooling
// (28² → 14² → 7² → 4², the last after zero-padding 7 to 8), flattening to 4·4·32 = 512 values, a dense
// layer with SiLU giving the FeatureDim features, and a dense layer giving the logits: 104 234 parameters.
// It panics (GoMLX style) if x is not [B, 28, 28, 1].
func Network(scope *model.Scope, x *Node) (features, logits *Node) {
	return network(scope, x, im2col3x3, maxPool2)
}

// network is Network with the convolutions' im2col and the pooling given (tests compare im2col3x3 and
// maxPool2 with references).
func network(scope *model.Scope, x *Node, im2col, pool func(*Node) *Node) (features, logits *Node) {
	scope = scope.ResetVisited()
	if x.Rank() != 4 || x.Shape().Dim(1) != InputSize || x.Shape().Dim(2) != InputSize || x.Shape().Dim(3) != 1 {
		exceptions.Panicf("evaluator: Network wants images [B, 28, 28, 1], got %s", x.Shape())
	}
	h := AddScalar(MulScalar(x, 0.5), 0.5)
	for i, c := range convChannels {
		h = activation.Relu(layers.Dense(scope.In("conv%d", i), im2col(h), true, c))
		if h.Shape().Dim(1)%2 == 1 {
			// 7×7 → 8×8 with zeros, neutral for the max of ReLU outputs.
			pad := compute.PadAxis{End: 1}
			h = Pad(h, ScalarZero(h.Graph(), h.DType()), compute.PadAxis{}, pad, pad, compute.PadAxis{})
		}
		h = pool(h)
	}
	h = Reshape(h, h.Shape().Dim(0), -1) // [B, 4·4·32]
	features = activation.Swish(layers.Dense(scope.In("features"), h, true, FeatureDim))
	logits = layers.Dense(scope.In("logits"), features, true, NumClasses)
	return features, logits
}

// im2col3x3 is the first half of the network's 3×3 convolutions with zero "same" padding and a bias,
// written as im2col followed by a dense layer (weights [9·Cin, Cout], row (dy·3+dx)·Cin + cin). On GoMLX's
// pure-Go backend this was about 35× faster than its ConvGeneral op, forward and backward, for a network of
// this size (measured with v0.28.16), because the dense layer runs on the SIMD matrix-multiply kernels.
//
// It returns the 3×3 neighbourhoods of x [B, H, W, C] with zero padding as [B, H, W, 9·C], value
// (dy·3+dx)·C + c of pixel (y, x) being x[y+dy−1, x+dx−1, c]. It is one Pad and one Gather of 3×3×C windows
// (GatherSlices, whose gradient is a ScatterSum), which the pure-Go backend copies as three contiguous runs
// of 3·C values per pixel. Nine shifted Slices and a Concatenate (the same values; Slice copies element
// by element there, the concatenation C values at a time) made the bench's features workload about 20 %
// slower (CPU per batch of 256: 290–319 ms against 238 ms, 2026-12-07).
func im2col3x3(x *Node) *Node {
	g := x.Graph()
	d := x.Shape().Dimensions
	b, h, w, c := d[0], d[1], d[2], d[3]
	pad := compute.PadAxis{Start: 1, End: 1}
	xp := Pad(x, ScalarZero(g, x.DType()), compute.PadAxis{}, pad, pad, compute.PadAxis{})
	starts := make([]int32, 0, b*h*w*3)
	for i := range b {
		for y := range h {
			for xx := range w {
				starts = append(starts, int32(i), int32(y), int32(xx))
			}
		}
	}
	idx := Const(g, tensors.FromFlatDataAndDimensions(starts, b, h, w, 3))
	windows := GatherSlices(xp, []int{0, 1, 2}, idx, []int{1, 3, 3}, true) // [B, H, W, 1, 3, 3, C]
	return Reshape(windows, b, h, w, 9*c)
}

// maxPool2 is 2×2 max pooling with stride 2 on [B, H, W, C] with even H and W: the maximum of the two rows
// of each row pair, then of the two columns of each column pair (pairMax). The pure-Go backend reduces
// the middle axes of a reshape to [B, H/2, 2, W/2, 2, C] with its generic, element-by-element ReduceMax;
// two contiguous gathers and a SIMD Max per step are faster.
func maxPool2(x *Node) *Node {
	d := x.Shape().Dimensions
	b, h, w, c := d[0], d[1], d[2], d[3]
	rows := pairMax(Reshape(x, b*h/2, 2, w*c))      // [B·H/2, W·C]
	cols := pairMax(Reshape(rows, b*h/2*w/2, 2, c)) // [B·H/2·W/2, C]
	return Reshape(cols, b, h/2, w/2, c)
}

// pairMax returns max(x[:, 0, :], x[:, 1, :]) of x [N, 2, M] as [N, M], each half taken by one GatherSlices
// of N contiguous runs of M values.
func pairMax(x *Node) *Node {
	g := x.Graph()
	n, m := x.Shape().Dim(0), x.Shape().Dim(2)
	half := func(k int32) *Node {
		starts := make([]int32, 0, 2*n)
		for i := range n {
			starts = append(starts, int32(i), k)
		}
		idx := Const(g, tensors.FromFlatDataAndDimensions(starts, n, 2))
		return Reshape(GatherSlices(x, []int{0, 1}, idx, []int{1, 1}, true), n, m)
	}
	return Max(half(0), half(1))
}
