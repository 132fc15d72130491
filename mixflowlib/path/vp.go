package path

import (
	"fmt"
	"math"
	"strconv"

	. "github.com/gomlx/gomlx/core/graph" //nolint
)

// Default β-schedule endpoints of the VP path, SiT's VPCPlan(sigma_min=0.1, sigma_max=20).
const (
	DefaultVPSigmaMin = 0.1
	DefaultVPSigmaMax = 20.0
)

// VP is SiT's variance-preserving path ("VPCPlan"), the DDPM/score-SDE VP schedule written in our time
// (t = 0 noise, t = 1 data). With s = 1 − t and the linear noise rate β(t) = SigmaMin + s·(SigmaMax − SigmaMin),
//
//	L(t)  = −¼·s²·(SigmaMax − SigmaMin) − ½·s·SigmaMin   (log of the data coefficient)
//	α_t   = exp(L(t)),            α̇_t = α_t·L'(t),   L'(t) = ½·β(t)
//	σ_t   = √(1 − exp(2L(t))),    σ̇_t = −α_t²·L'(t)/σ_t
//
// SiT names the two schedule endpoints sigma_min and sigma_max; they are the endpoints of β, not noise levels.
// The zero value means the defaults (0.1, 20). At t = 0 the data coefficient is α_0 = exp(−5.025) ≈ 0.0066
// (not exactly pure noise); at t = 1, σ_1 = 0 and σ̇_1 = −∞, so velocity-based quantities are singular at t = 1:
// SiT trains VP on t ≤ 1 − 1e-5 and samples on t ≤ 1 − 1e-3.
type VP struct {
	// SigmaMin is β at t = 1 (data end); 0 means DefaultVPSigmaMin.
	SigmaMin float64
	// SigmaMax is β at t = 0 (noise end); 0 means DefaultVPSigmaMax.
	SigmaMax float64
}

// NewVP returns a VP path with the given β endpoints, or an error if they are not finite with
// 0 < sigmaMin ≤ sigmaMax.
func NewVP(sigmaMin, sigmaMax float64) (VP, error) {
	p := VP{SigmaMin: sigmaMin, SigmaMax: sigmaMax}
	return p, p.Validate()
}

// Validate checks the schedule: both endpoints finite, 0 < SigmaMin ≤ SigmaMax (zeros mean the defaults).
func (p VP) Validate() error {
	lo, hi := p.params()
	switch {
	case math.IsNaN(lo) || math.IsInf(lo, 0) || lo <= 0:
		return fmt.Errorf("path: vp SigmaMin %v must be finite and > 0", p.SigmaMin)
	case math.IsNaN(hi) || math.IsInf(hi, 0) || hi < lo:
		return fmt.Errorf("path: vp SigmaMax %v must be finite and ≥ SigmaMin %v", p.SigmaMax, lo)
	}
	return nil
}

func (p VP) params() (lo, hi float64) {
	lo, hi = p.SigmaMin, p.SigmaMax
	if lo == 0 {
		lo = DefaultVPSigmaMin
	}
	if hi == 0 {
		hi = DefaultVPSigmaMax
	}
	return lo, hi
}

// Name implements Path: "vp" with the default schedule, "vp(min,max)" otherwise (ByName parses both).
func (p VP) Name() string {
	lo, hi := p.params()
	if lo == DefaultVPSigmaMin && hi == DefaultVPSigmaMax {
		return "vp"
	}
	return "vp(" + strconv.FormatFloat(lo, 'g', -1, 64) + "," + strconv.FormatFloat(hi, 'g', -1, 64) + ")"
}

// At implements Path.
func (p VP) At(t float64) Coeffs {
	lo, hi := p.params()
	s := 1 - t
	logAlpha := -0.25*s*s*(hi-lo) - 0.5*s*lo
	dLog := 0.5*s*(hi-lo) + 0.5*lo
	alpha := math.Exp(logAlpha)
	sigma := math.Sqrt(-math.Expm1(2 * logAlpha)) // 1 − α², accurate near t = 1
	return Coeffs{
		Alpha:  alpha,
		Sigma:  sigma,
		DAlpha: alpha * dLog,
		DSigma: -alpha * alpha * dLog / sigma,
	}
}

// AtGraph implements Path.
func (p VP) AtGraph(t *Node) CoeffsNodes {
	lo, hi := p.params()
	s := OneMinus(t)
	logAlpha := Sub(MulScalar(Square(s), -0.25*(hi-lo)), MulScalar(s, 0.5*lo))
	dLog := AddScalar(MulScalar(s, 0.5*(hi-lo)), 0.5*lo)
	alpha := Exp(logAlpha)
	sigma := Sqrt(Neg(Expm1(MulScalar(logAlpha, 2))))
	return CoeffsNodes{
		Alpha:  alpha,
		Sigma:  sigma,
		DAlpha: Mul(alpha, dLog),
		DSigma: Div(Neg(Mul(Square(alpha), dLog)), sigma),
	}
}
