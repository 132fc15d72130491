package path

import (
	"fmt"
	"math"
	"strings"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/support/exceptions"
)

// Prediction names what a network predicts at (x_t, t). Each is, as a posterior mean, an affine function of
// the data x1 and the noise x0:
//
//	Velocity: v = α̇_t·x1 + σ̇_t·x0      (flow matching, SiT "velocity")
//	Data:     x1                        (x-prediction)
//	Noise:    x0                        (ε-prediction)
//	Score:    ∇ log p_t(x) = −x0/σ_t     (Tweedie; SiT "score")
//
// Because x_t = α_t·x1 + σ_t·x0 is known, any one of them determines the others:
// to = a(t)·x_t + b(t)·from (see ConvertCoeffs).
type Prediction int

const (
	// Velocity is the flow-matching velocity prediction.
	Velocity Prediction = iota
	// Data is the clean-data (x1) prediction.
	Data
	// Noise is the noise (x0, ε) prediction.
	Noise
	// Score is the score prediction ∇ₓ log p_t(x) = −E[x0 | x_t]/σ_t.
	Score
)

var predictionNames = [...]string{"velocity", "data", "noise", "score"}

// String returns "velocity", "data", "noise" or "score".
func (k Prediction) String() string {
	if k < 0 || int(k) >= len(predictionNames) {
		return fmt.Sprintf("Prediction(%d)", int(k))
	}
	return predictionNames[k]
}

// Validate returns an error for a value that is not one of the four predictions.
func (k Prediction) Validate() error {
	if k < 0 || int(k) >= len(predictionNames) {
		return fmt.Errorf("path: unknown prediction kind %d", int(k))
	}
	return nil
}

// ParsePrediction parses "velocity", "data" (also "x1", "x"), "noise" (also "x0", "eps", "epsilon") or "score".
func ParsePrediction(s string) (Prediction, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "velocity", "v":
		return Velocity, nil
	case "data", "x1", "x":
		return Data, nil
	case "noise", "x0", "eps", "epsilon":
		return Noise, nil
	case "score":
		return Score, nil
	}
	return 0, fmt.Errorf("path: unknown prediction %q: use velocity, data, noise or score", s)
}

// ConvertCoeffs returns (a, b) such that the prediction `to` equals a·x_t + b·(prediction `from`) at time t.
// ok is false where the conversion is singular (a or b infinite or NaN).
//
// Singular points (for every path unless noted), and how callers avoid them:
//
//   - t = 1 (data end, σ = 0): conversions *from* Data and *to* Score. At t = 1 the input x_t equals x1, so
//     the noise cannot be recovered from it; and the score −x0/σ blows up. E.g. the score of a Linear-path
//     velocity model is (t·v − x)/(1 − t). SiT's SDE sampler stops at t = 1 − 0.04 and takes a last
//     deterministic step; use the same, or a velocity/data-based ODE step at the end.
//   - t = 0 (noise end, α = 0): conversions *from* Noise and *from* Score (and so to Velocity or Data from
//     them), since x_t = x0 carries no information on x1. Samplers of noise or score models start at t = ε
//     (SiT uses ε = 1e-3).
//   - VP: σ̇ = −∞ at t = 1, so every conversion from or to Velocity is singular there; VP also has α_0 ≈ 0.0066
//     rather than 0 at t = 0. SiT keeps VP on t ≤ 1 − 1e-5 (training) and t ≤ 1 − 1e-3 (sampling).
//
// Velocity ↔ Data ↔ Noise for the Linear and GVP paths are otherwise regular on all of [0, 1]
// (for Linear: x1 = x + (1 − t)·v and x0 = x − t·v).
func ConvertCoeffs(p Path, from, to Prediction, t float64) (a, b float64, ok bool) {
	a, b = convertCoeffs[float64](hostOps{}, coeffsOf(p.At(t)), from, to)
	return a, b, isFinite(a) && isFinite(b)
}

// ConvertFlat converts a batch of predictions `from` into predictions `to` (host version of ConvertGraph).
// x is the batch of inputs x_t and pred the `from` predictions, both flat arrays of len(t)·D values.
// It returns an error naming the first sample where the conversion is singular (see ConvertCoeffs).
func ConvertFlat[F Float](p Path, from, to Prediction, t []float64, x, pred []F) ([]F, error) {
	if err := from.Validate(); err != nil {
		return nil, err
	}
	if err := to.Validate(); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("path: ConvertFlat: nil path")
	}
	what := "ConvertFlat(" + from.String() + "→" + to.String() + ")"
	d, err := rowSize(what, t, len(x), len(pred))
	if err != nil {
		return nil, err
	}
	out := make([]F, len(x))
	for i, ti := range t {
		a, b, ok := ConvertCoeffs(p, from, to, ti)
		if !ok {
			return nil, fmt.Errorf("path: %s on the %s path is singular at t[%d] = %v (see ConvertCoeffs)", what, p.Name(), i, ti)
		}
		for j := i * d; j < (i+1)*d; j++ {
			out[j] = F(a*float64(x[j]) + b*float64(pred[j]))
		}
	}
	return out, nil
}

