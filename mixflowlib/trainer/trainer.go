// Package trainer trains MixFlow models: it runs an objective (flow matching, MixFlow) on a backbone
// over a data source with Adam/AdamW, a learning-rate schedule, global-norm gradient clipping and an
// EMA of the weights, saves atomic checkpoints, resumes exactly from them, and post-trains from a
// trained checkpoint with another objective.
//
// One training step is one compiled GoMLX graph (model.Exec): the objective's loss plus every auxiliary
// term registered with nn.AddAuxLoss, the gradients, clipping, the optimiser update and the EMA update.
// Go loops it over datasets.Source batches; because Source.Batch is a pure function of the step and
// every random draw comes from the Store's RNG (saved in checkpoints), a resumed run computes exactly
// what an uninterrupted one would.
//
// Store layout: the backbone's variables live under "/model" (the scope given to Objective.LossGraph),
// EMA copies under "/ema/model" (with the update count at "/ema/num_updates"), Adam's moments under
// "/AdamOptimizer", the step counter at "/global_step", the learning rate at "/optimizers/learning_rate"
// and the RNG state at "/#rngState".
package trainer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/checkpoint"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// Objective is the training loss the trainer minimises (mixflowlib/objective implements it).
//
// LossGraph receives the "/model" scope of the trainer's Store (the backbone must create its variables
// below it), the backbone, the batch x1 (data, t = 1) and its conditioning, and returns a scalar loss.
// In-graph randomness must come from the Store's RNG (scope.RandomUniform, scope.RandomNormal) so that
// runs are reproducible and resumable.
type Objective interface {
	// Name describes the objective and its settings, e.g. "mixflow(gamma=0.8)".
	Name() string
	// LossGraph builds the scalar loss of one batch.
	LossGraph(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond) *Node
}

// Store paths used by the trainer.
const (
	// ModelScope holds the backbone's variables.
	ModelScope = "/model"
	// EMAScope holds the EMA copies: the EMA of "/model/a/b" is "/ema/model/a/b".
	EMAScope = "/ema"
	// EMACountPath counts EMA updates (int64); 0 means the next update starts from the current weights.
	EMACountPath = "/ema/num_updates"
	// OptimizerScope holds Adam's moments and its own step counter.
	OptimizerScope = "/" + optimizer.AdamDefaultScope
	// GlobalStepPath holds the step counter (int64).
	GlobalStepPath = "/" + optimizer.GlobalStepVariableName
	// RNGStatePath holds the Store's random number generator state.
	RNGStatePath = "/" + model.RNGStateVariableName
)

// emaPath returns the EMA variable path of a model variable path.
func emaPath(p string) string { return EMAScope + p }

// gradOptimizer is implemented by GoMLX's Adam: it applies given (already clipped) gradients.
type gradOptimizer interface {
	UpdateGraphWithGradients(scope *model.Scope, grads []*Node, lossDType dtypes.DType)
}

// Trainer trains one model. Create it with New (fresh or resumed run) or PostTrain; it is not safe for
// concurrent use.
type Trainer struct {
	cfg     Config
	net     nn.Backbone
	obj     Objective
	src     datasets.Source
	backend compute.Backend
	store   *model.Store
	opt     gradOptimizer

	exec     *model.Exec
	auxNames []string
	batch0   batchSignature
	compiled bool

	step    int64
	history *History
	win     window

	trainSeconds float64   // wall time of TrainSteps in earlier attempts and finished calls
	segStart     time.Time // start of the TrainSteps call in progress (zero when none)
	lastSave     time.Time // when the last checkpoint was saved, or this call started

	dir            *checkpoint.Dir
	lastCheckpoint string
	restoredFrom   string          // checkpoint whose variables were loaded (resume or post-training base)
	restoredVars   map[string]bool // their paths, to check them against the model at compile time
	base           *BaseInfo

	onStep      func(StepReport) error
	log         io.Writer
	announced   bool
	corruptNote []string // corrupt checkpoints set aside by New, announced with the first log line
}

