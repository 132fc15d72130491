// Package oracle provides nn.Backbone implementations whose velocity field is exact, in closed form,
// for data distributions that are Gaussian or mixtures of isotropic Gaussians under the linear path
// x_t = t·x1 + (1−t)·x0 (t = 0 noise, t = 1 data, x0 ~ N(0, I)).
//
// They need no training and hold no variables, so they are the reference "perfect model" for tests
// (sampler order of accuracy, SDE statistics, guidance) and for teaching (Slow Flow with and without
// exposure bias). Perturbed wraps any backbone with a scaled and biased velocity to create a
// controlled, known model error.
//
// The velocity is the conditional expectation E[x1 − x0 | x_t = x], the minimiser of the flow
// matching loss, so an ODE sampler driven by it transports N(0, I) exactly onto the data distribution
// (up to discretisation error).
package oracle

import (
	"fmt"
	"math"
	"math/rand/v2"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// Gaussian is the exact velocity of data x1 ~ N(μ, diag(s²)) under the linear path.
//
// The marginal at time t is x_t ~ N(tμ, diag(t²s² + (1−t)²)) and the velocity is
//
//	v(x, t) = μ + (t·s² − (1−t)) / (t²·s² + (1−t)²) · (x − tμ)
//
// per dimension. The exact ODE flow from noise x0 is x_t = tμ + sqrt(t²s² + (1−t)²)·x0 (FlowMap).
// The velocity is smooth on [0, 1] for s > 0. Conditioning is ignored.
type Gaussian struct {
	mu, std []float64
}

var _ nn.Backbone = (*Gaussian)(nil)

// NewGaussian returns the oracle for N(mu, diag(std²)). std has one entry per dimension, or a single
// entry shared by all dimensions; every std must be positive and finite, every mu finite.
func NewGaussian(mu, std []float64) (*Gaussian, error) {
	if len(mu) == 0 {
		return nil, fmt.Errorf("oracle: Gaussian mean is empty")
	}
	if len(std) != 1 && len(std) != len(mu) {
		return nil, fmt.Errorf("oracle: Gaussian std has %d entries, want 1 or %d (the dimension of mu)", len(std), len(mu))
	}
	for i, m := range mu {
		if math.IsNaN(m) || math.IsInf(m, 0) {
			return nil, fmt.Errorf("oracle: Gaussian mu[%d] = %v is not finite", i, m)
		}
	}
	s := make([]float64, len(mu))
	for i := range s {
		v := std[0]
		if len(std) > 1 {
			v = std[i]
		}
		if !(v > 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("oracle: Gaussian std[%d] = %v must be positive and finite", i, v)
		}
		s[i] = v
	}
	return &Gaussian{mu: append([]float64(nil), mu...), std: s}, nil
}

// Dim returns the data dimension D (the product of all non-batch axes of x).
func (g *Gaussian) Dim() int { return len(g.mu) }

// Mean returns a copy of μ.
func (g *Gaussian) Mean() []float64 { return append([]float64(nil), g.mu...) }

// Std returns a copy of the per-dimension standard deviations s.
func (g *Gaussian) Std() []float64 { return append([]float64(nil), g.std...) }

// Velocity implements nn.Backbone: the exact velocity for x of shape [B, ...] with D = Dim() values per
// example and t of shape [B]. It creates no variables. It panics (GoMLX style) on a shape mismatch.
func (g *Gaussian) Velocity(_ *model.Scope, x, t *Node, _ nn.Cond) *Node {
	d := perExample(x)
	if d != len(g.mu) {
		exceptions.Panicf("oracle.Gaussian: x has %d values per example (shape %s), want %d", d, x.Shape(), len(g.mu))
	}
	tb := timeLike(x, t)
	mu := exampleConst(x, g.mu)
	s2 := exampleConst(x, squares(g.std))
	oneMinus := OneMinus(tb)
	variance := Add(Mul(Square(tb), s2), Square(oneMinus))
	k := Div(Sub(Mul(tb, s2), oneMinus), variance)
	return Add(mu, Mul(k, Sub(x, Mul(tb, mu))))
}

// VelocityAt returns the exact velocity at one point x (length Dim()) and time t, on the host in float64.
func (g *Gaussian) VelocityAt(x []float64, t float64) ([]float64, error) {
	if len(x) != len(g.mu) {
		return nil, fmt.Errorf("oracle: Gaussian.VelocityAt: x has %d values, want %d", len(x), len(g.mu))
	}
	if err := checkTime(t); err != nil {
		return nil, err
	}
	v := make([]float64, len(x))
	for i := range x {
		s2 := g.std[i] * g.std[i]
		variance := t*t*s2 + (1-t)*(1-t)
		v[i] = g.mu[i] + (t*s2-(1-t))/variance*(x[i]-t*g.mu[i])
	}
	return v, nil
}

// FlowMap returns the exact ODE solution at time t started from noise x0 at time 0:
// x_t = tμ + sqrt(t²s² + (1−t)²)·x0, for x0 holding N examples of Dim() values each (row-major).
func (g *Gaussian) FlowMap(x0 []float32, t float64) ([]float32, error) {
	d := len(g.mu)
	if len(x0) == 0 || len(x0)%d != 0 {
		return nil, fmt.Errorf("oracle: Gaussian.FlowMap: x0 has %d values, want a positive multiple of %d", len(x0), d)
	}
	if err := checkTime(t); err != nil {
		return nil, err
	}
	scale := make([]float64, d)
	for i := range scale {
		scale[i] = math.Sqrt(t*t*g.std[i]*g.std[i] + (1-t)*(1-t))
	}
	out := make([]float32, len(x0))
	for j, v := range x0 {
		i := j % d
		out[j] = float32(t*g.mu[i] + scale[i]*float64(v))
	}
	return out, nil
}

// Sample draws n data points x1 ~ N(μ, diag(s²)) from rng (non-nil), row-major [n, Dim()]. n ≤ 0 gives
// an empty slice.
func (g *Gaussian) Sample(rng *rand.Rand, n int) []float32 {
	n = max(n, 0)
	d := len(g.mu)
	out := make([]float32, n*d)
	for j := range out {
		i := j % d
		out[j] = float32(g.mu[i] + g.std[i]*rng.NormFloat64())
	}
	return out
}

// perExample returns the number of values per example of x ([B, ...]).
func perExample(x *Node) int {
	if x.Rank() < 1 {
		exceptions.Panicf("oracle: x must have a batch axis, got shape %s", x.Shape())
	}
	d := 1
	for _, dim := range x.Shape().Dimensions[1:] {
		d *= dim
	}
	return d
}

// timeLike converts t [B] to x's dtype and shape [B, 1, ..., 1].
func timeLike(x, t *Node) *Node {
	b := x.Shape().Dimensions[0]
	if t.Rank() != 1 || t.Shape().Dimensions[0] != b {
		exceptions.Panicf("oracle: t must have shape [%d], got %s", b, t.Shape())
	}
	dims := make([]int, x.Rank())
	for i := range dims {
		dims[i] = 1
	}
	dims[0] = b
	return Reshape(ConvertDType(t, x.DType()), dims...)
}

// exampleConst returns values (one per example dimension) as a constant of x's dtype, shaped
// [1, x.dims[1:]...] so that it broadcasts over the batch.
func exampleConst(x *Node, values []float64) *Node {
	dims := append([]int{1}, x.Shape().Dimensions[1:]...)
	return Reshape(ConstAs(x, values), dims...)
}

func squares(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, s := range v {
		out[i] = s * s
	}
	return out
}

func checkTime(t float64) error {
	if !(t >= 0 && t <= 1) {
		return fmt.Errorf("oracle: time %v outside [0, 1]", t)
	}
	return nil
}
