package encoder

import (
	_ "embed" // the shipped weights
	"sync"
)

//go:embed weights/vit-fmnist.mfckpt
var shippedWeights []byte

var (
	defaultOnce sync.Once
	defaultViT  *ViT
	defaultErr  error
)

// Default returns the encoder this project ships: the ViT of DefaultViTConfig trained with
// DefaultTrainConfig on the Fashion-MNIST training split by `go run ./mixflowlib/cmd/train-encoder`, its
// weights embedded in the package (weights/vit-fmnist.mfckpt) and verified against the file's SHA-256
// checksum. The training configuration and the measured held-out accuracy and reconstruction error are
// in its metadata (ViT.TrainConfig, ViT.TrainReport). The result is shared and immutable.
func Default() (*ViT, error) {
	defaultOnce.Do(func() {
		defaultViT, defaultErr = Decode("shipped "+WeightsFile, shippedWeights)
	})
	return defaultViT, defaultErr
}
