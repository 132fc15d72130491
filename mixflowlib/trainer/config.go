package trainer

import (
	"fmt"
	"math"
	"time"

	"github.com/gomlx/compute"

	"github.com/mixflow/mixflow/mixflowlib/lrschedule"
)

// OptimizerKind selects the optimiser.
type OptimizerKind string

const (
	// Adam is Adam with coupled L2 regularisation: WeightDecay·θ is added to the (clipped) gradient before
	// the moment updates, as torch.optim.Adam's weight_decay does.
	Adam OptimizerKind = "adam"
	// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter): θ ← θ − lr·(m̂/(√v̂+ε) + WeightDecay·θ),
	// as torch.optim.AdamW. SiT, REPA and RAE train with AdamW (weight decay 0).
	AdamW OptimizerKind = "adamw"
)

// ScheduleKind names a learning-rate schedule (lrschedule.Kind).
type ScheduleKind = lrschedule.Kind

// The schedule kinds, from lrschedule.
const (
	// Constant keeps the learning rate at Config.LR (after the optional warm-up). SiT and REPA use it.
	Constant = lrschedule.Constant
	// WarmupCosine ramps up linearly for WarmupSteps, then follows a half cosine from Config.LR down to
	// FinalLR, reached at EndStep.
	WarmupCosine = lrschedule.WarmupCosine
	// ConstantLinear is RAE's schedule: constant Config.LR until DecayStart, then linear to FinalLR.
	ConstantLinear = lrschedule.ConstantLinear
)

// Schedule describes the learning rate as a function of the step (lrschedule.Schedule, which the side
// trainers below the trainer layer use too).
type Schedule = lrschedule.Schedule

// Config holds every setting of a training run. Start from DefaultConfig and change what you need; all
// fields but Backend are plain values so a Config serialises to JSON (it is recorded in every checkpoint
// and is what expcache hashes).
type Config struct {
	// Optimizer is Adam or AdamW. Default AdamW.
	Optimizer OptimizerKind `json:"optimizer"`
	// LR is the base learning rate. Default 1e-4 (SiT, REPA).
	LR float64 `json:"lr"`
	// Beta1 and Beta2 are Adam's moment decay rates. Default 0.9 and 0.999 (RAE uses β2 = 0.95).
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	// Eps is Adam's ε, added to √v̂. Default 1e-8 (PyTorch's).
	Eps float64 `json:"eps"`
	// WeightDecay is the L2 coefficient (Adam) or the decoupled decay (AdamW), applied to every trainable
	// variable. Default 0.
	WeightDecay float64 `json:"weight_decay"`
	// Schedule shapes the learning rate over the run. Default constant.
	Schedule Schedule `json:"schedule"`
	// ClipGradNorm clips the global L2 norm of the gradient (over all trainable variables) to this value,
	// as torch.nn.utils.clip_grad_norm_ (scale min(1, c/(‖g‖+1e-6))). 0 turns clipping off (the default;
	// REPA and RAE use 1).
	ClipGradNorm float64 `json:"clip_grad_norm"`
	// EMADecay is the decay of the exponential moving average of the model weights kept under
	// "/ema/model": ema ← d·ema + (1−d)·θ after every update, starting from the weights before the first
	// update (as SiT's update_ema). 0 turns EMA off (the default; SiT and REPA use 0.9999).
	EMADecay float64 `json:"ema_decay"`
	// BatchSize is the number of examples per step. Default 256.
	BatchSize int `json:"batch_size"`
	// Steps is the total number of optimiser updates of the run; Train stops when the step counter
	// reaches it (a resumed run continues up to it). Default 1000.
	Steps int64 `json:"steps"`
	// Seed seeds the model initialisation and every in-graph random draw (the Store's RNG). The data
	// source carries its own seed. Default 1.
	Seed int64 `json:"seed"`
	// CheckpointDir is where checkpoints go; a trainer whose directory already holds checkpoints resumes
	// from the latest one. "" disables checkpoints. With expcache, leave it empty in the configuration
	// you hash and set it inside compute to a directory below compute's dir.
	CheckpointDir string `json:"checkpoint_dir"`
	// CheckpointEvery saves a checkpoint every this many steps (and always at the end of Train);
	// 0 saves only at the end. Default 1000.
	CheckpointEvery int64 `json:"checkpoint_every"`
	// CheckpointSeconds also saves a checkpoint when this many seconds of wall time have passed since the
	// last one, so a run killed at random loses at most that much work however long CheckpointEvery is.
	// 0 means DefaultCheckpointSeconds (60 s); negative disables it. It never changes what is computed
	// (a resumed run is bit-identical from any step), only how often state is saved.
	CheckpointSeconds float64 `json:"checkpoint_seconds,omitempty"`
	// KeepCheckpoints is how many of the most recent checkpoints to keep; <= 0 keeps all. Default 3.
	KeepCheckpoints int `json:"keep_checkpoints"`
	// LogEvery adds a History entry (and prints a log line) every this many steps. Default 100.
	LogEvery int64 `json:"log_every"`
	// Backend is the compute backend the run executes on, asked once from mixflowlib/backend by the
	// caller at the top (a CLI main, a lab, a notebook's nb.Backend); nil means the process-wide one
	// (backend.New). It is not part of the JSON form: it changes where the run computes, not what.
	Backend compute.Backend `json:"-"`
}

