package sampler

import (
	"cmp"
	"fmt"
	"math"
	"strings"

	"github.com/mixflow/mixflow/internal/textenum"
	"github.com/mixflow/mixflow/mixflowlib/path"
)

// Method is the integration scheme.
type Method int

const (
	// Euler is the explicit Euler ODE step x ← x + h·v(x, t): one velocity evaluation per step, first order.
	Euler Method = iota
	// Heun is Heun's (explicit trapezoidal) ODE step: two evaluations per step, second order, on every
	// step (REPA's sampler skips the second evaluation on its last step; SiT's ODE uses torchdiffeq).
	Heun
	// EulerMaruyama is the Euler–Maruyama step of SiT's SDE dx = [v + w(t)·score] dt + sqrt(2w(t)) dW.
	EulerMaruyama
	// HeunSDE is SiT's stochastic Heun step: noise is added first, then a Heun step on the drift.
	HeunSDE
)

// String returns the method's name as SiT spells it ("euler", "heun", "euler-maruyama", "heun-sde").
func (m Method) String() string {
	switch m {
	case Euler:
		return "euler"
	case Heun:
		return "heun"
	case EulerMaruyama:
		return "euler-maruyama"
	case HeunSDE:
		return "heun-sde"
	default:
		return fmt.Sprintf("Method(%d)", int(m))
	}
}

// ParseMethod is the inverse of Method.String: it returns the method named "euler", "heun",
// "euler-maruyama" or "heun-sde" (case and surrounding spaces ignored; "sde" and "em" also mean
// "euler-maruyama"), or an error naming the unknown name.
func ParseMethod(name string) (Method, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "euler":
		return Euler, nil
	case "heun":
		return Heun, nil
	case "euler-maruyama", "sde", "em":
		return EulerMaruyama, nil
	case "heun-sde":
		return HeunSDE, nil
	}
	return 0, fmt.Errorf("sampler: unknown method %q: want %q, %q, %q or %q", name, Euler, Heun, EulerMaruyama, HeunSDE)
}