// BaseInfo records, for a post-training run, the checkpoint it started from.
type BaseInfo struct {
	// Path is the base checkpoint file.
	Path string `json:"path"`
	// Step is the base run's step counter.
	Step int64 `json:"step"`
	// Objective and Source are the base run's objective and data source.
	Objective string `json:"objective,omitempty"`
	Source    string `json:"source,omitempty"`
	// FromEMA is true when training started from the base's EMA weights.
	FromEMA bool `json:"from_ema"`
	// KeptOptimizer is true when the base's optimiser state was carried over.
	KeptOptimizer bool `json:"kept_optimizer"`
}

// New returns a trainer for cfg. If cfg.CheckpointDir holds checkpoints, the trainer resumes from the
// latest one: weights, EMA, optimiser state, step counter, RNG state, history and training time; the
// checkpoint must come from a run of the same objective, source and batch size. A damaged latest
// checkpoint (checkpoint.ErrCorrupt: truncated, checksum mismatch, ...) is renamed to <name>.corrupt and
// the run resumes from the newest good one before it, or starts afresh if there is none; the log says so.
func New(cfg Config, net nn.Backbone, obj Objective, src datasets.Source) (*Trainer, error) {
	t, err := newTrainer(cfg, net, obj, src)
	if err != nil {
		return nil, err
	}
	if t.dir != nil {
		if err := t.resumeLatest(); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// resumeLatest resumes from the newest checkpoint of the directory that is not corrupt, setting corrupt
// ones aside; with none it leaves the trainer fresh.
func (t *Trainer) resumeLatest() error {
	entries, err := t.dir.List()
	if err != nil {
		return fmt.Errorf("trainer: %w", err)
	}
	for i := len(entries) - 1; i >= 0; i-- {
		p := entries[i].Path
		err := t.resume(p)
		if err == nil {
			return nil
		}
		if !errors.Is(err, checkpoint.ErrCorrupt) {
			return err
		}
		aside := p + ".corrupt"
		if rerr := os.Rename(p, aside); rerr != nil {
			return errors.Join(err, fmt.Errorf("trainer: setting the corrupt checkpoint aside: %w", rerr))
		}
		next := "starting afresh"
		if i > 0 {
			next = "falling back to " + entries[i-1].Path
		}
		t.corruptNote = append(t.corruptNote, fmt.Sprintf("%s (renamed %s); %s", strings.TrimPrefix(err.Error(), "trainer: resuming: checkpoint: "), filepath.Base(aside), next))
		t.resetStore()
	}
	return nil
}

// newTrainer validates the inputs and sets up an empty store.
func newTrainer(cfg Config, net nn.Backbone, obj Objective, src datasets.Source) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if net == nil || obj == nil || src == nil {
		return nil, fmt.Errorf("trainer: backbone, objective and data source must all be non-nil")
	}
	be, err := backend.Or(cfg.Backend)
	if err != nil {
		return nil, err // the backend names itself and the fix
	}
	t := &Trainer{
		cfg: cfg, net: net, obj: obj, src: src, backend: be,
		history: &History{Objective: obj.Name(), Source: src.Name()},
		log:     os.Stdout,
	}
	t.resetStore()
	adam := optimizer.Adam().LearningRate(cfg.LR).Betas(cfg.Beta1, cfg.Beta2).Epsilon(cfg.Eps).DType(dtypes.Float32)
	if cfg.Optimizer == AdamW && cfg.WeightDecay > 0 {
		adam = adam.WeightDecay(cfg.WeightDecay)
	}
	opt, ok := adam.Done().(gradOptimizer)
	if !ok {
		return nil, fmt.Errorf("trainer: GoMLX's Adam no longer accepts precomputed gradients (UpdateGraphWithGradients)")
	}
	t.opt = opt
	if cfg.CheckpointDir != "" {
		if t.dir, err = checkpoint.OpenDir(cfg.CheckpointDir, cfg.KeepCheckpoints); err != nil {
			return nil, fmt.Errorf("trainer: %w", err)
		}
	}
	return t, nil
}

// resetStore replaces the store by an empty one seeded with cfg.Seed.
func (t *Trainer) resetStore() {
	t.store = model.NewStore()
	t.store.SetParam(model.ParamInitialSeed, t.cfg.Seed)
	t.exec, t.compiled = nil, false
}

// Config returns the trainer's configuration.
func (t *Trainer) Config() Config { return t.cfg }

// Store returns the trainer's model.Store (weights, EMA, optimiser state). Use SamplingStore to get a
// separate store for sampling.
func (t *Trainer) Store() *model.Store { return t.store }

// Step returns the step counter: the number of updates done (including those before a resume).
func (t *Trainer) Step() int64 { return t.step }

// History returns the run's history so far (the trainer keeps appending to it).
func (t *Trainer) History() *History { return t.history }

// TrainSeconds returns the wall time spent training this run so far, summed over every attempt: the
// time of earlier attempts up to their last checkpoint (a killed attempt loses the time after it, like
// its steps), plus the calls of Train and TrainSteps of this trainer, including one in progress.
func (t *Trainer) TrainSeconds() float64 {
	s := t.trainSeconds
	if !t.segStart.IsZero() {
		s += time.Since(t.segStart).Seconds()
	}
	return s
}

// LastCheckpoint returns the path of the most recent checkpoint saved or resumed from, or "".
func (t *Trainer) LastCheckpoint() string { return t.lastCheckpoint }

// Base returns the post-training base checkpoint, or nil for a run trained from scratch.
func (t *Trainer) Base() *BaseInfo { return t.base }

// AuxLossNames returns the names of the auxiliary losses registered by the objective (known after the
// first step or Init).
func (t *Trainer) AuxLossNames() []string { return append([]string(nil), t.auxNames...) }

// OnStep sets a hook called after every step with its report, e.g. to update a live loss chart. A hook
// that returns an error stops training with that error. nil removes the hook.
func (t *Trainer) OnStep(fn func(StepReport) error) { t.onStep = fn }

// SetLog sets where a one-line summary is printed every Config.LogEvery steps (default os.Stdout);
// nil silences it.
func (t *Trainer) SetLog(w io.Writer) {
	if w == nil {
		w = io.Discard
	}
	t.log = w
}

// batchSignature is the part of a batch the compiled step depends on.
type batchSignature struct {
	x, labels, tokens shapes.Shape
	hasLabels         bool
	hasTokens         bool
}

func (s batchSignature) String() string {
	out := "x " + s.x.String()
	if s.hasLabels {
		out += ", labels " + s.labels.String()
	}
	if s.hasTokens {
		out += ", tokens " + s.tokens.String()
	}
	return out
}

func (s batchSignature) equal(o batchSignature) bool {
	return s.hasLabels == o.hasLabels && s.hasTokens == o.hasTokens && s.x.Equal(o.x) &&
		(!s.hasLabels || s.labels.Equal(o.labels)) && (!s.hasTokens || s.tokens.Equal(o.tokens))
}

// fetchBatch gets and checks the batch for the update at step (0-based).
func (t *Trainer) fetchBatch(step int64) (datasets.Batch, batchSignature, error) {
	fail := func(format string, args ...any) (datasets.Batch, batchSignature, error) {
		return datasets.Batch{}, batchSignature{}, fmt.Errorf("trainer: step %d: batch from source %q: %s",
			step+1, t.src.Name(), fmt.Sprintf(format, args...))
	}
	b, err := t.src.Batch(step, t.cfg.BatchSize)
	if err != nil {
		return datasets.Batch{}, batchSignature{}, fmt.Errorf("trainer: step %d: source %q: %w", step+1, t.src.Name(), err)
	}
	if b.X == nil || !b.X.Ok() {
		return fail("no data (X is nil)")
	}
	sig := batchSignature{x: b.X.Shape()}
	if sig.x.DType != dtypes.Float32 || sig.x.Rank() < 1 {
		return fail("X is %s, want float32 [B, ...]", sig.x)
	}
	if sig.x.Dim(0) != t.cfg.BatchSize {
		return fail("X has batch size %d, want %d", sig.x.Dim(0), t.cfg.BatchSize)
	}
	if b.Cond.Labels != nil {
		sig.hasLabels, sig.labels = true, b.Cond.Labels.Shape()
		if sig.labels.DType != dtypes.Int32 || sig.labels.Rank() != 1 || sig.labels.Dim(0) != t.cfg.BatchSize {
			return fail("labels are %s, want int32 [%d]", sig.labels, t.cfg.BatchSize)
		}
	}
	if b.Cond.Tokens != nil {
		sig.hasTokens, sig.tokens = true, b.Cond.Tokens.Shape()
		if sig.tokens.DType != dtypes.Int32 || sig.tokens.Rank() != 2 || sig.tokens.Dim(0) != t.cfg.BatchSize {
			return fail("tokens are %s, want int32 [%d, L]", sig.tokens, t.cfg.BatchSize)
		}
	}
	bad, where := -1, 0.0
	tensors.MustConstFlatData(b.X, func(flat []float32) {
		for i, v := range flat {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				bad, where = i, float64(v)
				return
			}
		}
	})
	if bad >= 0 {
		return fail("X contains %v at flat index %d", where, bad)
	}
	if t.compiled && !sig.equal(t.batch0) {
		return fail("batch shape changed: %s, the first batch had %s", sig, t.batch0)
	}
	return b, sig, nil
}

