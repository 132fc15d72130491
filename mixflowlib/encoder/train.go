package encoder

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	gnn "github.com/gomlx/gomlx/ml/nn"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/sidetrain"
)

// TrainConfig configures the training of the project's encoder. DefaultTrainConfig gives the settings of
// the shipped weights.
//
// The objective is the sum of two terms computed from the encoder's tokens:
//   - classification: a linear head on the mean of the tokens predicts the class (cross-entropy), giving
//     the tokens class-level semantics;
//   - masked-patch reconstruction (SimMIM-style): MaskRatio of the patch embeddings are replaced by a learned
//     mask token before the position embedding, and a linear head maps every output token back to its p×p
//     patch (mean squared error over all patches, weighted by ReconWeight), so the tokens keep the local
//     content of their patch and infer hidden patches from context.
//
// Both heads and the mask token are training-only: they are not part of the encoder's weights.
type TrainConfig struct {
	// Arch is the encoder's architecture.
	Arch ViTConfig `json:"arch"`
	// Seed seeds the initial weights, the masks, the batch order and the augmentations.
	Seed uint64 `json:"seed"`
	// Steps is the number of optimiser steps; if 0, Epochs passes over the training images.
	Steps int `json:"steps,omitempty"`
	// Epochs is the number of passes over the training images when Steps is 0.
	Epochs int `json:"epochs,omitempty"`
	// BatchSize is the number of images per step.
	BatchSize int `json:"batch_size"`
	// LR is the peak learning rate (Adam with decoupled weight decay), reached after WarmupSteps of linear
	// warm-up and followed by a cosine decay to 0 at the last step.
	LR float64 `json:"lr"`
	// WarmupSteps is the length of the linear warm-up.
	WarmupSteps int `json:"warmup_steps"`
	// WeightDecay is the decoupled weight decay.
	WeightDecay float64 `json:"weight_decay"`
	// MaskRatio is the probability that a patch is masked during training, in [0, 1).
	MaskRatio float64 `json:"mask_ratio"`
	// ReconWeight weights the reconstruction term against the classification term; ≥ 0.
	ReconWeight float64 `json:"recon_weight"`
	// Flip mirrors each training image left–right with probability 1/2.
	Flip bool `json:"flip"`
	// MaxShift translates each training image by a random whole number of pixels in [−MaxShift, MaxShift]
	// along each axis, filling with the background (−1).
	MaxShift int `json:"max_shift"`
	// Backend is the compute backend the training runs on, asked once from mixflowlib/backend by the
	// caller at the top (train-encoder); nil means the process-wide one (backend.New). It is not part of
	// the JSON form recorded with the weights.
	Backend compute.Backend `json:"-"`
}

// DefaultTrainConfig returns the configuration of the shipped weights. The seed (7) differs from the
// evaluator's classifier (1) on purpose.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{Arch: DefaultViTConfig(), Seed: 7, Steps: 3000, BatchSize: 128, LR: 2e-3, WarmupSteps: 200,
		WeightDecay: 0.05, MaskRatio: 0.4, ReconWeight: 1, Flip: true, MaxShift: 2}
}

// Validate checks the configuration's values.
func (c TrainConfig) Validate() error {
	if err := c.Arch.Validate(); err != nil {
		return err
	}
	if err := sidetrain.Check("encoder: TrainConfig", sidetrain.Sizes{Steps: c.Steps, Epochs: c.Epochs, BatchSize: c.BatchSize,
		WarmupSteps: c.WarmupSteps, MaxShift: c.MaxShift, LR: c.LR, WeightDecay: c.WeightDecay, ImageSize: c.Arch.ImageSize}); err != nil {
		return err
	}
	switch {
	case !(c.MaskRatio >= 0 && c.MaskRatio < 1):
		return fmt.Errorf("encoder: TrainConfig: MaskRatio %v outside [0, 1)", c.MaskRatio)
	case !(c.ReconWeight >= 0) || math.IsInf(c.ReconWeight, 0):
		return fmt.Errorf("encoder: TrainConfig: ReconWeight %v must be a non-negative number", c.ReconWeight)
	}
	return nil
}

// TrainProgress reports the state of a training run to a progress callback.
type TrainProgress struct {
	// Step is the number of optimiser steps done; Steps is the total.
	Step, Steps int
	// Loss is the total loss of the last step; CE and Recon its two terms (Recon unweighted).
	Loss, CE, Recon float64
	// LR is the learning rate of the last step.
	LR float64
	// Elapsed is the time since training started.
	Elapsed time.Duration
}

