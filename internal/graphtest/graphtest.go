// Package graphtest holds the helpers that the graph tests of several packages share: the test backend,
// seeded stores, tensor copies and comparisons, random inputs, variable snapshots, and a plain
// flow-matching Adam step for backbone training tests. It is imported only by _test files.
package graphtest

import (
	"fmt"
	"math"
	"math/rand"
	randv2 "math/rand/v2"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// Backend returns the process backend (mixflowlib/backend), failing the test if none can be made.
func Backend(tb testing.TB) compute.Backend {
	tb.Helper()
	b, err := backend.New()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// OwnBackend returns a fresh pure-Go backend of the test's own, not the process-wide one, finalised
// when the test ends: pass it down (a Config field, an argument) and check with OnBackend that the
// package computed on it.
func OwnBackend(tb testing.TB) compute.Backend {
	tb.Helper()
	b, err := compute.NewWithConfig(backend.GoConfig)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(b.Finalize)
	return b
}

// OnBackend fails the test unless each of ts is on a device of b (the computation that made it ran on
// b), and the variables of store that are on a device are on b too; store may be nil.
func OnBackend(tb testing.TB, b compute.Backend, store *model.Store, ts ...*tensors.Tensor) {
	tb.Helper()
	check := func(what string, t *tensors.Tensor) {
		got, err := t.Backend()
		if err != nil {
			tb.Fatalf("%s is on no device: %v", what, err)
		}
		if got != b {
			tb.Fatalf("%s is on backend %p (%s), not on the one passed down (%p)", what, got, got.Name(), b)
		}
	}
	for i, t := range ts {
		check(fmt.Sprintf("tensor %d", i), t)
	}
	if store == nil {
		return
	}
	on := 0
	for v := range store.IterVariables() {
		if t, err := v.Value(); err == nil && t != nil && t.IsOnDevice(0) {
			check("variable "+v.Path(), t)
			on++
		}
	}
	if on == 0 && len(ts) == 0 {
		tb.Fatalf("no variable of the store is on a device")
	}
}

// NewStore returns an empty store whose variable initialisers are seeded with seed.
func NewStore(seed int64) *model.Store {
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, seed)
	return store
}

// Flat returns a flat float32 copy of t, failing the test if t is not float32.
func Flat(tb testing.TB, t *tensors.Tensor) []float32 {
	tb.Helper()
	v, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// MaxAbs returns max |v[i]| (0 for an empty v).
func MaxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(float64(x)))
	}
	return m
}

