package path

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint
)

// Linear is the linear (rectified-flow / SiT "ICPlan") path: x_t = t·x1 + (1−t)·x0, u_t = x1 − x0.
type Linear struct{}

// OrLinear returns p, or Linear when p is nil: the path of every configuration whose Path field is left
// zero.
func OrLinear(p Path) Path {
	if p == nil {
		return Linear{}
	}
	return p
}

// Name implements Path.
func (Linear) Name() string { return "linear" }

// At implements Path: α = t, σ = 1 − t, α̇ = 1, σ̇ = −1.
func (Linear) At(t float64) Coeffs { return Coeffs{Alpha: t, Sigma: 1 - t, DAlpha: 1, DSigma: -1} }

// AtGraph implements Path.
func (Linear) AtGraph(t *Node) CoeffsNodes {
	return CoeffsNodes{
		Alpha:  t,
		Sigma:  OneMinus(t),
		DAlpha: OnesLike(t),
		DSigma: Neg(OnesLike(t)),
	}
}
