package raeexp

import (
	"errors"
	"fmt"
	"math"

	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/lrschedule"
	"github.com/mixflow/mixflow/mixflowlib/timesteps"
)

// The pieces of study 4 of the fair-test protocol (notebook 06): RAE's latent flow model post-trained with
// MixFlow at the official pairing of γ and shift, at a pairing with the same perturbation in log-SNR, and
// at the earlier pairing, against standard post-training and the γ = 0 control. The notebook composes them
// into an imagestudy.Spec (this package may not import that sibling).

// OfficialLatentDim is the size of the latent of RAE's ImageNet DiT^DH-XL, whose shift the official MixFlow
// code post-trains with: DINOv2-B tokens of 768 values on a 16×16 grid at 256 px.
const OfficialLatentDim = 16 * 16 * 768

// OfficialShift returns the shift of the official MixFlow code for RAE, √(OfficialLatentDim / 4096) = √48
// ≈ 6.93, in our time convention: RAE's t_R ↦ s·t_R/(1 + (s − 1)·t_R) (t_R = 1 noise) is our
// t ↦ t/(t + s·(1 − t)) (t = 0 noise), the same map read from the other end (rae.ShiftRAETime,
// timesteps.ShiftTime); s > 1 moves the times toward noise in both.
func OfficialShift() float64 {
	_, s, err := rae.ShiftFor(OfficialLatentDim, rae.RAEShiftBase)
	if err != nil {
		panic(err) // constant arguments
	}
	return s
}

// logSNRDropPoints is the number of midpoint nodes of LogSNRDrop's integral over t (its error is below
// 1e-4 nats: checked against a brute-force double integral in the tests).
const logSNRDropPoints = 200000

// LogSNRDrop returns the mean drop of log-SNR from the labelled time t to the input time m of MixFlow's
// official (t, m) draw with slowing γ and shift s: t = ShiftTime(√U, s) (Beta(2,1), shifted before
// slowing), m = t·(1 − γ·U'), and on the linear path x_t = t·x1 + (1 − t)·x0 the log-SNR is
// 2·log(t/(1 − t)), so the drop is 2·E[logit t − logit m] (nats). The inner mean over U' is exact
// (E log(a + bU') in closed form); the outer one is a midpoint rule over U. γ ∈ (0, 1), s ≥ 1.
//
// The official pairing (γ 0.4, s √48) drops 0.817 nats; γ 0.4 with the shift 8/7 of our latent 1.598.
func LogSNRDrop(gamma, shift float64) (float64, error) {
	if !(gamma > 0 && gamma < 1) {
		return 0, fmt.Errorf("raeexp: log-SNR drop: gamma %v outside (0, 1)", gamma)
	}
	if !(shift >= 1) || math.IsInf(shift, 1) {
		return 0, fmt.Errorf("raeexp: log-SNR drop: shift %v must be finite and ≥ 1", shift)
	}
	// E_{U'}[log(1 − γU')] = E log(a + bU') with a = 1, b = −γ.
	meanLog := func(a, b float64) float64 { return ((a+b)*math.Log(a+b)-a*math.Log(a))/b - 1 }
	slow := meanLog(1, -gamma)
	sum := 0.0
	for i := range logSNRDropPoints {
		t := timesteps.ShiftTime(math.Sqrt((float64(i)+0.5)/logSNRDropPoints), shift)
		if t <= 0 || t >= 1 {
			continue // measure zero; avoids log(0) in floating point
		}
		// logit t − logit m = −log(1 − t) − log(1 − γU') + log(1 − t + tγU').
		sum += -math.Log(1-t) - slow + meanLog(1-t, t*gamma)
	}
	return 2 * sum / logSNRDropPoints, nil
}

// bisect returns x in [lo, hi] with f(x) = target for f decreasing on [lo, hi], or an error when target
// is outside [f(hi), f(lo)].
func bisect(f func(float64) (float64, error), lo, hi, target float64) (float64, error) {
	flo, err := f(lo)
	if err != nil {
		return 0, err
	}
	fhi, err := f(hi)
	if err != nil {
		return 0, err
	}
	if target > flo || target < fhi {
		return 0, fmt.Errorf("outside [%.4g, %.4g] reached on [%g, %g]", fhi, flo, lo, hi)
	}
	for range 60 {
		mid := (lo + hi) / 2
		v, err := f(mid)
		if err != nil {
			return 0, err
		}
		if v > target {
			lo = mid
		} else {
			hi = mid
		}
		if hi-lo < 1e-6*hi {
			break
		}
	}
	return (lo + hi) / 2, nil
}

