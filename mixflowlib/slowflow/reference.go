package slowflow

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// ProtocolReferenceNearestData names the reference band of protocol (b) (ReferenceNearestData).
const ProtocolReferenceNearestData = "reference-nearest-data"

// ReferenceNearestData is protocol (b) applied to the forward process instead of a model: at every time
// t of the grid of cfg (a sampler configuration: method, steps, shift, …) it builds the true
// interpolation x_t = α_t·x1 + σ_t·x0 of held-out data x1 ([N, ...]; not in the reference set) and the
// noise x0 ([N, ...], as many values per example), and measures m* exactly as NearestData does, over
// the reference set ref, on the backend b (nil: the project's backend). Nothing is sampled and no model
// is needed. The path is Options.Path, else cfg.Path, else linear. The result is the band of the
// states the model was trained on — m*(1) < 1 because a held-out point lies on no reference
// interpolation — so a model's NearestData band is read against it rather than against the diagonal.
// It is not exactly what an exact model gives: the exact ODE does not move along the straight line from
// its own noise, and its band can lie below this one (in 2-D, ExampleReferenceNearestData: 0.94 against
// 0.99 at t = 1); where an oracle exists, measure it too. Use the same x0 and cfg as the model's run.
func ReferenceNearestData(b compute.Backend, cfg sampler.Config, x0, x1, ref *tensors.Tensor, opt Options) (*Result, error) {
	grid, err := cfg.Grid()
	if err != nil {
		return nil, fmt.Errorf("slowflow: %s: %w", ProtocolReferenceNearestData, err)
	}
	if cfg.TStart == 0 && cfg.TEnd == 0 {
		cfg.TEnd = 1
	}
	if cfg.TStart != 0 {
		return nil, fmt.Errorf("slowflow: %s needs a grid starting from noise (TStart 0), got TStart %v", ProtocolReferenceNearestData, cfg.TStart)
	}
	p, res, n, d, err := setupConfig(cfg, x0, opt, ProtocolReferenceNearestData)
	if err != nil {
		return nil, err
	}
	if b, err = backend.Or(b); err != nil {
		return nil, err // the backend names itself and the fix
	}
	if err := checkExamples("x1", x1, x0, n, d); err != nil {
		return nil, err
	}
	refs, err := newReference(b, ref, x0, n, d, p, opt)
	if err != nil {
		return nil, err
	}
	defer refs.finalize()
	res.ReferenceSize = refs.r
	noise := tensors.MustCopyFlatData[float32](x0)
	data := tensors.MustCopyFlatData[float32](x1)
	xt := make([]float32, len(noise))
	for i, t := range grid {
		c := p.At(t)
		for j := range xt {
			xt[j] = float32(c.Alpha*float64(data[j]) + c.Sigma*float64(noise[j]))
		}
		state := tensors.FromFlatDataAndDimensions(xt, x0.Shape().Dimensions...)
		idx, m, err := refs.nearestLine(state, x0, xt, noise)
		_ = state.FinalizeAll()
		if err == nil {
			err = res.add(i, t, m, idx, opt)
		}
		if err != nil {
			return nil, fmt.Errorf("slowflow: %s: step %d (t = %v): %w", ProtocolReferenceNearestData, i, t, err)
		}
	}
	return res, nil
}
