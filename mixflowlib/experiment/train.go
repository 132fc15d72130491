package experiment

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// TrainSpec holds the trainer settings of a lab's run (see trainer.Config for their meaning); its JSON
// form is part of the runs' cache keys. Zero fields take the lab's TrainDefaults when canonicalised,
// except where zero is meaningful (WeightDecay, ClipGradNorm, EMADecay: off; CheckpointEvery: see there).
// The labs name it as their own TrainSpec (a type with this one's fields and their own defaults).
type TrainSpec struct {
	// Steps is the number of optimiser updates (required).
	Steps int64 `json:"steps"`
	// BatchSize is the number of examples per update.
	BatchSize int `json:"batch_size"`
	// LR is the learning rate.
	LR float64 `json:"lr"`
	// Optimizer is "adamw" or "adam".
	Optimizer string `json:"optimizer"`
	// WeightDecay, ClipGradNorm and EMADecay as in trainer.Config (0: off).
	WeightDecay  float64 `json:"weight_decay"`
	ClipGradNorm float64 `json:"clip_grad_norm"`
	EMADecay     float64 `json:"ema_decay"`
	// Schedule is the learning-rate schedule (zero value: constant).
	Schedule trainer.Schedule `json:"schedule"`
	// Seed seeds the initialisation and the in-graph random draws (t, m, noise, label dropout).
	Seed int64 `json:"seed"`
	// LogEvery is the number of steps per History entry (0: Steps/100, at least 1).
	LogEvery int64 `json:"log_every"`
	// CheckpointEvery saves a checkpoint every this many steps so that a killed run resumes. It does not
	// change the result, but is part of the cache key when set; 0 takes the lab's default (for the toy
	// labs it stays 0 in the spec and the run checkpoints every Steps/4).
	CheckpointEvery int64 `json:"checkpoint_every,omitempty"`
}

// TrainDefaults are the values a lab gives the zero fields of a TrainSpec.
type TrainDefaults struct {
	// BatchSize and LR replace zero values; Optimizer "" means "adamw".
	BatchSize int
	LR        float64
	Optimizer string
	// CheckpointEvery returns the checkpoint interval of a spec whose CheckpointEvery is 0 (nil: it
	// stays 0).
	CheckpointEvery func(steps int64) int64
}

// Canonical fills the zero fields of t from def and validates, returning an error naming the first
// invalid field.
func (t TrainSpec) Canonical(def TrainDefaults) (TrainSpec, error) {
	if t.BatchSize == 0 {
		t.BatchSize = def.BatchSize
	}
	if t.LR == 0 {
		t.LR = def.LR
	}
	if t.Optimizer == "" {
		t.Optimizer = def.Optimizer
		if t.Optimizer == "" {
			t.Optimizer = string(trainer.AdamW)
		}
	}
	t.Optimizer = strings.ToLower(strings.TrimSpace(t.Optimizer))
	if t.Schedule.Kind == "" {
		t.Schedule.Kind = trainer.Constant
	}
	if t.Steps <= 0 {
		return t, fmt.Errorf("experiment: train steps %d: want > 0", t.Steps)
	}
	if t.LogEvery == 0 {
		t.LogEvery = max(1, t.Steps/100)
	}
	if t.CheckpointEvery == 0 && def.CheckpointEvery != nil {
		t.CheckpointEvery = def.CheckpointEvery(t.Steps)
	}
	if _, err := t.Config(); err != nil {
		return t, err
	}
	return t, nil
}

// Config returns the trainer.Config of t (canonical) without a checkpoint directory, keeping one
// checkpoint; a zero CheckpointEvery stays 0 (Train then checkpoints every Steps/4).
func (t TrainSpec) Config() (trainer.Config, error) {
	c := trainer.DefaultConfig()
	c.Optimizer = trainer.OptimizerKind(t.Optimizer)
	c.LR, c.WeightDecay, c.ClipGradNorm, c.EMADecay = t.LR, t.WeightDecay, t.ClipGradNorm, t.EMADecay
	c.Schedule = t.Schedule
	c.BatchSize, c.Steps, c.Seed, c.LogEvery = t.BatchSize, t.Steps, t.Seed, t.LogEvery
	c.CheckpointEvery = t.CheckpointEvery
	c.KeepCheckpoints = 1
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("experiment: train: %w", err)
	}
	return c, nil
}

// Trained is what a training run leaves behind; the labs' Run types embed it (its JSON fields are
// theirs).
type Trained struct {
	// Checkpoint is the absolute path of the final checkpoint (empty for runs that were not trained).
	Checkpoint string `json:"checkpoint,omitempty"`
	// HasEMA is true when the checkpoint holds EMA weights.
	HasEMA bool `json:"has_ema,omitempty"`
	// History is the training history (loss, auxiliary losses, gradient norm, learning rate per entry).
	History *trainer.History `json:"history,omitempty"`
	// NumParams is the number of trainable parameters.
	NumParams int `json:"num_params,omitempty"`
	// TrainSeconds is the wall time of the training when it was computed (not of a cache hit), summed
	// over every attempt when a killed or interrupted run resumed (trainer.Trainer.TrainSeconds).
	TrainSeconds float64 `json:"train_seconds,omitempty"`
	// FinalLoss is the mean loss of the last History entry.
	FinalLoss float64 `json:"final_loss,omitempty"`
}