// ShiftForLogSNRDrop returns the shift s ≥ 1 at which MixFlow with slowing gamma drops the log-SNR by
// drop nats on average (LogSNRDrop(gamma, s) = drop; the drop falls as s grows), searched up to 1e4.
func ShiftForLogSNRDrop(gamma, drop float64) (float64, error) {
	s, err := bisect(func(s float64) (float64, error) { return LogSNRDrop(gamma, s) }, 1, 1e4, drop)
	if err != nil {
		return 0, fmt.Errorf("raeexp: shift for a log-SNR drop of %g at γ %g: %w", drop, gamma, err)
	}
	return s, nil
}

// GammaForLogSNRDrop returns the slowing γ at which MixFlow with shift s drops the log-SNR by drop nats on
// average (LogSNRDrop(γ, shift) = drop; the drop grows with γ), searched in [1e-4, 0.999].
func GammaForLogSNRDrop(shift, drop float64) (float64, error) {
	g, err := bisect(func(g float64) (float64, error) {
		v, err := LogSNRDrop(g, shift)
		return -v, err
	}, 1e-4, 0.999, -drop)
	if err != nil {
		return 0, fmt.Errorf("raeexp: γ for a log-SNR drop of %g at shift %g: %w", drop, shift, err)
	}
	return g, nil
}

// StudyDiT returns the latent flow model of study 4 for a stage 1 whose latent is [grid, grid, dim]:
// the project's SiT on the latent seen as a grid×grid image of dim channels with patch 1 (RAE's
// tokenisation: one token per latent position), 2 blocks of width 96 (wider than a 64-value token, as RAE
// finds necessary) with 4 heads, 10 classes: small enough to converge on two CPU cores within the study's
// budget (the 1.3 M-parameter "tiny" trunk of BaseSpec ran at 1.75 steps/s and was far from converged).
func StudyDiT(grid, dim int) sit.Config {
	return sit.Config{ImageSize: grid, Channels: dim, PatchSize: 1, Depth: 2, Hidden: 96, Heads: 4, MLPRatio: 4,
		NumClasses: 10, TimeFreqDim: 64}
}

// StudyLR and StudyEMA are the constant learning rate (after a 200-step warm-up of the base) and the EMA
// decay of the base and of every post-training arm: study 2's recipe (standard post-training with the
// base's Adam moments kept is then the base's training continued).
const (
	StudyLR  = 1e-3
	StudyEMA = 0.995
)

// StudyStage1 is the stage 1 of study 4: DefaultAutoencoderSpec with the decoder trained for 600 steps
// (instead of 1500, to fit the study's 25-minute budget; its reconstructions are worse, which raises every
// model's FID alike) and statistics over 10000 images; in quick mode (a smoke test) 1000 images and 30
// decoder steps.
func StudyStage1(quick bool) AutoencoderSpec {
	s := DefaultAutoencoderSpec()
	s.StatsImages, s.Train.Steps = 10000, 600
	if quick {
		s.StatsImages, s.Train.Steps = 1000, 30
	}
	return s
}

// StudyBase returns the base of study 4 in the latent space of stage1: StudyDiT trained for steps steps
// of batch 64 with RAE's stage-2 flow matching (t ~ logit-normal(0, 1) shifted by Shift(stage1), label
// dropout 0.1), AdamW at the constant StudyLR after min(200, steps/10) warm-up steps, clipping 1, EMA
// StudyEMA, seed 1, on the latent training stream of seed 1.
func StudyBase(stage1 AutoencoderSpec, steps int64) (imageexp.BaseSpec, error) {
	c, err := stage1.Canonical()
	if err != nil {
		return imageexp.BaseSpec{}, err
	}
	return latentBase(c, StudyDiT(c.Decoder.Grid, c.Decoder.Dim), imageexp.TrainSpec{Steps: steps, BatchSize: 64, LR: StudyLR,
		ClipGradNorm: 1, EMADecay: StudyEMA, Seed: 1, Schedule: lrschedule.Schedule{Kind: lrschedule.Constant, WarmupSteps: min(200, steps/10)}})
}

// latentBase returns the base training of model with train on the latent training stream (seed 1) of the
// canonical stage 1 c, with RAE's stage-2 flow matching at Shift(c) and label dropout 0.1, validated.
func latentBase(c AutoencoderSpec, model sit.Config, train imageexp.TrainSpec) (imageexp.BaseSpec, error) {
	s, err := Shift(c)
	if err != nil {
		return imageexp.BaseSpec{}, err
	}
	obj, err := BaseObjective(s, 0.1)
	if err != nil {
		return imageexp.BaseSpec{}, err
	}
	b := imageexp.BaseSpec{Data: Data(DataParams{Autoencoder: c}, 1), Model: imageexp.SiT(model), Objective: obj, Train: train}
	_, err = b.Canonical()
	return b, err
}

