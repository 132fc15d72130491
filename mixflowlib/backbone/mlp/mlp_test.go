package mlp_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/mixflow/mixflow/datasets/toy2d"
	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/mlp"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

func TestConfig(t *testing.T) {
	c := mlp.Config{}.WithDefaults()
	if c.Dim != 2 || c.Width != 256 || c.Depth != 3 || c.Activation != "silu" || c.TimeDim != 64 ||
		c.TimeScale != 100 || c.TimeMaxPeriod != 100 || c.ClassDim != 32 || c.NumClasses != 0 || c.Residual {
		t.Errorf("defaults: %+v", c)
	}
	// 3 × 256 plain on 2-D: (2+64)·256+256 + 2·(256·256+256) + 256·2+2.
	if got, want := c.NumParams(), 66*256+256+2*(256*256+256)+256*2+2; got != want {
		t.Errorf("NumParams = %d, want %d", got, want)
	}
	if s := (mlp.Config{NumClasses: 8, Residual: true}).String(); !strings.HasPrefix(s, "mlp(dim=2,width=256,depth=3,silu,residual,classes=8,params=") {
		t.Errorf("String = %q", s)
	}
	for _, c := range []struct {
		cfg  mlp.Config
		want string
	}{
		{mlp.Config{Dim: -1}, "mlp: Dim -1 must be >= 1"},
		{mlp.Config{Width: -3}, "mlp: Width -3"},
		{mlp.Config{Depth: -1}, "mlp: Depth -1"},
		{mlp.Config{TimeDim: 7}, "mlp: TimeDim 7 must be even"},
		{mlp.Config{TimeScale: -1}, "mlp: TimeScale -1"},
		{mlp.Config{TimeScale: math.NaN()}, "mlp: TimeScale NaN"},
		{mlp.Config{TimeMaxPeriod: 0.5}, "mlp: TimeMaxPeriod 0.5"},
		{mlp.Config{NumClasses: -2}, "mlp: NumClasses -2"},
		{mlp.Config{ClassDim: -1}, "mlp: ClassDim -1"},
		{mlp.Config{Activation: "softmax"}, `mlp: unknown Activation "softmax": use one of gelu, gelu_tanh, leaky_relu, relu, selu, silu, swish, tanh`},
	} {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v): %v, want %q", c.cfg, err, c.want)
		}
		if _, err := mlp.New(c.cfg); err == nil {
			t.Errorf("New(%+v) gave no error", c.cfg)
		}
	}
}

// velocity runs one forward pass of net on the given inputs in store, under scope "/model".
func velocity(t *testing.T, store *model.Store, net *mlp.MLP, x []float32, tt []float32, labels []int32) []float32 {
	t.Helper()
	b := graphtest.Backend(t)
	batch := len(tt)
	dim := len(x) / batch
	xt := tensors.FromFlatDataAndDimensions(x, batch, dim)
	tv := tensors.FromFlatDataAndDimensions(tt, batch)
	var out *tensors.Tensor
	var err error
	if labels == nil {
		out, err = model.CallOnce(b, store, func(scope *model.Scope, x, t *Node) *Node {
			return net.Velocity(scope.In("model"), x, t, nn.Cond{})
		}, xt, tv)
	} else {
		lt := tensors.FromFlatDataAndDimensions(labels, batch)
		out, err = model.CallOnce(b, store, func(scope *model.Scope, x, t, l *Node) *Node {
			return net.Velocity(scope.In("model"), x, t, nn.Cond{Labels: l})
		}, xt, tv, lt)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Shape(); got.DType != dtypes.Float32 || !slices.Equal(got.Dimensions, []int{batch, dim}) {
		t.Fatalf("velocity shape %s, want (Float32)[%d %d]", got, batch, dim)
	}
	return tensors.MustCopyFlatData[float32](out)
}

func TestShapesScopeAndParams(t *testing.T) {
	for _, cfg := range []mlp.Config{
		{Width: 32, Depth: 2},
		{Width: 16, Depth: 1, Dim: 5, Activation: "gelu_tanh"},
		{Width: 32, Depth: 3, NumClasses: 4, ClassDim: 8},
		{Width: 24, Depth: 2, Residual: true},
		{Width: 24, Depth: 3, Residual: true, NumClasses: 3, Dim: 3, TimeDim: 16},
	} {
		net := mlp.Must(cfg)
		store := graphtest.NewStore(1)
		d := net.Config().Dim
		x := make([]float32, 6*d)
		for i := range x {
			x[i] = float32(i%7) - 3
		}
		tt := []float32{0, 0.2, 0.4, 0.6, 0.8, 1}
		var labels []int32
		if cfg.NumClasses > 0 {
			labels = []int32{0, 1, 2, nn.NullLabel, 0, 1}
		}
		v := velocity(t, store, net, x, tt, labels)
		for i, f := range v {
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				t.Fatalf("%v: velocity[%d] = %v", cfg, i, f)
			}
		}
		count := 0
		for v := range store.IterVariables() {
			if strings.HasPrefix(v.Name(), "#") { // the Store's own state, e.g. the initialisers' RNG "/#rngState"
				continue
			}
			if !strings.HasPrefix(v.Path(), "/model/") {
				t.Errorf("%v: variable %s outside /model", cfg, v.Path())
			}
			count += v.Shape().Size()
		}
		if count != net.NumParams() {
			t.Errorf("%v: built model has %d parameters, NumParams says %d", cfg, count, net.NumParams())
		}
	}
}

