// Package rae is diffusion in the latent space of a frozen representation encoder (RAE: Zheng et al.
// 2025, "Diffusion Transformers with Representation Autoencoders", github.com/bytetriper/RAE), with MixFlow
// post-training (arXiv 2512.19311) as the official MixFlow code applies it to RAE.
//
// # Pipeline
//
//  1. A frozen encoder (mixflowlib/encoder.Encoder: the project's small ViT, or real weights such as DINOv2
//     plugged in by the user) maps images [B, H, W, C] in [−1, 1] to tokens [B, N, D] on a G×G grid.
//  2. The latents are normalised per element with statistics of the training set (Stats: one mean and one
//     variance for every (token, channel), as RAE's stat.pt of shape [C, H, W]; z' = (z − μ)/√(σ² + 1e-5)).
//     A constant element (zero variance) is an error: it means a dead encoder feature.
//  3. A Decoder (a small ViT-MAE-style transformer: tokens → pixel patches) learns to reconstruct the image
//     from its normalised latent, with RAE's noise augmentation (see DecoderConfig.NoiseTau). The encoder
//     stays frozen: it creates no variables (its weights are graph constants behind a StopGradient), so
//     nothing can update it.
//  4. A DiT learns the velocity field of flow matching on normalised latents, with RAE's resolution-dependent
//     time shift (ShiftFor): mixflowlib/backbone/sit on the G×G×D latent "image" (DiTConfig; patch 1 as in
//     RAE), or DDT, the trunk plus RAE's wide, shallow DiT^DH head.
//  5. Post-training: standard flow matching or MixFlow (γ = 0.4 by default, the official RAE diff), shift
//     applied to t before slowing (objective.MixFlow does this).
//  6. Sampling: Euler ODE on the shifted grid (sampler.Config.Shift), then Decode.
//
// # Time convention
//
// Everything here is in the project's convention, t = 0 noise and t = 1 data. RAE's code uses the flipped
// one (t_R = 0 data, 1 noise). Its shift t_R' = s·t_R/(1 + (s − 1)·t_R) becomes t' = t/(t + s·(1 − t))
// with t = 1 − t_R (timesteps.ShiftTime); its MixFlow diff t_R = 1 − √U, shift, m_R = t_R + U'·γ·(1 − t_R)
// becomes t = √U, shift, m = t·(1 − γ·U') (objective.MixFlow); its ODE grid 1 → 0.001 shifted becomes our
// 0 → 0.999 shifted. ToRAETime and FromRAETime convert single times at the boundary.
//
// # The shift for small latents
//
// RAE's s = √(latent dim / 4096) (timesteps.ResolutionShift) is tuned for DINOv2 latents of 16×16×768 values
// (s ≈ 6.93). The project encoder's latent has 4×4×64 = 1024 values, where RAE's formula gives s = 0.5: a
// shift below 1, which RAE rejects (it asserts s ≥ 1) because it would move the training times toward data.
// ShiftFor therefore clamps at 1, and takes the base as a parameter. The argument behind the shift is
// relative (more values per sample keep more signal at a given noise level, so they need more noise); the
// project's pixel-space SiT trains unshifted on 28×28×1 = 784-value images, and relative to that baseline
// (PixelShiftBase) the 1024-value latent gets s = √(1024/784) ≈ 1.14. The notebook uses that value and says
// so; with RAE's own base the shift would be the identity here.
package rae
