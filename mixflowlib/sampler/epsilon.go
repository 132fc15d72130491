package sampler

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// DefaultEpsilonBGrid is the grid of SearchEpsilonB when grid is nil: B = 1, 1.002, …, 1.02, the range
// Ning et al.'s tuned values fall in (1.004–1.017 at 100 steps, up to 1.005 for 13 Euler steps on EDM).
var DefaultEpsilonBGrid = []float64{1, 1.002, 1.004, 1.006, 1.008, 1.01, 1.012, 1.014, 1.016, 1.018, 1.02}

// EpsilonBPoint is one point of SearchEpsilonB's grid.
type EpsilonBPoint struct {
	// B is the constant term of λ_t = K·t + B.
	B float64 `json:"b"`
	// Metric is the held-out metric of the samples (lower is better; NaN when the metric gave NaN).
	Metric float64 `json:"metric"`
}

// SearchEpsilonB grid-searches the Epsilon Scaling constant B for one sampler configuration (its step
// count, method, …), as Ning et al. tune λ per step count: for every B of grid (nil means
// DefaultEpsilonBGrid) it samples x0 with cond using cfg with EpsilonScaling.B = B (K and TMin as in
// cfg), scores the samples with metric (lower is better, e.g. a distance to held-out data) and returns
// the B of the lowest finite metric with every point. b nil means the project's backend; the weights are
// read from store under "/model". Points whose metric is NaN are reported but never chosen.
func SearchEpsilonB(b compute.Backend, store *model.Store, net nn.Backbone, cfg Config, x0 *tensors.Tensor, cond datasets.Cond,
	grid []float64, metric func(samples *tensors.Tensor) (float64, error)) (float64, []EpsilonBPoint, error) {
	if metric == nil {
		return 0, nil, fmt.Errorf("sampler: epsilon scaling search needs a metric")
	}
	if grid == nil {
		grid = DefaultEpsilonBGrid
	}
	if len(grid) == 0 {
		return 0, nil, fmt.Errorf("sampler: epsilon scaling search: the grid of B is empty")
	}
	for _, v := range grid {
		c := cfg
		c.EpsilonScaling.B = v
		if !c.EpsilonScaling.Enabled() { // K = B = 0 would be "off", not λ = 0
			return 0, nil, fmt.Errorf("sampler: epsilon scaling search at B = %v: sampler: epsilon scaling lambda 0 must be > 0", v)
		}
		if err := c.Validate(); err != nil {
			return 0, nil, fmt.Errorf("sampler: epsilon scaling search at B = %v: %w", v, err)
		}
	}
	best, bestM := math.NaN(), math.Inf(1)
	pts := make([]EpsilonBPoint, 0, len(grid))
	for _, v := range grid {
		c := cfg
		c.EpsilonScaling.B = v
		m, err := scoreSamples(b, store, net, c, x0, cond, metric)
		if err != nil {
			return 0, nil, fmt.Errorf("sampler: epsilon scaling search at B = %v: %w", v, err)
		}
		pts = append(pts, EpsilonBPoint{B: v, Metric: m})
		if m < bestM {
			best, bestM = v, m
		}
	}
	if math.IsNaN(best) {
		return 0, pts, fmt.Errorf("sampler: epsilon scaling search: the metric is NaN for every B")
	}
	return best, pts, nil
}

// scoreSamples samples x0 with cfg and returns metric of the samples.
func scoreSamples(b compute.Backend, store *model.Store, net nn.Backbone, cfg Config, x0 *tensors.Tensor, cond datasets.Cond,
	metric func(*tensors.Tensor) (float64, error)) (float64, error) {
	s, err := New(b, store, net, cfg)
	if err != nil {
		return 0, err
	}
	defer s.Finalize()
	out, err := s.Sample(x0, cond)
	if err != nil {
		if out != nil {
			_ = out.FinalizeAll()
		}
		return 0, err
	}
	defer func() { _ = out.FinalizeAll() }()
	m, err := metric(out)
	if err != nil {
		return 0, fmt.Errorf("metric: %w", err)
	}
	return m, nil
}