// stepGraph builds the training step: loss, gradients, clipping, optimiser update, EMA update and the
// guard that keeps every variable unchanged when the loss or the gradient norm is not finite.
// Inputs: x, [labels], [tokens], lr. Outputs: total loss, objective loss, gradient norm, aux terms.
func (t *Trainer) stepGraph(scope *model.Scope, inputs []*Node) []*Node {
	g := inputs[0].Graph()
	scope.SetTraining(g, true)
	store := scope.Store()
	x, idx := inputs[0], 1
	var cond nn.Cond
	if t.batch0.hasLabels {
		cond.Labels = inputs[idx]
		idx++
	}
	if t.batch0.hasTokens {
		cond.Tokens = inputs[idx]
		idx++
	}
	lr := inputs[idx]

	objLoss := t.obj.LossGraph(scope.In("model"), t.net, x, cond)
	if objLoss == nil || !objLoss.Shape().IsScalar() || !objLoss.DType().IsFloat() {
		exceptions.Panicf("trainer: objective %q returned %v, want a scalar float loss", t.obj.Name(), objLoss)
	}
	objLoss = ConvertDType(objLoss, dtypes.Float32)
	total := objLoss
	auxTerms := nn.AuxLosses(g)
	t.auxNames = nn.AuxLossNames(g)
	auxOut := make([]*Node, len(t.auxNames))
	for i, name := range t.auxNames {
		auxOut[i] = ConvertDType(auxTerms[name], dtypes.Float32)
		total = Add(total, auxOut[i])
	}

	// Trainable variables in use, in the Store's order (the order GoMLX's gradients and Adam use).
	var trainVars []*model.Variable
	for v := range store.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			trainVars = append(trainVars, v)
		}
	}
	if len(trainVars) == 0 {
		exceptions.Panicf("trainer: the objective's graph uses no trainable variables (does the backbone create its weights under the scope it is given?)")
	}
	before := make([]*Node, len(trainVars))
	for i, v := range trainVars {
		before[i] = v.NodeValue(g)
	}
	grads := scope.BuildTrainableVariablesGradientsGraph(total)
	if len(grads) != len(trainVars) {
		exceptions.Panicf("trainer: got %d gradients for %d trainable variables", len(grads), len(trainVars))
	}
	var sumSq *Node
	for _, gr := range grads {
		s := ReduceAllSum(Square(ConvertDType(gr, dtypes.Float32)))
		if sumSq == nil {
			sumSq = s
		} else {
			sumSq = Add(sumSq, s)
		}
	}
	gradNorm := Sqrt(sumSq)
	if c := t.cfg.ClipGradNorm; c > 0 {
		coef := MinScalar(Div(Scalar(g, dtypes.Float32, c), AddScalar(gradNorm, 1e-6)), 1) // min(1, c/(‖g‖+1e-6))
		for i, gr := range grads {
			grads[i] = Mul(gr, ConvertDType(coef, gr.DType()))
		}
	}
	if t.cfg.Optimizer == Adam && t.cfg.WeightDecay > 0 {
		for i, gr := range grads {
			grads[i] = Add(gr, MulScalar(before[i], t.cfg.WeightDecay))
		}
	}
	optimizer.LearningRateVar(scope, dtypes.Float32, t.cfg.LR).SetNodeValue(lr)
	t.opt.UpdateGraphWithGradients(scope, grads, dtypes.Float32)

	if d := t.cfg.EMADecay; d > 0 {
		countVar := store.VariableWithValue(EMACountPath, int64(0)).SetTrainable(false)
		count := countVar.NodeValue(g)
		first := Equal(count, ScalarZero(g, dtypes.Int64))
		for i, v := range trainVars {
			if !checkpoint.Under(v.Path(), ModelScope) {
				continue
			}
			ev := store.VariableWithShape(emaPath(v.Path()), v.Shape(), Zeros).SetTrainable(false)
			prev := Where(first, before[i], ev.NodeValue(g))
			ev.SetNodeValue(Add(MulScalar(prev, d), MulScalar(v.NodeValue(g), 1-d)))
		}
		countVar.SetNodeValue(AddScalar(count, 1))
	}

	// A non-finite loss or gradient leaves every variable (weights, moments, counters, RNG) as it was.
	ok := LogicalAnd(IsFinite(total), IsFinite(gradNorm))
	for v := range store.IterVariables() {
		if !v.ChangedInGraph(g) {
			continue
		}
		orig := g.GetParameterByName(v.Path())
		if orig == nil {
			exceptions.Panicf("trainer: no graph parameter for changed variable %q", v.Path())
		}
		v.SetNodeValue(Where(ok, v.NodeValue(g), orig))
	}
	return append([]*Node{total, objLoss, gradNorm}, auxOut...)
}

