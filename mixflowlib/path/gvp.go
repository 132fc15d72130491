package path

import (
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint
)

// GVP is SiT's generalised variance-preserving path ("GVPCPlan"): α_t = sin(πt/2), σ_t = cos(πt/2),
// so α_t² + σ_t² = 1 at every t. Its target velocity u_t = (π/2)(cos(πt/2)·x1 − sin(πt/2)·x0) depends on t,
// unlike Linear's.
type GVP struct{}

// Name implements Path.
func (GVP) Name() string { return "gvp" }

// At implements Path. σ is computed as sin(π(1 − t)/2), which equals cos(πt/2) but is exactly 0 at t = 1
// and keeps its relative precision near the data end.
func (GVP) At(t float64) Coeffs {
	s, c := math.Sin(math.Pi/2*t), math.Sin(math.Pi/2*(1-t))
	return Coeffs{Alpha: s, Sigma: c, DAlpha: math.Pi / 2 * c, DSigma: -math.Pi / 2 * s}
}

// AtGraph implements Path.
func (GVP) AtGraph(t *Node) CoeffsNodes {
	s, c := Sin(MulScalar(t, math.Pi/2)), Sin(MulScalar(OneMinus(t), math.Pi/2))
	return CoeffsNodes{
		Alpha:  s,
		Sigma:  c,
		DAlpha: MulScalar(c, math.Pi/2),
		DSigma: MulScalar(s, -math.Pi/2),
	}
}
