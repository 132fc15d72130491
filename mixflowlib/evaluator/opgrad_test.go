package evaluator

import (
	"math"
	"math/rand/v2"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/mixflowlib/backend"
)

// TestNetworkGradients checks GoMLX's autodiff through the whole feature network (Pad, GatherSlices,
// dense layers, ReLU, gather-and-Max pooling, SiLU) against central finite differences, in float64, on
// the backend in use. GoMLX 0.26 lacked several of these gradients on the pure-Go backend; 0.28.16 has
// them (its Rsqrt still has none, which is why nothing here uses it).
func TestNetworkGradients(t *testing.T) {
	b := backend.Must()
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(3))
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 2
	x := make([]float64, n*InputSize*InputSize)
	for i := range x {
		x[i] = rng.Float64()*2 - 1
	}
	// A fixed, non-uniform weighting of every output, so that each one matters differently.
	objective := func(scope *model.Scope, xn *Node) *Node {
		f, logits := Network(scope.In("classifier"), xn)
		wf := AddScalar(MulScalar(Sin(Iota(f.Graph(), f.Shape(), -1)), 0.3), 0.2)
		wl := AddScalar(MulScalar(Cos(Iota(logits.Graph(), logits.Shape(), -1)), 0.5), 0.1)
		return Add(ReduceAllSum(Mul(f, wf)), ReduceAllSum(Mul(logits, wl)))
	}
	grad := model.MustNewExec(b, store, func(scope *model.Scope, xn *Node) []*Node {
		out := objective(scope, xn)
		return []*Node{out, Gradient(out, xn)[0]}
	})
	value := model.MustNewExec(b, store, func(scope *model.Scope, xn *Node) *Node { return objective(scope, xn) })
	at := func(xs []float64) float64 {
		out := value.MustCall(tensors.FromFlatDataAndDimensions(xs, n, InputSize, InputSize, 1))
		return tensors.ToScalar[float64](out[0])
	}
	res := grad.MustCall(tensors.FromFlatDataAndDimensions(x, n, InputSize, InputSize, 1))
	g := tensors.MustCopyFlatData[float64](res[1])
	const eps = 1e-6
	checked := 0
	for _, i := range []int{0, 29, 200, 406, 407, 600, 783, 784 + 300, 784 + 555, 2*784 - 1} {
		old := x[i]
		x[i] = old + eps
		up := at(x)
		x[i] = old - eps
		down := at(x)
		x[i] = old
		num := (up - down) / (2 * eps)
		if math.Abs(num-g[i]) > 1e-5*max(1, math.Abs(num)) {
			t.Errorf("d/dx[%d]: autodiff %.10g, finite difference %.10g", i, g[i], num)
		}
		if g[i] != 0 {
			checked++
		}
	}
	if checked < 5 {
		t.Errorf("only %d of the checked input gradients are non-zero: the check is too weak", checked)
	}
}
