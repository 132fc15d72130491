package trainer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/checkpoint"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// metaKind marks checkpoints written by this package.
const metaKind = "mixflow-trainer/v1"

// RunInfo is what a trainer records in each checkpoint's metadata besides the variables.
type RunInfo struct {
	// Path is the checkpoint file.
	Path string `json:"path"`
	// Step is the step counter at the checkpoint.
	Step int64 `json:"step"`
	// Config is the run's configuration.
	Config Config `json:"config"`
	// Objective and Source name the objective and the data source.
	Objective string `json:"objective"`
	Source    string `json:"source"`
	// AuxLosses lists the auxiliary loss terms.
	AuxLosses []string `json:"aux_losses,omitempty"`
	// Base is set for post-training runs.
	Base *BaseInfo `json:"base,omitempty"`
	// History is the run's history up to the checkpoint.
	History *History `json:"history,omitempty"`
	// TrainSeconds is the wall time spent training up to the checkpoint, over every attempt (0 in
	// checkpoints of older versions, which did not record it).
	TrainSeconds float64 `json:"train_seconds,omitempty"`
}

// windowState is the part of the log window not yet in the History, saved in checkpoints so that a
// resumed run's next History entry averages the same steps as an uninterrupted run's.
type windowState struct {
	N       int                `json:"n"`
	Loss    float64            `json:"loss"`
	ObjLoss float64            `json:"objective_loss"`
	Grad    float64            `json:"grad_norm"`
	Secs    float64            `json:"seconds"`
	Aux     map[string]float64 `json:"aux,omitempty"`
	LastLR  float64            `json:"last_lr"`
}

func (t *Trainer) metadata() checkpoint.Metadata {
	return checkpoint.Metadata{
		"kind":          metaKind,
		"step":          t.step,
		"config":        t.cfg,
		"objective":     t.obj.Name(),
		"source":        t.src.Name(),
		"aux_losses":    t.auxNames,
		"base":          t.base,
		"history":       t.history,
		"train_seconds": t.TrainSeconds(),
		"window": windowState{N: t.win.n, Loss: t.win.loss, ObjLoss: t.win.objLoss, Grad: t.win.grad,
			Secs: t.win.secs, Aux: t.win.aux, LastLR: t.win.lastLR},
	}
}

// runInfo decodes the trainer metadata of a checkpoint header.
func runInfo(path string, h *checkpoint.Header) (*RunInfo, error) {
	var kind string
	if err := h.Metadata.Decode("kind", &kind); err != nil || kind != metaKind {
		return nil, fmt.Errorf("trainer: checkpoint %s was not written by the MixFlow trainer (metadata kind %q)", path, kind)
	}
	ri := &RunInfo{Path: path}
	for key, dst := range map[string]any{"step": &ri.Step, "config": &ri.Config, "objective": &ri.Objective,
		"source": &ri.Source, "aux_losses": &ri.AuxLosses, "base": &ri.Base, "history": &ri.History} {
		if err := h.Metadata.Decode(key, dst); err != nil {
			return nil, fmt.Errorf("trainer: checkpoint %s: %w", path, err)
		}
	}
	if _, ok := h.Metadata["train_seconds"]; ok {
		if err := h.Metadata.Decode("train_seconds", &ri.TrainSeconds); err != nil {
			return nil, fmt.Errorf("trainer: checkpoint %s: %w", path, err)
		}
	}
	return ri, nil
}

// ReadRunInfo returns the run information (configuration, step, objective, source, base, history)
// recorded in a checkpoint file, or in the latest checkpoint of a directory. It reads only the header.
func ReadRunInfo(path string) (*RunInfo, error) {
	file, err := resolveCheckpoint(path)
	if err != nil {
		return nil, err
	}
	h, err := checkpoint.ReadHeader(file)
	if err != nil {
		return nil, err
	}
	return runInfo(file, h)
}

// resolveCheckpoint returns path if it is a file, or the latest checkpoint in it if it is a directory.
func resolveCheckpoint(path string) (string, error) {
	if path == "" {
		return "", fmt.Errorf("trainer: empty checkpoint path")
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("trainer: checkpoint %s: %w", path, err)
	}
	if !st.IsDir() {
		return path, nil
	}
	latest, err := checkpoint.LatestIn(path)
	if err != nil {
		return "", fmt.Errorf("trainer: %w", err)
	}
	return latest.Path, nil
}

