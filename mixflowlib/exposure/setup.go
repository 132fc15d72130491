package exposure

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// setup is what every diagnostic starts from: the held-out data on the host, a sampler for the model
// and seeded noise of the data's shape.
type setup struct {
	data   []float32 // held-out x1, row-major
	dims   []int     // x1's shape [N, ...]
	n, dim int       // N and the values per example D
	s      *sampler.Sampler
	noise  *tensors.Tensor // N(0, I) noise of shape dims, drawn from the seed
	x0     []float32       // noise on the host
}

// newSetup checks x1 and builds the sampler and the noise; what names the diagnostic in errors.
func newSetup(what string, b compute.Backend, store *model.Store, net nn.Backbone, x1 *tensors.Tensor, sc sampler.Config, seed uint64) (*setup, error) {
	if x1 == nil || x1.Rank() < 1 || x1.Size() == 0 {
		return nil, fmt.Errorf("exposure: %s needs held-out data x1 [N, ...]", what)
	}
	data, err := tensors.CopyFlatData[float32](x1)
	if err != nil {
		return nil, fmt.Errorf("exposure: %s: x1: %w", what, err)
	}
	dims := x1.Shape().Dimensions
	u := &setup{data: data, dims: dims, n: dims[0], dim: len(data) / dims[0]}
	if u.s, err = sampler.New(b, store, net, sc); err != nil {
		return nil, fmt.Errorf("exposure: %s: %w", what, err)
	}
	if u.noise, err = sampler.Noise(seed, dims...); err != nil {
		u.s.Finalize()
		return nil, err
	}
	u.x0 = tensors.MustCopyFlatData[float32](u.noise)
	return u, nil
}

func (u *setup) finalize() {
	u.s.Finalize()
	_ = u.noise.FinalizeAll()
}

// interpolate writes the forward state t·x1 + (1 − t)·x0 of the held-out data into dst (nil: a new
// slice) and returns it.
func (u *setup) interpolate(dst []float32, t float64) []float32 {
	if dst == nil {
		dst = make([]float32, len(u.data))
	}
	for i := range dst {
		dst[i] = float32(t*float64(u.data[i]) + (1-t)*float64(u.x0[i]))
	}
	return dst
}
