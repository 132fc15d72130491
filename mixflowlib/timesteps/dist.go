// Package timesteps holds the training-time distributions of flow matching and MixFlow, in paper time
// (t = 0 noise, t = 1 data): uniform, logit-normal, Beta(2,1) and the resolution/SD3 time shift that composes
// with any of them; the MixFlow slowed timestep m_t = t·(1 − γ·u) and the joint distribution of (t, m_t);
// and density/histogram helpers for plots.
//
// Every distribution is defined by its quantile function (inverse CDF) Q: a draw is t = Q(U) with U ~ U[0, 1).
// The same Q runs on the host (Quantile, Sample) and inside a GoMLX graph (QuantileGraph, SampleGraph, which
// draws U from the model.Store's RNG), so host and graph draws follow the same law, and objectives can take
// the uniforms as inputs to get deterministic, testable losses.
package timesteps

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Dist is a distribution of training times on [0, 1] (paper time: 0 noise, 1 data).
type Dist interface {
	// Name is the config string of the distribution; ByName(d.Name()) rebuilds it.
	Name() string
	// Validate reports bad parameters (σ ≤ 0, NaN, shift ≤ 0, ...).
	Validate() error
	// Support returns the interval [lo, hi] outside of which the density is 0.
	Support() (lo, hi float64)
	// Quantile returns the inverse CDF at u ∈ [0, 1]: t = Quantile(U) with U ~ U[0, 1) is a draw.
	Quantile(u float64) float64
	// QuantileGraph is Quantile applied elementwise to a node of uniforms (any float dtype, kept).
	QuantileGraph(u *graph.Node) *graph.Node
	// CDF returns P(T ≤ t).
	CDF(t float64) float64
	// Density returns the probability density at t (0 outside the support).
	Density(t float64) float64
	// Mean returns E[T]: closed form where there is one, otherwise by quadrature of the quantile (~0.1 ms).
	Mean() float64
	// Sample draws n times on the host: n uniforms from rng, each through Quantile.
	Sample(rng *rand.Rand, n int) []float64
	// SampleGraph draws n times in the graph, a float32 node of shape [n]: n uniforms from the Store's RNG
	// (scope.RandomUniform), through QuantileGraph.
	SampleGraph(scope *model.Scope, g *graph.Graph, n int) *graph.Node
}

// SampleHost draws n values Quantile(U) with U = rng.Float64(); distributions implement Sample with it.
func SampleHost(d Dist, rng *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = d.Quantile(rng.Float64())
	}
	return out
}

// SampleInGraph draws n float32 values QuantileGraph(U) with U from the Store's RNG; distributions implement
// SampleGraph with it.
func SampleInGraph(d Dist, scope *model.Scope, g *graph.Graph, n int) *graph.Node {
	return d.QuantileGraph(scope.RandomUniform(g, shapes.Make(dtypes.Float32, n)))
}

// meanByQuadrature returns E[T] = ∫₀¹ Q(u) du.
func meanByQuadrature(d Dist) float64 { return integrate(d.Quantile, 0, 1) }

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Uniform is the uniform distribution on [Eps, 1 − Eps]. Eps = 0 is SiT's training default for velocity
// models; RAE draws on [0, 1 − 1/1000] (use Shift or a custom Dist for one-sided bounds).
type Uniform struct {
	// Eps trims both ends, 0 ≤ Eps < ½.
	Eps float64
}

// NewUniform returns Uniform{eps}, or an error unless 0 ≤ eps < ½.
func NewUniform(eps float64) (Uniform, error) {
	d := Uniform{Eps: eps}
	return d, d.Validate()
}

// Name implements Dist: "uniform" or "uniform(eps)".
func (d Uniform) Name() string {
	if d.Eps == 0 {
		return "uniform"
	}
	return "uniform(" + formatFloat(d.Eps) + ")"
}

// Validate implements Dist.
func (d Uniform) Validate() error {
	if !(d.Eps >= 0 && d.Eps < 0.5) {
		return fmt.Errorf("timesteps: uniform eps %v outside [0, 0.5)", d.Eps)
	}
	return nil
}

// Support implements Dist.
func (d Uniform) Support() (float64, float64) { return d.Eps, 1 - d.Eps }

// Quantile implements Dist.
func (d Uniform) Quantile(u float64) float64 { return d.Eps + (1-2*d.Eps)*u }

// QuantileGraph implements Dist.
func (d Uniform) QuantileGraph(u *graph.Node) *graph.Node {
	if d.Eps == 0 {
		return u
	}
	return graph.AddScalar(graph.MulScalar(u, 1-2*d.Eps), d.Eps)
}

// CDF implements Dist.
func (d Uniform) CDF(t float64) float64 {
	return math.Min(1, math.Max(0, (t-d.Eps)/(1-2*d.Eps)))
}

// Density implements Dist.
func (d Uniform) Density(t float64) float64 {
	if t < d.Eps || t > 1-d.Eps {
		return 0
	}
	return 1 / (1 - 2*d.Eps)
}

// Mean implements Dist: ½.
func (d Uniform) Mean() float64 { return 0.5 }

// Sample implements Dist.
func (d Uniform) Sample(rng *rand.Rand, n int) []float64 { return SampleHost(d, rng, n) }

