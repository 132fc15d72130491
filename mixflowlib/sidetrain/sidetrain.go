// Package sidetrain is the training loop of the side networks that sit below the backbones and the
// trainer: the evaluator's feature classifier and the frozen representation encoder. Both train a
// network on labelled images with Adam (decoupled weight decay), a linear warm-up then a cosine decay
// to 0 (lrschedule.CosineToZero), random flips from the image source and random shifts of the batch;
// only the network and its loss differ, which the caller's Loss builds.
//
// A run is deterministic for a given Run on a given backend: the initial weights come from Seed, and
// batch k with its flips and shifts is a pure function of (the source's seed, Shift, k).
package sidetrain

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/lrschedule"
)

// Run describes one training run. Its settings are validated by the caller's configuration
// (evaluator.TrainConfig, encoder.TrainConfig), which owns them; Train only refuses what it cannot run.
type Run struct {
	// Owner names the package whose network trains, as its errors start ("encoder: training step 3: …").
	Owner string
	// Backend is the compute backend; nil means the process-wide one (backend.New).
	Backend compute.Backend
	// Source gives the batches (flips included), e.g. an images.Source.
	Source datasets.Source
	// Seed seeds the initial weights and the in-graph random draws (the store's RNG).
	Seed uint64
	// Steps is the number of optimiser steps; BatchSize the number of images per step.
	Steps, BatchSize int
	// LR is the peak learning rate, reached after WarmupSteps of linear warm-up, followed by a cosine
	// decay to 0 at the last step.
	LR          float64
	WarmupSteps int
	// WeightDecay is Adam's decoupled weight decay (0: none).
	WeightDecay float64
	// MaxShift translates each batch's images by a random whole number of pixels in [−MaxShift,
	// MaxShift] (images.RandomShift) drawn from Shift(step); 0 turns shifts off.
	MaxShift int
	Shift    func(step int) *rand.Rand
	// Loss builds the step's loss terms from the scope, the images [B, H, W, C] and the labels [B]
	// (int32); the first term is minimised, all are reported to Step.
	Loss func(scope *model.Scope, x, labels *Node) []*Node
	// Step, if not nil, is called after every step with its 0-based index, learning rate and the terms.
	Step func(step int, lr float64, terms []float64)
}

// Sizes are the settings every side trainer's configuration has, for Check.
type Sizes struct {
	Steps, Epochs, BatchSize, WarmupSteps, MaxShift int
	LR, WeightDecay                                 float64
	// ImageSize is the side of the training images; MaxShift must be below half of it.
	ImageSize int
}

// Check returns an error naming the first bad value of s, after the owner's prefix ("evaluator:
// TrainConfig"), or nil. The owner's Validate calls it for the settings it shares with the other side
// trainers and checks its own after.
func Check(owner string, s Sizes) error {
	switch {
	case s.Epochs <= 0 && s.Steps <= 0:
		return fmt.Errorf("%s: Epochs %d and Steps %d: one must be positive", owner, s.Epochs, s.Steps)
	case s.Steps < 0:
		return fmt.Errorf("%s: Steps %d must not be negative", owner, s.Steps)
	case s.BatchSize <= 0:
		return fmt.Errorf("%s: BatchSize %d must be positive", owner, s.BatchSize)
	case !(s.LR > 0) || math.IsInf(s.LR, 0):
		return fmt.Errorf("%s: LR %v must be a positive number", owner, s.LR)
	case s.WarmupSteps < 0:
		return fmt.Errorf("%s: WarmupSteps %d must not be negative", owner, s.WarmupSteps)
	case !(s.WeightDecay >= 0) || math.IsInf(s.WeightDecay, 0):
		return fmt.Errorf("%s: WeightDecay %v must be a non-negative number", owner, s.WeightDecay)
	case s.MaxShift < 0 || s.MaxShift >= s.ImageSize/2:
		return fmt.Errorf("%s: MaxShift %d outside [0, %d)", owner, s.MaxShift, s.ImageSize/2)
	}
	return nil
}

// LR returns the learning rate of step s (0-based) of n: linear warm-up for warmup steps, then cosine
// decay from lr to 0 at the last step.
func LR(lr float64, warmup, s, n int) float64 {
	return lrschedule.CosineToZero(int64(warmup), int64(n)).LR(lr, int64(s), int64(n))
}

// Train runs r and returns the store holding the trained variables (and Adam's state).
func Train(r Run) (*model.Store, error) {
	if r.Source == nil || r.Loss == nil || r.Steps <= 0 || r.BatchSize <= 0 || (r.MaxShift > 0 && r.Shift == nil) {
		return nil, fmt.Errorf("%s: sidetrain: a run needs a source, a loss, steps and a batch size > 0 (and Shift with MaxShift %d)", r.Owner, r.MaxShift)
	}
	be, err := backend.Or(r.Backend)
	if err != nil {
		return nil, err // the backend names itself and the fix
	}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(r.Seed))
	adam := optimizer.Adam().LearningRate(r.LR).DType(dtypes.Float32)
	if r.WeightDecay > 0 {
		adam = adam.WeightDecay(r.WeightDecay)
	}
	opt := adam.Done()
	exec, err := model.NewExec(be, store, func(scope *model.Scope, x, labels, lr *Node) []*Node {
		g := x.Graph()
		scope.SetTraining(g, true)
		terms := r.Loss(scope, x, labels)
		optimizer.LearningRateVar(scope, dtypes.Float32, r.LR).SetNodeValue(lr)
		opt.UpdateGraph(scope, g, terms[0])
		return terms
	})
	if err != nil {
		return nil, fmt.Errorf("%s: building the training step: %w", r.Owner, err)
	}
	defer exec.Finalize()

	for s := 0; s < r.Steps; s++ {
		batch, err := r.Source.Batch(int64(s), r.BatchSize)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Owner, err)
		}
		if r.MaxShift > 0 {
			images.RandomShift(batch.X, r.MaxShift, r.Shift(s))
		}
		lr := LR(r.LR, r.WarmupSteps, s, r.Steps)
		var out []*tensors.Tensor
		if err := exceptions.TryCatch[error](func() {
			out = exec.MustCall(batch.X, batch.Cond.Labels, float32(lr))
		}); err != nil {
			return nil, fmt.Errorf("%s: training step %d: %w", r.Owner, s, err)
		}
		terms := make([]float64, len(out))
		for i, o := range out {
			terms[i] = float64(tensors.ToScalar[float32](o))
			o.MustFinalizeAll()
		}
		batch.X.MustFinalizeAll()
		batch.Cond.Labels.MustFinalizeAll()
		if math.IsNaN(terms[0]) || math.IsInf(terms[0], 0) {
			return nil, fmt.Errorf("%s: training diverged: loss %v at step %d (lower TrainConfig.LR)", r.Owner, terms[0], s)
		}
		if r.Step != nil {
			r.Step(s, lr, terms)
		}
	}
	return store, nil
}
