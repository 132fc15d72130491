package toyexp

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/datasets/toy2d"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// CacheSalt is mixed into every cache key of this package; bump it when the meaning of a cached result
// changes for the same spec.
const CacheSalt = "toyexp/1"

// Cache entry names (the "<name>-<hash>" directories of mixflowlib/expcache).
const (
	cacheBase     = "toy-base"
	cachePost     = "toy-post"
	cacheEval     = "toy-eval"
	cacheSlowFlow = "toy-slowflow"
)

// Run kinds.
const (
	// RunBase is a model trained from scratch (TrainBase).
	RunBase = "base"
	// RunPost is a model post-trained from a base (PostTrain).
	RunPost = "post"
	// RunOracle is the exact velocity of the data distribution (OracleRun): no training, no error but
	// the sampler's.
	RunOracle = "oracle"
)

// Lab runs toy experiments with a cache and an observer. The zero value is ready to use: it caches under
// expcache.Default() (salted with CacheSalt) and reports nothing.
type Lab struct {
	// Cache stores results; nil means expcache.Default().WithSalt(CacheSalt).
	Cache *expcache.Cache
	// Observer receives progress reports; nil means none.
	Observer experiment.Observer

	level int // added to event levels (a sweep runs its parts one level down)
}

func (l *Lab) cache() *expcache.Cache {
	l.Cache = experiment.LabCache(l.Cache, CacheSalt)
	return l.Cache
}

// Run is a model the experiments can sample from: a trained base, a post-trained model, or the oracle.
// It is what TrainBase and PostTrain return (and cache); its JSON form is stored in the cache.
type Run struct {
	// RunInfo holds the kind (RunBase, RunPost, RunOracle, RunOptimum), label, key ("toy-base-<hash12>",
	// or "oracle:<toy>" for the oracle), the base and post specs and the base's key.
	experiment.RunInfo[BaseSpec, PostSpec]
	// Data is the training data; Model the network (zero for the oracle).
	Data  DataSpec  `json:"data"`
	Model ModelSpec `json:"model"`
	// Trained holds the checkpoint (empty for the oracle and the optimum), the training history and
	// its numbers.
	experiment.Trained
	// Gamma is the slowing range of a RunOptimum run.
	Gamma float64 `json:"gamma,omitempty"`
}

// TrainBase trains the base model of spec (from scratch), or loads it from the cache. A cancelled ctx (in
// a notebook: signal.NotifyContext(ctx, os.Interrupt)) stops training after saving a checkpoint, and the
// next call resumes from it, as it does after a killed process (from the last periodic checkpoint).
func (l *Lab) TrainBase(ctx context.Context, spec BaseSpec) (*Run, error) {
	return experiment.TrainBase(l.cache(), spec, experiment.Training[BaseSpec, Run]{Name: cacheBase,
		Label: func(c BaseSpec) string { return "base (" + c.Objective.Label() + ")" },
		Begin: func(c BaseSpec, label string) *experiment.Stage { return l.trainStage("train", label, c.Train) },
		Train: func(dir string, c BaseSpec, label string, st *experiment.Stage) (Run, error) {
			src, err := newSource(c.Data, c.Data.Seed)
			if err != nil {
				return Run{}, err
			}
			r := Run{Kind: RunBase, Label: label, Data: c.Data, Model: c.Model, Base: &c}
			r.Trained, err = train(ctx, dir, r, c.Objective, c.Train, src, nil, st)
			return r, err
		}})
}

// PostTrain post-trains base (a run from TrainBase) with spec, or loads the result from the cache.
// The optimiser starts afresh (unless KeepOptimizer) and the EMA restarts from the starting weights; the
// step counter of the post-training run starts at 0. An interrupted post-training resumes like TrainBase.
func (l *Lab) PostTrain(ctx context.Context, base *Run, spec PostSpec) (*Run, error) {
	return experiment.PostTrain(l.cache(), "toyexp", base, spec, func(c PostSpec) bool { return c.FromEMA },
		experiment.Training[PostSpec, Run]{Name: cachePost,
			Label: func(c PostSpec) string { return c.Objective.Label() },
			Begin: func(c PostSpec, label string) *experiment.Stage { return l.trainStage("post-train", label, c.Train) },
			Train: func(dir string, c PostSpec, label string, st *experiment.Stage) (Run, error) {
				bspec := *base.Base
				src, err := newSource(bspec.Data, experiment.DataSeed(c.DataSeed, bspec.Data.Seed))
				if err != nil {
					return Run{}, err
				}
				r := Run{Kind: RunPost, Label: label, Data: bspec.Data, Model: bspec.Model, Base: &bspec, Post: &c, BaseKey: base.Key}
				opts := &trainer.PostTrainOptions{Base: base.Checkpoint, FromEMA: c.FromEMA, ResetEMA: true, KeepOptimizer: c.KeepOptimizer}
				r.Trained, err = train(ctx, dir, r, c.Objective, c.Train, src, opts, st)
				return r, err
			}})
}

// trainStage starts the stage of a training ("train" or "post-train") of the run named label.
func (l *Lab) trainStage(what, label string, ts TrainSpec) *experiment.Stage {
	return l.begin(fmt.Sprintf("%s %s, seed %d", what, label, ts.Seed), 1, "step", int(ts.Steps))
}

// train runs one training of r's network (fresh when post is nil, else post-training) inside a cache
// directory (experiment.Train).
func train(ctx context.Context, dir string, r Run, objSpec ObjectiveSpec, ts TrainSpec, src datasets.Source,
	post *trainer.PostTrainOptions, st *experiment.Stage) (experiment.Trained, error) {
	obj, err := objSpec.Build()
	if err != nil {
		return experiment.Trained{}, err
	}
	net, err := r.Model.Build(r.Data.Dim)
	if err != nil {
		return experiment.Trained{}, err
	}
	return experiment.Train(ctx, dir, experiment.TrainJob{Label: r.Label, Net: net, Objective: obj, Data: src,
		Train: experiment.TrainSpec(ts), Post: post, Stage: st})
}

// OracleRun returns the run of the exact velocity field of data (mixflowlib/backbone/oracle): the
// reference "perfect model", whose only error is the sampler's discretisation. It exists for the toys
// that are Gaussian mixtures, "8gaussians" and "gaussian", in 2-D (Dim 2).
func OracleRun(data DataSpec) (*Run, error) {
	c, err := data.Canonical()
	if err != nil {
		return nil, err
	}
	if _, err := oracleBackbone(c); err != nil {
		return nil, err
	}
	return &Run{Kind: RunOracle, Label: "exact velocity", Key: "oracle:" + c.Toy, Data: c}, nil
}

// oracleBackbone builds the exact velocity of a toy in its normalised coordinates.
func oracleBackbone(d DataSpec) (nn.Backbone, error) {
	if d.Dim != 2 {
		return nil, fmt.Errorf("toyexp: oracle: data dim %d: the exact velocity is only available in 2-D", d.Dim)
	}
	toy, err := toy2d.ByName(d.Toy)
	if err != nil {
		return nil, fmt.Errorf("toyexp: oracle: %w", err)
	}
	switch toy.Kind() {
	case toy2d.KindEightGaussian:
		// toy2d puts the raw components on the unit circle at angles 2πk/8 and scales by Scale().
		std, _ := toy.Param("std")
		return oracle.EightGaussians(toy.Scale(), toy.Scale()*std)
	case toy2d.KindGaussian:
		return oracle.NewGaussian([]float64{0, 0}, []float64{1})
	}
	return nil, fmt.Errorf("toyexp: oracle: toy %q has no exact velocity (only %s and %s do)", d.Toy,
		toy2d.KindEightGaussian, toy2d.KindGaussian)
}

