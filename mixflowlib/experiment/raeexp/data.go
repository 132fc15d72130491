package raeexp

import (
	"context"
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/datasets/fashionmnist"
	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/timesteps"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// DataKind is the imageexp data kind this package registers: Fashion-MNIST in the normalised latent space
// of a frozen encoder, decoded back to images for evaluation.
const DataKind = "rae-fashion-mnist"

// OnStep, if not nil, receives the decoder's step reports when the data kind trains a stage 1 on first use
// (train it beforehand with TrainAutoencoder to watch it).
var OnStep func(trainer.StepReport)

func init() {
	imageexp.MustRegisterData(DataKind, imageexp.TypedData("raeexp: data", fillData, loadData))
}

// DataParams are the parameters of the "rae-fashion-mnist" data kind.
type DataParams struct {
	// Autoencoder is the stage 1 (encoder, statistics, decoder) whose latent space the model lives in; it is
	// trained on first use and cached (TrainAutoencoder).
	Autoencoder AutoencoderSpec `json:"autoencoder"`
	// HeldOut is the number of test images (the first ones) whose latents form Data.HeldOut. Default 2000.
	HeldOut int `json:"held_out"`
}

// Data returns the DataSpec of Fashion-MNIST latents with training-stream seed seed.
//
// Its Data: Train streams the latents of the 60000 training images (fitted to the encoder's input size,
// shuffled per epoch by seed), Shape is [Grid, Grid, Dim], HeldOut holds the latents of the first HeldOut
// test images, Conds gives balanced labels, Real draws real training images (in image space, where the
// evaluator scores) for the noise floor, and Decode is the stage-1 decoder.
func Data(p DataParams, seed uint64) imageexp.DataSpec {
	return imageexp.DataSpec{Kind: DataKind, Params: imageexp.MustJSON(p), Seed: seed}
}

// fillData fills and checks the parameters of the "rae-fashion-mnist" data kind.
func fillData(p DataParams) (DataParams, error) {
	var err error
	if p.HeldOut, err = imageexp.FashionMNISTHeldOut("raeexp: data", p.HeldOut); err != nil {
		return p, err
	}
	if p.Autoencoder, err = p.Autoencoder.Canonical(); err != nil {
		return p, err
	}
	return p, nil
}

func loadData(p DataParams, seed uint64) (*imageexp.Data, error) {
	s1, err := stage1(context.Background(), p.Autoencoder, OnStep, false)
	if err != nil {
		return nil, err
	}
	ae, err := s1.Autoencoder()
	if err != nil {
		return nil, err
	}
	spec := ae.Encoder.Spec()
	size := spec.ImageSize
	train, err := fashionmnist.Load(fashionmnist.Train)
	if err != nil {
		return nil, err
	}
	test, err := fashionmnist.Load(fashionmnist.Test)
	if err != nil {
		return nil, err
	}
	imgSrc, err := images.NewSource(train, images.Options{Seed: seed, Height: size, Width: size})
	if err != nil {
		return nil, err
	}
	src, err := rae.NewLatentSource(imgSrc, ae)
	if err != nil {
		return nil, err
	}
	held, err := images.HeldOut(test, p.HeldOut, images.Options{Height: size, Width: size})
	if err != nil {
		return nil, err
	}
	heldZ, err := ae.Encode(held.X)
	if err != nil {
		return nil, err
	}
	realImages, err := imageexp.RealImages("raeexp:", train, images.Options{Height: size, Width: size})
	if err != nil {
		return nil, err
	}
	return &imageexp.Data{
		Name:       fmt.Sprintf("fashion-mnist latents of %s (%d×%d×%d, seed %d)", spec.Name, spec.Grid, spec.Grid, spec.Dim, seed),
		Train:      src,
		Shape:      ae.LatentShape(),
		NumClasses: train.NumClasses(),
		HeldOut:    datasets.Batch{X: heldZ, Cond: held.Cond},
		Conds:      imageexp.BalancedConds(train.NumClasses()),
		Real:       realImages,
		Decode:     func(x *tensors.Tensor) (*tensors.Tensor, error) { return ae.Decode(x) },
	}, nil
}

// LatentDim returns the number of values of one latent of the stage 1 spec describes (Grid²·Dim).
func LatentDim(spec AutoencoderSpec) (int, error) {
	c, err := spec.Canonical()
	if err != nil {
		return 0, err
	}
	return c.Decoder.Grid * c.Decoder.Grid * c.Decoder.Dim, nil
}

// BaseObjective is BaseLoss as an imageexp spec: flow matching with t ~ logit-normal(0, 1) shifted by
// shift (RAE's stage-2 training), label dropout for guidance. It is also the standard post-training objective.
func BaseObjective(shift, labelDropout float64) (imageexp.ObjectiveSpec, error) {
	times, err := rae.BaseTimes(shift)
	if err != nil {
		return imageexp.ObjectiveSpec{}, err
	}
	o := imageexp.FM(times.Name(), labelDropout)
	if _, err := timesteps.ByName(o.Times); err != nil {
		return imageexp.ObjectiveSpec{}, fmt.Errorf("raeexp: %w", err)
	}
	return o, o.Validate()
}

// MixFlowObjective is MixFlowLoss as an imageexp spec: t ~ Beta(2,1), shifted by shift, then slowed
// to m ~ U[(1 − γ)t, t] (the official MixFlow diff of RAE; γ = rae.DefaultGamma = 0.4 there).
func MixFlowObjective(gamma, shift, labelDropout float64) (imageexp.ObjectiveSpec, error) {
	if _, err := MixFlowLoss(gamma, shift, labelDropout); err != nil {
		return imageexp.ObjectiveSpec{}, err
	}
	o := imageexp.MixFlow(gamma, labelDropout)
	if shift != 1 {
		o.Shift = shift
	}
	return o, o.Validate()
}
