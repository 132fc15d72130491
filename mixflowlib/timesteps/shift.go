package timesteps

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// DefaultShiftBase is RAE's time_dist_shift_base: the latent size (number of values) at which the shift is 1.
const DefaultShiftBase = 4096

// ShiftTime applies the resolution/SD3 time shift with factor s > 0 to a time in our convention (0 noise,
// 1 data):
//
//	t' = t / (t + s·(1 − t)).
//
// It is RAE's shift t_R' = s·t_R / (1 + (s − 1)·t_R) written for t = 1 − t_R (RAE's t_R = 1 is noise), and
// SD3's σ' = s·σ / (1 + (s − 1)·σ) with σ = 1 − t. For s > 1 it moves every time toward noise (t' ≤ t);
// s = 1 is the identity, s < 1 moves toward data. It fixes 0 and 1 and is increasing in t.
func ShiftTime(t, s float64) float64 { return t / (t + s*(1-t)) }

// UnshiftTime inverts ShiftTime: t = s·t' / (1 + (s − 1)·t').
func UnshiftTime(shifted, s float64) float64 { return s * shifted / (1 + (s-1)*shifted) }

// ShiftTimeGraph is ShiftTime for a node of times (any shape).
func ShiftTimeGraph(t *graph.Node, s float64) *graph.Node {
	if s == 1 {
		return t
	}
	return graph.Div(t, graph.AddScalar(graph.MulScalar(t, 1-s), s)) // t + s(1 − t) = s + (1 − s)·t
}

// ResolutionShift returns RAE's shift for a latent of latentDim values (e.g. 768·16·16 for DINOv2-B tokens at
// 256 px): s = √(latentDim / base), with base = DefaultShiftBase (4096) when base is 0. RAE at 256 px gets
// √48 ≈ 6.93 and at 512 px √192 ≈ 13.86. Latents smaller than base give s < 1; RAE asserts s ≥ 1, so clamp
// with max(1, s) for parity.
func ResolutionShift(latentDim, base int) (float64, error) {
	if base == 0 {
		base = DefaultShiftBase
	}
	if latentDim <= 0 || base < 0 {
		return 0, fmt.Errorf("timesteps: resolution shift needs latentDim > 0 and base ≥ 0, got latentDim %d, base %d", latentDim, base)
	}
	return math.Sqrt(float64(latentDim) / float64(base)), nil
}

// Shift is the distribution of ShiftTime(T, S) for T ~ Base: the resolution/SD3 time shift composed with any
// Dist. Its density follows by the change of variables t = UnshiftTime(t', S):
//
//	p'(t') = p(t) · S / (1 + (S − 1)·t')².
type Shift struct {
	// S is the shift factor, > 0 (≥ 1 moves mass toward noise).
	S float64
	// Base is the distribution being shifted.
	Base Dist
}

// NewShift returns Shift{s, base}, or an error for s ≤ 0 / NaN / Inf or an invalid base.
func NewShift(s float64, base Dist) (Shift, error) {
	d := Shift{S: s, Base: base}
	return d, d.Validate()
}

// Name implements Dist: "shift(s,base)".
func (d Shift) Name() string {
	base := "<nil>"
	if d.Base != nil {
		base = d.Base.Name()
	}
	return "shift(" + formatFloat(d.S) + "," + base + ")"
}

// Validate implements Dist.
func (d Shift) Validate() error {
	if !finite(d.S) || d.S <= 0 {
		return fmt.Errorf("timesteps: shift factor %v must be finite and > 0", d.S)
	}
	if d.Base == nil {
		return fmt.Errorf("timesteps: shift(%v) has no base distribution", d.S)
	}
	return d.Base.Validate()
}

// Support implements Dist.
func (d Shift) Support() (float64, float64) {
	lo, hi := d.Base.Support()
	return ShiftTime(lo, d.S), ShiftTime(hi, d.S)
}

// Quantile implements Dist.
func (d Shift) Quantile(u float64) float64 { return ShiftTime(d.Base.Quantile(u), d.S) }

// QuantileGraph implements Dist.
func (d Shift) QuantileGraph(u *graph.Node) *graph.Node {
	return ShiftTimeGraph(d.Base.QuantileGraph(u), d.S)
}

// CDF implements Dist.
func (d Shift) CDF(t float64) float64 {
	t = math.Min(1, math.Max(0, t))
	return d.Base.CDF(UnshiftTime(t, d.S))
}

// Density implements Dist.
func (d Shift) Density(t float64) float64 {
	if t < 0 || t > 1 {
		return 0
	}
	den := 1 + (d.S-1)*t
	return d.Base.Density(UnshiftTime(t, d.S)) * d.S / (den * den)
}

// Mean implements Dist (quadrature of the quantile).
func (d Shift) Mean() float64 { return meanByQuadrature(d) }

// Sample implements Dist.
func (d Shift) Sample(rng *rand.Rand, n int) []float64 { return SampleHost(d, rng, n) }

// SampleGraph implements Dist.
func (d Shift) SampleGraph(scope *model.Scope, g *graph.Graph, n int) *graph.Node {
	return SampleInGraph(d, scope, g, n)
}
