package oracle

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// Mixture is the exact velocity of a mixture of isotropic Gaussians, x1 ~ Σ_k w_k N(μ_k, s_k² I),
// under the linear path.
//
// Given component k, x_t ~ N(tμ_k, var_k(t)·I) with var_k(t) = t²s_k² + (1−t)², and the velocity is
// v_k(x, t) = μ_k + (t s_k² − (1−t))/var_k(t)·(x − tμ_k). The mixture velocity is the posterior-weighted
// average v(x, t) = Σ_k p(k | x_t = x) v_k(x, t), with p(k | x) ∝ w_k N(x; tμ_k, var_k(t) I).
//
// Mixture is class-conditional and implements nn.Guidable: a label k ≥ 0 in cond.Labels restricts the
// posterior to component k (the exact conditional velocity), nn.NullLabel (or no labels) gives the
// unconditional mixture velocity. That makes it an exact target for classifier-free guidance demos.
// Labels outside [−1, K) select nothing: the conditional velocity is then the unconditional one.
type Mixture struct {
	weights []float64   // normalised, K
	means   [][]float64 // K × D
	stds    []float64   // K
}

var _ nn.Guidable = (*Mixture)(nil)

// NewMixture returns the oracle for the mixture with the given (unnormalised, positive) weights,
// component means (K rows of equal length D) and isotropic standard deviations (K entries, or one
// shared by all components, each positive and finite).
func NewMixture(weights []float64, means [][]float64, stds []float64) (*Mixture, error) {
	k := len(means)
	if k == 0 {
		return nil, fmt.Errorf("oracle: Mixture has no components")
	}
	if len(weights) != k {
		return nil, fmt.Errorf("oracle: Mixture has %d weights for %d components", len(weights), k)
	}
	if len(stds) != 1 && len(stds) != k {
		return nil, fmt.Errorf("oracle: Mixture std has %d entries, want 1 or %d (one per component)", len(stds), k)
	}
	d := len(means[0])
	if d == 0 {
		return nil, fmt.Errorf("oracle: Mixture component 0 has an empty mean")
	}
	var sum float64
	for i, w := range weights {
		if !(w > 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("oracle: Mixture weight[%d] = %v must be positive and finite", i, w)
		}
		sum += w
	}
	m := &Mixture{weights: make([]float64, k), means: make([][]float64, k), stds: make([]float64, k)}
	for i := range k {
		if len(means[i]) != d {
			return nil, fmt.Errorf("oracle: Mixture mean %d has %d values, want %d like mean 0", i, len(means[i]), d)
		}
		for j, v := range means[i] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("oracle: Mixture mean[%d][%d] = %v is not finite", i, j, v)
			}
		}
		s := stds[0]
		if len(stds) > 1 {
			s = stds[i]
		}
		if !(s > 0) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("oracle: Mixture std[%d] = %v must be positive and finite", i, s)
		}
		m.weights[i] = weights[i] / sum
		m.means[i] = append([]float64(nil), means[i]...)
		m.stds[i] = s
	}
	return m, nil
}

// EightGaussians returns the classic 2-D "8 Gaussians" target: eight equally weighted components with
// means radius·(cos(2πk/8), sin(2πk/8)), k = 0..7, and standard deviation std each. Component k is
// class label k.
func EightGaussians(radius, std float64) (*Mixture, error) {
	if !(radius > 0) || math.IsInf(radius, 0) {
		return nil, fmt.Errorf("oracle: EightGaussians radius %v must be positive and finite", radius)
	}
	means := make([][]float64, 8)
	weights := make([]float64, 8)
	for k := range means {
		a := 2 * math.Pi * float64(k) / 8
		means[k] = []float64{radius * math.Cos(a), radius * math.Sin(a)}
		weights[k] = 1
	}
	return NewMixture(weights, means, []float64{std})
}

// Dim returns the data dimension D.
func (m *Mixture) Dim() int { return len(m.means[0]) }

