package evaluator

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/checkpoint"
)

// im2colSlices is the network's im2col up to 2026-12-07: nine shifted Slices of the padded input
// concatenated along channels. im2col3x3 must give the same values in the same order.
func im2colSlices(x *Node) *Node {
	h, w := x.Shape().Dim(1), x.Shape().Dim(2)
	pad := compute.PadAxis{Start: 1, End: 1}
	xp := Pad(x, ScalarZero(x.Graph(), x.DType()), compute.PadAxis{}, pad, pad, compute.PadAxis{})
	taps := make([]*Node, 0, 9)
	for dy := range 3 {
		for dx := range 3 {
			taps = append(taps, Slice(xp, AxisRange(), AxisRange(dy, dy+h), AxisRange(dx, dx+w), AxisRange()))
		}
	}
	return Concatenate(taps, -1)
}

// maxPoolReduce is the network's 2×2 max pooling up to 2026-12-07: a reshape and a ReduceMax over the two
// pair axes. maxPool2 must give the same values.
func maxPoolReduce(x *Node) *Node {
	d := x.Shape().Dimensions
	return ReduceMax(Reshape(x, d[0], d[1]/2, 2, d[2]/2, 2, d[3]), 2, 4)
}

// TestMaxPoolMatchesReduce checks maxPool2 against the ReduceMax reference, value for value.
func TestMaxPoolMatchesReduce(t *testing.T) {
	sameAsReference(t, "maxPool2", maxPool2, maxPoolReduce, [][4]int{{2, 28, 28, 1}, {3, 8, 8, 5}, {1, 4, 6, 3}})
}

// TestIm2colMatchesSlices checks im2col3x3 against the nine-slice reference, value for value, on shapes
// with one and several channels, odd and non-square sides.
func TestIm2colMatchesSlices(t *testing.T) {
	sameAsReference(t, "im2col3x3", im2col3x3, im2colSlices, [][4]int{{2, 28, 28, 1}, {3, 7, 7, 5}, {1, 4, 6, 3}})
}

// sameAsReference fails the test unless ours and ref give the same shape and exactly the same values on
// uniform random inputs in [−1, 1] of each shape in dims.
func sameAsReference(t *testing.T, name string, ours, ref func(*Node) *Node, dims [][4]int) {
	t.Helper()
	b := graphtest.Backend(t)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, d := range dims {
		x := make([]float32, d[0]*d[1]*d[2]*d[3])
		for i := range x {
			x[i] = rng.Float32()*2 - 1
		}
		in := tensors.FromFlatDataAndDimensions(x, d[:]...)
		out := MustExecOnceN(b, func(x *Node) []*Node { return []*Node{ours(x), ref(x)} }, in)
		if !out[0].Shape().Equal(out[1].Shape()) {
			t.Fatalf("%v: %s shape %s, reference %s", d, name, out[0].Shape(), out[1].Shape())
		}
		got, want := graphtest.Flat(t, out[0]), graphtest.Flat(t, out[1])
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%v: %s value %d is %g, reference %g", d, name, i, got[i], want[i])
			}
		}
	}
}

// TestNetworkMatchesSliceIm2col runs the shipped weights on 256 test images with the network's im2col
// and pooling and with the nine-slice and ReduceMax references: features and logits must be bit for bit
// equal (both only move and compare values), so cached embeddings and the shipped reference stay valid.
func TestNetworkMatchesSliceIm2col(t *testing.T) {
	_, set, _, _ := shared(t)
	w, err := ShippedWeights()
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	if _, err := checkpoint.Restore(store, w.Variables, Scope, Scope); err != nil {
		t.Fatal(err)
	}
	const n = 256
	x := tensors.FromFlatDataAndDimensions(testImages(set, 0, n), n, InputSize, InputSize, 1)
	exec := model.MustNewExec(backend.Must(), store, func(scope *model.Scope, x *Node) []*Node {
		f, l := network(scope.In("%s", Scope[1:]), x, im2col3x3, maxPool2)
		fr, lr := network(scope.Shared("%s", Scope[1:]), x, im2colSlices, maxPoolReduce)
		return []*Node{f, l, fr, lr}
	})
	out := exec.MustCall(x)
	for k, name := range []string{"features", "logits"} {
		got, want := tensors.MustCopyFlatData[float32](out[k]), tensors.MustCopyFlatData[float32](out[k+2])
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s[%d]: %g with im2col3x3 and maxPool2, %g with the references", name, i, got[i], want[i])
			}
		}
	}
}