// SampleGraph implements Dist.
func (d Uniform) SampleGraph(scope *model.Scope, g *graph.Graph, n int) *graph.Node {
	return SampleInGraph(d, scope, g, n)
}

// Beta21 is Beta(2, 1), density 2t on [0, 1], drawn as t = √U: MixFlow's training-time distribution, which
// makes the pairs (t, m_t) uniform over the MixFlow region (see Joint). Mean 2/3, variance 1/18.
type Beta21 struct{}

// Name implements Dist: "beta21".
func (Beta21) Name() string { return "beta21" }

// Validate implements Dist; Beta21 has no parameters.
func (Beta21) Validate() error { return nil }

// Support implements Dist.
func (Beta21) Support() (float64, float64) { return 0, 1 }

// Quantile implements Dist: √u.
func (Beta21) Quantile(u float64) float64 { return math.Sqrt(u) }

// QuantileGraph implements Dist.
func (Beta21) QuantileGraph(u *graph.Node) *graph.Node { return graph.Sqrt(u) }

// CDF implements Dist: t².
func (Beta21) CDF(t float64) float64 {
	t = math.Min(1, math.Max(0, t))
	return t * t
}

// Density implements Dist: 2t on [0, 1].
func (Beta21) Density(t float64) float64 {
	if t < 0 || t > 1 {
		return 0
	}
	return 2 * t
}

// Mean implements Dist: 2/3.
func (Beta21) Mean() float64 { return 2.0 / 3 }

// Sample implements Dist.
func (d Beta21) Sample(rng *rand.Rand, n int) []float64 { return SampleHost(d, rng, n) }

// SampleGraph implements Dist.
func (d Beta21) SampleGraph(scope *model.Scope, g *graph.Graph, n int) *graph.Node {
	return SampleInGraph(d, scope, g, n)
}

// LogitNormal is the logit-normal distribution: t = sigmoid(Mu + Sigma·z), z ~ N(0, 1) (SD3, RAE's
// 'logit-normal_0_1'). In our time, Mu > 0 moves mass toward data. The uniforms are clipped to
// [1e-12, 1 − 1e-12] before Φ⁻¹ (|z| ≤ 7.03), on the host and in the graph alike.
type LogitNormal struct {
	// Mu is the mean of logit(t).
	Mu float64
	// Sigma is the standard deviation of logit(t), > 0.
	Sigma float64
}

// NewLogitNormal returns LogitNormal{mu, sigma}, or an error for NaN/Inf or sigma ≤ 0.
func NewLogitNormal(mu, sigma float64) (LogitNormal, error) {
	d := LogitNormal{Mu: mu, Sigma: sigma}
	return d, d.Validate()
}

// Name implements Dist: "logit-normal(mu,sigma)".
func (d LogitNormal) Name() string {
	return "logit-normal(" + formatFloat(d.Mu) + "," + formatFloat(d.Sigma) + ")"
}

// Validate implements Dist.
func (d LogitNormal) Validate() error {
	if !finite(d.Mu) {
		return fmt.Errorf("timesteps: logit-normal mu %v is not finite", d.Mu)
	}
	if !finite(d.Sigma) || d.Sigma <= 0 {
		return fmt.Errorf("timesteps: logit-normal sigma %v must be finite and > 0", d.Sigma)
	}
	return nil
}

// Support implements Dist.
func (LogitNormal) Support() (float64, float64) { return 0, 1 }

// Quantile implements Dist.
func (d LogitNormal) Quantile(u float64) float64 { return sigmoid(d.Mu + d.Sigma*normalQuantile(u)) }

// QuantileGraph implements Dist (computed in float64, returned in u's dtype).
func (d LogitNormal) QuantileGraph(u *graph.Node) *graph.Node {
	z := normalQuantileGraph(graph.ConvertDType(u, dtypes.Float64))
	return graph.ConvertDType(graph.Sigmoid(graph.AddScalar(graph.MulScalar(z, d.Sigma), d.Mu)), u.DType())
}

// CDF implements Dist.
func (d LogitNormal) CDF(t float64) float64 {
	switch {
	case t <= 0:
		return 0
	case t >= 1:
		return 1
	}
	return normalCDF((logit(t) - d.Mu) / d.Sigma)
}

// Density implements Dist: φ((logit t − μ)/σ) / (σ·t·(1 − t)).
func (d LogitNormal) Density(t float64) float64 {
	if t <= 0 || t >= 1 {
		return 0
	}
	z := (logit(t) - d.Mu) / d.Sigma
	return math.Exp(-z*z/2) / (math.Sqrt(2*math.Pi) * d.Sigma * t * (1 - t))
}

// Mean implements Dist (no closed form: quadrature).
func (d LogitNormal) Mean() float64 { return meanByQuadrature(d) }

// Sample implements Dist.
func (d LogitNormal) Sample(rng *rand.Rand, n int) []float64 { return SampleHost(d, rng, n) }

// SampleGraph implements Dist.
func (d LogitNormal) SampleGraph(scope *model.Scope, g *graph.Graph, n int) *graph.Node {
	return SampleInGraph(d, scope, g, n)
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func logit(t float64) float64 { return math.Log(t) - math.Log1p(-t) }