// NumComponents returns K, which is also the number of class labels.
func (m *Mixture) NumComponents() int { return len(m.means) }

// Weights returns a copy of the normalised component weights.
func (m *Mixture) Weights() []float64 { return append([]float64(nil), m.weights...) }

// Means returns a copy of the component means (K × D).
func (m *Mixture) Means() [][]float64 {
	out := make([][]float64, len(m.means))
	for i, mu := range m.means {
		out[i] = append([]float64(nil), mu...)
	}
	return out
}

// Stds returns a copy of the component standard deviations.
func (m *Mixture) Stds() []float64 { return append([]float64(nil), m.stds...) }

// NullCond implements nn.Guidable: every label becomes nn.NullLabel; tokens are ignored.
func (m *Mixture) NullCond(cond nn.Cond) nn.Cond {
	if cond.Labels == nil {
		return cond
	}
	return nn.Cond{Labels: nn.NullLabels(cond.Labels), Tokens: cond.Tokens}
}

// Velocity implements nn.Backbone: the exact (class-conditional if cond.Labels is set) velocity for x of
// shape [B, ...] with D = Dim() values per example and t of shape [B]. The mixture algebra runs in
// float64 inside the graph (squared distances are expanded through matrix products, which would lose
// precision in float32 near t = 1); the result has x's dtype. It creates no variables.
func (m *Mixture) Velocity(_ *model.Scope, x, t *Node, cond nn.Cond) *Node {
	d := perExample(x)
	if d != m.Dim() {
		exceptions.Panicf("oracle.Mixture: x has %d values per example (shape %s), want %d", d, x.Shape(), m.Dim())
	}
	g := x.Graph()
	b := x.Shape().Dimensions[0]
	k := len(m.means)
	f64 := dtypes.Float64
	xf := ConvertDType(Reshape(x, b, d), f64) // [B, D]
	if t.Rank() != 1 || t.Shape().Dimensions[0] != b {
		exceptions.Panicf("oracle.Mixture: t must have shape [%d], got %s", b, t.Shape())
	}
	tc := Reshape(ConvertDType(t, f64), b, 1) // [B, 1]

	flat := make([]float64, 0, k*d)
	norms := make([]float64, k)
	logw := make([]float64, k)
	for i, mu := range m.means {
		flat = append(flat, mu...)
		for _, v := range mu {
			norms[i] += v * v
		}
		logw[i] = math.Log(m.weights[i])
	}
	means := Reshape(Const(g, flat), k, d)                 // [K, D]
	meanNorms := Reshape(Const(g, norms), 1, k)            // [1, K]
	s2 := Reshape(Const(g, squares(m.stds)), 1, k)         // [1, K]
	oneMinus := OneMinus(tc)                               // [B, 1]
	variance := Add(Mul(Square(tc), s2), Square(oneMinus)) // [B, K]

	xm := Einsum("bd,kd->bk", xf, means)           // ⟨x, μ_k⟩
	xx := ReduceAndKeep(Square(xf), ReduceSum, -1) // [B, 1]
	dist2 := Add(Sub(xx, Mul(MulScalar(tc, 2), xm)), Mul(Square(tc), meanNorms))
	logits := Sub(Reshape(Const(g, logw), 1, k), Add(
		MulScalar(Log(variance), float64(d)/2),
		Div(dist2, MulScalar(variance, 2))))
	if cond.Labels != nil {
		logits = Add(logits, labelMask(cond.Labels, b, k))
	}
	p := Softmax(logits, -1)                       // [B, K]
	c := Div(Sub(Mul(tc, s2), oneMinus), variance) // [B, K]
	pc := Mul(p, c)                                // [B, K]
	v := Add(Sub(MatMul(p, means), Mul(tc, MatMul(pc, means))), Mul(ReduceAndKeep(pc, ReduceSum, -1), xf))
	return Reshape(ConvertDType(v, x.DType()), x.Shape().Dimensions...)
}