// TestCallTwiceAndConditioning: Velocity can be built twice in one graph (Heun, guidance) sharing variables;
// time and labels change the output; the null label equals nil labels and NullCond; labels ≥ 0 differ from it.
func TestCallTwiceAndConditioning(t *testing.T) {
	for _, residual := range []bool{false, true} {
		net := mlp.Must(mlp.Config{Width: 32, Depth: 2, NumClasses: 3, Residual: residual})
		store := graphtest.NewStore(3)
		b := graphtest.Backend(t)
		x := tensors.FromFlatDataAndDimensions([]float32{0.5, -1, 0.5, -1, 0.5, -1, 0.5, -1}, 4, 2)
		tv := tensors.FromFlatDataAndDimensions([]float32{0.3, 0.3, 0.3, 0.9}, 4)
		labels := tensors.FromFlatDataAndDimensions([]int32{0, 1, nn.NullLabel, 0}, 4)
		outs, err := model.CallOnceN(b, store, func(scope *model.Scope, x, t, l *Node) []*Node {
			v1 := net.Velocity(scope, x, t, nn.Cond{Labels: l})
			v2 := net.Velocity(scope, x, t, nn.Cond{Labels: l})
			vNil := net.Velocity(scope, x, t, nn.Cond{})
			vNull := net.Velocity(scope, x, t, net.NullCond(nn.Cond{Labels: l}))
			return []*Node{v1, v2, vNil, vNull}
		}, x, tv, labels)
		if err != nil {
			t.Fatalf("residual=%v: %v", residual, err)
		}
		v1, v2 := tensors.MustCopyFlatData[float32](outs[0]), tensors.MustCopyFlatData[float32](outs[1])
		vNil, vNull := tensors.MustCopyFlatData[float32](outs[2]), tensors.MustCopyFlatData[float32](outs[3])
		if !slices.Equal(v1, v2) {
			t.Errorf("residual=%v: two calls in one graph differ: %v vs %v", residual, v1, v2)
		}
		row := func(v []float32, i int) []float32 { return v[2*i : 2*i+2] }
		if slices.Equal(row(v1, 0), row(v1, 1)) {
			t.Errorf("residual=%v: labels 0 and 1 give the same velocity", residual)
		}
		if !slices.Equal(row(v1, 2), row(vNil, 2)) || !slices.Equal(vNil, vNull) {
			t.Errorf("residual=%v: null label %v, nil labels %v, NullCond %v should agree", residual, row(v1, 2), vNil, vNull)
		}
		if slices.Equal(row(v1, 0), row(v1, 2)) {
			t.Errorf("residual=%v: label 0 equals the null class", residual)
		}
		if slices.Equal(row(v1, 0), row(v1, 3)) {
			t.Errorf("residual=%v: t = 0.3 and t = 0.9 give the same velocity", residual)
		}
	}
	if got := mlp.Must(mlp.Config{}).NullCond(nn.Cond{}); got.Labels != nil {
		t.Error("NullCond of nil labels is not nil")
	}
}