// MarshalText encodes the method by name (for JSON configs).
func (m Method) MarshalText() ([]byte, error) {
	if m < Euler || m > HeunSDE {
		return nil, fmt.Errorf("sampler: unknown method %d", int(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText decodes a name written by MarshalText (any name ParseMethod accepts).
func (m *Method) UnmarshalText(text []byte) error { return textenum.Unmarshal(m, text, ParseMethod) }

// Stochastic reports whether the method integrates the SDE (and therefore draws noise).
func (m Method) Stochastic() bool { return m == EulerMaruyama || m == HeunSDE }

// evaluations returns the number of velocity evaluations per step.
func (m Method) evaluations() int {
	if m == Heun || m == HeunSDE {
		return 2
	}
	return 1
}

// LastStep is the final, noise-free step of the SDE samplers (SiT's `last_step`).
type LastStep int

const (
	// LastStepMean takes the drift step x + Δ·f(x, t) without noise (SiT's default "Mean").
	LastStepMean LastStep = iota
	// LastStepEuler takes a plain velocity step x + Δ·v(x, t) (SiT's "Euler").
	LastStepEuler
	// LastStepNone takes no final step: the sample stays at TEnd − LastStepSize, still carrying the
	// noise of that time (SiT's None).
	LastStepNone
)

// String returns SiT's name of the last step.
func (l LastStep) String() string {
	switch l {
	case LastStepMean:
		return "Mean"
	case LastStepEuler:
		return "Euler"
	case LastStepNone:
		return "None"
	default:
		return fmt.Sprintf("LastStep(%d)", int(l))
	}
}

// DefaultLastStepSize is SiT's last_step_size: the SDE is integrated up to TEnd − 0.04 and the rest is
// covered by the noise-free last step.
const DefaultLastStepSize = 0.04

// Guidance configures classifier-free guidance.
//
// Inside the interval the velocity is v = v_u + Scale·(v_c − v_u), computed as v_c + (Scale − 1)(v_c − v_u)
// so that Scale 1 reproduces v_c exactly; outside it the velocity is the conditional v_c. Both branches
// come from one backbone call on the concatenated batch [x; x] with conditioning [cond; NullCond(cond)].
type Guidance struct {
	// Scale is the guidance scale (SiT/REPA's cfg-scale, e.g. 1.5). 0 (the zero value) and 1 both mean
	// no guidance: one backbone call on the batch as given. To sample unconditionally, pass null
	// conditioning instead. Must be ≥ 0.
	Scale float64
	// TMin and TMax bound the times (our convention, 0 noise, 1 data) at which guidance is applied:
	// TMin ≤ t ≤ TMax, t being the time of the velocity evaluation. TMax 0 (the zero value) means 1, so
	// the zero value is the whole [0, 1]. REPA's --guidance-high=0.7 (REPA time, 1 = noise) is
	// TMin = 0.3 here.
	TMin, TMax float64
}

// Enabled reports whether guidance changes the velocity (Scale is neither 0 nor 1).
func (g Guidance) Enabled() bool { return g.Scale != 0 && g.Scale != 1 }

// interval returns the guidance interval with the zero-value default applied.
func (g Guidance) interval() (float64, float64) {
	if g.TMax == 0 {
		return g.TMin, 1
	}
	return g.TMin, g.TMax
}

// scaleAt returns the guidance scale in effect for an evaluation at time t (1 outside the interval).
func (g Guidance) scaleAt(t float64) float64 {
	lo, hi := g.interval()
	if !g.Enabled() || t < lo || t > hi {
		return 1
	}
	return g.Scale
}

// Config configures a Sampler. The zero value of every field except Steps is a usable default.
//
// Step counts differ between the reference codebases: SiT's num_steps counts grid *points*
// (torchdiffeq's t = linspace(t0, t1, num_steps), so num_steps − 1 ODE steps; its SDE takes
// num_steps − 1 Euler–Maruyama steps plus the last step), while REPA's ODE num_steps counts
// *intervals*. Steps here counts intervals: SiT's ODE with num_steps = N is Steps = N − 1, REPA's ODE
// with num-steps = N is Steps = N, and both codebases' 250-step SDE is Steps = 249 (plus the last step).
type Config struct {
	// Method is the integration scheme (default Euler).
	Method Method
	// Steps is the number of integration intervals (≥ 1). ODE methods take Steps steps on
	// [TStart, TEnd]; SDE methods take Steps stochastic steps on [TStart, TEnd − LastStepSize] and then
	// the LastStep. Velocity evaluations: Euler Steps, Heun 2·Steps, EulerMaruyama Steps + 1,
	// HeunSDE 2·Steps + 2 (the last step reuses the two-evaluation graph).
	Steps int
	// TStart and TEnd are the first and last times of the grid, in [0, 1]. Both 0 (the zero value)
	// means [0, 1], noise to data. ODE methods also integrate backwards (TStart > TEnd, e.g. [1, 0] to
	// invert data into noise); SDE methods need TStart < TEnd.
	TStart, TEnd float64
	// Shift warps the uniform grid towards noise as RAE does: each grid time u becomes
	// u / (u + Shift·(1 − u)) (RAE's s·t/(1 + (s−1)t) in its flipped time), so Shift > 1 puts more steps
	// near t = 0. 0 (the zero value) and 1 mean no shift; RAE uses sqrt(latent dim / 4096), e.g. 6.93.
	// The endpoints 0 and 1 are fixed points; other endpoints move with the grid.
	Shift float64
	// Diffusion is the form of the diffusion coefficient w(t) of SDE methods (path.DiffusionForm, SiT's
	// compute_diffusion forms in our time); "" (the zero value) means path.DiffusionSigma, SiT's default.
	Diffusion path.DiffusionForm
	// DiffusionNorm scales w(t) (SiT's diffusion_norm); 0 (the zero value) means 1.
	DiffusionNorm float64
	// LastStep is the SDE methods' final noise-free step (default LastStepMean).
	LastStep LastStep
	// LastStepSize is the length Δ of the SDE's final step; 0 (the zero value) means
	// DefaultLastStepSize = 0.04. With Shift the stochastic grid ends at the shifted TEnd − Δ and the
	// last step covers the rest up to TEnd.
	LastStepSize float64
	// Guidance configures classifier-free guidance (default: none).
	Guidance Guidance
	// Path is the interpolation path the model was trained with (default path.Linear). SDE methods use it
	// to convert velocity to score; ODE methods do not need it, but slowflow measurements take it as
	// their default path.
	Path path.Path
	// Seed seeds the SDE noise: the same seed, inputs and config give the same samples.
	Seed uint64
	// EpsilonScaling applies Ning et al.'s Epsilon Scaling (default: off).
	EpsilonScaling EpsilonScaling
	// TimeShift applies Li et al.'s Time-Shift Sampler (default: off).
	TimeShift TimeShift
}

// EpsilonScaling is Epsilon Scaling (Ning et al., ICLR 2024), a training-free exposure-bias baseline,
// in flow-matching form: the predicted noise ε̂ = x_t − t·v̂ is divided by λ_t while x_t is kept, so
//
//	v̂' = v̂/λ_t + (1 − 1/λ_t)·x_t/t,   λ_t = K·t + B,
//
// applied at every velocity evaluation with t ≥ TMin (the form is singular at t = 0). The zero value
// (K = B = 0) is off; λ = 1 (K = 0, B = 1) is the identity. The released default is constant (K = 0),
// with B ≈ 1.001–1.02 found by grid search per step count (larger for fewer steps).
type EpsilonScaling struct {
	// K and B define λ_t = K·t + B; λ_t must be > 0 on [TMin, 1].
	K, B float64
	// TMin is the earliest time scaled, in [0, 1]; 0 (the zero value) means DefaultEpsilonScalingTMin.
	TMin float64
}

// DefaultEpsilonScalingTMin is the earliest time Epsilon Scaling applies to when TMin is 0.
const DefaultEpsilonScalingTMin = 0.01

// Enabled reports whether e changes the velocity (K or B is non-zero).
func (e EpsilonScaling) Enabled() bool { return e.K != 0 || e.B != 0 }

func (e EpsilonScaling) tMin() float64 {
	if e.TMin == 0 {
		return DefaultEpsilonScalingTMin
	}
	return e.TMin
}

// Lambda returns λ_t = K·t + B.
func (e EpsilonScaling) Lambda(t float64) float64 { return e.K*t + e.B }

// Validate checks that TMin is in [0, 1] and λ_t > 0 (and finite) on [TMin, 1].
func (e EpsilonScaling) Validate() error {
	if !e.Enabled() {
		return nil
	}
	if !(e.TMin >= 0 && e.TMin <= 1) {
		return fmt.Errorf("sampler: epsilon scaling TMin %v outside [0, 1]", e.TMin)
	}
	for _, t := range []float64{e.tMin(), 1} {
		if l := e.Lambda(t); !(l > 0) || math.IsInf(l, 0) {
			return fmt.Errorf("sampler: epsilon scaling lambda %v (at t = %v) must be > 0", l, t)
		}
	}
	return nil
}

// coeffs returns (a, c) with v' = a·v + c·x at time t: (1, 0) where the scaling does not apply.
func (e EpsilonScaling) coeffs(t float64) (float64, float64) {
	if !e.Enabled() || t < e.tMin() || t <= 0 {
		return 1, 0
	}
	inv := 1 / e.Lambda(t)
	return inv, (1 - inv) / t
}

// withDefaults returns c with the zero-value defaults filled in.
func (c Config) withDefaults() Config {
	if c.TStart == 0 && c.TEnd == 0 {
		c.TEnd = 1
	}
	c.Shift = cmp.Or(c.Shift, 1)
	c.DiffusionNorm = cmp.Or(c.DiffusionNorm, 1)
	c.Diffusion = cmp.Or(c.Diffusion, path.DiffusionSigma)
	c.LastStepSize = cmp.Or(c.LastStepSize, DefaultLastStepSize)
	c.Path = path.OrLinear(c.Path)
	return c
}

// Validate checks the configuration and returns an error naming the first bad field.
// It cannot check guidance against a backbone; New does that.
func (c Config) Validate() error {
	c = c.withDefaults()
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch c.Method {
	case Euler, Heun, EulerMaruyama, HeunSDE:
	default:
		return fmt.Errorf("sampler: unknown method %d (use Euler, Heun, EulerMaruyama or HeunSDE)", int(c.Method))
	}
	if c.Steps < 1 {
		return fmt.Errorf("sampler: Steps %d < 1: need at least one integration interval", c.Steps)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"TStart", c.TStart}, {"TEnd", c.TEnd}} {
		if !(f.v >= 0 && f.v <= 1) {
			return fmt.Errorf("sampler: %s %v outside [0, 1]", f.name, f.v)
		}
	}
	if c.TStart == c.TEnd {
		return fmt.Errorf("sampler: TStart = TEnd = %v: the grid is empty", c.TStart)
	}
	if !finite(c.Shift) || c.Shift < 1 {
		// A shift < 1 would move steps towards t = 1; objective.Spec rejects it too.
		return fmt.Errorf("sampler: Shift %v: want 0 or 1 (no shift) or a finite value ≥ 1", c.Shift)
	}
	g := c.Guidance
	if !finite(g.Scale) || g.Scale < 0 {
		return fmt.Errorf("sampler: guidance Scale %v must be ≥ 0 (0 or 1 = no guidance)", g.Scale)
	}
	if lo, hi := g.interval(); !(lo >= 0 && hi <= 1 && lo <= hi) {
		return fmt.Errorf("sampler: guidance interval [TMin, TMax] = [%v, %v] must satisfy 0 ≤ TMin ≤ TMax ≤ 1", g.TMin, g.TMax)
	}
	if err := c.EpsilonScaling.Validate(); err != nil {
		return err
	}
	if err := c.TimeShift.Validate(); err != nil {
		return err
	}
	if c.Method.Stochastic() {
		if c.TStart > c.TEnd {
			return fmt.Errorf("sampler: %s integrates forward only, got TStart %v > TEnd %v", c.Method, c.TStart, c.TEnd)
		}
		if _, err := path.ParseDiffusionForm(string(c.Diffusion)); err != nil {
			return fmt.Errorf("sampler: Diffusion: %w", err)
		}
		if !finite(c.DiffusionNorm) || c.DiffusionNorm < 0 {
			return fmt.Errorf("sampler: DiffusionNorm %v must be ≥ 0", c.DiffusionNorm)
		}
		switch c.LastStep {
		case LastStepMean, LastStepEuler, LastStepNone:
		default:
			return fmt.Errorf("sampler: unknown last step %d", int(c.LastStep))
		}
		if !(c.LastStepSize > 0 && c.LastStepSize < c.TEnd-c.TStart) {
			return fmt.Errorf("sampler: LastStepSize %v must be in (0, TEnd − TStart = %v)", c.LastStepSize, c.TEnd-c.TStart)
		}
	}
	if _, err := c.plan(); err != nil {
		return err
	}
	return nil
}

// Grid returns the times of the states a sampler with this config visits: the start time, the time
// after each stochastic/ODE step, and (SDE with a last step) TEnd. Trajectory and Walk report states at
// exactly these times.
func (c Config) Grid() ([]float64, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	steps, err := c.plan()
	if err != nil {
		return nil, err
	}
	grid := make([]float64, 0, len(steps)+1)
	grid = append(grid, steps[0].tCur)
	for _, s := range steps {
		grid = append(grid, s.tNext)
	}
	return grid, nil
}

// shift applies the time shift u ↦ u / (u + s(1 − u)).
func shift(u, s float64) float64 {
	if s == 1 {
		return u
	}
	return u / (u + s*(1-u))
}

// mainGrid returns Steps + 1 (shifted) times from TStart to the end of the ODE/SDE integration.
func (c Config) mainGrid() []float64 {
	end := c.TEnd
	if c.Method.Stochastic() {
		end = c.TEnd - c.LastStepSize
	}
	grid := make([]float64, c.Steps+1)
	for i := range grid {
		u := c.TStart + (end-c.TStart)*float64(i)/float64(c.Steps)
		if i == c.Steps {
			u = end // exact endpoint, no rounding
		}
		grid[i] = shift(u, c.Shift)
	}
	return grid
}

// Indices of the per-step scalars passed to the compiled step as one float32 vector.
const (
	pTCur       = iota // time of the first evaluation
	pTNext             // time of the second evaluation (Heun) / end of the step
	pDT                // step size, tNext − tCur (negative when integrating backwards)
	pACur              // drift f = a·x + b·v at tCur (SDE); a = 0, b = 1 is the plain velocity
	pBCur              //
	pANext             // drift coefficients at tNext
	pBNext             //
	pGCur              // guidance scale at tCur (1 = conditional velocity)
	pGNext             // guidance scale at tNext
	pNoiseStd          // standard deviation of the step's noise, sqrt(2·w(tCur)·dt); 0 for none
	pHeunWeight        // 1 = Heun average of the two slopes, 0 = Euler with the first slope only
	pEsACur            // Epsilon Scaling v' = a·v + c·x at tCur (1, 0 when off)
	pEsCCur            //
	pEsANext           // Epsilon Scaling coefficients at tNext
	pEsCNext           //
	pTsLoCur           // Time-Shift window [lo, hi] of the evaluation at tCur ([tCur, tCur] when off)
	pTsHiCur           //
	pTsLoNext          // Time-Shift window at tNext
	pTsHiNext          //
	numParams
)

// stepPlan is one call of the compiled step: its times and the scalars it receives.
type stepPlan struct {
	tCur, tNext float64
	params      [numParams]float32
	noise       bool // whether the step adds noise (a fresh draw is passed)
}

// plan returns the steps of the sampler, with every scalar precomputed on the host in float64, and an
// error where a drift or noise coefficient is not finite (e.g. the SBDM diffusion at t = 0).
func (c Config) plan() ([]stepPlan, error) {
	c = c.withDefaults()
	grid := c.mainGrid()
	sde := path.SDE{Path: c.Path, Form: c.Diffusion, Norm: c.DiffusionNorm}
	stochastic := c.Method.Stochastic()
	steps := make([]stepPlan, 0, len(grid))
	add := func(tCur, tNext float64, noise, drift, heun bool) error {
		p := [numParams]float64{
			pTCur: tCur, pTNext: tNext, pDT: tNext - tCur,
			pACur: 0, pBCur: 1, pANext: 0, pBNext: 1,
			pGCur: c.Guidance.scaleAt(tCur), pGNext: c.Guidance.scaleAt(tNext),
			pHeunWeight: 0,
		}
		p[pEsACur], p[pEsCCur] = c.EpsilonScaling.coeffs(tCur)
		p[pEsANext], p[pEsCNext] = c.EpsilonScaling.coeffs(tNext)
		p[pTsLoCur], p[pTsHiCur] = c.TimeShift.window(tCur)
		p[pTsLoNext], p[pTsHiNext] = c.TimeShift.window(tNext)
		if heun {
			p[pHeunWeight] = 1
		}
		if drift {
			p[pACur], p[pBCur] = sde.DriftCoeffs(tCur)
			if heun {
				p[pANext], p[pBNext] = sde.DriftCoeffs(tNext)
			}
		}
		if noise {
			p[pNoiseStd] = sde.NoiseStd(tCur, tNext-tCur)
		}
		var s stepPlan
		s.tCur, s.tNext, s.noise = tCur, tNext, noise
		for i, v := range p {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("sampler: the %s SDE coefficients are not finite on the %s path at t = %v (step %v → %v): "+
					"start later (TStart > 0) or use another diffusion form", c.Diffusion, c.Path.Name(), tCur, tCur, tNext)
			}
			s.params[i] = float32(v)
		}
		steps = append(steps, s)
		return nil
	}
	heun := c.Method == Heun || c.Method == HeunSDE
	for i := range c.Steps {
		if err := add(grid[i], grid[i+1], stochastic, stochastic, heun); err != nil {
			return nil, err
		}
	}
	if stochastic && c.LastStep != LastStepNone {
		// The final step is noise-free: "Mean" follows the drift, "Euler" the velocity.
		if err := add(grid[c.Steps], c.TEnd, false, c.LastStep == LastStepMean, false); err != nil {
			return nil, err
		}
	}
	return steps, nil
}
