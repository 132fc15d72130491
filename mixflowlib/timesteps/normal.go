package timesteps

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// uClip bounds the uniforms given to the normal quantile: u ∈ [uClip, 1 − uClip] keeps |z| ≤ 7.03, beyond
// every float32 uniform GoMLX draws other than exactly 0.
const uClip = 1e-12

// normalQuantile returns Φ⁻¹(u), the standard normal quantile, to double precision, with u clipped to
// [uClip, 1 − uClip].
func normalQuantile(u float64) float64 {
	u = math.Min(math.Max(u, uClip), 1-uClip)
	if u > 0.5 {
		return -lowerNormalQuantile(1 - u)
	}
	return lowerNormalQuantile(u)
}

// lowerNormalQuantile returns Φ⁻¹(p) for 0 < p ≤ ½.
func lowerNormalQuantile(p float64) float64 {
	// Go's Erfcinv(x) is Erfinv(1 − x), which loses relative precision for small x; one Halley step on
	// Φ(z) = ½·erfc(−z/√2), accurate in the tail, restores it.
	z := -math.Sqrt2 * math.Erfcinv(2*p)
	return halley(z, p, normalCDF(z))
}

// halley returns one Halley step for Φ(z) = u from z, given cdf = Φ(z).
func halley(z, u, cdf float64) float64 {
	r := (cdf - u) * math.Sqrt(2*math.Pi) * math.Exp(z*z/2)
	return z - r/(1+z*r/2)
}

// Coefficients of P. J. Acklam's rational approximation of the normal quantile (relative error below
// 1.15e-9 on (0, 1)): a central rational function in (u − ½)² and a tail one in √(−2·log u).
var (
	acklamA = [6]float64{-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
		1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00}
	acklamB = [5]float64{-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
		6.680131188771972e+01, -1.328068155288572e+01}
	acklamC = [6]float64{-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
		-2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00}
	acklamD = [4]float64{7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
		3.754408661907416e+00}
)

// acklamTail is where the tail approximation takes over.
const acklamTail = 0.02425

// horner evaluates c[0]·x^(n−1) + … + c[n−1] in the graph.
func horner(x *graph.Node, c []float64) *graph.Node {
	acc := graph.AddScalar(graph.MulScalar(x, c[0]), c[1])
	for _, ci := range c[2:] {
		acc = graph.AddScalar(graph.Mul(acc, x), ci)
	}
	return acc
}

// normalQuantileGraph returns Φ⁻¹(u) for a node of uniforms (any float dtype; the result has the same dtype),
// computed in float64 with Acklam's approximation: within 1.2e-9 (relative) of normalQuantile on
// [uClip, 1 − uClip]. It uses only arithmetic, Log and Sqrt, which every backend computes to full precision
// (GoMLX has no ErfInv, and the pure-Go backend's Erf is a 1.5e-7 approximation, too coarse to refine with).
func normalQuantileGraph(u *graph.Node) *graph.Node {
	dtype := u.DType()
	u = graph.ClipScalar(graph.ConvertDType(u, dtypes.Float64), uClip, 1-uClip)
	g := u.Graph()
	upper := graph.GreaterThan(u, graph.Scalar(g, dtypes.Float64, 0.5))
	p := graph.Where(upper, graph.OneMinus(u), u) // p ≤ ½, lower tail

	// Central region: z = q·A(r)/B(r), q = u − ½, r = q².
	q := graph.AddScalar(u, -0.5)
	r := graph.Square(q)
	central := graph.Div(graph.Mul(horner(r, acklamA[:]), q), graph.OnePlus(graph.Mul(horner(r, acklamB[:]), r)))

	// Lower tail: z = C(s)/D(s), s = √(−2·log p); mirrored for the upper tail.
	s := graph.Sqrt(graph.MulScalar(graph.Log(p), -2))
	tail := graph.Div(horner(s, acklamC[:]), graph.OnePlus(graph.Mul(horner(s, acklamD[:]), s)))
	tail = graph.Where(upper, graph.Neg(tail), tail)

	z := graph.Where(graph.LessThan(p, graph.Scalar(g, dtypes.Float64, acklamTail)), tail, central)
	return graph.ConvertDType(z, dtype)
}

// normalCDF returns Φ(z).
func normalCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }
