package highdim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// CacheSalt is mixed into every cache key of this package; bump it when the meaning of a cached result
// changes for the same spec.
const CacheSalt = "highdim/1"

// Run kinds.
const (
	// RunBase is a model trained from scratch (TrainBase).
	RunBase = "base"
	// RunPost is a model post-trained from a base (PostTrain).
	RunPost = "post"
	// RunOracle is the exact velocity of the data (OracleRun).
	RunOracle = "oracle"
	// RunOptimum is the exact minimiser of the MixFlow loss for a γ (OptimumRun).
	RunOptimum = "optimum"
)

// Lab runs the study's experiments with a cache. The zero value caches under expcache.Default()
// (salted with CacheSalt) and logs one line per computed training to os.Stderr.
type Lab struct {
	// Cache stores results; nil means expcache.Default().WithSalt(CacheSalt).
	Cache *expcache.Cache
	// Log receives one line per training or evaluation that is computed (not loaded); nil means
	// os.Stderr, and Quiet silences it.
	Log   func(format string, args ...any)
	Quiet bool
}

func (l *Lab) cache() *expcache.Cache {
	l.Cache = experiment.LabCache(l.Cache, CacheSalt)
	return l.Cache
}

func (l *Lab) logf(format string, args ...any) {
	if l.Quiet {
		return
	}
	if l.Log != nil {
		l.Log(format, args...)
		return
	}
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

// Run is a model the study samples from: a trained base, a post-trained model, or an exact reference.
type Run struct {
	// RunInfo holds the kind (RunBase, RunPost, RunOracle, RunOptimum), label, key (the cache key, or
	// "oracle:…"/"optimum:…"), the base and post specs and the base's key.
	experiment.RunInfo[BaseSpec, PostSpec]
	// Data is the data spec (canonical); Model the network (zero for the exact references).
	Data  DataSpec           `json:"data"`
	Model experiment.MLPSpec `json:"model"`
	// Trained holds the checkpoint (trained runs only), the training history and its numbers.
	experiment.Trained
	// Gamma is the slowing range of a RunOptimum run.
	Gamma float64 `json:"gamma,omitempty"`
}

// TrainBase trains the base of spec from scratch, or loads it from the cache. A cancelled ctx stops
// training after a checkpoint and the next call resumes from it, as it does after a killed process.
func (l *Lab) TrainBase(ctx context.Context, spec BaseSpec) (*Run, error) {
	return experiment.TrainBase(l.cache(), spec, experiment.Training[BaseSpec, Run]{Name: "hd-base",
		Label: func(c BaseSpec) string { return "base (" + c.Arm.Label() + ")" },
		Train: func(dir string, c BaseSpec, label string, _ *experiment.Stage) (Run, error) {
			src, err := newSource(c.Data, c.Data.StreamSeed)
			if err != nil {
				return Run{}, err
			}
			r := Run{Kind: RunBase, Label: label, Data: c.Data, Model: c.Model, Base: &c}
			r.Trained, err = l.train(ctx, dir, r, c.Arm, c.Train, src, nil)
			return r, err
		}})
}

// PostTrain post-trains base (a run from TrainBase) with spec from the base's EMA weights, with a fresh
// optimiser and a fresh EMA, or loads the result from the cache.
func (l *Lab) PostTrain(ctx context.Context, base *Run, spec PostSpec) (*Run, error) {
	return experiment.PostTrain(l.cache(), "highdim", base, spec, func(PostSpec) bool { return false },
		experiment.Training[PostSpec, Run]{Name: "hd-post",
			Label: func(c PostSpec) string { return c.Arm.Label() },
			Train: func(dir string, c PostSpec, label string, _ *experiment.Stage) (Run, error) {
				bspec := *base.Base
				seed := c.DataSeed
				if seed == 0 {
					seed = bspec.Data.StreamSeed + 1<<32 + uint64(c.Train.Seed)<<20
				}
				src, err := newSource(bspec.Data, seed)
				if err != nil {
					return Run{}, err
				}
				r := Run{Kind: RunPost, Label: label, Data: bspec.Data, Model: bspec.Model, Base: &bspec, Post: &c, BaseKey: base.Key}
				opts := &trainer.PostTrainOptions{Base: base.Checkpoint, FromEMA: bspec.Train.EMADecay > 0, ResetEMA: true}
				r.Trained, err = l.train(ctx, dir, r, c.Arm, c.Train, src, opts)
				return r, err
			}})
}

// train runs one training of r's network (fresh when post is nil, else post-training) inside a cache
// directory (experiment.Train) and logs it.
func (l *Lab) train(ctx context.Context, dir string, r Run, arm Arm, ts experiment.TrainSpec, src datasets.Source,
	post *trainer.PostTrainOptions) (experiment.Trained, error) {
	obj, err := arm.build()
	if err != nil {
		return experiment.Trained{}, err
	}
	net, err := r.Model.Build(r.Data.Dim)
	if err != nil {
		return experiment.Trained{}, fmt.Errorf("highdim: %w", err)
	}
	t, err := experiment.Train(ctx, dir, experiment.TrainJob{Label: r.Label, Net: net, Objective: obj, Data: src, Train: ts, Post: post})
	if err != nil {
		return t, err
	}
	l.logf("highdim: trained %s (D=%d, seed %d, %d steps) in %.1f s, final loss %.4f", r.Label, r.Data.Dim, ts.Seed, ts.Steps, t.TrainSeconds, t.FinalLoss)
	return t, nil
}

// OracleRun returns the exact velocity of data: the "perfect model", whose only error is the sampler's.
func OracleRun(data DataSpec) (*Run, error) {
	c, err := data.Canonical()
	if err != nil {
		return nil, err
	}
	return &Run{Kind: RunOracle, Label: "exact velocity", Key: fmt.Sprintf("oracle:%+v", c), Data: c}, nil
}

// OptimumRun returns the exact minimiser of the MixFlow loss with slowing range gamma for data
// (oracle.NewMixFlowOptimum): what MixFlow asks a network of unlimited capacity to compute.
func OptimumRun(data DataSpec, gamma float64) (*Run, error) {
	c, err := data.Canonical()
	if err != nil {
		return nil, err
	}
	if _, err := c.optimum(gamma); err != nil { // validates γ (oracle.NewMixFlowOptimum)
		return nil, err
	}
	return &Run{Kind: RunOptimum, Label: fmt.Sprintf("MixFlow optimum γ=%g", gamma), Key: fmt.Sprintf("optimum:%g:%+v", gamma, c), Data: c, Gamma: gamma}, nil
}

// Backbone returns the network and the weights to sample run with (the EMA weights when useEMA and the
// run kept them), e.g. for the diagnostics of mixflowlib/exposure.
func (r *Run) Backbone(useEMA bool) (nn.Backbone, *model.Store, error) {
	if r == nil {
		return nil, nil, errors.New("highdim: nil run")
	}
	switch r.Kind {
	case RunOracle:
		mix, err := r.Data.Mixture()
		return mix, model.NewStore(), err
	case RunOptimum:
		o, err := r.Data.optimum(r.Gamma)
		if err != nil {
			return nil, nil, err
		}
		return o, model.NewStore(), nil
	case RunBase, RunPost:
	default:
		return nil, nil, fmt.Errorf("highdim: run %q has unknown kind %q", r.Label, r.Kind)
	}
	hasEMA := r.Base != nil && r.Base.Train.EMADecay > 0
	if r.Post != nil {
		hasEMA = r.Post.Train.EMADecay > 0
	}
	return r.Sampling("highdim", r.Key, useEMA && hasEMA, func() (nn.Backbone, error) { return r.Model.Build(r.Data.Dim) })
}

// source is the training stream of the rotated mixture: batch k is a pure function of (seed, k).
type source struct {
	mix  *oracle.Mixture
	seed uint64
	name string
}

// newSource returns the training stream of d with the given seed.
func newSource(d DataSpec, seed uint64) (datasets.Source, error) {
	mix, err := d.Mixture()
	if err != nil {
		return nil, err
	}
	return &source{mix: mix, seed: seed, name: fmt.Sprintf("rotated(dim=%d,k=%d,seed=%d)", d.Dim, d.Components, seed)}, nil
}

func (s *source) Name() string { return s.name }

func (s *source) Batch(step int64, size int) (datasets.Batch, error) {
	if size < 1 {
		return datasets.Batch{}, fmt.Errorf("highdim: batch size %d must be >= 1", size)
	}
	x, _ := s.mix.Sample(rand.New(rand.NewPCG(s.seed, uint64(step))), size)
	return datasets.Batch{X: tensors.FromFlatDataAndDimensions(x, size, s.mix.Dim())}, nil
}

// TruePoints returns n fresh points of data (row-major [n, D]) and their components, drawn with seed
// from a stream independent of the training streams.
func TruePoints(data DataSpec, n int, seed uint64) ([]float32, []int32, error) {
	mix, err := data.Mixture()
	if err != nil {
		return nil, nil, err
	}
	if n < 1 || n > 1<<20 {
		return nil, nil, fmt.Errorf("highdim: true points n %d outside [1, %d]", n, 1<<20)
	}
	x, k := mix.Sample(rand.New(rand.NewPCG(seed, seedTruth)), n)
	return x, k, nil
}

// Stream offsets that keep the random draws of an evaluation apart from the training streams.
const (
	seedTruth uint64 = 0x7e57_0000_0000
	seedNoise uint64 = 1 << 40
	seedFloor uint64 = 3 << 40
)
