package path

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/support/exceptions"
)

// Float is the element type of the host arrays the *Flat helpers of this package accept.
//
// The *Flat helpers take a batch as a flat row-major array of B·D values (B = len(t) samples of D values each,
// D = len(x)/B, as tensors.CopyFlatData returns it) and one time per sample; each sample's values are scaled by
// that sample's coefficients. They compute in float64 and return an error for bad input (times outside [0, 1]
// or NaN, arrays of mismatched lengths, singular coefficients).
type Float interface{ ~float32 | ~float64 }

// InterpolateFlat returns x_t = α_t·x1 + σ_t·x0 for each sample of the batch (host version of InterpolateGraph).
// t holds one time per sample in [0, 1]; x0 and x1 hold len(t)·D values each.
func InterpolateFlat[F Float](p Path, t []float64, x0, x1 []F) ([]F, error) {
	return combine(p, "InterpolateFlat", t, x0, x1, func(c Coeffs) (float64, float64) { return c.Sigma, c.Alpha })
}

// TargetVelocityFlat returns u_t = α̇_t·x1 + σ̇_t·x0 for each sample (host version of TargetVelocityGraph).
// For VP it is singular at t = 1 (σ̇ = −∞).
func TargetVelocityFlat[F Float](p Path, t []float64, x0, x1 []F) ([]F, error) {
	return combine(p, "TargetVelocityFlat", t, x0, x1, func(c Coeffs) (float64, float64) { return c.DSigma, c.DAlpha })
}

// combine returns a·x + b·y per sample with (a, b) = coef(p.At(t_i)).
func combine[F Float](p Path, what string, t []float64, x, y []F, coef func(Coeffs) (float64, float64)) ([]F, error) {
	if p == nil {
		return nil, fmt.Errorf("path: %s: nil path", what)
	}
	d, err := rowSize(what, t, len(x), len(y))
	if err != nil {
		return nil, err
	}
	out := make([]F, len(x))
	for i, ti := range t {
		a, b := coef(p.At(ti))
		if !isFinite(a) || !isFinite(b) {
			return nil, fmt.Errorf("path: %s: %s coefficients are not finite at t[%d] = %v", what, p.Name(), i, ti)
		}
		for j := i * d; j < (i+1)*d; j++ {
			out[j] = F(a*float64(x[j]) + b*float64(y[j]))
		}
	}
	return out, nil
}

// rowSize validates a batch: len(t) ≥ 1 times in [0, 1], arrays of equal length divisible by len(t).
// It returns the number of values per sample.
func rowSize(what string, t []float64, nx, ny int) (int, error) {
	if len(t) == 0 {
		return 0, fmt.Errorf("path: %s: empty t", what)
	}
	if nx != ny {
		return 0, fmt.Errorf("path: %s: arrays have different lengths %d and %d", what, nx, ny)
	}
	if nx == 0 || nx%len(t) != 0 {
		return 0, fmt.Errorf("path: %s: array length %d is not a positive multiple of len(t) = %d", what, nx, len(t))
	}
	for i, ti := range t {
		if !(ti >= 0 && ti <= 1) { // also rejects NaN
			return 0, fmt.Errorf("path: %s: t[%d] = %v outside [0, 1]", what, i, ti)
		}
	}
	return nx / len(t), nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// BroadcastTime prepares per-sample values v for multiplying x of shape [B, …]: v of shape [B] is reshaped to
// [B, 1, …, 1] (the rank of x), a scalar v is left as a scalar, and either is converted to x's dtype. So every
// graph helper of this package accepts one time per sample ([B]) or one time for the whole batch (scalar).
// It panics (GoMLX style) for any other shape of v.
func BroadcastTime(v, x *Node) *Node {
	if v.DType() != x.DType() {
		v = ConvertDType(v, x.DType())
	}
	if v.IsScalar() {
		return v
	}
	if v.Rank() != 1 || x.Rank() < 1 || v.Shape().Dimensions[0] != x.Shape().Dimensions[0] {
		exceptions.Panicf("path: per-sample values of shape %s do not match the batch of x with shape %s (want [B] or a scalar)",
			v.Shape(), x.Shape())
	}
	dims := make([]int, x.Rank())
	for i := range dims {
		dims[i] = 1
	}
	dims[0] = x.Shape().Dimensions[0]
	return Reshape(v, dims...)
}

// InterpolateGraph returns x_t = α_t·x1 + σ_t·x0 with t of shape [B] (or a scalar) broadcast over x0, x1 of
// shape [B, …].
func InterpolateGraph(p Path, t, x0, x1 *Node) *Node {
	checkPair("InterpolateGraph", x0, x1)
	c := p.AtGraph(t)
	return Add(Mul(BroadcastTime(c.Alpha, x1), x1), Mul(BroadcastTime(c.Sigma, x0), x0))
}

// TargetVelocityGraph returns u_t = α̇_t·x1 + σ̇_t·x0 with t of shape [B] (or a scalar) broadcast over x0, x1 of
// shape [B, …].
func TargetVelocityGraph(p Path, t, x0, x1 *Node) *Node {
	checkPair("TargetVelocityGraph", x0, x1)
	c := p.AtGraph(t)
	return Add(Mul(BroadcastTime(c.DAlpha, x1), x1), Mul(BroadcastTime(c.DSigma, x0), x0))
}

func checkPair(what string, x0, x1 *Node) {
	if !x0.Shape().Equal(x1.Shape()) {
		exceptions.Panicf("path: %s: x0 shape %s differs from x1 shape %s", what, x0.Shape(), x1.Shape())
	}
}
