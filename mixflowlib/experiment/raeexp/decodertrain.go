package raeexp

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/encoder"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// ReconstructionObjective is the decoder's training loss, in the form mixflowlib/trainer runs: x1 is a batch
// of images [B, ImageSize, ImageSize, Channels] in [−1, 1]; the loss is the mean squared error between x1
// and Decode(NoiseAugment(Normalize(Encode(x1)))).
//
// The encoder runs inside the training step but is frozen: it creates no variables and its output is behind
// StopGradient (the encoder.Encoder contract), so only the decoder's variables (under the trainer's "/model")
// receive gradients. RAE trains its decoders with L1 + LPIPS + a GAN loss; the perceptual and adversarial
// terms need pretrained networks we do not have, so this is plain MSE.
type ReconstructionObjective struct {
	// Encoder is the frozen encoder.
	Encoder encoder.Encoder
	// Stats normalise its tokens.
	Stats *rae.Stats
	// Decoder is the decoder being trained (its NoiseTau sets the augmentation).
	Decoder *rae.Decoder
}

// Validate checks that the three parts fit together.
func (o ReconstructionObjective) Validate() error {
	return (&rae.Autoencoder{Encoder: o.Encoder, Stats: o.Stats, Decoder: o.Decoder}).Check()
}

// Name implements trainer.Objective, e.g. "rae-reconstruction(encoder=vit-…@1a2b3c4d,decoder(…),loss=mse)".
func (o ReconstructionObjective) Name() string {
	enc, dec := "<nil>", "<nil>"
	if o.Encoder != nil {
		s := o.Encoder.Spec()
		enc = s.Name + "@" + short(s.Fingerprint)
	}
	if o.Decoder != nil {
		dec = o.Decoder.Config().String()
	}
	stats := "<nil>"
	if o.Stats != nil {
		stats = short(o.Stats.Fingerprint())
	}
	return fmt.Sprintf("rae-reconstruction(encoder=%s,stats=%s,%s,loss=mse)", enc, stats, dec)
}

func short(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}

// LossGraph implements trainer.Objective. scope is where the decoder's variables live (the trainer's
// "/model"); net is ignored (the trainer requires one: pass DecoderBackbone). The noise augmentation is
// drawn from the Store's RNG and only while the graph is in training mode.
func (o ReconstructionObjective) LossGraph(scope *model.Scope, _ nn.Backbone, x1 *graph.Node, _ nn.Cond) *graph.Node {
	if err := o.Validate(); err != nil {
		panic(err)
	}
	if err := encoder.CheckImagesShape(o.Encoder.Spec(), x1.Shape().Dimensions); err != nil {
		panic(err)
	}
	z := o.Stats.NormalizeGraph(o.Encoder.Encode(x1))
	if tau := o.Decoder.Config().NoiseTau; tau > 0 && scope.IsTraining(x1.Graph()) {
		g := x1.Graph()
		b := x1.Shape().Dimensions[0]
		sigma := graph.MulScalar(scope.RandomUniform(g, shapes.Make(dtypes.Float32, b, 1, 1)), tau)
		z = graph.Add(z, graph.Mul(sigma, scope.RandomNormal(g, z.Shape())))
	}
	rec := o.Decoder.Decode(scope, z)
	return graph.ReduceAllMean(graph.Square(graph.Sub(rec, graph.ConvertDType(x1, rec.DType()))))
}

// decoderNet stands in for the backbone the trainer requires: the reconstruction objective ignores it and
// calls the decoder itself. Calling it as a velocity model is a programming error.
type decoderNet struct{ d *rae.Decoder }

// Velocity implements nn.Backbone by refusing: see decoderNet.
func (n decoderNet) Velocity(*model.Scope, *graph.Node, *graph.Node, nn.Cond) *graph.Node {
	exceptions.Panicf("raeexp: the decoder is not a velocity model: train it with ReconstructionObjective")
	return nil
}

// NewDecoderTrainer returns a trainer (mixflowlib/trainer: Adam/AdamW, schedules, EMA, checkpoints, exact
// resume) that trains obj.Decoder on the image batches of src (X [B, ImageSize, ImageSize, Channels] in
// [−1, 1]; labels are ignored). The decoder's weights end up under "/model" (and "/ema/model") of the
// trainer's store and checkpoints; trainer.SamplingStoreFromCheckpoint loads them for an Autoencoder.
func NewDecoderTrainer(cfg trainer.Config, obj ReconstructionObjective, src datasets.Source) (*trainer.Trainer, error) {
	if err := obj.Validate(); err != nil {
		return nil, err
	}
	return trainer.New(cfg, decoderNet{obj.Decoder}, obj, src)
}
