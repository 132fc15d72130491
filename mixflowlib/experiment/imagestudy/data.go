package imagestudy

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/datasets/fashionmnist"
	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/mixflowlib/evaluator"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
)

// DataSmallFashionMNIST is the data kind of this package: Fashion-MNIST resized (triangle filter) to a
// small square side in model space, and resized back to 28×28 in evaluation space so that the shipped
// Fashion-MNIST evaluator scores it; its params are SmallParams.
const DataSmallFashionMNIST = "fashion-mnist-small"

// Limits of SmallParams.Size.
const (
	MinSize = 8
	MaxSize = 28
)

func init() {
	imageexp.MustRegisterData(DataSmallFashionMNIST, imageexp.TypedData("imagestudy: "+DataSmallFashionMNIST, fillSmall, loadSmall))
}

// SmallParams are the parameters of the "fashion-mnist-small" data kind.
type SmallParams struct {
	// Size is the side of the images in model space, in [MinSize, MaxSize]; 0 means 16.
	Size int `json:"size"`
	// HeldOut is the number of test images (the first ones) in Data.HeldOut; 0 means 2000.
	HeldOut int `json:"held_out"`
}

// SmallFashionMNIST returns the DataSpec of Fashion-MNIST at p.Size×p.Size with training-stream seed
// seed. Train streams the 60 000 training images resized to the small side (no flips), HeldOut holds the
// first p.HeldOut test images at that side, Conds gives balanced labels (imageexp.BalancedLabels),
// Decode resizes generated images back to 28×28 (through 8-bit pixels, as saving them would), and Real
// draws training images (seeded) through the same down-and-up resize: the metrics' noise floor is that
// of a perfect generator at the small side, which includes the detail the small side loses.
func SmallFashionMNIST(p SmallParams, seed uint64) imageexp.DataSpec {
	return imageexp.DataSpec{Kind: DataSmallFashionMNIST, Params: imageexp.MustJSON(p), Seed: seed}
}

// fillSmall fills and checks the parameters of the "fashion-mnist-small" data kind.
func fillSmall(p SmallParams) (SmallParams, error) {
	if p.Size == 0 {
		p.Size = 16
	}
	if p.Size < MinSize || p.Size > MaxSize {
		return p, fmt.Errorf("imagestudy: %s size %d outside [%d, %d]", DataSmallFashionMNIST, p.Size, MinSize, MaxSize)
	}
	var err error
	p.HeldOut, err = imageexp.FashionMNISTHeldOut("imagestudy: "+DataSmallFashionMNIST, p.HeldOut)
	return p, err
}

func loadSmall(p SmallParams, seed uint64) (*imageexp.Data, error) {
	train, err := imageexp.FashionMNISTSplit(fashionmnist.Train)
	if err != nil {
		return nil, err
	}
	test, err := imageexp.FashionMNISTSplit(fashionmnist.Test)
	if err != nil {
		return nil, err
	}
	small := images.Options{Height: p.Size, Width: p.Size, Fit: images.Resize}
	opt := small
	opt.Seed = seed
	src, err := images.NewSource(train, opt)
	if err != nil {
		return nil, err
	}
	realImages, err := imageexp.RealImages("imagestudy:", train, small)
	if err != nil {
		return nil, err
	}
	held, err := images.HeldOut(test, p.HeldOut, small)
	if err != nil {
		return nil, err
	}
	return &imageexp.Data{
		Name:       fmt.Sprintf("fashion-mnist %d×%d (resized, seed %d)", p.Size, p.Size, seed),
		Train:      src,
		Shape:      []int{p.Size, p.Size, 1},
		NumClasses: train.NumClasses(),
		HeldOut:    held,
		Conds:      imageexp.BalancedConds(train.NumClasses()),
		Real: func(n int, s uint64) (datasets.Batch, error) {
			b, err := realImages(n, s)
			if err != nil {
				return b, err
			}
			up, err := Upsample(b.X, evaluator.InputSize)
			if err != nil {
				return b, err
			}
			_ = b.X.FinalizeAll()
			b.X = up
			return b, nil
		},
		Decode: func(x *tensors.Tensor) (*tensors.Tensor, error) { return Upsample(x, evaluator.InputSize) },
	}, nil
}

// Upsample resizes images float32 [N, H, W, 1] in [−1, 1] to [N, size, size, 1] with images.Resample
// (triangle filter) through 8-bit pixels, values outside [−1, 1] clipped as saving them would.
func Upsample(x *tensors.Tensor, size int) (*tensors.Tensor, error) {
	dims := x.Shape().Dimensions
	if len(dims) != 4 || dims[3] != 1 || dims[1] < 1 || dims[2] < 1 {
		return nil, fmt.Errorf("imagestudy: upsample: shape %v, want [N, H, W, 1]", dims)
	}
	n, h, w := dims[0], dims[1], dims[2]
	flat, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		return nil, fmt.Errorf("imagestudy: upsample: %w", err)
	}
	out := make([]float32, n*size*size)
	px := make([]uint8, h*w)
	for i := range n {
		for j := range px {
			px[j] = images.Denormalize(flat[i*h*w+j])
		}
		r, err := images.Resample(px, h, w, 1, size, size, images.Resize, 0)
		if err != nil {
			return nil, fmt.Errorf("imagestudy: upsample: %w", err)
		}
		for j, v := range r {
			out[i*size*size+j] = images.Normalize(v)
		}
	}
	return tensors.FromFlatDataAndDimensions(out, n, size, size, 1), nil
}