// MaxAbsDiff returns max |a[i] − b[i]| over the indices of a.
func MaxAbsDiff(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

// VarsUnder returns flat float32 copies of the store's float32 variables whose path starts with prefix,
// by path (other dtypes, such as integer counters, are left out).
func VarsUnder(tb testing.TB, store *model.Store, prefix string) map[string][]float32 {
	tb.Helper()
	out := map[string][]float32{}
	for v := range store.IterVariables() {
		if !strings.HasPrefix(v.Path(), prefix) {
			continue
		}
		val, err := v.Value()
		if err != nil {
			tb.Fatal(err)
		}
		if f, err := tensors.CopyFlatData[float32](val); err == nil {
			out[v.Path()] = f
		}
	}
	return out
}

// CheckNumParams fails the test when the float32 variables under prefix (see VarsUnder) do not hold
// exactly want values; want and err are a configuration's NumParams (CheckNumParams(tb, store,
// "/model/", n, err) with n, err := cfg.NumParams()), and err fails the test first.
func CheckNumParams(tb testing.TB, store *model.Store, prefix string, want int, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
	built := 0
	for _, v := range VarsUnder(tb, store, prefix) {
		built += len(v)
	}
	if built != want {
		tb.Errorf("built %d parameters under %s, NumParams says %d", built, prefix, want)
	}
}

// Build returns newFn(cfg), failing the test on its error: a model constructor in one call, as in
// graphtest.Build(t, sit.New, cfg).
func Build[C, T any](tb testing.TB, newFn func(C) (T, error), cfg C) T {
	tb.Helper()
	v, err := newFn(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// CPUTime returns the user + system CPU time of this process (0 where it cannot be read). Benchmarks
// report it per step next to wall time: it is less sensitive to other processes sharing the machine.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ReportCPUPer reports the CPU time spent since cpu0 (a CPUTime reading) per benchmark iteration, as
// "cpu-ms/<unit>".
func ReportCPUPer(b *testing.B, cpu0 time.Duration, unit string) {
	b.ReportMetric(float64(CPUTime()-cpu0)/1e6/float64(b.N), "cpu-ms/"+unit)
}

// BenchLoop times b.N calls of fn (the timer reset before and stopped after) and reports the rate as
// "<unit>s/s" and the CPU time as "cpu-ms/<unit>".
func BenchLoop(b *testing.B, unit string, fn func()) {
	cpu0 := CPUTime()
	b.ResetTimer()
	for range b.N {
		fn()
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit+"s/s")
	ReportCPUPer(b, cpu0, unit)
}

// BenchBatches times src.Batch over b's loop, one batch of size examples per iteration at steps 0, 1,
// 2, …, and reports the rate as "images/s".
func BenchBatches(b *testing.B, src datasets.Source, size int) {
	step := int64(0)
	for b.Loop() {
		if _, err := src.Batch(step, size); err != nil {
			b.Fatal(err)
		}
		step++
	}
	b.ReportMetric(float64(size*b.N)/b.Elapsed().Seconds(), "images/s")
}

// ChangedVars lists, sorted, the variables of after whose value differs from before in any element.
func ChangedVars(before, after map[string][]float32) []string {
	var out []string
	for k, a := range after {
		if !slices.Equal(a, before[k]) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// UnchangedVars lists, sorted, the variables of before whose value after has bit for bit: after
// training steps, the variables no gradient reached.
func UnchangedVars(before, after map[string][]float32) []string {
	var out []string
	for k, b := range before {
		if slices.Equal(b, after[k]) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Fill returns a float32 tensor of the given dimensions whose values, in row-major order, are
// float32(draw()) of successive calls: Fill(rng.NormFloat64, 3, 4) is a seeded N(0, 1) matrix.
func Fill(draw func() float64, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(draw())
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

// RandImages returns b uniform random size×size×channels images in [−1, 1], flat NHWC.
func RandImages(rng *rand.Rand, b, size, channels int) *tensors.Tensor {
	return Fill(func() float64 { return 2*rng.Float64() - 1 }, b, size, size, channels)
}

// RandTimes returns b uniform times in [0, 1).
func RandTimes(rng *rand.Rand, b int) *tensors.Tensor {
	return Fill(rng.Float64, b)
}

// MustContain fails the test unless err is non-nil and its text contains every part.
func MustContain(tb testing.TB, err error, parts ...string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("want an error containing %q, got nil", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			tb.Fatalf("error %q does not contain %q", err, p)
		}
	}
}

// FlowLoss is a plain flow-matching loss for image backbones on the linear path: t ~ U[0, 1],
// x_t = t·x1 + (1−t)·x0 with x0 ~ N(0, I), target x1 − x0; net runs under scope "model". It is
// written here, not taken from the objective package, so that backbone tests stay below that layer.
func FlowLoss(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond) *Node {
	g := x1.Graph()
	b := x1.Shape().Dimensions[0]
	x0 := scope.RandomNormal(g, x1.Shape())
	t := scope.RandomUniform(g, shapes.Make(dtypes.Float32, b))
	tb := Reshape(t, b, 1, 1, 1)
	xt := Add(Mul(tb, x1), Mul(OneMinus(tb), x0))
	v := net.Velocity(scope.In("model"), xt, t, cond)
	return ReduceAllMean(Square(Sub(v, Sub(x1, x0))))
}

// Labels makes the conditioning of an AdamStep from a class-label input.
func Labels(n *Node) nn.Cond { return nn.Cond{Labels: n} }

// Tokens makes the conditioning of an AdamStep from a caption-token input.
func Tokens(n *Node) nn.Cond { return nn.Cond{Tokens: n} }

// AdamStep is one compiled Adam step of FlowLoss on (x1[, conditioning input]).
type AdamStep struct {
	exec *model.Exec
	cond bool
}

// NewAdamStep compiles an Adam step (learning rate lr) of FlowLoss for net; cond (Labels, Tokens, or nil
// for an unconditional step) turns the step's second input into the conditioning.
func NewAdamStep(tb testing.TB, be compute.Backend, store *model.Store, net nn.Backbone, lr float64, cond func(*Node) nn.Cond) *AdamStep {
	tb.Helper()
	opt := optimizer.Adam().LearningRate(lr).Done()
	exec, err := model.NewExec(be, store, func(scope *model.Scope, in []*Node) []*Node {
		g := in[0].Graph()
		scope.SetTraining(g, true)
		var c nn.Cond
		if cond != nil {
			c = cond(in[1])
		}
		loss := FlowLoss(scope, net, in[0], c)
		opt.UpdateGraph(scope, g, loss)
		return []*Node{loss}
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &AdamStep{exec: exec, cond: cond != nil}
}

// Step runs one step on x1 (and c, the conditioning input, ignored by an unconditional step) and
// returns the loss before the update.
func (s *AdamStep) Step(tb testing.TB, x1, c *tensors.Tensor) float64 {
	tb.Helper()
	args := []any{x1}
	if s.cond {
		args = append(args, c)
	}
	out, err := s.exec.Call(args...)
	if err != nil {
		tb.Fatal(err)
	}
	return float64(Flat(tb, out[0])[0])
}

// RandomWeights returns a tensor for every name → dimensions of shapes with values drawn from
// N(0, std²) by rng, plus 1 for the LayerNorm gains (names ending in "/gain"): random weights for
// networks whose tests only need them seeded and well-scaled (the draws follow the map's order).
func RandomWeights(shapes map[string][]int, rng *randv2.Rand, std float64) map[string]*tensors.Tensor {
	w := map[string]*tensors.Tensor{}
	for name, dims := range shapes {
		offset := float32(0)
		if strings.HasSuffix(name, "/gain") {
			offset = 1
		}
		// float32(std·z) + offset in float32, as the gains have always been drawn.
		w[name] = Fill(func() float64 { return float64(float32(std*rng.NormFloat64()) + offset) }, dims...)
	}
	return w
}

// RefAttention is a host reference of multi-head scaled dot-product self-attention in float64, for
// checking graph attention: qkv[n] is token n's [q | k | v] (3·D values, heads contiguous inside each
// third), and the result [N][D] is the concatenation of the heads' outputs before the output projection.
func RefAttention(qkv [][]float64, heads int) [][]float64 {
	n := len(qkv)
	d := len(qkv[0]) / 3
	hd := d / heads
	out := make([][]float64, n)
	for qi := range out {
		out[qi] = make([]float64, d)
	}
	for h := 0; h < heads; h++ {
		for qi := 0; qi < n; qi++ {
			scores := make([]float64, n)
			maxS := math.Inf(-1)
			for ki := 0; ki < n; ki++ {
				s := 0.0
				for k := 0; k < hd; k++ {
					s += qkv[qi][h*hd+k] * qkv[ki][d+h*hd+k]
				}
				scores[ki] = s / math.Sqrt(float64(hd))
				maxS = math.Max(maxS, scores[ki])
			}
			sum := 0.0
			for ki := range scores {
				scores[ki] = math.Exp(scores[ki] - maxS)
				sum += scores[ki]
			}
			for k := 0; k < hd; k++ {
				acc := 0.0
				for ki := 0; ki < n; ki++ {
					acc += scores[ki] / sum * qkv[ki][2*d+h*hd+k]
				}
				out[qi][h*hd+k] = acc
			}
		}
	}
	return out
}

// MLP is a small velocity network for tests and benchmarks: concat(x, t) → Depth × (Dense(Width) → SiLU)
// → Dense(D) for x [B, D], with Depth 0 meaning 1. Its layers are the scopes "l0", "l1", … and "out".
type MLP struct{ Width, Depth int }

// Velocity implements nn.Backbone.
func (m MLP) Velocity(scope *model.Scope, x, t *Node, _ nn.Cond) *Node {
	scope = scope.ResetVisited()
	h := Concatenate([]*Node{x, InsertAxes(ConvertDType(t, x.DType()), -1)}, -1)
	for i := range max(m.Depth, 1) {
		h = activation.Swish(layers.Dense(scope.In("l%d", i), h, true, m.Width))
	}
	return layers.Dense(scope.In("out"), h, true, x.Shape().Dim(-1))
}