// compile builds and compiles the step for the batch signature sig and checks the model's variables
// against a restored checkpoint.
func (t *Trainer) compile(sig batchSignature) error {
	t.batch0 = sig
	exec, err := model.NewExec(t.backend, t.store, t.stepGraph)
	if err != nil {
		return fmt.Errorf("trainer: %w", err)
	}
	exec.SetMaxCache(1)
	inShapes := []shapes.Shape{sig.x}
	if sig.hasLabels {
		inShapes = append(inShapes, sig.labels)
	}
	if sig.hasTokens {
		inShapes = append(inShapes, sig.tokens)
	}
	inShapes = append(inShapes, shapes.Make(dtypes.Float32))
	var g *Graph
	if exc := exceptions.Try(func() { g, err = exec.Compile(inShapes...) }); exc != nil {
		err = fmt.Errorf("%v", exc)
	}
	if err != nil {
		msg := err.Error()
		if t.restoredFrom != "" && strings.Contains(msg, "requested to reuse variable") {
			return fmt.Errorf("trainer: the model does not match checkpoint %s: %s", t.restoredFrom, firstLine(msg))
		}
		return fmt.Errorf("trainer: building the training step of %q: %s", t.obj.Name(), firstLine(msg))
	}
	if t.restoredFrom != "" {
		if err := t.checkRestored(g); err != nil {
			return err
		}
	}
	t.exec, t.compiled = exec, true
	return nil
}

