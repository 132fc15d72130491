// Package datasets holds the data side of MixFlow: the host-side Batch record that every data source
// produces and every trainer and sampler consumes, and the Source contract. Sub-packages provide the
// actual data: 2-D toy distributions, Fashion-MNIST and other image formats, captioned data.
package datasets

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"
)

// Cond is the host-side conditioning of a batch, the counterpart of nn.Cond inside a graph.
// Fields a dataset does not provide are nil.
type Cond struct {
	// Labels holds int32 class labels, shape [B]. -1 (nn.NullLabel) means "no class".
	Labels *tensors.Tensor
	// Tokens holds int32 caption token ids, shape [B, L]; 0 is padding.
	Tokens *tensors.Tensor
}

// Batch is one batch of data x1 (t = 1 in our convention) with its conditioning.
type Batch struct {
	// X holds float32 data, shape [B, ...] (e.g. [B, 2] for 2-D toys, [B, H, W, C] for images in [-1, 1]).
	X *tensors.Tensor
	// Cond is the batch's conditioning.
	Cond Cond
}

// Source produces training batches. Batch must be a pure function of (step, size) for a given source
// (its seed is part of the source): a run resumed at step k sees exactly the batches an uninterrupted run
// would have seen.
type Source interface {
	// Name identifies the source and its settings, e.g. "moons(noise=0.05,seed=1)".
	Name() string
	// Batch returns the batch for the given training step.
	Batch(step int64, size int) (Batch, error)
}

// SplitName names split s of a data set whose Split constants are Train = 0 and Test = 1: "train",
// "test", or "Split(s)" for any other value. The data set packages' Split.String methods use it.
func SplitName(s int) string {
	switch s {
	case 0:
		return "train"
	case 1:
		return "test"
	}
	return fmt.Sprintf("Split(%d)", s)
}
