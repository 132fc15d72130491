package raeexp

import (
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/objective"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// BaseLoss is RAE's stage-2 flow matching: Linear path, t ~ rae.BaseTimes(shift), velocity target, with the
// given label dropout for classifier-free guidance (RAE: 0.1). It is also the "standard" post-training
// objective MixFlow is compared with.
func BaseLoss(shift, labelDropout float64) (objective.FlowMatching, error) {
	times, err := rae.BaseTimes(shift)
	if err != nil {
		return objective.FlowMatching{}, err
	}
	return objective.NewFlowMatching(nil, times, labelDropout)
}

// MixFlowLoss is the official MixFlow diff of RAE, in our time: t = √U (Beta(2,1)), t ← ShiftTime(t, s)
// (the resolution shift, BEFORE slowing), m = t·(1 − γ·U'), loss ‖v_θ(x_m, t) − (x1 − x0)‖². In RAE's flipped
// time this is t_R = 1 − √U, t_R ← s·t_R/(1 + (s − 1)·t_R), m_R = t_R + U'·γ·(1 − t_R). gamma must lie in
// [0, 1] (RAE: rae.DefaultGamma = 0.4) and shift ≥ 1.
func MixFlowLoss(gamma, shift, labelDropout float64) (objective.MixFlow, error) {
	if !(shift >= 1) {
		return objective.MixFlow{}, fmt.Errorf("raeexp: shift %v must be ≥ 1 (see ShiftFor)", shift)
	}
	o, err := objective.NewMixFlow(gamma)
	if err != nil {
		return objective.MixFlow{}, err
	}
	if shift != 1 {
		o.Shift = shift
	}
	o.LabelDropout = labelDropout
	return o, o.Validate()
}

// SamplerConfig is RAE's sampler in our time: Euler ODE from noise (t = 0) to data (t = 1) on a uniform grid
// of steps intervals warped by the shift (u ↦ u/(u + s·(1 − u)), more steps near the noise), the mirror image
// of RAE's grid 1 → 0.001 with t_R ↦ s·t_R/(1 + (s − 1)·t_R). RAE stops at t_R = 0.001 (our 0.999); this
// integrates to 1.
func SamplerConfig(steps int, shift float64) (sampler.Config, error) {
	cfg := sampler.Config{Method: sampler.Euler, Steps: steps, Shift: shift}
	if err := cfg.Validate(); err != nil {
		return sampler.Config{}, fmt.Errorf("raeexp: %w", err)
	}
	return cfg, nil
}