// TrainReport is what Train measured.
type TrainReport struct {
	// Steps is the number of optimiser steps taken.
	Steps int `json:"steps"`
	// TrainTime is the wall time of the training loop.
	TrainTime time.Duration `json:"train_time"`
	// FinalLoss, FinalCE and FinalRecon are the means of the last 50 steps' terms (Recon unweighted, on
	// masked inputs).
	FinalLoss  float64 `json:"final_loss"`
	FinalCE    float64 `json:"final_ce"`
	FinalRecon float64 `json:"final_recon"`
	// TestImages is the number of held-out images evaluated (0 when no test set was given).
	TestImages int `json:"test_images"`
	// TestAccuracy is the accuracy of the training classification head on the held-out images, unmasked.
	TestAccuracy float64 `json:"test_accuracy"`
	// TestReconMSE is the mean squared pixel error of the training reconstruction head on the held-out
	// images, unmasked (pixels in [−1, 1]).
	TestReconMSE float64 `json:"test_recon_mse"`
}

// Store paths of the training-only variables.
const (
	encScope   = "/encoder"
	trainScope = "/encoder_train"
)

// trainHeads builds the two training heads on tokens [B, N, W]: class logits [B, numClasses] and patch
// reconstructions [B, N, p²C].
func trainHeads(store *model.Store, cfg ViTConfig, tokens *Node, numClasses int) (logits, recon *Node) {
	g := tokens.Graph()
	p := varParams{store: store, root: trainScope}
	w, p2c := cfg.Width, cfg.PatchSize*cfg.PatchSize*cfg.Channels
	logits = gnn.Dense(ReduceMean(tokens, 1), p.get(g, "cls/weights", []int{w, numClasses}),
		p.get(g, "cls/biases", []int{numClasses}), compute.DenseLayoutInputOutputs)
	recon = gnn.Dense(tokens, p.get(g, "rec/weights", []int{w, p2c}), p.get(g, "rec/biases", []int{p2c}),
		compute.DenseLayoutInputOutputs)
	return logits, recon
}

// Train trains the encoder on set (a labelled image set whose images are at most Arch.ImageSize on a side,
// with Arch.Channels channels; Fashion-MNIST's training split), and evaluates it on test (may be nil).
// progress, if not nil, is called every reportEvery steps and after the last. Training is deterministic
// for a given configuration on a given backend: the initial weights and masks come from Seed, batch k
// with its flips and shifts is a pure function of (Seed, k).
//
// On 2 CPU cores the default configuration takes a few minutes; `go run ./mixflowlib/cmd/train-encoder`
// runs it and writes the shipped weights.
func Train(set, test *images.Set, cfg TrainConfig, reportEvery int, progress func(TrainProgress)) (*ViT, TrainReport, error) {
	var rep TrainReport
	if err := cfg.Validate(); err != nil {
		return nil, rep, err
	}
	a := cfg.Arch
	for _, s := range []*images.Set{set, test} {
		if s == nil {
			continue
		}
		if err := s.Validate(); err != nil {
			return nil, rep, fmt.Errorf("encoder: image set: %w", err)
		}
		if s.Height > a.ImageSize || s.Width > a.ImageSize || s.Channels != a.Channels || s.NumClasses() < 2 {
			return nil, rep, fmt.Errorf("encoder: image set %s: want at most %d×%d×%d images with at least 2 classes",
				s, a.ImageSize, a.ImageSize, a.Channels)
		}
	}
	if set == nil {
		return nil, rep, fmt.Errorf("encoder: Train: no training set")
	}
	numClasses := set.NumClasses()
	src, err := images.NewSource(set, images.Options{Seed: cfg.Seed, Flip: cfg.Flip, Height: a.ImageSize, Width: a.ImageSize})
	if err != nil {
		return nil, rep, fmt.Errorf("encoder: %w", err)
	}
	be, err := backend.Or(cfg.Backend)
	if err != nil {
		return nil, rep, err // the backend names itself and the fix
	}
	steps := cfg.Steps
	if steps == 0 {
		steps = cfg.Epochs * src.StepsPerEpoch(cfg.BatchSize)
	}
	n := a.Grid() * a.Grid()
	start := time.Now()
	type terms struct{ loss, ce, rec float64 }
	var last []terms
	store, err := sidetrain.Train(sidetrain.Run{Owner: "encoder", Backend: be, Source: src, Seed: cfg.Seed,
		Steps: steps, BatchSize: cfg.BatchSize, LR: cfg.LR, WarmupSteps: cfg.WarmupSteps, WeightDecay: cfg.WeightDecay,
		MaxShift: cfg.MaxShift, Shift: func(s int) *rand.Rand { return rand.New(rand.NewPCG(cfg.Seed, 0x5417f7+uint64(s))) },
		Loss: func(scope *model.Scope, x, labels *Node) []*Node {
			g := x.Graph()
			store := scope.Store()
			b := x.Shape().Dimensions[0]
			var mask, maskToken *Node
			if cfg.MaskRatio > 0 {
				mask = LessThan(scope.RandomUniform(g, shapes.Make(dtypes.Float32, b, n)), Scalar(g, dtypes.Float32, cfg.MaskRatio))
				maskToken = store.VariableWithShape(trainScope+"/mask_token", shapes.Make(dtypes.Float32, a.Width), initializer.Zero).NodeValue(g)
			}
			tokens := a.forward(varParams{store: store, root: encScope}, x, mask, maskToken)
			logits, recon := trainHeads(store, a, tokens, numClasses)
			ce := ReduceAllMean(loss.SparseCategoricalCrossEntropyLogits([]*Node{ExpandAxes(labels, -1)}, []*Node{logits}))
			rec := ReduceAllMean(Square(Sub(recon, nn.Patchify(x, a.PatchSize))))
			return []*Node{Add(ce, MulScalar(rec, cfg.ReconWeight)), ce, rec}
		},
		Step: func(s int, lr float64, v []float64) {
			t := terms{v[0], v[1], v[2]}
			last = append(last, t)
			if len(last) > 50 {
				last = last[1:]
			}
			if progress != nil && ((reportEvery > 0 && (s+1)%reportEvery == 0) || s+1 == steps) {
				progress(TrainProgress{Step: s + 1, Steps: steps, Loss: t.loss, CE: t.ce, Recon: t.rec, LR: lr,
					Elapsed: time.Since(start)})
			}
		}})
	if err != nil {
		return nil, rep, err
	}
	rep.Steps, rep.TrainTime = steps, time.Since(start)
	for _, t := range last {
		rep.FinalLoss += t.loss / float64(len(last))
		rep.FinalCE += t.ce / float64(len(last))
		rep.FinalRecon += t.rec / float64(len(last))
	}

	weights := map[string]*tensors.Tensor{}
	for name := range a.ParamShapes() {
		v := store.GetVariable(encScope + "/" + name)
		if v == nil {
			return nil, rep, fmt.Errorf("encoder: trained store lacks weight %q", name)
		}
		val, err := v.Value()
		if err != nil {
			return nil, rep, fmt.Errorf("encoder: reading weight %q: %w", name, err)
		}
		weights[name] = val
	}
	vit, err := NewViT(a, weights)
	if err != nil {
		return nil, rep, err
	}
	if test != nil {
		if err := evaluateHeads(be, store, a, test, numClasses, &rep); err != nil {
			return nil, rep, err
		}
	}
	return vit, rep, nil
}

