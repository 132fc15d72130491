package evaluator

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"

	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/checkpoint"
	"github.com/mixflow/mixflow/mixflowlib/sidetrain"
)

// TrainConfig configures the training of the feature network. DefaultTrainConfig gives the settings of
// the shipped weights.
type TrainConfig struct {
	// Seed seeds the initial weights, the order of the batches and the augmentations.
	Seed uint64 `json:"seed"`
	// Epochs is the number of passes over the training images.
	Epochs int `json:"epochs"`
	// Steps, if positive, overrides Epochs with a fixed number of optimiser steps (for tests).
	Steps int `json:"steps,omitempty"`
	// BatchSize is the number of images per step.
	BatchSize int `json:"batch_size"`
	// LR is AdamW's peak learning rate, reached after WarmupSteps of linear warm-up and followed by a cosine
	// decay to 0 at the last step.
	LR float64 `json:"lr"`
	// WarmupSteps is the length of the linear learning-rate warm-up.
	WarmupSteps int `json:"warmup_steps"`
	// WeightDecay is AdamW's decoupled weight decay.
	WeightDecay float64 `json:"weight_decay"`
	// Flip mirrors each training image left–right with probability 1/2. Off by default: Fashion-MNIST's
	// shoes all point left, so mirrored images are off the data distribution, and FID should notice a
	// generator that mirrors them (with flips, 3 epochs reached 90.0 % test accuracy).
	Flip bool `json:"flip"`
	// MaxShift translates each training image by a random whole number of pixels in [−MaxShift, MaxShift]
	// along each axis (filling with the black background). The default, 0, keeps the features sensitive to
	// misplaced objects, which FID should penalise; with 2 the loss fell more slowly per epoch.
	MaxShift int `json:"max_shift"`
	// Backend is the compute backend the training runs on, asked once from mixflowlib/backend by the
	// caller at the top (train-classifier); nil means the process-wide one (backend.New). It is not part
	// of the JSON form recorded with the weights.
	Backend compute.Backend `json:"-"`
}

// DefaultTrainConfig returns the configuration of the shipped weights.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{Seed: 1, Epochs: 4, BatchSize: 128, LR: 2e-3, WarmupSteps: 200, WeightDecay: 1e-4}
}

// Validate checks the configuration's values.
func (c TrainConfig) Validate() error {
	return sidetrain.Check("evaluator: TrainConfig", sidetrain.Sizes{Steps: c.Steps, Epochs: c.Epochs, BatchSize: c.BatchSize,
		WarmupSteps: c.WarmupSteps, MaxShift: c.MaxShift, LR: c.LR, WeightDecay: c.WeightDecay, ImageSize: InputSize})
}

// TrainProgress reports the state of a training run to a progress callback.
type TrainProgress struct {
	// Step is the number of optimiser steps done; Steps is the total.
	Step, Steps int
	// Loss is the cross-entropy of the last step; AvgLoss its mean over the steps since the last report.
	Loss, AvgLoss float64
	// LR is the learning rate of the last step.
	LR float64
	// Elapsed is the time since training started.
	Elapsed time.Duration
}

// Train trains the feature network on set, a labelled 28×28×1 image set with 10 classes (Fashion-MNIST's
// training split), and returns its weights. progress, if not nil, is called every reportEvery steps and
// after the last. Training is deterministic for a given configuration on a given backend: the initial
// weights come from Seed, and batch k with its flips and shifts is a pure function of (Seed, k).
//
// On 2 CPU cores the default configuration takes a few minutes; the command
// `go run ./mixflowlib/cmd/train-classifier` runs it and writes the shipped files.
func Train(set *images.Set, cfg TrainConfig, reportEvery int, progress func(TrainProgress)) (*Weights, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := set.Validate(); err != nil {
		return nil, fmt.Errorf("evaluator: training set: %w", err)
	}
	if set.Height != InputSize || set.Width != InputSize || set.Channels != 1 || set.NumClasses() != NumClasses {
		return nil, fmt.Errorf("evaluator: training set %s: want %d×%d×1 images of %d classes", set, InputSize, InputSize, NumClasses)
	}
	src, err := images.NewSource(set, images.Options{Seed: cfg.Seed, Flip: cfg.Flip})
	if err != nil {
		return nil, fmt.Errorf("evaluator: %w", err)
	}
	steps := cfg.Steps
	if steps == 0 {
		steps = cfg.Epochs * src.StepsPerEpoch(cfg.BatchSize)
	}
	be, err := backend.Or(cfg.Backend)
	if err != nil {
		return nil, err // the backend names itself and the fix
	}
	start := time.Now()
	var sum float64
	var count int
	store, err := sidetrain.Train(sidetrain.Run{Owner: "evaluator", Backend: be, Source: src, Seed: cfg.Seed,
		Steps: steps, BatchSize: cfg.BatchSize, LR: cfg.LR, WarmupSteps: cfg.WarmupSteps, WeightDecay: cfg.WeightDecay,
		MaxShift: cfg.MaxShift, Shift: func(s int) *rand.Rand { return rand.New(rand.NewPCG(cfg.Seed^0x5eed5eed, uint64(s))) },
		Loss: func(scope *model.Scope, x, labels *Node) []*Node {
			_, logits := Network(scope.In("%s", Scope[1:]), x)
			ce := loss.SparseCategoricalCrossEntropyLogits([]*Node{ExpandAxes(labels, -1)}, []*Node{logits})
			return []*Node{ReduceAllMean(ce)}
		},
		Step: func(s int, lr float64, terms []float64) {
			sum += terms[0]
			count++
			if progress != nil && ((reportEvery > 0 && (s+1)%reportEvery == 0) || s+1 == steps) {
				progress(TrainProgress{Step: s + 1, Steps: steps, Loss: terms[0], AvgLoss: sum / float64(count), LR: lr,
					Elapsed: time.Since(start)})
				sum, count = 0, 0
			}
		}})
	if err != nil {
		return nil, err
	}
	vars, err := checkpoint.FromStore(store, Scope)
	if err != nil {
		return nil, fmt.Errorf("evaluator: %w", err)
	}
	// Detach the values from the store (and the backend's buffers) so the store can go.
	for i := range vars {
		if vars[i].Value, err = vars[i].Value.LocalClone(); err != nil {
			return nil, fmt.Errorf("evaluator: copying variable %q: %w", vars[i].Path, err)
		}
	}
	meta := checkpoint.Metadata{
		metaArchitecture: Architecture,
		metaTrainConfig:  cfg,
		"train_set":      set.Name,
		"train_images":   set.Len(),
		"steps":          steps,
		"backend":        backend.ConfigOf(be),
	}
	return newWeights("trained in memory", vars, meta)
}