func TestBadShapesPanic(t *testing.T) {
	net := mlp.Must(mlp.Config{Width: 8, Depth: 1, NumClasses: 2})
	b := graphtest.Backend(t)
	for name, fn := range map[string]func(scope *model.Scope, g *Graph) *Node{
		"x rank": func(scope *model.Scope, g *Graph) *Node {
			return net.Velocity(scope, Zeros(g, shapes.Make(dtypes.Float32, 4)), Zeros(g, shapes.Make(dtypes.Float32, 4)), nn.Cond{})
		},
		"x dim": func(scope *model.Scope, g *Graph) *Node {
			return net.Velocity(scope, Zeros(g, shapes.Make(dtypes.Float32, 4, 3)), Zeros(g, shapes.Make(dtypes.Float32, 4)), nn.Cond{})
		},
		"t batch": func(scope *model.Scope, g *Graph) *Node {
			return net.Velocity(scope, Zeros(g, shapes.Make(dtypes.Float32, 4, 2)), Zeros(g, shapes.Make(dtypes.Float32, 5)), nn.Cond{})
		},
		"labels dtype": func(scope *model.Scope, g *Graph) *Node {
			return net.Velocity(scope, Zeros(g, shapes.Make(dtypes.Float32, 4, 2)), Zeros(g, shapes.Make(dtypes.Float32, 4)),
				nn.Cond{Labels: Zeros(g, shapes.Make(dtypes.Float32, 4))})
		},
	} {
		_, err := model.CallOnce(b, graphtest.NewStore(1), fn)
		if err == nil || !strings.Contains(err.Error(), "mlp: ") {
			t.Errorf("%s: error %v, want one from mlp", name, err)
		}
	}
}

// trainer is a local flow-matching training step (the objective package is written separately): x0 ~ N(0, I),
// t ~ U[0, 1), x_t = t·x1 + (1−t)·x0, loss = ‖v_θ(x_t, t | y) − (x1 − x0)‖².
type trainer struct {
	net   *mlp.MLP
	store *model.Store
	step  *model.Exec
	euler *model.Exec
}

func newTrainer(t testing.TB, net *mlp.MLP, lr float64) *trainer {
	b := graphtest.Backend(t)
	store := graphtest.NewStore(42)
	opt := optimizer.Adam().LearningRate(lr).Done()
	tr := &trainer{net: net, store: store}
	tr.step = model.MustNewExec(b, store, func(scope *model.Scope, x1, labels *Node) *Node {
		g := x1.Graph()
		scope.SetTraining(g, true)
		x0 := scope.RandomNormal(g, x1.Shape())
		tt := scope.RandomUniform(g, shapes.Make(x1.DType(), x1.Shape().Dimensions[0]))
		t1 := InsertAxes(tt, -1)
		xt := Add(Mul(t1, x1), Mul(OneMinus(t1), x0))
		v := net.Velocity(scope.In("model"), xt, tt, nn.Cond{Labels: labels})
		loss := ReduceAllMean(Square(Sub(v, Sub(x1, x0))))
		opt.UpdateGraph(scope, g, loss)
		return loss
	})
	tr.euler = model.MustNewExec(b, store, func(scope *model.Scope, x, tt, dt, labels *Node) *Node {
		v := net.Velocity(scope.In("model"), x, tt, nn.Cond{Labels: labels})
		return Add(x, Mul(dt, v))
	})
	return tr
}

func (tr *trainer) train(t testing.TB, src *toy2d.Source, steps, batch int) (first, last float64) {
	for s := range steps {
		xy, labels, err := src.Arrays(int64(s), batch)
		if err != nil {
			t.Fatal(err)
		}
		if labels == nil {
			labels = make([]int32, batch) // ignored by unconditional nets
		}
		loss := tr.step.MustCall(tensors.FromFlatDataAndDimensions(xy, batch, 2), tensors.FromFlatDataAndDimensions(labels, batch))[0]
		v := float64(loss.Value().(float32))
		if s < 20 {
			first += v / 20
		}
		if s >= steps-20 {
			last += v / 20
		}
	}
	return first, last
}

// sample integrates the learned ODE from t = 0 to 1 with Euler steps.
func (tr *trainer) sample(n, steps int, label int32, seed uint64) [][]float64 {
	noise, _, _ := toy2d.Gaussian().Float32(n, seed)
	x := tensors.FromFlatDataAndDimensions(noise, n, 2)
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = label
	}
	lt := tensors.FromFlatDataAndDimensions(labels, n)
	dt := tensors.FromScalar(float32(1) / float32(steps))
	for k := range steps {
		tt := make([]float32, n)
		for i := range tt {
			tt[i] = float32(k) / float32(steps)
		}
		x = tr.euler.MustCall(x, tensors.FromFlatDataAndDimensions(tt, n), dt, lt)[0]
	}
	rows, _ := metrics.Float32Rows(tensors.MustCopyFlatData[float32](x), 2)
	return rows
}

