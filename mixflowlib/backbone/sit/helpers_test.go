package sit_test

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

func testBackend(tb testing.TB) compute.Backend {
	tb.Helper()
	b, err := backend.New()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustModel(tb testing.TB, cfg sit.Config) *sit.Model {
	tb.Helper()
	m, err := sit.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func newStore(seed int64) *model.Store {
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, seed)
	return store
}

// randImages returns b random images in [-1, 1] for cfg, flat NHWC.
func randImages(rng *rand.Rand, cfg sit.Config, b int) *tensors.Tensor {
	c := cfg.WithDefaults()
	data := make([]float32, b*c.ImageSize*c.ImageSize*c.Channels)
	for i := range data {
		data[i] = float32(2*rng.Float64() - 1)
	}
	return tensors.FromFlatDataAndDimensions(data, b, c.ImageSize, c.ImageSize, c.Channels)
}

func randTimes(rng *rand.Rand, b int) *tensors.Tensor {
	ts := make([]float32, b)
	for i := range ts {
		ts[i] = float32(rng.Float64())
	}
	return tensors.FromFlatDataAndDimensions(ts, b)
}

func labelTensor(labels ...int32) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(labels, len(labels))
}

func flat(tb testing.TB, t *tensors.Tensor) []float32 {
	tb.Helper()
	v, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func maxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(float64(x)))
	}
	return m
}

func maxAbsDiff(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

// modelVars returns the variables under /model of the store, by path, as flat float32 copies.
func modelVars(tb testing.TB, store *model.Store) map[string][]float32 {
	tb.Helper()
	out := map[string][]float32{}
	for v := range store.IterVariables() {
		if !strings.HasPrefix(v.Path(), "/model/") {
			continue
		}
		val, err := v.Value()
		if err != nil {
			tb.Fatal(err)
		}
		out[v.Path()] = flat(tb, val)
	}
	return out
}

// flowLoss is a plain flow-matching loss on the linear path (t ~ U[0,1], x_t = t·x1 + (1−t)·x0,
// target x1 − x0), written here because the objective package is built in parallel.
func flowLoss(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond) *Node {
	g := x1.Graph()
	b := x1.Shape().Dimensions[0]
	x0 := scope.RandomNormal(g, x1.Shape())
	t := scope.RandomUniform(g, shapes.Make(dtypes.Float32, b))
	tb := Reshape(t, b, 1, 1, 1)
	xt := Add(Mul(tb, x1), Mul(OneMinus(tb), x0))
	v := net.Velocity(scope.In("model"), xt, t, cond)
	return ReduceAllMean(Square(Sub(v, Sub(x1, x0))))
}

// adamStep compiles one Adam step of flowLoss for net (labels optional).
type adamStep struct {
	exec *model.Exec
	cond bool
}

func newAdamStep(tb testing.TB, b compute.Backend, store *model.Store, net nn.Backbone, lr float64, conditional bool) *adamStep {
	tb.Helper()
	opt := optimizer.Adam().LearningRate(lr).Done()
	exec, err := model.NewExec(b, store, func(scope *model.Scope, in []*Node) []*Node {
		g := in[0].Graph()
		scope.SetTraining(g, true)
		var cond nn.Cond
		if conditional {
			cond.Labels = in[1]
		}
		loss := flowLoss(scope, net, in[0], cond)
		opt.UpdateGraph(scope, g, loss)
		return []*Node{loss}
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &adamStep{exec: exec, cond: conditional}
}

func (tr *adamStep) step(tb testing.TB, x1, labels *tensors.Tensor) float64 {
	tb.Helper()
	args := []any{x1}
	if tr.cond {
		args = append(args, labels)
	}
	out, err := tr.exec.Call(args...)
	if err != nil {
		tb.Fatal(err)
	}
	return float64(flat(tb, out[0])[0])
}

// forwardExec compiles Forward and returns [velocity, Hidden..., Cond, Pooled].
func forwardExec(tb testing.TB, b compute.Backend, store *model.Store, m *sit.Model, withLabels bool) *model.Exec {
	tb.Helper()
	exec, err := model.NewExec(b, store, func(scope *model.Scope, in []*Node) []*Node {
		var cond nn.Cond
		if withLabels {
			cond.Labels = in[2]
		}
		o := m.Forward(scope.In("model"), in[0], in[1], cond)
		out := append([]*Node{o.Velocity}, o.Hidden...)
		return append(out, o.Cond, o.Pooled)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return exec
}
