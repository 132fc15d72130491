package evaluator

import (
	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
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
	scope = scope.ResetVisited()
	if x.Rank() != 4 || x.Shape().Dim(1) != InputSize || x.Shape().Dim(2) != InputSize || x.Shape().Dim(3) != 1 {
		exceptions.Panicf("evaluator: Network wants images [B, 28, 28, 1], got %s", x.Shape())
	}
	h := AddScalar(MulScalar(x, 0.5), 0.5)
	for i, c := range convChannels {
		h = activation.Relu(conv3x3(scope.In("conv%d", i), h, c))
		if h.Shape().Dim(1)%2 == 1 {
			// 7×7 → 8×8 with zeros, neutral for the max of ReLU outputs.
			pad := compute.PadAxis{End: 1}
			h = Pad(h, ScalarZero(h.Graph(), h.DType()), compute.PadAxis{}, pad, pad, compute.PadAxis{})
		}
		h = maxPool2(h)
	}
	h = Reshape(h, h.Shape().Dim(0), -1) // [B, 4·4·32]
	features = activation.Swish(layers.Dense(scope.In("features"), h, true, FeatureDim))
	logits = layers.Dense(scope.In("logits"), features, true, NumClasses)
	return features, logits
}

// conv3x3 is a 3×3 convolution with zero "same" padding and a bias, written as im2col (nine shifted
// slices concatenated along channels) followed by a dense layer. On GoMLX's pure-Go backend this was about
// 35× faster than its ConvGeneral op, forward and backward, for a network of this size (measured with
// v0.28.16), because the dense layer runs on the SIMD matrix-multiply kernels. The weights are [9·Cin, Cout], row (dy·3+dx)·Cin + cin.
func conv3x3(scope *model.Scope, x *Node, out int) *Node {
	h, w := x.Shape().Dim(1), x.Shape().Dim(2)
	pad := compute.PadAxis{Start: 1, End: 1}
	xp := Pad(x, ScalarZero(x.Graph(), x.DType()), compute.PadAxis{}, pad, pad, compute.PadAxis{})
	taps := make([]*Node, 0, 9)
	for dy := range 3 {
		for dx := range 3 {
			taps = append(taps, Slice(xp, AxisRange(), AxisRange(dy, dy+h), AxisRange(dx, dx+w), AxisRange()))
		}
	}
	return layers.Dense(scope, Concatenate(taps, -1), true, out)
}

// maxPool2 is 2×2 max pooling with stride 2 on [B, H, W, C] with even H and W, as a reshape and a max
// reduction (faster than the backend's generic pooling op).
func maxPool2(x *Node) *Node {
	d := x.Shape().Dimensions
	return ReduceMax(Reshape(x, d[0], d[1]/2, 2, d[2]/2, 2, d[3]), 2, 4)
}