func (t *Trainer) checkpointPath(step int64) string {
	if t.dir == nil {
		return ""
	}
	return filepath.Join(t.dir.Path(), checkpoint.FileName(step))
}

// SaveCheckpoint saves the whole state (weights, EMA, optimiser, step counter, RNG state) and the run
// information as the checkpoint of the current step in Config.CheckpointDir, keeping the most recent
// Config.KeepCheckpoints. It returns the file's path.
func (t *Trainer) SaveCheckpoint() (string, error) {
	if t.dir == nil {
		return "", fmt.Errorf("trainer: no checkpoint directory (set Config.CheckpointDir)")
	}
	if t.step == 0 {
		return "", fmt.Errorf("trainer: nothing to save before the first training step")
	}
	p, err := t.dir.Save(t.step, t.store, t.metadata())
	if err != nil {
		return "", fmt.Errorf("trainer: saving step %d: %w", t.step, err)
	}
	t.lastCheckpoint, t.lastSave = p, time.Now()
	return p, nil
}

// resume loads the checkpoint at path into the (empty) store.
func (t *Trainer) resume(path string) error {
	h, err := checkpoint.Load(path, t.store)
	if err != nil {
		return fmt.Errorf("trainer: resuming: %w", err)
	}
	ri, err := runInfo(path, h)
	if err != nil {
		return err
	}
	switch {
	case ri.Objective != t.obj.Name():
		return fmt.Errorf("trainer: checkpoint %s is from a run of objective %q, this trainer has %q: use another checkpoint directory",
			path, ri.Objective, t.obj.Name())
	case ri.Source != t.src.Name():
		return fmt.Errorf("trainer: checkpoint %s is from a run on source %q, this trainer has %q: use another checkpoint directory",
			path, ri.Source, t.src.Name())
	case ri.Config.BatchSize != t.cfg.BatchSize:
		return fmt.Errorf("trainer: checkpoint %s is from a run with batch size %d, this trainer has %d: use another checkpoint directory",
			path, ri.Config.BatchSize, t.cfg.BatchSize)
	}
	if v := t.store.GetVariable(GlobalStepPath); v == nil || !v.HasValue() {
		return fmt.Errorf("trainer: checkpoint %s has no step counter %s", path, GlobalStepPath)
	} else if s, ok := v.MustValue().Value().(int64); !ok || s != ri.Step {
		return fmt.Errorf("trainer: checkpoint %s: step counter %v disagrees with the metadata step %d", path, v.MustValue().Value(), ri.Step)
	}
	var win windowState
	if _, ok := h.Metadata["window"]; ok { // older checkpoints flushed the window before saving
		if err := h.Metadata.Decode("window", &win); err != nil {
			return fmt.Errorf("trainer: checkpoint %s: %w", path, err)
		}
	}
	t.step = ri.Step
	if ri.History != nil {
		t.history = ri.History
	}
	t.trainSeconds = ri.TrainSeconds
	t.win = window{n: win.N, loss: win.Loss, objLoss: win.ObjLoss, grad: win.Grad, secs: win.Secs, aux: win.Aux, lastLR: win.LastLR}
	t.history.Notes = append(t.history.Notes, Note{Step: t.step, Text: "resumed from " + path})
	t.base = ri.Base
	t.auxNames = ri.AuxLosses
	t.lastCheckpoint = path
	t.restoredFrom = path
	t.restoredVars = map[string]bool{}
	for _, vi := range h.Variables {
		if checkpoint.Under(vi.Path, ModelScope) {
			t.restoredVars[vi.Path] = true
		}
	}
	return nil
}

// PostTrainOptions says how a post-training run starts from its base checkpoint.
type PostTrainOptions struct {
	// Base is the trained checkpoint: a file, or a directory whose latest checkpoint is used.
	Base string
	// FromEMA starts from the base's EMA weights ("/ema/model") instead of its raw weights ("/model").
	FromEMA bool
	// KeepOptimizer carries over the base's Adam moments and Adam step count instead of starting the
	// optimiser afresh (the default).
	KeepOptimizer bool
	// ResetEMA starts the EMA afresh from the starting weights instead of continuing the base's EMA
	// (when Config.EMADecay > 0 and the base has one).
	ResetEMA bool
}

