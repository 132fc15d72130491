package objective

import (
	"fmt"
	"math"
	"strings"

	"github.com/mixflow/mixflow/mixflowlib/path"
	"github.com/mixflow/mixflow/mixflowlib/timesteps"
)

// Kinds of Spec.Kind.
const (
	// KindFM is standard flow matching: x_t = α_t·x1 + σ_t·x0 with t ~ Times (default U[0, 1]).
	KindFM = "fm"
	// KindMixFlow is MixFlow: conditioned on t ~ Times (default Beta(2,1)), input at m ~ U[(1−γ)t, t].
	KindMixFlow = "mixflow"
	// KindInputPerturbation is Input Perturbation (Ning et al. 2023, InputPerturbation): flow matching
	// on the linear path with t ~ Times (default U[0, 1]) and input t·x1 + (1 − t)(x0 + γ_ip·ξ).
	KindInputPerturbation = "input-perturbation"
)

// ControlLabel is the label of the γ = 0 MixFlow control (MixFlow's Beta(2,1) times, no slowing): it
// separates the effect of MixFlow's time distribution from that of slowing.
const ControlLabel = "MixFlow γ=0 control"

// Spec describes a training loss as plain data (its JSON form is what experiment caches hash): standard
// flow matching, MixFlow or Input Perturbation with their settings and label dropout. Validate checks every field once,
// here; Build turns the spec into a FlowMatching, a MixFlow or an InputPerturbation. Experiments, CLIs and notebooks fill a
// Spec and pass it down unchanged.
type Spec struct {
	// Kind is KindFM ("fm"), KindMixFlow ("mixflow") or KindInputPerturbation ("input-perturbation").
	Kind string `json:"kind"`
	// Path is the interpolation path, a path.ByName name ("" means "linear").
	Path string `json:"path,omitempty"`
	// Times is the distribution of the conditioning time t, a timesteps.ByName spec, e.g. "uniform",
	// "logit-normal(0,1)", "beta21" ("" means "uniform" for fm and input-perturbation, "beta21" for
	// mixflow).
	Times string `json:"times,omitempty"`
	// Gamma is MixFlow's slowing range γ ∈ [0, 1]: m ~ U[(1−γ)t, t] (must be 0 for fm).
	Gamma float64 `json:"gamma"`
	// Mixture is "relative" (m ~ U[(1−γ)t, t], the default) or "absolute" (m ~ U[0, 1], the paper's
	// ablation); mixflow only.
	Mixture string `json:"mixture,omitempty"`
	// Target is "m" (the velocity at the slowed time, the paper's formula, default) or "t"; mixflow only.
	Target string `json:"target,omitempty"`
	// Shift is the time shift s ≥ 1 applied to t before slowing (0: none); mixflow only.
	Shift float64 `json:"shift,omitempty"`
	// LabelDropout is the probability in [0, 1] of training a sample unconditionally (null label or
	// caption), which classifier-free guidance needs (SiT: 0.1). Unconditional networks ignore it.
	LabelDropout float64 `json:"label_dropout,omitempty"`
	// IPGamma is Input Perturbation's γ_ip > 0 (input-perturbation only; 0 means
	// DefaultInputPerturbationGamma, spelled out by Canonical).
	IPGamma float64 `json:"ip_gamma,omitempty"`
	// IPDecaySteps is the number of training steps over which γ_ip decays linearly to 0 (0: no decay);
	// input-perturbation only.
	IPDecaySteps int `json:"ip_decay_steps,omitempty"`
}

// InputPerturbationSpec returns Input Perturbation with γ_ip = gamma (0 means
// DefaultInputPerturbationGamma), t ~ U[0, 1], no decay and the given label dropout.
func InputPerturbationSpec(gamma, labelDropout float64) Spec {
	return Spec{Kind: KindInputPerturbation, IPGamma: gamma, LabelDropout: labelDropout}
}

// FMSpec returns standard flow matching with t ~ times ("" means U[0, 1]) and the given label dropout.
func FMSpec(times string, labelDropout float64) Spec {
	return Spec{Kind: KindFM, Times: times, LabelDropout: labelDropout}
}

// MixFlowSpec returns MixFlow with the paper's defaults (t ~ Beta(2,1), m ~ U[(1−γ)t, t], linear path,
// target at m), the given γ and label dropout.
func MixFlowSpec(gamma, labelDropout float64) Spec {
	return Spec{Kind: KindMixFlow, Gamma: gamma, LabelDropout: labelDropout}
}

