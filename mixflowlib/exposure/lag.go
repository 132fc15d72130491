// Package exposure measures exposure bias directly:
//
//   - InjectedLag: start sampling at t0 from a state that is noisier than t0 and see whether the model
//     recovers (residual noise against the injected lag δ);
//   - VarianceGap: Ning et al.'s gap between E‖x̂_t‖² of generated states and E‖x_t‖² of the forward
//     process on real data, per sampling step (no oracle needed);
//   - OwnTrajectoryError: where an exact velocity exists, the model's velocity error along its own
//     trajectory against its error on true interpolations at the same times.
//
// Time convention: t = 0 noise, t = 1 data, x_t = t·x1 + (1 − t)·x0, on the linear path.
package exposure

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/path"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
	"github.com/mixflow/mixflow/mixflowlib/slowflow"
)

// DefaultDeltas are the injected lags δ of LagConfig when Deltas is nil.
var DefaultDeltas = []float64{0, 0.05, 0.1, 0.2}

// DefaultT0 is the labelled start time of LagConfig when T0 is 0.
const DefaultT0 = 0.5

// LagConfig configures InjectedLag.
type LagConfig struct {
	// Deltas are the injected lags δ ≥ 0, each < T0 (nil means DefaultDeltas).
	Deltas []float64
	// T0 is the time the start state is labelled with, in (0, 1) (0 means DefaultT0).
	T0 float64
	// Sampler is the sampler configuration (method, steps, …); its TStart and TEnd are replaced by
	// T0 and 1.
	Sampler sampler.Config
	// Seed seeds the noise x0 of the start states.
	Seed uint64
	// Metric, when non-nil, scores the final samples (e.g. a distance to held-out data); nil skips it.
	Metric func(samples *tensors.Tensor) (float64, error)
}

// LagPoint is the result for one injected lag.
type LagPoint struct {
	// Delta is the injected lag δ: the start state is x_{T0−δ} = (T0−δ)·x1 + (1 − T0 + δ)·x0, labelled T0.
	Delta float64 `json:"delta"`
	// Residual is the mean residual noise 1 − m* of the final samples, m* being the time of the nearest
	// point on the true interpolation line of each sample's own (x0, x1) (slowflow.NearestTimes): 0 when
	// the sampler lands on x1, δ when the lag was carried to the end.
	Residual float64 `json:"residual"`
	// Metric is LagConfig.Metric of the final samples (NaN without a metric).
	Metric float64 `json:"metric"`
}

// InjectedLag runs the injected-lag test of net (weights in store under "/model"; b nil for the
// project's backend) on held-out data x1 (float32 [N, ...]) with conditioning cond: for every δ it
// builds the start state at T0 − δ from x1 and fresh noise, labels it T0, samples to t = 1 and reports
// the residual noise and the metric. A model without exposure bias recovers (residual ≈ 0 for every δ);
// one that keeps the lag ends with residual ≈ δ.
func InjectedLag(b compute.Backend, store *model.Store, net nn.Backbone, x1 *tensors.Tensor, cond datasets.Cond, cfg LagConfig) ([]LagPoint, error) {
	t0 := cfg.T0
	if t0 == 0 {
		t0 = DefaultT0
	}
	if !(t0 > 0 && t0 < 1) {
		return nil, fmt.Errorf("exposure: injected lag t0 %v outside (0, 1)", t0)
	}
	deltas := cfg.Deltas
	if deltas == nil {
		deltas = DefaultDeltas
	}
	for _, d := range deltas {
		if math.IsNaN(d) || d < 0 {
			return nil, fmt.Errorf("exposure: injected lag delta %v must be >= 0", d)
		}
		if d >= t0 {
			return nil, fmt.Errorf("exposure: injected lag delta %v must be < t0 %v", d, t0)
		}
	}
	sc := cfg.Sampler
	sc.TStart, sc.TEnd = t0, 1
	u, err := newSetup("injected lag", b, store, net, x1, sc, cfg.Seed)
	if err != nil {
		return nil, err
	}
	defer u.finalize()
	out := make([]LagPoint, 0, len(deltas))
	for _, delta := range deltas {
		start := tensors.FromFlatDataAndDimensions(u.interpolate(nil, t0-delta), u.dims...)
		final, err := u.s.Sample(start, cond)
		_ = start.FinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("exposure: injected lag delta %v: %w", delta, err)
		}
		flat := tensors.MustCopyFlatData[float32](final)
		ms, err := slowflow.NearestTimes(path.Linear{}, flat, u.x0, u.data, u.dim)
		if err != nil {
			_ = final.FinalizeAll()
			return nil, fmt.Errorf("exposure: injected lag delta %v: %w", delta, err)
		}
		p := LagPoint{Delta: delta, Metric: math.NaN()}
		for _, m := range ms {
			p.Residual += (1 - m) / float64(len(ms))
		}
		if cfg.Metric != nil {
			if p.Metric, err = cfg.Metric(final); err != nil {
				_ = final.FinalizeAll()
				return nil, fmt.Errorf("exposure: injected lag delta %v: metric: %w", delta, err)
			}
		}
		_ = final.FinalizeAll()
		out = append(out, p)
	}
	return out, nil
}