// PostTrain returns a trainer that continues training the model of a trained checkpoint with another
// objective (or the same one: a conventional continuation), as MixFlow post-trains SiT, REPA and RAE.
// The run has its own step counter (from 0), its own seed for in-graph randomness, a fresh optimiser
// unless opts.KeepOptimizer, and records the base checkpoint in its metadata (Trainer.Base). If
// cfg.CheckpointDir already holds checkpoints of this post-training run, it resumes from the latest
// instead. The checkpoint directory must differ from the base's.
func PostTrain(cfg Config, net nn.Backbone, obj Objective, src datasets.Source, opts PostTrainOptions) (*Trainer, error) {
	t, err := newTrainer(cfg, net, obj, src)
	if err != nil {
		return nil, err
	}
	basePath, err := resolveCheckpoint(opts.Base)
	if err != nil {
		return nil, fmt.Errorf("trainer: post-training base: %w", trimPkg(err))
	}
	if abs, err := filepath.Abs(basePath); err == nil {
		basePath = abs // recorded in the metadata and compared on resume
	}
	absBase := filepath.Dir(basePath)
	if t.dir != nil {
		if absDir, _ := filepath.Abs(t.dir.Path()); absDir == absBase {
			return nil, fmt.Errorf("trainer: post-training checkpoint directory %s is the base's directory: use another one", t.dir.Path())
		}
		if err := t.resumeLatest(); err != nil {
			return nil, err
		}
		if t.restoredFrom != "" {
			if t.base == nil || t.base.Path != basePath {
				return nil, fmt.Errorf("trainer: checkpoint directory %s holds a run that did not post-train from %s: use another directory",
					t.dir.Path(), basePath)
			}
			return t, nil
		}
	}

	ck, err := checkpoint.Read(basePath)
	if err != nil {
		return nil, fmt.Errorf("trainer: post-training base: %w", err)
	}
	base := &BaseInfo{Path: basePath, FromEMA: opts.FromEMA, KeptOptimizer: opts.KeepOptimizer}
	if ri, err := runInfo(basePath, &ck.Header); err == nil {
		base.Step, base.Objective, base.Source = ri.Step, ri.Objective, ri.Source
	}
	from := ModelScope
	if opts.FromEMA {
		from = EMAScope + ModelScope
		if count, ok := ck.Get(EMACountPath); !ok || scalarInt64(count) <= 0 {
			// No EMA update yet means the EMA equals the raw weights.
			from = ModelScope
		}
	}
	n, err := restoreModel(t.store, ck.Variables, from)
	if err != nil {
		return nil, fmt.Errorf("trainer: post-training base %s: %w", basePath, trimPkg(err))
	}
	if n == 0 {
		return nil, fmt.Errorf("trainer: post-training base %s has no model weights under %s", basePath, ModelScope)
	}
	if cfg.EMADecay > 0 && !opts.ResetEMA {
		if _, ok := ck.Get(EMACountPath); ok {
			if _, err := checkpoint.Restore(t.store, ck.Variables, EMAScope, EMAScope); err != nil {
				return nil, fmt.Errorf("trainer: post-training base %s: %w", basePath, trimPkg(err))
			}
		}
	}
	if opts.KeepOptimizer {
		m, err := checkpoint.Restore(t.store, ck.Variables, OptimizerScope, OptimizerScope)
		if err != nil {
			return nil, fmt.Errorf("trainer: post-training base %s: %w", basePath, trimPkg(err))
		}
		if m == 0 {
			return nil, fmt.Errorf("trainer: post-training base %s has no optimiser state under %s to keep", basePath, OptimizerScope)
		}
	}
	t.base = base
	t.restoredFrom = basePath
	t.restoredVars = map[string]bool{}
	for v := range t.store.IterVariables() {
		if checkpoint.Under(v.Path(), ModelScope) {
			t.restoredVars[v.Path()] = true
		}
	}
	what := "raw"
	if from != ModelScope {
		what = "EMA"
	}
	t.history.Notes = append(t.history.Notes, Note{Step: 0, Text: fmt.Sprintf(
		"post-training %s from %s (step %d, objective %q), starting from its %s weights", obj.Name(), basePath, base.Step, base.Objective, what)})
	return t, nil
}