// Sampling returns the network build returns with the weights of the checkpoint to sample it with (the
// EMA weights when ema), errors in the words of lab and key ("toyexp: run toy-base-…: …").
func (t *Trained) Sampling(lab, key string, ema bool, build func() (nn.Backbone, error)) (nn.Backbone, *model.Store, error) {
	net, err := build()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: run %s: %w", lab, key, err)
	}
	store, err := trainer.SamplingStoreFromCheckpoint(t.Checkpoint, ema)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: run %s: %w", lab, key, err)
	}
	return net, store, nil
}

// TrainHistory returns the training history (nil for runs that were not trained).
func (t *Trained) TrainHistory() *trainer.History { return t.History }

// TrainJob is one training run of a lab: a fresh training when Post is nil, else a post-training.
type TrainJob struct {
	// Label names the run in errors.
	Label string
	// Net is the backbone, Objective the loss, Data the training stream.
	Net       nn.Backbone
	Objective trainer.Objective
	Data      datasets.Source
	// Train is the canonical training spec.
	Train TrainSpec
	// Post starts from a base checkpoint (nil: from scratch).
	Post *trainer.PostTrainOptions
	// Stage receives one progress report per step, with the loss and the auxiliary losses (nil: none).
	Stage *Stage
}

// Train runs job with its checkpoints in dir/ckpt (dir: the expcache work directory, which survives a
// cancelled ctx and a killed process, so the next call resumes from the last checkpoint there) and
// returns what it left, the checkpoint path relative to dir (Resolve makes it absolute).
func Train(ctx context.Context, dir string, job TrainJob) (Trained, error) {
	var out Trained
	cfg, err := job.Train.Config()
	if err != nil {
		return out, err
	}
	cfg.CheckpointDir = filepath.Join(dir, "ckpt")
	if cfg.CheckpointEvery == 0 {
		// A few checkpoints during the run, so a kernel killed mid-run resumes.
		cfg.CheckpointEvery = max(1, cfg.Steps/4)
	}
	var tr *trainer.Trainer
	if job.Post == nil {
		tr, err = trainer.New(cfg, job.Net, job.Objective, job.Data)
	} else {
		tr, err = trainer.PostTrain(cfg, job.Net, job.Objective, job.Data, *job.Post)
	}
	if err != nil {
		return out, fmt.Errorf("experiment: %s: %w", job.Label, err)
	}
	tr.SetLog(nil)
	tr.OnStep(func(rep trainer.StepReport) error {
		v := map[string]float64{"loss": rep.Loss}
		for k, a := range rep.Aux {
			v[k] = a
		}
		job.Stage.Progress(int(rep.Step), v)
		return nil
	})
	hist, err := tr.Train(ctx)
	if err != nil {
		return out, fmt.Errorf("experiment: training %s: %w", job.Label, err)
	}
	out.TrainSeconds = tr.TrainSeconds() // every attempt's, when a killed or interrupted run resumed
	out.History = hist
	out.NumParams = tr.NumParameters()
	out.HasEMA = cfg.EMADecay > 0
	if n := hist.Len(); n > 0 {
		out.FinalLoss = hist.Loss[n-1]
	}
	if out.Checkpoint, err = filepath.Rel(dir, tr.LastCheckpoint()); err != nil {
		return out, fmt.Errorf("experiment: %s: checkpoint path: %w", job.Label, err)
	}
	return out, nil
}

// Resolve makes the checkpoint path of a run computed or loaded by expcache absolute (info.Dir is the
// entry's directory).
func (t *Trained) Resolve(info expcache.Info) {
	if t.Checkpoint != "" {
		t.Checkpoint = filepath.Join(info.Dir, t.Checkpoint)
	}
}

// Compute is expcache.Compute under a progress stage: on failure it ends st as failed; on success the
// caller ends it with its own summary.
func Compute[T any](c *expcache.Cache, st *Stage, name string, key any, compute func(dir string) (T, error)) (T, expcache.Info, error) {
	v, info, err := expcache.Compute(c, name, key, compute)
	if err != nil {
		st.End(false, "failed")
	}
	return v, info, err
}

// DataSeed returns the data seed of a post-training: seed when set, else the base's data seed + 2³², so
// post-training does not replay the base's first batches.
func DataSeed(seed, base uint64) uint64 {
	if seed != 0 {
		return seed
	}
	return base + 1<<32
}

// Measure is Compute for a stage that the cached result is the whole of (an evaluation, a Slow Flow
// measurement): it also ends st on success, cached or not, and reports whether the result came from the
// cache.
func Measure[T any](c *expcache.Cache, st *Stage, name string, key any, compute func(dir string) (T, error)) (T, bool, error) {
	v, info, err := Compute(c, st, name, key, compute)
	if err != nil {
		return v, false, err
	}
	st.End(info.Hit, "")
	return v, info.Hit, nil
}

// LabCache returns c, or when c is nil the lab's default cache: expcache.Default() salted with the
// lab's salt, logging to standard error. A lab stores the result in its Cache field.
func LabCache(c *expcache.Cache, salt string) *expcache.Cache {
	if c == nil {
		c = expcache.Default().WithSalt(salt).WithLog(os.Stderr)
	}
	return c
}