// DefaultCheckpointSeconds is the wall-time checkpoint interval used when Config.CheckpointSeconds is 0.
const DefaultCheckpointSeconds = 60

// checkpointInterval returns the wall-time checkpoint interval, 0 when disabled.
func (c Config) checkpointInterval() time.Duration {
	switch {
	case c.CheckpointSeconds < 0:
		return 0
	case c.CheckpointSeconds == 0:
		return DefaultCheckpointSeconds * time.Second
	}
	return time.Duration(c.CheckpointSeconds * float64(time.Second))
}

// DefaultConfig returns the defaults documented on Config's fields: AdamW, lr 1e-4, β = (0.9, 0.999),
// ε = 1e-8, no weight decay, constant LR, no clipping, no EMA, batch 256, 1000 steps, seed 1,
// no checkpoint directory, a checkpoint every 1000 steps or 60 s keeping 3, a log entry every 100 steps.
func DefaultConfig() Config {
	return Config{
		Optimizer:       AdamW,
		LR:              1e-4,
		Beta1:           0.9,
		Beta2:           0.999,
		Eps:             1e-8,
		Schedule:        Schedule{Kind: Constant},
		BatchSize:       256,
		Steps:           1000,
		Seed:            1,
		CheckpointEvery: 1000,
		KeepCheckpoints: 3,
		LogEvery:        100,
	}
}

// LRAt returns the learning rate of the update at step (0-based): Schedule.LR with the config's LR and Steps.
func (c Config) LRAt(step int64) float64 {
	return c.Schedule.LR(c.LR, step, c.Steps)
}

func finiteIn(x, lo, hi float64) bool { return !math.IsNaN(x) && x >= lo && x <= hi }

// Validate returns an error naming the first invalid setting.
func (c Config) Validate() error {
	switch c.Optimizer {
	case Adam, AdamW:
	default:
		return fmt.Errorf("trainer: unknown optimizer %q (use %q or %q)", c.Optimizer, Adam, AdamW)
	}
	if !(c.LR > 0) || math.IsInf(c.LR, 0) {
		return fmt.Errorf("trainer: learning rate %v must be finite and > 0", c.LR)
	}
	if !finiteIn(c.Beta1, 0, 1) || c.Beta1 == 1 {
		return fmt.Errorf("trainer: beta1 %v outside [0, 1)", c.Beta1)
	}
	if !finiteIn(c.Beta2, 0, 1) || c.Beta2 == 1 {
		return fmt.Errorf("trainer: beta2 %v outside [0, 1)", c.Beta2)
	}
	if !(c.Eps > 0) || math.IsInf(c.Eps, 0) {
		return fmt.Errorf("trainer: eps %v must be finite and > 0", c.Eps)
	}
	if !(c.WeightDecay >= 0) || math.IsInf(c.WeightDecay, 0) {
		return fmt.Errorf("trainer: weight decay %v must be finite and >= 0", c.WeightDecay)
	}
	if !(c.ClipGradNorm >= 0) || math.IsInf(c.ClipGradNorm, 0) {
		return fmt.Errorf("trainer: clip grad norm %v must be finite and >= 0 (0 = off)", c.ClipGradNorm)
	}
	if !finiteIn(c.EMADecay, 0, 1) || c.EMADecay == 1 {
		return fmt.Errorf("trainer: EMA decay %v outside [0, 1) (0 = off)", c.EMADecay)
	}
	if c.BatchSize < 1 {
		return fmt.Errorf("trainer: batch size %d must be >= 1", c.BatchSize)
	}
	if c.Steps < 1 {
		return fmt.Errorf("trainer: steps %d must be >= 1", c.Steps)
	}
	if c.CheckpointEvery < 0 {
		return fmt.Errorf("trainer: checkpoint every %d must be >= 0 (0 = only at the end)", c.CheckpointEvery)
	}
	if math.IsNaN(c.CheckpointSeconds) || math.IsInf(c.CheckpointSeconds, 0) {
		return fmt.Errorf("trainer: checkpoint seconds %v must be finite (0 = %d s, < 0 = off)", c.CheckpointSeconds, DefaultCheckpointSeconds)
	}
	if c.LogEvery < 1 {
		return fmt.Errorf("trainer: log every %d must be >= 1", c.LogEvery)
	}
	if err := c.Schedule.Validate(c.Steps); err != nil {
		return fmt.Errorf("trainer: %w", err)
	}
	return nil
}