// sampling returns the backbone and the store to sample run with. useEMA asks for the EMA weights;
// a run without EMA samples with its raw weights.
func (r *Run) sampling(useEMA bool) (nn.Backbone, *model.Store, error) {
	if r == nil {
		return nil, nil, errors.New("toyexp: nil run")
	}
	switch r.Kind {
	case RunOracle:
		net, err := oracleBackbone(r.Data)
		return net, model.NewStore(), err
	case RunOptimum:
		net, err := optimumBackbone(r)
		return net, model.NewStore(), err
	case RunBase, RunPost:
	default:
		return nil, nil, fmt.Errorf("toyexp: run %q has unknown kind %q", r.Label, r.Kind)
	}
	return r.Sampling("toyexp", r.Key, useEMA && r.HasEMA, func() (nn.Backbone, error) { return r.Model.Build(r.Data.Dim) })
}

// newSource returns the training stream of d with the given seed: toy2d points, unlabelled, zero-padded
// to d.Dim coordinates.
func newSource(d DataSpec, seed uint64) (datasets.Source, error) {
	toy, err := toy2d.ByName(d.Toy)
	if err != nil {
		return nil, fmt.Errorf("toyexp: data: %w", err)
	}
	src, err := toy2d.NewSource(toy, seed)
	if err != nil {
		return nil, fmt.Errorf("toyexp: data: %w", err)
	}
	src = src.WithoutLabels()
	if d.Dim <= 2 {
		return src, nil
	}
	return &paddedSource{src: src, dim: d.Dim}, nil
}

// paddedSource embeds a 2-D toy stream in dim coordinates (the extra ones are 0).
type paddedSource struct {
	src *toy2d.Source
	dim int
}

func (p *paddedSource) Name() string { return fmt.Sprintf("%s,dim=%d", p.src.Name(), p.dim) }

func (p *paddedSource) Batch(step int64, size int) (datasets.Batch, error) {
	xy, _, err := p.src.Arrays(step, size)
	if err != nil {
		return datasets.Batch{}, err
	}
	return datasets.Batch{X: tensors.FromFlatDataAndDimensions(pad(xy, p.dim), size, p.dim)}, nil
}

// pad copies n row-major 2-D points into n rows of dim values (dim ≥ 2), zero beyond the first two.
func pad(xy []float32, dim int) []float32 {
	if dim == 2 {
		return xy
	}
	n := len(xy) / 2
	out := make([]float32, n*dim)
	for i := range n {
		out[i*dim], out[i*dim+1] = xy[2*i], xy[2*i+1]
	}
	return out
}

// truePoints draws n fresh points of the data distribution of d (padded to d.Dim) with the given seed.
func truePoints(d DataSpec, n int, seed uint64) ([]float32, error) {
	toy, err := toy2d.ByName(d.Toy)
	if err != nil {
		return nil, fmt.Errorf("toyexp: data: %w", err)
	}
	xy, _, err := toy.Float32(n, seed)
	if err != nil {
		return nil, fmt.Errorf("toyexp: data: %w", err)
	}
	return pad(xy, d.Dim), nil
}

// rows converts a row-major [n, dim] float32 buffer into float64 rows, checking for non-finite values.
func rows(flat []float32, dim int) ([][]float64, error) {
	n := len(flat) / dim
	out := make([][]float64, n)
	for i := range out {
		r := make([]float64, dim)
		for j := range r {
			v := float64(flat[i*dim+j])
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("sample %d holds %v", i, v)
			}
			r[j] = v
		}
		out[i] = r
	}
	return out, nil
}

// Seed offsets that keep the random streams of an evaluation apart: the initial noise, the fresh true
// points the samples are compared with, a second independent set of true points (the metric's noise
// floor), the Slow Flow reference set and the noise of the SDE samplers.
const (
	seedNoise uint64 = 1 << 40
	seedTruth uint64 = 2 << 40
	seedFloor uint64 = 3 << 40
	seedRef   uint64 = 4 << 40
	seedSDE   uint64 = 5 << 40
)
