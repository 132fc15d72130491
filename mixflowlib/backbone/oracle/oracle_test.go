package oracle

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// graphVelocity evaluates net in a graph for x [B, D], t [B] and optional labels [B].
func graphVelocity(t *testing.T, net nn.Backbone, x []float32, b, d int, ts []float32, labels []int32) []float32 {
	t.Helper()
	store := model.NewStore()
	args := []any{tensors.FromFlatDataAndDimensions(x, b, d), tensors.FromFlatDataAndDimensions(ts, b)}
	if labels != nil {
		args = append(args, tensors.FromFlatDataAndDimensions(labels, b))
	}
	exec, err := model.NewExec(backend.Must(), store, func(scope *model.Scope, in []*Node) *Node {
		var cond nn.Cond
		if len(in) > 2 {
			cond.Labels = in[2]
		}
		return net.Velocity(scope.In("model"), in[0], in[1], cond)
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Call(args...)
	if err != nil {
		t.Fatal(err)
	}
	if store.NumVariables() != 0 {
		t.Errorf("oracle created %d variables, want none", store.NumVariables())
	}
	return tensors.MustCopyFlatData[float32](out[0])
}

func randomPoints(rng *rand.Rand, b, d int, scale float64) ([]float32, []float32) {
	x := make([]float32, b*d)
	for i := range x {
		x[i] = float32(scale * rng.NormFloat64())
	}
	ts := make([]float32, b)
	for i := range ts {
		ts[i] = float32(rng.Float64())
	}
	ts[0], ts[b-1] = 0, 1 // the endpoints must be finite too
	return x, ts
}

func TestGaussianGraphMatchesHost(t *testing.T) {
	g, err := NewGaussian([]float64{0.5, -1, 2}, []float64{0.7, 1.3, 0.2})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const b, d = 16, 3
	x, ts := randomPoints(rng, b, d, 2)
	got := graphVelocity(t, g, x, b, d, ts, nil)
	for i := range b {
		xi := make([]float64, d)
		for j := range d {
			xi[j] = float64(float32(x[i*d+j]))
		}
		want, err := g.VelocityAt(xi, float64(ts[i]))
		if err != nil {
			t.Fatal(err)
		}
		for j := range d {
			if diff := math.Abs(float64(got[i*d+j]) - want[j]); diff > 1e-4*(1+math.Abs(want[j])) {
				t.Errorf("example %d dim %d (t=%v): graph %v, host %v", i, j, ts[i], got[i*d+j], want[j])
			}
		}
	}
}

// TestGaussianFlowMapSolvesODE checks that d/dt FlowMap(x0, t) = v(FlowMap(x0, t), t) by central
// differences, so the velocity and the exact flow are consistent.
func TestGaussianFlowMapSolvesODE(t *testing.T) {
	g, err := NewGaussian([]float64{1, -2}, []float64{0.5, 1.7})
	if err != nil {
		t.Fatal(err)
	}
	x0 := []float32{0.3, -1.1}
	const h = 1e-3
	for _, tt := range []float64{0.01, 0.25, 0.5, 0.75, 0.99} {
		plus, _ := g.FlowMap(x0, tt+h)
		minus, _ := g.FlowMap(x0, tt-h)
		at, _ := g.FlowMap(x0, tt)
		v, err := g.VelocityAt([]float64{float64(at[0]), float64(at[1])}, tt)
		if err != nil {
			t.Fatal(err)
		}
		for j := range 2 {
			fd := (float64(plus[j]) - float64(minus[j])) / (2 * h)
			if math.Abs(fd-v[j]) > 2e-3 {
				t.Errorf("t=%v dim %d: dx/dt by differences %v, velocity %v", tt, j, fd, v[j])
			}
		}
	}
	// Endpoints: the flow starts at the noise and ends on μ + s·x0.
	end, _ := g.FlowMap(x0, 1)
	if math.Abs(float64(end[0])-(1+0.5*0.3)) > 1e-6 || math.Abs(float64(end[1])-(-2-1.7*1.1)) > 1e-5 {
		t.Errorf("FlowMap(x0, 1) = %v, want μ + s·x0", end)
	}
}

func TestMixtureGraphMatchesHost(t *testing.T) {
	m, err := NewMixture([]float64{1, 2, 3}, [][]float64{{2, 0, 1}, {-1, 1, 0}, {0, -2, 0.5}}, []float64{0.3, 0.6, 0.1})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const b, d = 24, 3
	x, ts := randomPoints(rng, b, d, 1.5)
	labels := make([]int32, b)
	for i := range labels {
		labels[i] = int32(i%5) - 1 // −1 (null), 0, 1, 2 and 3 (out of range → unconditional)
	}
	for _, withLabels := range []bool{false, true} {
		var lab []int32
		if withLabels {
			lab = labels
		}
		got := graphVelocity(t, m, x, b, d, ts, lab)
		for i := range b {
			xi := make([]float64, d)
			for j := range d {
				xi[j] = float64(x[i*d+j])
			}
			label := nn.NullLabel
			if withLabels {
				label = int(labels[i])
			}
			want, err := m.ConditionalVelocityAt(xi, float64(ts[i]), label)
			if err != nil {
				t.Fatal(err)
			}
			for j := range d {
				if diff := math.Abs(float64(got[i*d+j]) - want[j]); diff > 1e-4*(1+math.Abs(want[j])) {
					t.Errorf("labels=%v example %d (label %d, t=%v) dim %d: graph %v, host %v", withLabels, i, label, ts[i], j, got[i*d+j], want[j])
				}
			}
		}
	}
}

// TestMixtureVelocityIsConditionalExpectation checks the closed form against a direct numerical
// integration of E[x1 − x0 | x_t = x] in 1-D: x0 = (x − t·x1)/(1 − t), weight p(x1)·φ(x0).
func TestMixtureVelocityIsConditionalExpectation(t *testing.T) {
	m, err := NewMixture([]float64{0.3, 0.7}, [][]float64{{-1.5}, {2}}, []float64{0.4, 0.8})
	if err != nil {
		t.Fatal(err)
	}
	density := func(x1 float64) float64 {
		var p float64
		for k, mu := range m.means {
			s := m.stds[k]
			p += m.weights[k] * math.Exp(-(x1-mu[0])*(x1-mu[0])/(2*s*s)) / s
		}
		return p
	}
	for _, tt := range []float64{0.1, 0.4, 0.7, 0.9} {
		for _, x := range []float64{-2, -0.3, 0.5, 1.8} {
			var num, den float64
			const lo, hi, n = -8.0, 10.0, 200000
			h := (hi - lo) / n
			for i := range n {
				x1 := lo + (float64(i)+0.5)*h
				x0 := (x - tt*x1) / (1 - tt)
				w := density(x1) * math.Exp(-x0*x0/2)
				num += w * (x1 - x0)
				den += w
			}
			want := num / den
			got, err := m.VelocityAt([]float64{x}, tt)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got[0]-want) > 1e-6*(1+math.Abs(want)) {
				t.Errorf("t=%v x=%v: closed form %v, quadrature %v", tt, x, got[0], want)
			}
		}
	}
}

func TestMixtureOneComponentIsGaussian(t *testing.T) {
	m, err := NewMixture([]float64{5}, [][]float64{{1, -1}}, []float64{0.6})
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGaussian([]float64{1, -1}, []float64{0.6})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []float64{0, 0.3, 1} {
		a, _ := m.VelocityAt([]float64{0.2, 0.9}, tt)
		b, _ := g.VelocityAt([]float64{0.2, 0.9}, tt)
		for j := range a {
			if math.Abs(a[j]-b[j]) > 1e-12 {
				t.Errorf("t=%v dim %d: mixture %v, Gaussian %v", tt, j, a[j], b[j])
			}
		}
	}
}

func TestSampleMoments(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	g, _ := NewGaussian([]float64{1, -2}, []float64{0.5, 2})
	const n = 20000
	x := g.Sample(rng, n)
	for j, want := range [][2]float64{{1, 0.5}, {-2, 2}} {
		var s, s2 float64
		for i := range n {
			v := float64(x[i*2+j])
			s += v
			s2 += v * v
		}
		mean := s / n
		std := math.Sqrt(s2/n - mean*mean)
		if math.Abs(mean-want[0]) > 4*want[1]/math.Sqrt(n) || math.Abs(std-want[1]) > 0.05*want[1] {
			t.Errorf("dim %d: mean %v std %v, want %v %v", j, mean, std, want[0], want[1])
		}
	}
	m, _ := EightGaussians(2, 0.1)
	xs, labels := m.Sample(rng, n)
	counts := make([]int, 8)
	for i, l := range labels {
		counts[l]++
		mu := m.means[l]
		if d := math.Hypot(float64(xs[2*i])-mu[0], float64(xs[2*i+1])-mu[1]); d > 0.7 {
			t.Fatalf("sample %d is %v away from its component mean", i, d)
		}
	}
	for k, c := range counts {
		if math.Abs(float64(c)-n/8) > 4*math.Sqrt(n/8) {
			t.Errorf("component %d drawn %d times of %d", k, c, n)
		}
	}
}

func TestPerturbed(t *testing.T) {
	m, _ := EightGaussians(2, 0.2)
	p, err := NewPerturbed(m, 0.5, []float64{1, -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(nn.Guidable); !ok {
		t.Errorf("Perturbed of a Guidable backbone is not Guidable")
	}
	g, _ := NewGaussian([]float64{0}, []float64{1})
	pg, _ := NewPerturbed(g, 2, nil)
	if _, ok := pg.(nn.Guidable); ok {
		t.Errorf("Perturbed of a non-Guidable backbone claims to be Guidable")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	const b, d = 8, 2
	x, ts := randomPoints(rng, b, d, 1)
	base := graphVelocity(t, m, x, b, d, ts, nil)
	got := graphVelocity(t, p, x, b, d, ts, nil)
	for i := range b {
		for j := range d {
			want := 0.5*float64(base[i*d+j]) + []float64{1, -1}[j]
			if math.Abs(float64(got[i*d+j])-want) > 1e-5 {
				t.Errorf("example %d dim %d: %v, want %v", i, j, got[i*d+j], want)
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"empty mean", func() error { _, err := NewGaussian(nil, []float64{1}); return err }(), "mean is empty"},
		{"zero std", func() error { _, err := NewGaussian([]float64{0, 0}, []float64{1, 0}); return err }(), "std[1] = 0"},
		{"std length", func() error { _, err := NewGaussian([]float64{0, 0, 0}, []float64{1, 1}); return err }(), "want 1 or 3"},
		{"NaN mean", func() error { _, err := NewGaussian([]float64{math.NaN()}, []float64{1}); return err }(), "not finite"},
		{"no components", func() error { _, err := NewMixture(nil, nil, []float64{1}); return err }(), "no components"},
		{"ragged means", func() error {
			_, err := NewMixture([]float64{1, 1}, [][]float64{{0, 0}, {1}}, []float64{1})
			return err
		}(), "mean 1 has 1 values"},
		{"negative weight", func() error {
			_, err := NewMixture([]float64{1, -1}, [][]float64{{0}, {1}}, []float64{1})
			return err
		}(), "weight[1]"},
		{"bad radius", func() error { _, err := EightGaussians(0, 1); return err }(), "radius"},
		{"nil base", func() error { _, err := NewPerturbed(nil, 1, nil); return err }(), "base backbone is nil"},
		{"NaN scale", func() error {
			g, _ := NewGaussian([]float64{0}, []float64{1})
			_, err := NewPerturbed(g, math.NaN(), nil)
			return err
		}(), "scale NaN"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) || !strings.HasPrefix(c.err.Error(), "oracle: ") {
			t.Errorf("%s: error %v, want one starting with \"oracle: \" containing %q", c.name, c.err, c.want)
		}
	}
	g, _ := NewGaussian([]float64{0, 0}, []float64{1})
	if _, err := g.VelocityAt([]float64{0}, 0.5); err == nil {
		t.Errorf("VelocityAt with a wrong dimension: no error")
	}
	if _, err := g.VelocityAt([]float64{0, 0}, 1.5); err == nil {
		t.Errorf("VelocityAt at t = 1.5: no error")
	}
	if _, err := g.FlowMap([]float32{1, 2, 3}, 0.5); err == nil {
		t.Errorf("FlowMap with 3 values for D = 2: no error")
	}
	// A wrong shape inside a graph is a GoMLX-style panic, reported as an error by Exec.
	exec, err := model.NewExec(backend.Must(), model.NewStore(), func(scope *model.Scope, x *Node) *Node {
		tt := Zeros(x.Graph(), shapes.Make(dtypes.Float32, x.Shape().Dimensions[0]))
		return g.Velocity(scope, x, tt, nn.Cond{})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Call(tensors.FromFlatDataAndDimensions([]float32{1, 2, 3}, 1, 3)); err == nil ||
		!strings.Contains(err.Error(), "want 2") {
		t.Errorf("3-D input to a 2-D oracle: error %v", err)
	}
}