// labelMask returns [B, K] float64 additive logits: 0 where component k is allowed for the row's label
// (every k for nn.NullLabel or an out-of-range label, only k = label otherwise), −1e300 elsewhere.
func labelMask(labels *Node, b, k int) *Node {
	if labels.Rank() != 1 || labels.Shape().Dimensions[0] != b {
		exceptions.Panicf("oracle.Mixture: cond.Labels must have shape [%d], got %s", b, labels.Shape())
	}
	g := labels.Graph()
	lab := Reshape(ConvertDType(labels, dtypes.Int32), b, 1)
	comp := Iota(g, shapes.Make(dtypes.Int32, 1, k), 1)
	inRange := LogicalAnd(GreaterOrEqual(lab, ScalarZero(g, dtypes.Int32)), LessThan(lab, Scalar(g, dtypes.Int32, k)))
	allowed := LogicalOr(LogicalNot(BroadcastToDims(inRange, b, k)), Equal(BroadcastToDims(lab, b, k), BroadcastToDims(comp, b, k)))
	zero := ScalarZero(g, dtypes.Float64)
	return Where(allowed, BroadcastToDims(zero, b, k), BroadcastToDims(Scalar(g, dtypes.Float64, -1e300), b, k))
}

// VelocityAt returns the exact unconditional velocity at one point x (length Dim()) and time t, on the
// host in float64.
func (m *Mixture) VelocityAt(x []float64, t float64) ([]float64, error) {
	return m.ConditionalVelocityAt(x, t, nn.NullLabel)
}

// ConditionalVelocityAt returns the exact velocity given class label (component) label, or the
// unconditional one for nn.NullLabel, at one point x and time t, on the host in float64.
func (m *Mixture) ConditionalVelocityAt(x []float64, t float64, label int) ([]float64, error) {
	d := m.Dim()
	if len(x) != d {
		return nil, fmt.Errorf("oracle: Mixture.VelocityAt: x has %d values, want %d", len(x), d)
	}
	if err := checkTime(t); err != nil {
		return nil, err
	}
	k := len(m.means)
	logits := make([]float64, k)
	maxLogit := math.Inf(-1)
	for i, mu := range m.means {
		if label >= 0 && label < k && i != label {
			logits[i] = math.Inf(-1)
			continue
		}
		variance := t*t*m.stds[i]*m.stds[i] + (1-t)*(1-t)
		var dist2 float64
		for j := range x {
			r := x[j] - t*mu[j]
			dist2 += r * r
		}
		logits[i] = math.Log(m.weights[i]) - float64(d)/2*math.Log(variance) - dist2/(2*variance)
		maxLogit = math.Max(maxLogit, logits[i])
	}
	var z float64
	for i := range logits {
		logits[i] = math.Exp(logits[i] - maxLogit)
		z += logits[i]
	}
	v := make([]float64, d)
	for i, mu := range m.means {
		p := logits[i] / z
		if p == 0 {
			continue
		}
		s2 := m.stds[i] * m.stds[i]
		variance := t*t*s2 + (1-t)*(1-t)
		c := (t*s2 - (1 - t)) / variance
		for j := range v {
			v[j] += p * (mu[j] + c*(x[j]-t*mu[j]))
		}
	}
	return v, nil
}

// Sample draws n data points x1 from the mixture with rng (non-nil), row-major [n, Dim()], and their
// component labels. n ≤ 0 gives empty slices.
func (m *Mixture) Sample(rng *rand.Rand, n int) ([]float32, []int32) {
	n = max(n, 0)
	d := m.Dim()
	x := make([]float32, n*d)
	labels := make([]int32, n)
	for i := range n {
		u := rng.Float64()
		k := len(m.weights) - 1
		for j, w := range m.weights {
			if u < w {
				k = j
				break
			}
			u -= w
		}
		labels[i] = int32(k)
		for j := range d {
			x[i*d+j] = float32(m.means[k][j] + m.stds[k]*rng.NormFloat64())
		}
	}
	return x, labels
}
