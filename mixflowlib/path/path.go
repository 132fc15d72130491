// Package path defines the interpolation paths (probability paths) of flow matching:
// x_t = α_t·x1 + σ_t·x0 between Gaussian noise x0 (t = 0) and data x1 (t = 1), the target velocity
// u_t = α̇_t·x1 + σ̇_t·x0, and conversions between velocity, noise, data and score predictions.
//
// Time convention (the paper's and SiT's): t = 0 is noise, t = 1 is data. RAE and REPA use the flipped
// convention (t = 0 data, t = 1 noise); convert at the boundary with FromFlipped / ToFlipped.
package path

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint
)

// Coeffs holds the path coefficients at one time: x_t = Alpha·x1 + Sigma·x0,
// u_t = DAlpha·x1 + DSigma·x0.
type Coeffs struct {
	Alpha, Sigma, DAlpha, DSigma float64
}

// CoeffsNodes is Coeffs inside a computation graph, each node with the shape of the t it came from.
type CoeffsNodes struct {
	Alpha, Sigma, DAlpha, DSigma *Node
}

// Path is an interpolation path between noise (t = 0) and data (t = 1).
type Path interface {
	// Name is a short identifier, e.g. "linear", "gvp", "vp".
	Name() string
	// At returns the coefficients at time t ∈ [0, 1] on the host, in float64.
	At(t float64) Coeffs
	// AtGraph returns the coefficients for a node of times (any shape, float dtype).
	AtGraph(t *Node) CoeffsNodes
}

// FromFlipped converts a time in RAE's/REPA's convention (0 data, 1 noise) to ours (0 noise, 1 data).
func FromFlipped(tFlipped float64) float64 { return 1 - tFlipped }

// ToFlipped converts a time in our convention (0 noise, 1 data) to RAE's/REPA's (0 data, 1 noise).
func ToFlipped(t float64) float64 { return 1 - t }
