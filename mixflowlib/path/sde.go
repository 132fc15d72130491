package path

import (
	"fmt"
	"math"
	"strings"

	. "github.com/gomlx/gomlx/core/graph" //nolint
)

// DiffusionForm selects the diffusion coefficient w(t) of SiT's sampling SDE (transport/path.py
// compute_diffusion), written in our time (t = 0 noise, t = 1 data):
//
//	constant:              w = norm
//	SBDM:                  w = norm·((α̇/α)·σ² − σ·σ̇)   (the score-based diffusion model's own SDE; Linear: (1 − t)/t)
//	sigma:                 w = norm·σ_t                  (SiT's sampling default)
//	linear:                w = norm·(1 − t)
//	decreasing:            w = ¼·(norm·cos(πt) + 1)²     (norm is inside the square, as in SiT)
//	increasing-decreasing: w = norm·sin²(πt)
type DiffusionForm string

// The diffusion forms of SiT.
const (
	DiffusionConstant             DiffusionForm = "constant"
	DiffusionSBDM                 DiffusionForm = "SBDM"
	DiffusionSigma                DiffusionForm = "sigma"
	DiffusionLinear               DiffusionForm = "linear"
	DiffusionDecreasing           DiffusionForm = "decreasing"
	DiffusionIncreasingDecreasing DiffusionForm = "increasing-decreasing"
)

// DiffusionForms lists every DiffusionForm, in SiT's order.
var DiffusionForms = []DiffusionForm{DiffusionConstant, DiffusionSBDM, DiffusionSigma, DiffusionLinear,
	DiffusionDecreasing, DiffusionIncreasingDecreasing}

// ParseDiffusionForm parses a diffusion form name, case-insensitively. SiT's misspelling
// "inccreasing-decreasing" is accepted too.
func ParseDiffusionForm(s string) (DiffusionForm, error) {
	key := strings.ToLower(strings.TrimSpace(s))
	if key == "inccreasing-decreasing" {
		return DiffusionIncreasingDecreasing, nil
	}
	for _, f := range DiffusionForms {
		if strings.ToLower(string(f)) == key {
			return f, nil
		}
	}
	return "", fmt.Errorf("path: unknown diffusion form %q: use one of %v", s, DiffusionForms)
}

// SDE is SiT's family of sampling SDEs for a trained velocity model v(x, t), integrated from t = 0 (noise) to
// t = 1 (data):
//
//	dx = f(x, t)·dt + √(2·w(t))·dW,   f(x, t) = v(x, t) + w(t)·∇ log p_t(x),
//
// with the score obtained from the velocity (ConvertCoeffs). For every w ≥ 0 it has the marginals p_t of the
// probability-flow ODE dx = v·dt (w = 0). One Euler–Maruyama step from t to t + Δt is
//
//	x ← x + f(x, t)·Δt + √(2·w(t)·Δt)·ξ,   ξ ~ N(0, I)
//
// (see EulerMaruyamaGraph). Like SiT, stop the stochastic steps before t = 1 — the score is singular at σ = 0 —
// and finish with a deterministic last step (SiT: 0.04 with the drift, "Mean"). Of the forms, only "sigma" and
// "SBDM" have a drift that stays finite at t = 1 on the Linear and GVP paths; SBDM is infinite at t = 0
// (start at t = ε, SiT uses 1e-3).
type SDE struct {
	// Path is the interpolation path the model was trained with; nil means Linear.
	Path Path
	// Form is the diffusion form; "" means DiffusionSigma.
	Form DiffusionForm
	// Norm scales the diffusion (SiT's diffusion_norm, default 1); 0 gives w = 0 except for "decreasing".
	Norm float64
}

// NewSDE returns a validated SDE. SiT's defaults are NewSDE(Linear{}, DiffusionSigma, 1).
func NewSDE(p Path, form DiffusionForm, norm float64) (SDE, error) {
	s := SDE{Path: p, Form: form, Norm: norm}
	return s, s.Validate()
}

