package nn

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	gnn "github.com/gomlx/gomlx/ml/nn"

	"github.com/mixflow/mixflow/mixflowlib/backend"
)

// valueAndGrads returns f(inputs...) and the gradients of Σ f(inputs...)·w with respect to every input.
func valueAndGrads(t *testing.T, f func(in []*Node) *Node, w *tensors.Tensor, inputs ...*tensors.Tensor) [][]float32 {
	t.Helper()
	be, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	exec, err := NewExec(be, func(nodes []*Node) []*Node {
		in, wn := nodes[:len(nodes)-1], nodes[len(nodes)-1]
		y := f(in)
		return append([]*Node{y}, Gradient(ReduceAllSum(Mul(y, wn)), in...)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	args := make([]any, 0, len(inputs)+1)
	for _, in := range inputs {
		args = append(args, in)
	}
	outs, err := exec.Call(append(args, w)...)
	if err != nil {
		t.Fatal(err)
	}
	res := make([][]float32, len(outs))
	for i, o := range outs {
		res[i] = tensors.MustCopyFlatData[float32](o)
	}
	return res
}

func randomTensor(rng *rand.Rand, scale float64, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(scale * rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

// compare fails unless got and want agree to tol relative to the largest |want| (0 demands equality).
func compare(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale, diff := 0.0, 0.0
	for i := range want {
		scale = math.Max(scale, math.Abs(float64(want[i])))
		diff = math.Max(diff, math.Abs(float64(got[i])-float64(want[i])))
	}
	if diff > tol*scale || math.IsNaN(diff) {
		t.Errorf("%s: max |difference| %.3g (largest value %.3g, tolerance %.3g relative)", what, diff, scale, tol)
	}
}

// TestFastGradients checks that layerNormLastAxis and softmaxLastAxis give the values of gnn.LayerNorm
// and Softmax and the same gradients, with the fused kernels and with fusion turned off.
func TestFastGradients(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, fusion := range []string{"true", "false"} {
		t.Run("fusion="+fusion, func(t *testing.T) {
			t.Setenv(FusionEnv, fusion)
			x := randomTensor(rng, 2, 3, 5, 24)
			x2 := randomTensor(rng, 4, 2, 3, 7, 9) // logits
			w := randomTensor(rng, 1, 3, 5, 24)
			w2 := randomTensor(rng, 1, 2, 3, 7, 9)
			valueTol := 0.0 // the same kernel computes both values
			if fusion == "false" {
				valueTol = 1e-6
			}
			want := valueAndGrads(t, func(in []*Node) *Node { return gnn.LayerNorm(in[0], []int{-1}, 1e-6, nil, nil, nil) }, w, x)
			got := valueAndGrads(t, func(in []*Node) *Node { return layerNormLastAxis(in[0], 1e-6) }, w, x)
			compare(t, "LayerNorm value", got[0], want[0], valueTol)
			compare(t, "LayerNorm gradient", got[1], want[1], 1e-5)
			want = valueAndGrads(t, func(in []*Node) *Node { return Softmax(in[0], -1) }, w2, x2)
			got = valueAndGrads(t, func(in []*Node) *Node { return softmaxLastAxis(in[0]) }, w2, x2)
			compare(t, "Softmax value", got[0], want[0], valueTol)
			compare(t, "Softmax gradient", got[1], want[1], 1e-5)
		})
	}
}

// TestTokenMajorModulation checks that Modulate and Gate with per-sample vectors (computed token-major)
// give bit for bit the values and gradients of the plain broadcast formulas.
func TestTokenMajorModulation(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	x, w := randomTensor(rng, 1, 3, 5, 8), randomTensor(rng, 1, 3, 5, 8)
	shift, scale := randomTensor(rng, 1, 3, 8), randomTensor(rng, 1, 3, 8)
	want := valueAndGrads(t, func(in []*Node) *Node {
		return Add(Mul(in[0], OnePlus(InsertAxes(in[2], 1))), InsertAxes(in[1], 1))
	}, w, x, shift, scale)
	got := valueAndGrads(t, func(in []*Node) *Node { return Modulate(in[0], in[1], in[2]) }, w, x, shift, scale)
	for i, what := range []string{"Modulate value", "d/dx", "d/dshift", "d/dscale"} {
		compare(t, what, got[i], want[i], 0)
	}
	want = valueAndGrads(t, func(in []*Node) *Node { return Mul(in[0], InsertAxes(in[1], 1)) }, w, x, scale)
	got = valueAndGrads(t, func(in []*Node) *Node { return Gate(in[0], in[1]) }, w, x, scale)
	for i, what := range []string{"Gate value", "d/dh", "d/dgate"} {
		compare(t, what, got[i], want[i], 0)
	}
}

// TestDenseBias checks that denseBias gives gnn.Dense's values and gradients (x, weights, bias), with the
// fused kernels and with fusion turned off, for a widening and a narrowing layer (which passes its weights
// transposed), and that Dense creates layers.Dense's variables.
func TestDenseBias(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, fusion := range []string{"true", "false"} {
		for _, io := range [][2]int{{7, 6}, {6, 7}, {64, 3}} {
			t.Run(fmt.Sprintf("fusion=%s/%d→%d", fusion, io[0], io[1]), func(t *testing.T) {
				t.Setenv(FusionEnv, fusion)
				in, out := io[0], io[1]
				x, wt, b := randomTensor(rng, 1, 3, 5, in), randomTensor(rng, 1, in, out), randomTensor(rng, 1, out)
				w := randomTensor(rng, 1, 3, 5, out)
				want := valueAndGrads(t, func(in []*Node) *Node { return gnn.Dense(in[0], in[1], in[2], compute.DenseLayoutInputOutputs) }, w, x, wt, b)
				got := valueAndGrads(t, func(in []*Node) *Node { return denseBias(in[0], in[1], in[2]) }, w, x, wt, b)
				for i, what := range []string{"value", "d/dx", "d/dweights", "d/dbias"} {
					compare(t, what, got[i], want[i], 1e-6)
				}
			})
		}
	}
	// The same variables, in the same order, with the same initial values.
	vars := func(dense func(*model.Scope, *Node, bool, ...int) *Node) []string {
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, int64(1))
		be := backend.Must()
		exec, err := model.NewExec(be, store, func(scope *model.Scope, x *Node) *Node {
			return dense(scope.In("l"), x, true, 2, 3)
		})
		if err != nil {
			t.Fatal(err)
		}
		out := exec.MustCall(randomTensor(rng, 1, 4, 5))
		if d := out[0].Shape().Dimensions; len(d) != 3 || d[0] != 4 || d[1] != 2 || d[2] != 3 {
			t.Errorf("output shape %v, want [4 2 3]", d)
		}
		var names []string
		for v := range store.IterVariables() {
			if !strings.HasPrefix(v.Path(), "/l/") {
				continue
			}
			names = append(names, fmt.Sprintf("%s%v=%v", v.Path(), v.Shape().Dimensions, tensors.MustCopyFlatData[float32](v.MustValue())[:2]))
		}
		return names
	}
	got, want := vars(Dense), vars(layers.Dense)
	if len(want) != 2 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Dense variables %v, layers.Dense %v", got, want)
	}
}

// TestSplitLeading checks that splitLeading gives Split's slices and gradient bit for bit.
func TestSplitLeading(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	x, w := randomTensor(rng, 1, 3, 4, 5, 6), randomTensor(rng, 1, 3, 4, 5, 6)
	stack := func(parts []*Node) *Node {
		for i, p := range parts {
			parts[i] = Reshape(Square(p), 1, 4, 5, 6) // Square: a gradient that depends on the values
		}
		return Concatenate(parts, 0)
	}
	want := valueAndGrads(t, func(in []*Node) *Node { return stack(Split(in[0], 0, 3)) }, w, x)
	got := valueAndGrads(t, func(in []*Node) *Node {
		parts := splitLeading(in[0])
		if len(parts) != 3 || parts[0].Rank() != 3 {
			t.Fatalf("splitLeading gave %d parts of rank %d, want 3 of rank 3", len(parts), parts[0].Rank())
		}
		return stack(parts)
	}, w, x)
	compare(t, "value", got[0], want[0], 0)
	compare(t, "gradient", got[1], want[1], 0)
}

// TestEinsumAttentionGradient checks einsumAttention's values and its written-out gradient against GoMLX's
// autodiff of the plain formulation, with the fused kernels and with fusion turned off.
func TestEinsumAttentionGradient(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	const b, n, heads, hd = 2, 5, 3, 4
	plain := func(qkv *Node) *Node {
		parts := Split(TransposeAllAxes(qkv, 2, 0, 3, 1, 4), 0, 3)
		for i := range parts {
			parts[i] = Reshape(parts[i], b, heads, n, hd)
		}
		s := Einsum("bhqd,bhkd->bhqk", MulScalar(parts[0], 0.5), parts[1])
		return TransposeAllAxes(Einsum("bhqk,bhkd->bhqd", Softmax(s, -1), parts[2]), 0, 2, 1, 3)
	}
	for _, fusion := range []string{"true", "false"} {
		t.Run("fusion="+fusion, func(t *testing.T) {
			t.Setenv(FusionEnv, fusion)
			qkv, w := randomTensor(rng, 1, b, n, 3, heads, hd), randomTensor(rng, 1, b, n, heads, hd)
			want := valueAndGrads(t, func(in []*Node) *Node { return plain(in[0]) }, w, qkv)
			got := valueAndGrads(t, func(in []*Node) *Node { return einsumAttention(in[0], 0.5, false) }, w, qkv)
			compare(t, "value", got[0], want[0], 1e-6)
			compare(t, "gradient", got[1], want[1], 1e-5)
			// Twice in one graph (two gradient passes through shared code): each call its own gradient.
			want = valueAndGrads(t, func(in []*Node) *Node { return Add(plain(in[0]), Square(plain(in[0]))) }, w, qkv)
			got = valueAndGrads(t, func(in []*Node) *Node {
				return Add(einsumAttention(in[0], 0.5, false), Square(einsumAttention(in[0], 0.5, false)))
			}, w, qkv)
			compare(t, "value, two calls", got[0], want[0], 1e-6)
			compare(t, "gradient, two calls", got[1], want[1], 1e-5)
		})
	}
}
