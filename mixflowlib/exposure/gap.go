package exposure

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// GapConfig configures VarianceGap.
type GapConfig struct {
	// Sampler is the sampler configuration (method, steps, shift, …) of the sampling run measured.
	Sampler sampler.Config
	// Seed seeds the noise x0 the run starts from.
	Seed uint64
}

// GapPoint is the variance gap at one state of the sampling grid. Squared norms are per coordinate,
// ‖x‖²/D, averaged over the batch.
type GapPoint struct {
	// T is the grid time of the state.
	T float64 `json:"t"`
	// Generated is E‖x̂_t‖²/D over the generated states at T.
	Generated float64 `json:"generated"`
	// Reference is E‖x_t‖²/D of the forward process on the held-out data at T, with the expectation over
	// the noise taken exactly: t²·E‖x1‖²/D + (1 − t)² (x0 ~ N(0, I) is independent of x1).
	Reference float64 `json:"reference"`
	// Gap is Generated − Reference (Ning et al.'s exposure-bias measure; 0 without exposure bias).
	Gap float64 `json:"gap"`
	// StdErr is the standard error of Gap from the finite batch (generated and reference parts
	// combined): a |Gap| of a few StdErr is sampling noise.
	StdErr float64 `json:"std_err"`
}

// VarianceGap measures Ning et al.'s norm gap per sampling step: it samples N states with net (weights
// in store under "/model"; b nil for the project's backend) and cfg.Sampler from noise drawn from
// cfg.Seed, N being the number of held-out examples x1 (float32 [N, ...]; cond holds their conditioning
// for the sampler), and at every grid time compares E‖x̂_t‖² of the generated states with E‖x_t‖² of
// the forward process x_t = t·x1 + (1 − t)·x0 on x1. A sampler with TStart > 0 starts from the forward
// state at TStart built from x1. It needs no oracle, so it works for images. Sampling without exposure
// bias gives Gap ≈ 0 at every step (within StdErr); Ning et al. find generated norms above the forward
// ones, growing towards the data end.
func VarianceGap(b compute.Backend, store *model.Store, net nn.Backbone, x1 *tensors.Tensor, cond datasets.Cond, cfg GapConfig) ([]GapPoint, error) {
	u, err := newSetup("variance gap", b, store, net, x1, cfg.Sampler, cfg.Seed)
	if err != nil {
		return nil, err
	}
	defer u.finalize()
	n, dim := u.n, u.dim
	start := u.noise
	if t0 := u.s.Config().TStart; t0 != 0 {
		start = tensors.FromFlatDataAndDimensions(u.interpolate(nil, t0), u.dims...)
		defer func() { _ = start.FinalizeAll() }()
	}
	dataSq := rowNorms(u.data, n, dim)
	dataMean, dataVar := meanVar(dataSq)
	out := make([]GapPoint, 0, len(u.s.Grid()))
	rows := make([]float64, n)
	last, err := u.s.Walk(start, cond, func(i int, t float64, x *tensors.Tensor) error {
		var gm, gv float64
		err := tensors.ConstFlatData(x, func(flat []float32) {
			rowNormsInto(rows, flat, n, dim)
			gm, gv = meanVar(rows)
		})
		if err != nil {
			return fmt.Errorf("exposure: variance gap: state %d (t = %v): %w", i, t, err)
		}
		ref := t*t*dataMean + (1-t)*(1-t)
		se := math.Sqrt((gv + t*t*t*t*dataVar) / float64(n))
		out = append(out, GapPoint{T: t, Generated: gm, Reference: ref, Gap: gm - ref, StdErr: se})
		return nil
	})
	if last != nil {
		_ = last.FinalizeAll()
	}
	if err != nil {
		return nil, fmt.Errorf("exposure: variance gap: %w", err)
	}
	return out, nil
}

// rowNorms returns ‖row‖²/dim of each of the n rows of flat.
func rowNorms(flat []float32, n, dim int) []float64 {
	out := make([]float64, n)
	rowNormsInto(out, flat, n, dim)
	return out
}

func rowNormsInto(out []float64, flat []float32, n, dim int) {
	for r := range n {
		var s float64
		for _, v := range flat[r*dim : (r+1)*dim] {
			s += float64(v) * float64(v)
		}
		out[r] = s / float64(dim)
	}
}

// meanVar returns the mean and the (n − 1) sample variance of v (variance 0 for one value).
func meanVar(v []float64) (float64, float64) {
	var m float64
	for _, x := range v {
		m += x
	}
	m /= float64(len(v))
	if len(v) < 2 {
		return m, 0
	}
	var s float64
	for _, x := range v {
		s += (x - m) * (x - m)
	}
	return m, s / float64(len(v)-1)
}
