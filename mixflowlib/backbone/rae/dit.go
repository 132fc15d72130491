package rae

import (
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/encoder"
	"github.com/mixflow/mixflow/mixflowlib/timesteps"
)

// DefaultGamma is MixFlow's γ for RAE: the official MixFlow diff of RAE's transport.py defaults to 0.4 (the
// paper's default for SiT is 0.8, timesteps.DefaultGamma).
const DefaultGamma = 0.4

// DefaultSamplingSteps is RAE's sampling: Euler ODE on a 50-point (shifted) grid, 49 steps in RAE's count
// of grid points; here Steps counts intervals, and 50 is what the notebooks call "50 steps".
const DefaultSamplingSteps = 50

// DiTConfig returns the SiT/DiT configuration that diffuses the latents of spec: the latent is treated as an
// image of Grid×Grid pixels with Dim channels, cut into patch×patch patches (RAE uses patch 1, one token per
// encoder token; patch 2 quarters the number of tokens, which the CPU notebooks use). The trunk sizes
// (Depth, Hidden, Heads, MLP ratio) come from a sit preset ("micro", "tiny", "SiT-S/2", "SiT-XL/2", …; the
// preset's own patch and image size are replaced). numClasses 0 makes it unconditional.
//
// What this is and is not: RAE's DiT^DH-XL is a SiT-XL-like trunk (28 blocks, width 1152, SwiGLU, RMSNorm,
// RoPE, Gaussian-Fourier time embedding) followed by a wide, shallow "DDT head" (2 blocks of width 2048 that
// see the noisy latent again, modulated per token by the trunk's output). DiTConfig is the plain trunk with
// the project's SiT blocks (LayerNorm, GELU MLP, 2-D sin-cos positions, SiT's sinusoidal time embedding) and
// SiT's final layer; DDT adds the head.
func DiTConfig(spec encoder.Spec, preset string, patch, numClasses int) (sit.Config, error) {
	if err := spec.Validate(); err != nil {
		return sit.Config{}, fmt.Errorf("rae: %w", err)
	}
	cfg, err := sit.Preset(preset)
	if err != nil {
		return sit.Config{}, fmt.Errorf("rae: %w", err)
	}
	if patch <= 0 || spec.Grid%patch != 0 {
		return sit.Config{}, fmt.Errorf("rae: DiT patch %d must be positive and divide the latent grid %d", patch, spec.Grid)
	}
	if numClasses < 0 {
		return sit.Config{}, fmt.Errorf("rae: numClasses %d must be ≥ 0", numClasses)
	}
	cfg.ImageSize, cfg.Channels, cfg.PatchSize, cfg.NumClasses = spec.Grid, spec.Dim, patch, numClasses
	if err := cfg.Validate(); err != nil {
		return sit.Config{}, fmt.Errorf("rae: %w", err)
	}
	return cfg, nil
}

// BaseTimes is the training-time distribution of RAE's stage-2 configs, logit-normal(0, 1), composed with the
// resolution shift s (none when s is 1): RAE draws t_R from logit-normal_0_1 and then shifts it.
func BaseTimes(shift float64) (timesteps.Dist, error) {
	ln := timesteps.LogitNormal{Mu: 0, Sigma: 1}
	if shift == 1 {
		return ln, nil
	}
	if !(shift >= 1) {
		return nil, fmt.Errorf("rae: shift %v must be ≥ 1 (see ShiftFor)", shift)
	}
	d, err := timesteps.NewShift(shift, ln)
	if err != nil {
		return nil, fmt.Errorf("rae: %w", err)
	}
	return d, nil
}