// ConvertGraph converts predictions `from` (pred, shape [B, …]) at inputs x (same shape) and times t ([B] or scalar)
// into predictions `to`. Singular points (see ConvertCoeffs) produce Inf/NaN rather than an error: keep t away
// from them.
func ConvertGraph(p Path, from, to Prediction, t, x, pred *Node) *Node {
	if err := from.Validate(); err != nil {
		panic(err)
	}
	if err := to.Validate(); err != nil {
		panic(err)
	}
	if !x.Shape().Equal(pred.Shape()) {
		exceptions.Panicf("path: ConvertGraph(%s→%s): x shape %s differs from prediction shape %s", from, to, x.Shape(), pred.Shape())
	}
	if from == to {
		return pred
	}
	c := p.AtGraph(t)
	a, b := convertCoeffs[*Node](graphOps{g: t.Graph(), like: c.Alpha}, coeffs[*Node]{c.Alpha, c.Sigma, c.DAlpha, c.DSigma}, from, to)
	return Add(Mul(BroadcastTime(a, x), x), Mul(BroadcastTime(b, pred), pred))
}

// coeffs is Coeffs over a generic scalar type, so that one formula serves the host and the graph.
type coeffs[T any] struct{ alpha, sigma, dAlpha, dSigma T }

func coeffsOf(c Coeffs) coeffs[float64] {
	return coeffs[float64]{c.Alpha, c.Sigma, c.DAlpha, c.DSigma}
}

// arith is the scalar arithmetic convertCoeffs needs: float64 on the host, nodes of shape [B] in a graph.
type arith[T any] interface {
	num(v float64) T
	add(x, y T) T
	sub(x, y T) T
	mul(x, y T) T
	div(x, y T) T
	sinCosPi(x T) (T, T) // sin(πx), cos(πx)
}

type hostOps struct{}

func (hostOps) num(v float64) float64                 { return v }
func (hostOps) add(x, y float64) float64              { return x + y }
func (hostOps) sub(x, y float64) float64              { return x - y }
func (hostOps) mul(x, y float64) float64              { return x * y }
func (hostOps) div(x, y float64) float64              { return x / y }
func (hostOps) sinCosPi(x float64) (float64, float64) { return math.Sincos(math.Pi * x) }

type graphOps struct {
	g    *Graph
	like *Node
}

func (o graphOps) num(v float64) *Node { return Scalar(o.g, o.like.DType(), v) }
func (graphOps) add(x, y *Node) *Node  { return Add(x, y) }
func (graphOps) sub(x, y *Node) *Node  { return Sub(x, y) }
func (graphOps) mul(x, y *Node) *Node  { return Mul(x, y) }
func (graphOps) div(x, y *Node) *Node  { return Div(x, y) }
func (graphOps) sinCosPi(x *Node) (*Node, *Node) {
	arg := MulScalar(x, math.Pi)
	return Sin(arg), Cos(arg)
}

// convertCoeffs solves the 2×2 system. Write the source prediction as P = f1·x1 + f0·x0 and the target as
// Q = g1·x1 + g0·x0; with x = α·x1 + σ·x0,
//
//	det = α·f0 − σ·f1,   x1 = (f0·x − σ·P)/det,   x0 = (α·P − f1·x)/det,
//	Q = [(g1·f0 − g0·f1)·x + (g0·α − g1·σ)·P] / det.
//
// The score is handled as −x0 = σ·score (functional (0, −1)) with the 1/σ factor applied outside, so that a
// singularity shows up only where the conversion really is singular.
func convertCoeffs[T any](o arith[T], c coeffs[T], from, to Prediction) (a, b T) {
	if from == to {
		return o.num(0), o.num(1)
	}
	functional := func(k Prediction) (T, T) {
		switch k {
		case Velocity:
			return c.dAlpha, c.dSigma
		case Data:
			return o.num(1), o.num(0)
		case Noise:
			return o.num(0), o.num(1)
		default: // Score, as −x0
			return o.num(0), o.num(-1)
		}
	}
	f1, f0 := functional(from)
	g1, g0 := functional(to)
	det := o.sub(o.mul(c.alpha, f0), o.mul(c.sigma, f1))
	a = o.div(o.sub(o.mul(g1, f0), o.mul(g0, f1)), det)
	b = o.div(o.sub(o.mul(g0, c.alpha), o.mul(g1, c.sigma)), det)
	if from == Score {
		b = o.mul(b, c.sigma) // the input is score = (−x0)/σ: P = σ·score
	}
	if to == Score {
		a, b = o.div(a, c.sigma), o.div(b, c.sigma)
	}
	return a, b
}
