// Package lrschedule holds the learning-rate schedules as plain data (JSON form) with their formula:
// the trainer's Config embeds a Schedule, and the side trainers (encoder, evaluator), which sit below
// the trainer layer, use the same formula without importing the trainer.
package lrschedule

import (
	"fmt"
	"math"
)

// Kind names a learning-rate schedule.
type Kind string

const (
	// Constant keeps the learning rate at the base rate (after the optional warm-up). SiT and REPA use it.
	Constant Kind = "constant"
	// WarmupCosine ramps up linearly for WarmupSteps, then follows a half cosine from the base rate down to
	// FinalLR, reached at EndStep.
	WarmupCosine Kind = "warmup-cosine"
	// ConstantLinear is RAE's schedule: the base rate until DecayStart (after the optional warm-up),
	// then a linear decay to FinalLR, reached at EndStep, and FinalLR afterwards.
	ConstantLinear Kind = "constant-linear"
)

// Schedule describes the learning rate as a function of the step. Steps count optimiser updates from 0:
// the update that takes the model from step s to step s+1 uses LR(s).
type Schedule struct {
	// Kind is the schedule's shape; "" means Constant.
	Kind Kind `json:"kind"`
	// WarmupSteps is the length of a linear warm-up from LR/WarmupSteps (first update) to LR, for every
	// kind; 0 means none.
	WarmupSteps int64 `json:"warmup_steps"`
	// DecayStart is where ConstantLinear starts decaying.
	DecayStart int64 `json:"decay_start"`
	// EndStep is where WarmupCosine and ConstantLinear reach FinalLR; 0 means the run's total steps.
	EndStep int64 `json:"end_step"`
	// FinalLR is the learning rate at EndStep (and after it) for WarmupCosine and ConstantLinear.
	FinalLR float64 `json:"final_lr"`
}

// LR returns the learning rate of the update at step (0-based) for the base rate lr, with totalSteps
// standing in for a zero EndStep.
func (s Schedule) LR(lr float64, step, totalSteps int64) float64 {
	if s.WarmupSteps > 0 && step < s.WarmupSteps {
		return lr * float64(step+1) / float64(s.WarmupSteps)
	}
	end := s.EndStep
	if end <= 0 {
		end = totalSteps
	}
	switch s.Kind {
	case WarmupCosine:
		span := end - s.WarmupSteps
		if span <= 0 || step >= end {
			return s.FinalLR
		}
		p := float64(step-s.WarmupSteps) / float64(span)
		return s.FinalLR + (lr-s.FinalLR)*0.5*(1+math.Cos(math.Pi*p))
	case ConstantLinear:
		start := max(s.DecayStart, s.WarmupSteps)
		if step < start {
			return lr
		}
		if step >= end || end <= start {
			return s.FinalLR
		}
		p := float64(step-start) / float64(end-start)
		return lr + (s.FinalLR-lr)*p
	default:
		return lr
	}
}

// CosineToZero is the schedule of the side trainers (encoder, evaluator) over steps updates: a linear
// warm-up of warmup steps, then a cosine decay that reaches 0 at the last step (step steps−1); with no
// room for a decay (steps ≤ warmup+1) the rate stays at its peak after the warm-up.
func CosineToZero(warmup, steps int64) Schedule {
	if steps <= warmup+1 {
		return Schedule{Kind: Constant, WarmupSteps: warmup}
	}
	return Schedule{Kind: WarmupCosine, WarmupSteps: warmup, EndStep: steps - 1}
}

// Validate checks the schedule for a run of totalSteps updates (standing in for a zero EndStep). Its
// errors carry no package prefix: the layer whose configuration holds the schedule (the trainer) names
// itself once.
func (s Schedule) Validate(totalSteps int64) error {
	switch s.Kind {
	case "", Constant, WarmupCosine, ConstantLinear:
	default:
		return fmt.Errorf("unknown schedule kind %q (use %q, %q or %q)", s.Kind, Constant, WarmupCosine, ConstantLinear)
	}
	if s.WarmupSteps < 0 || s.DecayStart < 0 || s.EndStep < 0 {
		return fmt.Errorf("schedule steps must be >= 0 (warmup %d, decay start %d, end %d)", s.WarmupSteps, s.DecayStart, s.EndStep)
	}
	if s.Kind == WarmupCosine || s.Kind == ConstantLinear {
		if !(s.FinalLR >= 0) || math.IsInf(s.FinalLR, 0) {
			return fmt.Errorf("schedule final LR %v must be finite and >= 0", s.FinalLR)
		}
		end := s.EndStep
		if end == 0 {
			end = totalSteps
		}
		if end <= s.WarmupSteps || (s.Kind == ConstantLinear && end <= s.DecayStart) {
			return fmt.Errorf("schedule %s ends at step %d, not after its warm-up (%d) and decay start (%d)",
				s.Kind, end, s.WarmupSteps, s.DecayStart)
		}
	}
	return nil
}