// restoreModel copies the model weights in vars into store's "/model": the raw weights, overlaid with
// the EMA weights when from is the EMA scope (EMA copies exist only for trainable variables, so
// non-trainable model variables and the trainable flags come from the raw weights).
func restoreModel(store *model.Store, vars []checkpoint.Variable, from string) (int, error) {
	n, err := checkpoint.Restore(store, vars, ModelScope, ModelScope)
	if err != nil || from == ModelScope {
		return n, err
	}
	m, err := checkpoint.Restore(store, vars, from, ModelScope)
	if err == nil && m == 0 {
		err = fmt.Errorf("no EMA weights under %s", from)
	}
	return n, err
}

// scalarInt64 returns the value of an int64 scalar tensor, or -1 for anything else.
func scalarInt64(t *tensors.Tensor) int64 {
	if t == nil || !t.Ok() || !t.Shape().IsScalar() {
		return -1
	}
	v, ok := t.Value().(int64)
	if !ok {
		return -1
	}
	return v
}

func trimPkg(err error) error {
	msg := err.Error()
	for _, p := range []string{"trainer: ", "checkpoint: "} {
		msg = strings.TrimPrefix(msg, p)
	}
	return errors.New(msg)
}

// SamplingStore returns a new store whose "/model" holds a copy of the weights to sample with: the EMA
// weights when useEMA (the current weights if no update has happened yet), else the current weights.
// It is what mixflowlib/sampler expects; changing it does not affect the trainer.
func (t *Trainer) SamplingStore(useEMA bool) (*model.Store, error) {
	vars, err := checkpoint.FromStore(t.store, ModelScope)
	if err != nil || len(vars) == 0 {
		return nil, fmt.Errorf("trainer: no model weights yet: train at least one step, call Init, or resume from a checkpoint")
	}
	from := ModelScope
	if useEMA {
		if t.cfg.EMADecay == 0 {
			return nil, fmt.Errorf("trainer: EMA weights requested but Config.EMADecay is 0 (no EMA is kept)")
		}
		if c := t.store.GetVariable(EMACountPath); c != nil && c.HasValue() && scalarInt64(c.MustValue()) > 0 {
			ema, err := checkpoint.FromStore(t.store, EMAScope+ModelScope)
			if err != nil {
				return nil, fmt.Errorf("trainer: %w", trimPkg(err))
			}
			vars = append(vars, ema...)
			from = EMAScope + ModelScope
		}
	}
	s := model.NewStore()
	s.SetParam(model.ParamInitialSeed, t.cfg.Seed)
	if _, err := restoreModel(s, vars, from); err != nil {
		return nil, fmt.Errorf("trainer: %w", trimPkg(err))
	}
	return s, nil
}

// SamplingStoreFromCheckpoint is SamplingStore for a saved run: path is a checkpoint file or a
// directory (its latest checkpoint is used). With useEMA the checkpoint must hold EMA weights.
func SamplingStoreFromCheckpoint(path string, useEMA bool) (*model.Store, error) {
	file, err := resolveCheckpoint(path)
	if err != nil {
		return nil, err
	}
	ck, err := checkpoint.Read(file)
	if err != nil {
		return nil, err
	}
	from := ModelScope
	if useEMA {
		count, ok := ck.Get(EMACountPath)
		if !ok {
			return nil, fmt.Errorf("trainer: checkpoint %s has no EMA weights (the run had EMADecay 0)", file)
		}
		if scalarInt64(count) > 0 {
			from = EMAScope + ModelScope
		}
	}
	s := model.NewStore()
	if ri, err := runInfo(file, &ck.Header); err == nil {
		s.SetParam(model.ParamInitialSeed, ri.Config.Seed)
	}
	n, err := restoreModel(s, ck.Variables, from)
	if err != nil {
		return nil, fmt.Errorf("trainer: %s: %w", file, trimPkg(err))
	}
	if n == 0 {
		return nil, fmt.Errorf("trainer: checkpoint %s has no model weights under %s", file, ModelScope)
	}
	return s, nil
}