// checkRestored verifies that the restored model weights are exactly the ones the model uses.
func (t *Trainer) checkRestored(g *Graph) error {
	for v := range t.store.IterVariables() {
		p := v.Path()
		if !checkpoint.Under(p, ModelScope) {
			continue
		}
		used := v.InUseByGraph(g)
		switch {
		case t.restoredVars[p] && !used:
			return fmt.Errorf("trainer: checkpoint %s has model variable %q (%s) that this model does not use: different architecture?",
				t.restoredFrom, p, v.Shape())
		case !t.restoredVars[p] && used:
			return fmt.Errorf("trainer: this model's variable %q (%s) is not in checkpoint %s: different architecture?",
				p, v.Shape(), t.restoredFrom)
		}
	}
	return nil
}

// firstLine returns the first line of a GoMLX error message without the executor's wrapping (the
// text after the last "panicked: "), which is the part that says what went wrong.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndex(s, "panicked: "); i >= 0 {
		s = s[i+len("panicked: "):]
	}
	return s
}

// Init builds and compiles the training step (using the batch of the next step for shapes) and
// initialises any variable that has no value yet, without training. After Init the model weights exist,
// e.g. to count parameters or take a SamplingStore before training.
func (t *Trainer) Init() error {
	if !t.compiled {
		_, sig, err := t.fetchBatch(t.step)
		if err != nil {
			return err
		}
		if err := t.compile(sig); err != nil {
			return err
		}
	}
	if err := t.store.InitializeVariables(t.backend, nil); err != nil {
		return fmt.Errorf("trainer: initialising variables: %w", err)
	}
	return nil
}