// Validate checks the form and that Norm is finite and ≥ 0.
func (s SDE) Validate() error {
	if s.Form != "" {
		if _, err := ParseDiffusionForm(string(s.Form)); err != nil {
			return err
		}
	}
	if math.IsNaN(s.Norm) || math.IsInf(s.Norm, 0) || s.Norm < 0 {
		return fmt.Errorf("path: SDE diffusion norm %v must be finite and ≥ 0", s.Norm)
	}
	if v, ok := s.path().(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

func (s SDE) path() Path {
	if s.Path == nil {
		return Linear{}
	}
	return s.Path
}

func (s SDE) form() DiffusionForm {
	if s.Form == "" {
		return DiffusionSigma
	}
	f, err := ParseDiffusionForm(string(s.Form))
	if err != nil {
		panic(err) // only reached when Validate was skipped
	}
	return f
}

// Diffusion returns w(t) on the host.
func (s SDE) Diffusion(t float64) float64 {
	w, _ := diffusionTerms[float64](hostOps{}, s.form(), s.Norm, t, coeffsOf(s.path().At(t)))
	return w
}

// DiffusionGraph returns w(t) for t of shape [B] or a scalar.
func (s SDE) DiffusionGraph(t *Node) *Node {
	c := s.path().AtGraph(t)
	w, _ := diffusionTerms[*Node](graphOps{g: t.Graph(), like: c.Alpha}, s.form(), s.Norm, t, coeffs[*Node]{c.Alpha, c.Sigma, c.DAlpha, c.DSigma})
	return w
}

// DriftCoeffs returns (a, b) with f(x, t) = a·x + b·v, the drift of the SDE for a velocity prediction v at x.
func (s SDE) DriftCoeffs(t float64) (a, b float64) {
	return driftCoeffs[float64](hostOps{}, s.form(), s.Norm, t, coeffsOf(s.path().At(t)))
}

// DriftGraph returns f(x, t) = v + w(t)·score(x, t) for velocity predictions v at inputs x (shape [B, …]) and
// t of shape [B] or a scalar.
func (s SDE) DriftGraph(t, x, v *Node) *Node {
	checkPair("SDE.DriftGraph", x, v)
	c := s.path().AtGraph(t)
	a, b := driftCoeffs[*Node](graphOps{g: t.Graph(), like: c.Alpha}, s.form(), s.Norm, t, coeffs[*Node]{c.Alpha, c.Sigma, c.DAlpha, c.DSigma})
	return Add(Mul(BroadcastTime(a, x), x), Mul(BroadcastTime(b, v), v))
}

// NoiseStd returns √(2·w(t)·Δt), the standard deviation of the noise of one Euler–Maruyama step of size Δt ≥ 0.
func (s SDE) NoiseStd(t, dt float64) float64 { return math.Sqrt(2 * s.Diffusion(t) * dt) }

// EulerMaruyamaGraph returns one Euler–Maruyama step x + f(x, t)·Δt + √(2·w(t)·Δt)·ξ for velocity predictions v
// at x. t and dt are [B] or scalars; xi is standard normal noise shaped like x (pass nil for the deterministic
// "Mean" step x + f·Δt that SiT uses last).
func (s SDE) EulerMaruyamaGraph(t, dt, x, v, xi *Node) *Node {
	next := Add(x, Mul(s.DriftGraph(t, x, v), BroadcastTime(dt, x)))
	if xi == nil {
		return next
	}
	checkPair("SDE.EulerMaruyamaGraph", x, xi)
	std := Sqrt(MulScalar(Mul(s.DiffusionGraph(t), dt), 2))
	return Add(next, Mul(BroadcastTime(std, x), xi))
}

// diffusionTerms returns w(t) and w(t)/σ_t. The ratio is computed in closed form where σ cancels, so that the
// sigma and SBDM drifts stay finite at σ = 0.
func diffusionTerms[T any](o arith[T], form DiffusionForm, norm float64, t T, c coeffs[T]) (w, wOverSigma T) {
	n := o.num(norm)
	switch form {
	case DiffusionConstant:
		w = n
	case DiffusionSBDM:
		// norm·((α̇/α)·σ² − σ·σ̇) = σ · norm·((α̇/α)·σ − σ̇)
		r := o.mul(n, o.sub(o.mul(o.div(c.dAlpha, c.alpha), c.sigma), c.dSigma))
		return o.mul(r, c.sigma), r
	case DiffusionSigma:
		return o.mul(n, c.sigma), n
	case DiffusionLinear:
		w = o.mul(n, o.sub(o.num(1), t))
	case DiffusionDecreasing:
		_, cos := o.sinCosPi(t)
		h := o.add(o.mul(n, cos), o.num(1))
		w = o.mul(o.num(0.25), o.mul(h, h))
	case DiffusionIncreasingDecreasing:
		sin, _ := o.sinCosPi(t)
		w = o.mul(n, o.mul(sin, sin))
	default:
		panic(fmt.Errorf("path: unknown diffusion form %q", form))
	}
	return w, o.div(w, c.sigma)
}

// driftCoeffs: w·score = (w/σ)·(σ·score) = −(w/σ)·x̂0 with x̂0 = an·x + bn·v.
func driftCoeffs[T any](o arith[T], form DiffusionForm, norm float64, t T, c coeffs[T]) (a, b T) {
	_, ws := diffusionTerms(o, form, norm, t, c)
	an, bn := convertCoeffs(o, c, Velocity, Noise)
	a = o.sub(o.num(0), o.mul(ws, an))
	b = o.sub(o.num(1), o.mul(ws, bn))
	return a, b
}