// evaluateHeads measures the training heads on the unmasked test images.
func evaluateHeads(be compute.Backend, store *model.Store, a ViTConfig, test *images.Set, numClasses int, rep *TrainReport) error {
	src, err := images.NewSource(test, images.Options{Sequential: true, Height: a.ImageSize, Width: a.ImageSize})
	if err != nil {
		return fmt.Errorf("encoder: %w", err)
	}
	exec, err := model.NewExec(be, store, func(scope *model.Scope, x, labels *Node) []*Node {
		tokens := a.forward(varParams{store: store, root: encScope}, x, nil, nil)
		logits, recon := trainHeads(store, a, tokens, numClasses)
		correct := ConvertDType(Equal(ConvertDType(ArgMax(logits, -1), dtypes.Int32), ConvertDType(labels, dtypes.Int32)), dtypes.Float32)
		sq := ReduceMean(Square(Sub(recon, nn.Patchify(x, a.PatchSize))), 1, 2)
		return []*Node{correct, sq}
	})
	if err != nil {
		return fmt.Errorf("encoder: building the evaluation: %w", err)
	}
	defer exec.Finalize()
	const bs = 500
	total := test.Len()
	var acc, mse float64
	for s := 0; s*bs < total; s++ {
		batch, err := src.Batch(int64(s), bs)
		if err != nil {
			return fmt.Errorf("encoder: %w", err)
		}
		m := min(bs, total-s*bs) // the last batch wraps around into the next epoch: count only fresh images
		var out []*tensors.Tensor
		if err := exceptions.TryCatch[error](func() { out = exec.MustCall(batch.X, batch.Cond.Labels) }); err != nil {
			return fmt.Errorf("encoder: evaluation: %w", err)
		}
		c, _ := tensors.CopyFlatData[float32](out[0])
		q, _ := tensors.CopyFlatData[float32](out[1])
		for i := range m {
			acc += float64(c[i])
			mse += float64(q[i])
		}
		for _, o := range out {
			o.MustFinalizeAll()
		}
	}
	rep.TestImages = total
	rep.TestAccuracy = acc / float64(total)
	rep.TestReconMSE = mse / float64(total)
	return nil
}