// NumParameters returns the number of scalar parameters of the model (under "/model"); call Init or
// train first.
func (t *Trainer) NumParameters() int {
	return t.store.Scope(ModelScope).NumParameters()
}

// TrainStep runs one optimiser update and returns its report. A non-finite loss or gradient norm
// returns an error naming the step; the update is then not applied (every variable keeps its value), so
// the trainer still holds the previous step's state. TrainStep does not log, call the OnStep hook, add
// to the History or save checkpoints: Train and TrainSteps do.
func (t *Trainer) TrainStep() (StepReport, error) {
	start := time.Now()
	b, sig, err := t.fetchBatch(t.step)
	if err != nil {
		return StepReport{}, err
	}
	if !t.compiled {
		if err := t.compile(sig); err != nil {
			return StepReport{}, err
		}
	}
	lr := t.cfg.LRAt(t.step)
	args := []any{b.X}
	if sig.hasLabels {
		args = append(args, b.Cond.Labels)
	}
	if sig.hasTokens {
		args = append(args, b.Cond.Tokens)
	}
	args = append(args, float32(lr))
	var outs []*tensors.Tensor
	if exc := exceptions.Try(func() { outs, err = t.exec.Call(args...) }); exc != nil {
		err = fmt.Errorf("%v", exc)
	}
	if err != nil {
		return StepReport{}, fmt.Errorf("trainer: step %d: %s", t.step+1, firstLine(err.Error()))
	}
	vals := make([]float64, len(outs))
	for i, o := range outs {
		vals[i] = float64(tensors.ToScalar[float32](o))
		_ = o.FinalizeAll()
	}
	r := StepReport{
		Step: t.step + 1, Loss: vals[0], ObjectiveLoss: vals[1], GradNorm: vals[2], LR: float64(float32(lr)),
	}
	if len(t.auxNames) > 0 {
		r.Aux = make(map[string]float64, len(t.auxNames))
		for i, name := range t.auxNames {
			r.Aux[name] = vals[3+i]
		}
	}
	if !isFinite(r.Loss) || !isFinite(r.GradNorm) {
		return r, t.nonFiniteError(r)
	}
	t.step++
	r.Duration = time.Since(start)
	return r, nil
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// nonFiniteError describes a step whose loss or gradient was not finite.
func (t *Trainer) nonFiniteError(r StepReport) error {
	var what []string
	if !isFinite(r.Loss) {
		what = append(what, fmt.Sprintf("loss is %v (objective %v", r.Loss, r.ObjectiveLoss))
		for _, name := range t.auxNames {
			what[0] += fmt.Sprintf(", %s %v", name, r.Aux[name])
		}
		what[0] += ")"
	}
	if !isFinite(r.GradNorm) {
		what = append(what, fmt.Sprintf("gradient norm is %v", r.GradNorm))
	}
	last := "no checkpoint saved yet"
	if t.lastCheckpoint != "" {
		last = "last checkpoint " + t.lastCheckpoint
	}
	return fmt.Errorf("trainer: step %d: %s; the update was not applied and the model keeps its step-%d state (%s); lower the learning rate or enable gradient clipping",
		r.Step, strings.Join(what, " and "), t.step, last)
}

// Train runs updates until the step counter reaches Config.Steps, logging every Config.LogEvery steps
// and saving a checkpoint every Config.CheckpointEvery steps, every Config.CheckpointSeconds of wall
// time and at the end (when a checkpoint directory is set). A cancelled ctx stops training after the
// current step, saves a checkpoint and returns ctx's error; the steps since the last History entry are
// kept in that checkpoint, not logged, so the resumed run's history is the uninterrupted run's. It
// returns the history; a run that is already complete returns at once.
//
// In a notebook, pass signal.NotifyContext(context.Background(), os.Interrupt): GoNB interrupts a cell
// with SIGINT (and kills it 5 s later), so the interrupted run is checkpointed and the next run of the
// cell resumes it.
func (t *Trainer) Train(ctx context.Context) (*History, error) {
	return t.TrainSteps(ctx, t.cfg.Steps-t.step)
}

// TrainSteps runs n more updates (see Train); it may go past Config.Steps, with the schedule's final
// learning rate.
func (t *Trainer) TrainSteps(ctx context.Context, n int64) (*History, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	t.announce(n)
	if n <= 0 {
		return t.history, nil
	}
	end := t.step + n
	t.segStart, t.lastSave = time.Now(), time.Now()
	defer func() {
		t.trainSeconds += time.Since(t.segStart).Seconds()
		t.segStart = time.Time{}
	}()
	every := t.cfg.checkpointInterval()
	for t.step < end {
		if err := ctx.Err(); err != nil {
			if _, serr := t.saveIfDir(); serr != nil {
				return t.history, errors.Join(fmt.Errorf("trainer: stopped at step %d: %w", t.step, err), serr)
			}
			return t.history, fmt.Errorf("trainer: stopped at step %d: %w", t.step, err)
		}
		r, err := t.TrainStep()
		if err != nil {
			t.flushLog()
			return t.history, err
		}
		t.win.add(r)
		if t.step%t.cfg.LogEvery == 0 {
			t.flushLog()
		}
		if t.onStep != nil {
			if err := t.onStep(r); err != nil {
				t.flushLog()
				return t.history, fmt.Errorf("trainer: step %d: stopped by the OnStep hook: %w", t.step, err)
			}
		}
		byStep := t.cfg.CheckpointEvery > 0 && t.step%t.cfg.CheckpointEvery == 0
		byTime := every > 0 && time.Since(t.lastSave) >= every
		if t.dir != nil && (byStep || byTime) && t.step != end {
			if _, err := t.SaveCheckpoint(); err != nil {
				return t.history, err
			}
		}
	}
	t.flushLog()
	if _, err := t.saveIfDir(); err != nil {
		return t.history, err
	}
	return t.history, nil
}

// announce prints, once, where a resumed or post-training run starts.
func (t *Trainer) announce(n int64) {
	if t.announced || t.log == nil {
		return
	}
	t.announced = true
	for _, note := range t.corruptNote {
		_, _ = fmt.Fprintf(t.log, "trainer: corrupt checkpoint %s\n", note)
	}
	switch {
	case t.restoredFrom != "" && t.step > 0 && n <= 0:
		_, _ = fmt.Fprintf(t.log, "trainer: %s already complete at step %d (%s)\n", t.obj.Name(), t.step, t.restoredFrom)
	case t.restoredFrom != "" && t.step > 0:
		_, _ = fmt.Fprintf(t.log, "trainer: resuming %s at step %d from %s\n", t.obj.Name(), t.step, t.restoredFrom)
	case t.base != nil && t.step == 0:
		_, _ = fmt.Fprintf(t.log, "trainer: post-training %s from %s (base step %d)\n", t.obj.Name(), t.base.Path, t.base.Step)
	}
}

// flushLog turns the current window into a History entry and prints it.
func (t *Trainer) flushLog() {
	if t.win.n == 0 {
		return
	}
	w := t.win
	t.win.flush(t.history, t.step)
	if t.log != nil {
		n := float64(w.n)
		r := StepReport{Step: t.step, Loss: w.loss / n, GradNorm: w.grad / n, LR: w.lastLR,
			Duration: time.Duration(w.secs / n * float64(time.Second))}
		if len(w.aux) > 0 {
			r.Aux = map[string]float64{}
			for k, v := range w.aux {
				r.Aux[k] = v / n
			}
		}
		prefix := ""
		if t.cfg.Steps > 0 {
			prefix = fmt.Sprintf("[%s/%d] ", t.obj.Name(), t.cfg.Steps)
		}
		_, _ = fmt.Fprintln(t.log, prefix+r.String())
	}
}

// saveIfDir saves a checkpoint of the current step when a directory is configured and the step has
// none yet.
func (t *Trainer) saveIfDir() (string, error) {
	if t.dir == nil || t.step == 0 {
		return "", nil
	}
	if t.lastCheckpoint == t.checkpointPath(t.step) {
		return t.lastCheckpoint, nil
	}
	return t.SaveCheckpoint()
}