// Pairing is one MixFlow arm of study 4: its slowing γ, its shift (in our time) and the mean log-SNR drop
// from t to m they give (LogSNRDrop).
type Pairing struct {
	// Name says where the pairing comes from.
	Name  string  `json:"name"`
	Gamma float64 `json:"gamma"`
	Shift float64 `json:"shift"`
	Drop  float64 `json:"drop"`
}

// StudyPairings returns study 4's MixFlow pairings for the latent of stage1 (whose shift is Shift(stage1)):
//   - "official": γ = rae.DefaultGamma (0.4) with OfficialShift (√48), as the official code trains;
//   - "drop-matched shift": γ 0.4 with the shift whose drop equals the official one (ShiftForLogSNRDrop) —
//     the drop depends on γ and s alone, so this is √48 again (to the bisection's precision) and the
//     notebook shows it rather than training a copy;
//   - "drop-matched γ": the latent's own shift with the γ whose drop equals the official one
//     (GammaForLogSNRDrop): the official perturbation at our times;
//   - "current": γ 0.4 with the latent's shift (8/7), the earlier notebook's pairing (about twice the
//     official drop).
func StudyPairings(stage1 AutoencoderSpec) ([]Pairing, error) {
	latent, err := Shift(stage1)
	if err != nil {
		return nil, err
	}
	g := rae.DefaultGamma
	official := Pairing{Name: "official", Gamma: g, Shift: OfficialShift()}
	if official.Drop, err = LogSNRDrop(g, official.Shift); err != nil {
		return nil, err
	}
	shift := Pairing{Name: "drop-matched shift", Gamma: g, Drop: official.Drop}
	if shift.Shift, err = ShiftForLogSNRDrop(g, official.Drop); err != nil {
		return nil, err
	}
	gamma := Pairing{Name: "drop-matched γ", Shift: latent, Drop: official.Drop}
	if gamma.Gamma, err = GammaForLogSNRDrop(latent, official.Drop); err != nil {
		return nil, err
	}
	current := Pairing{Name: "current", Gamma: g, Shift: latent}
	if current.Drop, err = LogSNRDrop(g, latent); err != nil {
		return nil, err
	}
	return []Pairing{official, shift, gamma, current}, nil
}

// Objective returns the MixFlow post-training objective of p (MixFlowObjective) with label dropout 0.1.
func (p Pairing) Objective() (imageexp.ObjectiveSpec, error) {
	return MixFlowObjective(p.Gamma, p.Shift, 0.1)
}

// StudyArms returns the post-training arms of study 4, Arms[0] standard post-training (BaseObjective at
// the latent's shift), then the γ = 0 control at the latent's shift (Beta(2,1) times, no slowing), the
// γ = 0 control at the official shift (the official arm's times without its slowing), and MixFlow at the
// "official", "drop-matched γ" and "current" pairings of StudyPairings (the "drop-matched shift" pairing
// is the official one).
func StudyArms(stage1 AutoencoderSpec) ([]imageexp.ObjectiveSpec, error) {
	latent, err := Shift(stage1)
	if err != nil {
		return nil, err
	}
	ps, err := StudyPairings(stage1)
	if err != nil {
		return nil, err
	}
	if math.Abs(ps[1].Shift-ps[0].Shift) > 1e-3*ps[0].Shift {
		return nil, errors.New("raeexp: the drop-matched shift differs from the official one: train it as its own arm")
	}
	var arms []imageexp.ObjectiveSpec
	add := func(o imageexp.ObjectiveSpec, err error) error {
		arms = append(arms, o)
		return err
	}
	if err := errors.Join(add(BaseObjective(latent, 0.1)), add(MixFlowObjective(0, latent, 0.1)),
		add(MixFlowObjective(0, OfficialShift(), 0.1)), add(ps[0].Objective()), add(ps[2].Objective()), add(ps[3].Objective())); err != nil {
		return nil, err
	}
	return arms, nil
}

// StudySamplers returns the protocol's samplers on RAE's grid for the latent of stage1 (warped by
// Shift(stage1)): Euler at 5, 10 and 20 steps and Heun at 10, unguided.
func StudySamplers(stage1 AutoencoderSpec) ([]imageexp.SamplerSpec, error) {
	s, err := Shift(stage1)
	if err != nil {
		return nil, err
	}
	return []imageexp.SamplerSpec{{Method: imageexp.MethodEuler, Steps: 5, Shift: s}, {Method: imageexp.MethodEuler, Steps: 10, Shift: s},
		{Method: imageexp.MethodEuler, Steps: 20, Shift: s}, {Method: imageexp.MethodHeun, Steps: 10, Shift: s}}, nil
}
