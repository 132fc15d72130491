package imageexp

import (
	"context"
	"errors"
	"fmt"

	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// CacheSalt is mixed into every cache key of this package; bump it when the meaning of a cached result
// changes for the same spec.
const CacheSalt = "imageexp/1"

// Cache entry names (the "<name>-<hash>" directories of mixflowlib/expcache).
const (
	cacheBase     = "img-base"
	cachePost     = "img-post"
	cacheEval     = "img-eval"
	cacheFloor    = "img-floor"
	cacheSlowFlow = "img-slowflow"
)

// Run kinds.
const (
	// RunBase is a model trained from scratch (TrainBase).
	RunBase = "base"
	// RunPost is a model post-trained from a base (PostTrain).
	RunPost = "post"
)

// Observer receives a Lab's progress reports (the core's type, experiment.Observer, shared with every
// lab, so one log observer and one notebook progress view serve them all).
type Observer = experiment.Observer

// Event is one progress report of a Lab (experiment.Event).
type Event = experiment.Event

// ObserverFunc adapts a function to the Observer interface (experiment.ObserverFunc).
type ObserverFunc = experiment.ObserverFunc

// LogObserver returns an observer that writes plain log lines to w (experiment.LogObserver).
var LogObserver = experiment.LogObserver

// Lab runs image experiments with a cache and an observer. The zero value is ready to use: it caches
// under expcache.Default() (salted with CacheSalt) and reports nothing. A Lab is not safe for concurrent
// use.
type Lab struct {
	// Cache stores results; nil means expcache.Default().WithSalt(CacheSalt).
	Cache *expcache.Cache
	// Observer receives progress reports; nil means none.
	Observer Observer
}

func (l *Lab) cache() *expcache.Cache {
	l.Cache = experiment.LabCache(l.Cache, CacheSalt)
	return l.Cache
}

// Run is a trained model: what TrainBase and PostTrain return (and cache); its JSON form is stored in
// the cache.
type Run struct {
	// RunInfo holds the kind (RunBase or RunPost), label, key ("img-base-<hash12>"), the base and post
	// specs and the base's key.
	experiment.RunInfo[BaseSpec, PostSpec]
	// Trained holds the final checkpoint (an absolute path), the training history (loss, auxiliary
	// losses, gradient norm, learning rate, step time) and its numbers.
	experiment.Trained
}

// Data returns the base data spec of the run.
func (r *Run) Data() DataSpec { return r.Base.Data }

// objective returns the objective the run was last trained with.
func (r *Run) objective() ObjectiveSpec {
	if r.Post != nil {
		return r.Post.Objective
	}
	return r.Base.Objective
}

func (r *Run) check() error {
	if r == nil {
		return errors.New("imageexp: nil run")
	}
	if (r.Kind != RunBase && r.Kind != RunPost) || r.Base == nil || r.Checkpoint == "" || r.Key == "" {
		return fmt.Errorf("imageexp: run %q is not a run returned by TrainBase or PostTrain", r.Label)
	}
	return nil
}

// TrainBase trains the base model of spec from scratch, or loads it from the cache. A cancelled ctx (in a
// notebook: signal.NotifyContext(ctx, os.Interrupt)) stops training after saving a checkpoint, and the
// next call resumes from it, as it does after a killed process (from the last periodic checkpoint).
func (l *Lab) TrainBase(ctx context.Context, spec BaseSpec) (*Run, error) {
	return experiment.TrainBase(l.cache(), spec, experiment.Training[BaseSpec, Run]{Name: cacheBase,
		Label: func(c BaseSpec) string { return "base (" + c.Objective.Label() + ")" },
		Begin: func(c BaseSpec, label string) *experiment.Stage { return l.trainStage("train", label, c.Train) },
		Train: func(dir string, c BaseSpec, label string, st *experiment.Stage) (Run, error) {
			data, err := c.Data.Load()
			if err != nil {
				return Run{}, err
			}
			r := Run{Kind: RunBase, Label: label, Base: &c}
			r.Trained, err = train(ctx, dir, label, c.Model, c.Objective, c.Train, data, nil, st)
			return r, err
		}})
}

// PostTrain post-trains base (a run from TrainBase) with spec, or loads the result from the cache. The
// optimiser starts afresh (unless KeepOptimizer), the EMA restarts from the starting weights and the step
// counter starts at 0. Runs with the same Train.Seed draw the same t, noise and batches where their
// objectives draw alike.
func (l *Lab) PostTrain(ctx context.Context, base *Run, spec PostSpec) (*Run, error) {
	if err := base.check(); err != nil {
		return nil, err
	}
	if base.Kind != RunBase {
		return nil, fmt.Errorf("imageexp: post-train: base %s is a post-trained run; start from a TrainBase run", base.Key)
	}
	return experiment.PostTrain(l.cache(), "imageexp", base, spec, func(c PostSpec) bool { return c.FromEMA },
		experiment.Training[PostSpec, Run]{Name: cachePost,
			Label: func(c PostSpec) string { return c.Objective.Label() },
			Begin: func(c PostSpec, label string) *experiment.Stage { return l.trainStage("post-train", label, c.Train) },
			Train: func(dir string, c PostSpec, label string, st *experiment.Stage) (Run, error) {
				bspec := *base.Base
				data, err := bspec.Data.loadWithSeed(experiment.DataSeed(c.DataSeed, bspec.Data.Seed))
				if err != nil {
					return Run{}, err
				}
				r := Run{Kind: RunPost, Label: label, Base: &bspec, Post: &c, BaseKey: base.Key}
				opts := &trainer.PostTrainOptions{Base: base.Checkpoint, FromEMA: c.FromEMA, ResetEMA: true,
					KeepOptimizer: c.KeepOptimizer}
				r.Trained, err = train(ctx, dir, label, bspec.Model, c.Objective, c.Train, data, opts, st)
				return r, err
			}})
}

// trainStage starts the stage of a training ("train" or "post-train") of the run named label.
func (l *Lab) trainStage(what, label string, ts TrainSpec) *experiment.Stage {
	return l.begin(what+" "+label, 1, "step", int(ts.Steps))
}

// train runs one training (fresh when post is nil, else post-training) of the network of ms on data
// inside a cache directory (experiment.Train).
func train(ctx context.Context, dir, label string, ms ModelSpec, objSpec ObjectiveSpec, ts TrainSpec, data *Data,
	post *trainer.PostTrainOptions, st *experiment.Stage) (experiment.Trained, error) {
	obj, err := objSpec.Build()
	if err != nil {
		return experiment.Trained{}, err
	}
	net, err := ms.Build()
	if err != nil {
		return experiment.Trained{}, err
	}
	return experiment.Train(ctx, dir, experiment.TrainJob{Label: label, Net: net, Objective: obj, Data: data.Train,
		Train: experiment.TrainSpec(ts), Post: post, Stage: st})
}

// Load returns a store holding the run's weights under "/model" (the EMA weights when useEMA and the run
// kept an EMA) and its backbone, for custom sampling or analysis with mixflowlib/sampler.
func (l *Lab) Load(run *Run, useEMA bool) (*model.Store, nn.Backbone, error) {
	if err := run.check(); err != nil {
		return nil, nil, err
	}
	net, store, err := run.Sampling("imageexp", run.Key, useEMA && run.HasEMA, run.Base.Model.Build)
	return store, net, err
}

func (l *Lab) begin(name string, level int, unit string, total int) *experiment.Stage {
	return experiment.StartStage(l.Observer, name, level, unit, total)
}