// Canonical returns s with every default spelled out and names normalised, so that equivalent specs
// hash alike, and an error naming the first invalid field ("objective: gamma 1.3 outside [0, 1]").
func (s Spec) Canonical() (Spec, error) {
	s.Kind = strings.ToLower(strings.TrimSpace(s.Kind))
	if s.Path == "" {
		s.Path = "linear"
	}
	p, err := path.ByName(s.Path)
	if err != nil {
		return s, fmt.Errorf("objective: path %q: %w", s.Path, err)
	}
	s.Path = p.Name()
	if err := timesteps.CheckGamma("objective", s.Gamma); err != nil {
		return s, err
	}
	if err := checkDropout(s.LabelDropout); err != nil {
		return s, err
	}
	if s.Kind != KindInputPerturbation && (s.IPGamma != 0 || s.IPDecaySteps != 0) {
		return s, fmt.Errorf("objective: kind %q takes no ip_gamma or ip_decay_steps (got ip_gamma=%v ip_decay_steps=%d)", s.Kind, s.IPGamma, s.IPDecaySteps)
	}
	switch s.Kind {
	case KindFM, KindInputPerturbation:
		if s.Times == "" {
			s.Times = "uniform"
		}
		if s.Gamma != 0 || s.Mixture != "" || s.Target != "" || s.Shift != 0 {
			return s, fmt.Errorf("objective: kind %q takes no gamma, mixture, target or shift (got gamma=%v mixture=%q target=%q shift=%v)",
				s.Kind, s.Gamma, s.Mixture, s.Target, s.Shift)
		}
		if s.Kind == KindInputPerturbation {
			if s.Path != "linear" {
				return s, fmt.Errorf("objective: kind %q is defined on the linear path only, not %q", s.Kind, s.Path)
			}
			if s.IPGamma == 0 {
				s.IPGamma = DefaultInputPerturbationGamma
			}
			if err := (InputPerturbation{Gamma: s.IPGamma, DecaySteps: s.IPDecaySteps}).Validate(); err != nil {
				return s, err
			}
		}
	case KindMixFlow:
		if s.Times == "" {
			s.Times = "beta21"
		}
		// The names are parsed by the enums' own parsers; a name with surrounding spaces stays an error here.
		mix, err := timesteps.ParseMixture(s.Mixture)
		if err != nil || strings.TrimSpace(s.Mixture) != s.Mixture {
			return s, fmt.Errorf("objective: mixture %q: want \"relative\" or \"absolute\"", s.Mixture)
		}
		s.Mixture = mix.String()
		target, err := ParseTarget(s.Target)
		if err != nil || strings.TrimSpace(s.Target) != s.Target {
			return s, fmt.Errorf("objective: target %q: want \"m\" or \"t\"", s.Target)
		}
		s.Target = target.String()
		if s.Shift != 0 && (math.IsNaN(s.Shift) || math.IsInf(s.Shift, 0) || s.Shift < 1) {
			return s, fmt.Errorf("objective: shift %v: want 0 (none) or a finite value ≥ 1", s.Shift)
		}
	default:
		return s, fmt.Errorf("objective: kind %q: want %q, %q or %q", s.Kind, KindFM, KindMixFlow, KindInputPerturbation)
	}
	d, err := timesteps.ByName(s.Times)
	if err != nil {
		return s, fmt.Errorf("objective: times %q: %w", s.Times, err)
	}
	s.Times = d.Name()
	return s, nil
}

// Validate reports the first invalid field of s.
func (s Spec) Validate() error {
	_, err := s.Canonical()
	return err
}

// Build returns the objective s describes: a FlowMatching, a MixFlow or an InputPerturbation.
func (s Spec) Build() (Objective, error) {
	c, err := s.Canonical()
	if err != nil {
		return nil, err
	}
	p, _ := path.ByName(c.Path)
	times, _ := timesteps.ByName(c.Times)
	switch c.Kind {
	case KindFM:
		return FlowMatching{Path: p, Times: times, LabelDropout: c.LabelDropout}, nil
	case KindInputPerturbation:
		return InputPerturbation{Gamma: c.IPGamma, DecaySteps: c.IPDecaySteps, Times: times, LabelDropout: c.LabelDropout}, nil
	}
	// Canonical has checked the names.
	mix, _ := timesteps.ParseMixture(c.Mixture)
	target, _ := ParseTarget(c.Target)
	return MixFlow{Gamma: c.Gamma, Path: p, Times: times, Mixture: mix, Target: target, Shift: c.Shift,
		LabelDropout: c.LabelDropout}, nil
}

// PathOf returns the spec's interpolation path (linear for an invalid spec).
func (s Spec) PathOf() path.Path {
	c, err := s.Canonical()
	if err != nil {
		return path.Linear{}
	}
	p, _ := path.ByName(c.Path)
	return p
}

// Label returns a short human-readable name, e.g. "FM", "MixFlow γ=0.8", "MixFlow m~U[0,1] t~uniform",
// ControlLabel ("MixFlow γ=0 control") for MixFlow with γ = 0, "IP γ=0.1"; label dropout is not shown.
func (s Spec) Label() string {
	c, err := s.Canonical()
	if err != nil {
		return "invalid objective"
	}
	if c.Kind == KindFM {
		if c.Times == "uniform" {
			return "FM"
		}
		return "FM t~" + c.Times
	}
	if c.Kind == KindInputPerturbation {
		l := fmt.Sprintf("IP γ=%g", c.IPGamma)
		if c.IPDecaySteps != 0 {
			l += fmt.Sprintf(" decay=%d", c.IPDecaySteps)
		}
		if c.Times != "uniform" {
			l += " t~" + c.Times
		}
		return l
	}
	l := fmt.Sprintf("MixFlow γ=%g", c.Gamma)
	switch {
	case c.Mixture == "absolute":
		l = "MixFlow m~U[0,1]"
	case c.Gamma == 0:
		l = ControlLabel
	}
	if c.Times != "beta21" {
		l += " t~" + c.Times
	}
	if c.Target == "t" {
		l += " target@t"
	}
	if c.Shift != 0 {
		l += fmt.Sprintf(" shift=%g", c.Shift)
	}
	if c.Path != "linear" {
		l += " " + c.Path
	}
	return l
}