// TestGradientsReachEveryVariable: after a few optimiser steps every trainable variable has moved from its
// initial value, including the zero-initialised last layer of each residual block and the layers behind it
// (whose gradient is zero until that layer has moved).
func TestGradientsReachEveryVariable(t *testing.T) {
	for _, residual := range []bool{false, true} {
		net := mlp.Must(mlp.Config{Width: 16, Depth: 2, NumClasses: 3, Residual: residual})
		tr := newTrainer(t, net, 1e-2)
		tr.sample(4, 1, 0, 1) // initialises the variables
		initial := map[string][]float32{}
		for v := range tr.store.IterVariables() {
			if strings.HasPrefix(v.Path(), "/model/") {
				initial[v.Path()] = tensors.MustCopyFlatData[float32](v.MustValue())
			}
		}
		src, _ := toy2d.NewSource(toy2d.MustByName("rings(rings=3)"), 1)
		tr.train(t, src, 3, 32)
		if len(initial) == 0 {
			t.Fatal("no variables under /model")
		}
		t.Logf("residual=%v: %d variables under /model", residual, len(initial))
		for path, before := range initial {
			after := tensors.MustCopyFlatData[float32](tr.store.GetVariable(path).MustValue())
			if slices.Equal(before, after) {
				t.Errorf("residual=%v: %s did not change after 3 steps", residual, path)
			}
		}
	}
}

// TestTrainsFlowMatching trains a small unconditional net on moons and checks that the loss drops and that Euler
// samples are much closer to the data (sliced Wasserstein) than the noise they start from.
func TestTrainsFlowMatching(t *testing.T) {
	for _, residual := range []bool{false, true} {
		net := mlp.Must(mlp.Config{Width: 64, Depth: 3, Residual: residual})
		tr := newTrainer(t, net, 3e-3)
		src, _ := toy2d.NewSource(toy2d.MustByName("moons"), 1)
		first, last := tr.train(t, src, 600, 256)
		// Most of the flow-matching loss is irreducible (about 1.35 on normalised moons), so it drops by ~25 %.
		if !(last < 0.85*first) {
			t.Errorf("residual=%v: loss %.3f → %.3f did not drop by 15 %%", residual, first, last)
		}
		data, _, _ := toy2d.MustByName("moons").Points(1000, 99)
		ref := metrics.Points2D(data)
		gen := tr.sample(1000, 50, 0, 7)
		noise, _, _ := toy2d.Gaussian().Points(1000, 7)
		swGen, _ := metrics.SlicedWasserstein(gen, ref, metrics.SWOptions{})
		swNoise, _ := metrics.SlicedWasserstein(metrics.Points2D(noise), ref, metrics.SWOptions{})
		t.Logf("residual=%v: loss %.3f → %.3f; SW₂ to data: samples %.4f, noise %.4f", residual, first, last, swGen, swNoise)
		if swGen > 0.4*swNoise {
			t.Errorf("residual=%v: samples SW₂ %.4f is not well below the noise's %.4f", residual, swGen, swNoise)
		}
	}
}

// TestClassConditional trains on labelled 8 Gaussians and checks that sampling class k lands on component k,
// and that the null class spreads over all components.
func TestClassConditional(t *testing.T) {
	toy := toy2d.MustByName("8gaussians")
	net := mlp.Must(mlp.Config{Width: 64, Depth: 3, NumClasses: toy.NumClasses()})
	tr := newTrainer(t, net, 3e-3)
	src, _ := toy2d.NewSource(toy, 2)
	tr.train(t, src, 600, 256)
	for _, k := range []int32{0, 3, 6} {
		gen := tr.sample(200, 30, k, uint64(k))
		var mx, my float64
		for _, p := range gen {
			mx += p[0] / 200
			my += p[1] / 200
		}
		a := 2 * math.Pi * float64(k) / 8
		cx, cy := toy.Scale()*math.Cos(a), toy.Scale()*math.Sin(a)
		if d := math.Hypot(mx-cx, my-cy); d > 0.25 {
			t.Errorf("class %d: sample mean (%.2f, %.2f) is %.2f from its centre (%.2f, %.2f)", k, mx, my, d, cx, cy)
		}
	}
}

// BenchmarkTrainStep measures the flow-matching training step of the default 3 × 256 MLP at batch 1024 (the
// workload of the stack notes) and of the residual variant.
func BenchmarkTrainStep(b *testing.B) {
	for _, cfg := range []mlp.Config{{}, {Residual: true}} {
		net := mlp.Must(cfg)
		b.Run(strings.TrimPrefix(cfg.String(), "mlp"), func(b *testing.B) {
			tr := newTrainer(b, net, 1e-3)
			src, _ := toy2d.NewSource(toy2d.MustByName("moons"), 1)
			xy, _, _ := src.Arrays(0, 1024)
			x := tensors.FromFlatDataAndDimensions(xy, 1024, 2)
			l := tensors.FromFlatDataAndDimensions(make([]int32, 1024), 1024)
			for range 5 {
				tr.step.MustCall(x, l)
			}
			for b.Loop() {
				tr.step.MustCall(x, l)
			}
		})
	}
}
