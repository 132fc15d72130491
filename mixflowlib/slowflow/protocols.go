// Package slowflow measures the "Slow Flow" of MixFlow (arXiv 2512.19311, Fig. 1): at each sampling
// time t, the time m* of the ground-truth interpolation x_m = α_m·x1 + σ_m·x0 nearest to the generated
// state x̂_t. The paper reports m* < t ("the generated noisy data is noisier than its timestep says")
// with a spread that grows with t, and that MixFlow post-training narrows the gap.
//
// The paper's exact protocol is not available (see /work/shared/research/mixflow-paper.md §1.2): which
// (x0, x1) pair defines "the ground-truth interpolation" is uncertain. Three protocols are provided;
// each runs a sampler.Sampler and returns per-step Stats (mean, median, quantile band, min, max, gap
// t − m*) ready to plot as Fig. 1:
//
//   - ForwardNoisedPair (a): a real x1 and a noise x0; the sampler starts at its TStart = t0 from the
//     true interpolation x_{t0} (t0 = 0: from x0 itself) and m* is measured against the same (x0, x1)
//     at every step. It isolates the drift away from a known on-path state.
//   - NearestData (b): the sampler starts from noise x0; at each step m* and the reference point x1_r are
//     chosen jointly, minimising ‖x̂_t − (α_m x1_r + σ_m x0)‖ over a reference set of real data and m.
//     This is the literal reading of the paper's definition ("the ground-truth interpolation that is the
//     nearest to the generated noisy data"), with the run's own noise as the noise endpoint, and the
//     most likely protocol of Fig. 1 (SiT-B, 50 steps, 20,000 ImageNet images) — not confirmed.
//   - NearestFinal (c): the pair (x0, the reference point nearest to the final sample), i.e. the
//     interpolation the run "should have" followed to the data point it reached.
//
// What a perfect model gives matters for reading the plots. Under (a), m* = t exactly when the
// posterior p(x1 | x_{t0}) is a point mass at the true x1 — a single data point, or well-separated data
// and t0 past the time at which the noisy state identifies its source: then the exact velocity on the
// segment is x1 − x0, the ODE stays on it, and any m* < t is model error (exposure bias). This is
// what the oracle tests check. For a spread-out data distribution even the exact velocity does not lead
// x_{t0} to the paired x1 but to some data point consistent with x_{t0}, so m* < t appears without any
// model error: for x1 ~ N(0, s²I) in high dimension and t0 = 0, m*(t) → (1 − sqrt(t²s² + (1−t)²))/(1 + s²)
// (clipped at 0). Likewise under (b) and (c) a new sample lies on no training interpolation, so
// m*(1) < 1 even for a perfect model. The information is in the comparison — trained model against the
// oracle or a reference model, baseline against MixFlow under the same protocol, data and noise — not
// in the distance to the diagonal y = x alone.
//
// Distances are squared Euclidean distances in the space the sampler works in (pixels or latents).
// Examples may have any shape [N, ...] — points [N, D], images [N, H, W, C], latents — and are compared as
// flat vectors of their D values (row-major), so x0, x1 and the reference set need the same number of
// values per example, not the same per-example shape.
package slowflow

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/path"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// Protocol names, as stored in Result.Protocol.
const (
	ProtocolForwardNoisedPair = "forward-noised-pair"
	ProtocolNearestData       = "nearest-data"
	ProtocolNearestFinal      = "nearest-final"
)

// Options configures a measurement. The zero value is usable.
type Options struct {
	// Path builds the ground-truth interpolations; nil means the sampler's Config().Path (the path the
	// model was trained with).
	Path path.Path
	// Quantiles are the levels of the band Stats.Lo, Stats.Hi; the zero value means DefaultQuantiles
	// (5 % and 95 %).
	Quantiles [2]float64
	// KeepSamples stores the per-sample m* (and reference indices) in every Stats.
	KeepSamples bool
	// ChunkSize is the number of reference points per search call (NearestData, NearestFinal); 0 picks
	// one that keeps each [N, chunk] intermediate near 4 M values.
	ChunkSize int
	// GridPoints is the number of m values NearestData scans for non-linear paths before refining
	// the chosen pair's m* exactly; 0 means 101. Linear paths need no grid.
	GridPoints int
}

// ForwardNoisedPair runs protocol (a): x0 (noise) and x1 (real data) are float32 tensors [N, ...] with
// the same N and the same number of values per example (x1 may be flattened: [N, D] pairs with images
// x0 [N, H, W, C] of H·W·C = D); the sampler starts at its Config().TStart = t0 from x_{t0} = α_{t0}·x1 + σ_{t0}·x0 and
// m* is measured against (x0, x1) at every state of the grid (the first state gives m* = t0 exactly).
// cond is passed to the sampler. See the package documentation for what a perfect model gives.
func ForwardNoisedPair(s *sampler.Sampler, x0, x1 *tensors.Tensor, cond datasets.Cond, opt Options) (*Result, error) {
	p, res, n, d, err := setup(s, x0, opt, ProtocolForwardNoisedPair)
	if err != nil {
		return nil, err
	}
	if err := checkExamples("x1", x1, x0, n, d); err != nil {
		return nil, err
	}
	noise := tensors.MustCopyFlatData[float32](x0)
	data := tensors.MustCopyFlatData[float32](x1)
	t0 := s.Config().TStart
	c := p.At(t0)
	start := make([]float32, len(noise))
	for i := range start {
		start[i] = float32(c.Alpha*float64(data[i]) + c.Sigma*float64(noise[i]))
	}
	xStart := tensors.FromFlatDataAndDimensions(start, x0.Shape().Dimensions...)
	defer func() { _ = xStart.FinalizeAll() }()
	return walk(s, xStart, cond, res, opt, ProtocolForwardNoisedPair, func(_ *tensors.Tensor, xhat []float32) ([]int, []float64, error) {
		m, err := NearestTimes(p, xhat, noise, data, d)
		return nil, m, err
	})
}

// NearestData runs protocol (b): the sampler starts from the noise x0 ([N, ...], at TStart = 0) and at
// every state the reference point r and time m are chosen jointly to minimise
// ‖x̂_t − (α_m·ref_r + σ_m·x0)‖² over the reference set ref ([R, ...] real data with as many values per
// example as x0, in any per-example shape). The search runs on the backend in chunks of reference points; the reported m* of the chosen
// pair is then computed exactly on the host. With Options.KeepSamples, Stats.Index holds the chosen r.
func NearestData(s *sampler.Sampler, x0 *tensors.Tensor, cond datasets.Cond, ref *tensors.Tensor, opt Options) (*Result, error) {
	_, res, _, _, refs, err := setupReference(s, x0, ref, opt, ProtocolNearestData)
	if err != nil {
		return nil, err
	}
	defer refs.finalize()
	noise := tensors.MustCopyFlatData[float32](x0)
	return walk(s, x0, cond, res, opt, ProtocolNearestData, func(x *tensors.Tensor, xhat []float32) ([]int, []float64, error) {
		return refs.nearestLine(x, x0, xhat, noise)
	})
}

// NearestFinal runs protocol (c): it samples from the noise x0 ([N, ...], TStart 0) keeping the whole
// trajectory, finds for each final sample the nearest reference point x1 = ref_r (ref [R, ...] with as
// many values per example as x0; squared Euclidean distance), and measures m* against (x0, x1) at every state. Memory: the trajectory, len(Grid())·N·D
// float32 values. With Options.KeepSamples, Stats.Index holds r.
func NearestFinal(s *sampler.Sampler, x0 *tensors.Tensor, cond datasets.Cond, ref *tensors.Tensor, opt Options) (*Result, error) {
	p, res, n, d, refs, err := setupReference(s, x0, ref, opt, ProtocolNearestFinal)
	if err != nil {
		return nil, err
	}
	defer refs.finalize()
	tr, err := s.Trajectory(x0, cond)
	if err != nil {
		return nil, fmt.Errorf("slowflow: %s: %w", ProtocolNearestFinal, err)
	}
	finalHost := tr.States[len(tr.States)-1]
	final := tensors.FromFlatDataAndDimensions(finalHost, n, d)
	idx, err := refs.nearestPoint(final, finalHost)
	_ = final.FinalizeAll()
	if err != nil {
		return nil, err
	}
	pair := make([]float32, n*d)
	for k, r := range idx {
		copy(pair[k*d:(k+1)*d], refs.row(r))
	}
	noise := tr.States[0]
	for i, xhat := range tr.States {
		m, err := NearestTimes(p, xhat, noise, pair, d)
		if err != nil {
			return nil, fmt.Errorf("slowflow: %s: step %d (t = %v): %w", ProtocolNearestFinal, i, tr.Times[i], err)
		}
		if err := res.add(i, tr.Times[i], m, idx, opt); err != nil {
			return nil, fmt.Errorf("slowflow: %s: %w", ProtocolNearestFinal, err)
		}
	}
	return res, nil
}

// walk runs the sampler s from start and records, at every state, the m* (and reference indices) that
// measure returns for the state x and its host copy xhat; errors name the protocol and the step.
func walk(s *sampler.Sampler, start *tensors.Tensor, cond datasets.Cond, res *Result, opt Options, protocol string,
	measure func(x *tensors.Tensor, xhat []float32) ([]int, []float64, error)) (*Result, error) {
	last, err := s.Walk(start, cond, func(i int, t float64, x *tensors.Tensor) error {
		xhat, err := tensors.CopyFlatData[float32](x)
		if err != nil {
			return err
		}
		idx, m, err := measure(x, xhat)
		if err != nil {
			return fmt.Errorf("step %d (t = %v): %w", i, t, err)
		}
		return res.add(i, t, m, idx, opt)
	})
	if last != nil {
		_ = last.FinalizeAll()
	}
	if err != nil {
		return nil, fmt.Errorf("slowflow: %s: %w", protocol, err)
	}
	return res, nil
}

// setupReference is setup for the protocols that sample from noise and search the reference set ref:
// it also checks that the sampler starts at TStart 0 and loads ref (the caller finalises it).
func setupReference(s *sampler.Sampler, x0, ref *tensors.Tensor, opt Options, protocol string) (path.Path, *Result, int, int, *refSet, error) {
	p, res, n, d, err := setup(s, x0, opt, protocol)
	if err != nil {
		return nil, nil, 0, 0, nil, err
	}
	if s.Config().TStart != 0 {
		return nil, nil, 0, 0, nil, fmt.Errorf("slowflow: %s needs a sampler starting from noise (TStart 0), got TStart %v", protocol, s.Config().TStart)
	}
	refs, err := newReference(s.Backend(), ref, x0, n, d, p, opt)
	if err != nil {
		return nil, nil, 0, 0, nil, err
	}
	res.ReferenceSize = refs.r
	return p, res, n, d, refs, nil
}

// setup validates the sampler and x0 and prepares an empty Result.
func setup(s *sampler.Sampler, x0 *tensors.Tensor, opt Options, protocol string) (path.Path, *Result, int, int, error) {
	if s == nil {
		return nil, nil, 0, 0, fmt.Errorf("slowflow: %s: sampler is nil", protocol)
	}
	return setupConfig(s.Config(), x0, opt, protocol)
}

// setupConfig is setup for a sampler configuration with its defaults filled in.
func setupConfig(cfg sampler.Config, x0 *tensors.Tensor, opt Options, protocol string) (path.Path, *Result, int, int, error) {
	if cfg.TStart > cfg.TEnd {
		return nil, nil, 0, 0, fmt.Errorf("slowflow: %s: the sampler integrates backwards (TStart %v > TEnd %v)", protocol, cfg.TStart, cfg.TEnd)
	}
	if x0 == nil {
		return nil, nil, 0, 0, fmt.Errorf("slowflow: x0 is nil")
	}
	if x0.DType() != dtypes.Float32 || x0.Rank() < 1 || x0.Size() == 0 {
		return nil, nil, 0, 0, fmt.Errorf("slowflow: x0 has shape %s, want float32 [N, ...]", x0.Shape())
	}
	q := opt.Quantiles
	if q == [2]float64{} {
		q = DefaultQuantiles
	}
	if !(q[0] >= 0 && q[1] <= 1 && q[0] <= q[1]) {
		return nil, nil, 0, 0, fmt.Errorf("slowflow: quantiles %v must satisfy 0 ≤ lo ≤ hi ≤ 1", q)
	}
	p := opt.Path
	if p == nil {
		p = path.OrLinear(cfg.Path)
	}
	n := x0.Shape().Dimensions[0]
	d := x0.Size() / n
	res := &Result{
		Protocol: protocol, Path: p.Name(), Method: cfg.Method.String(), Steps: cfg.Steps,
		StartTime: cfg.TStart, N: n, Quantiles: q,
	}
	return p, res, n, d, nil
}

// checkExamples checks that x (x1 of ForwardNoisedPair) is a float32 tensor [n, ...] with d values per
// example, like x0 ([n, ...]); its per-example shape may differ from x0's.
func checkExamples(name string, x, x0 *tensors.Tensor, n, d int) error {
	if x == nil {
		return fmt.Errorf("slowflow: %s is nil", name)
	}
	if x.DType() != dtypes.Float32 || x.Rank() < 1 || x.Shape().Dimensions[0] != n || x.Size() != n*d {
		return fmt.Errorf("slowflow: %s has shape %s (%s), want float32 [%d, ...] with %d values per example like x0 %s",
			name, x.Shape(), x.DType(), n, d, x0.Shape())
	}
	return nil
}

// newReference validates ref ([R, ...] with d values per example, like x0) and builds the search
// structure.
func newReference(b compute.Backend, ref, x0 *tensors.Tensor, n, d int, p path.Path, opt Options) (*refSet, error) {
	if ref == nil {
		return nil, fmt.Errorf("slowflow: reference set is nil")
	}
	if ref.DType() != dtypes.Float32 || ref.Rank() < 1 || ref.Size() == 0 || ref.Size() != ref.Shape().Dimensions[0]*d {
		return nil, fmt.Errorf("slowflow: reference set has shape %s (%s), want float32 [R, ...] with %d values per example like x0 %s",
			ref.Shape(), ref.DType(), d, x0.Shape())
	}
	return newRefSet(b, tensors.MustCopyFlatData[float32](ref), d, n, opt.ChunkSize, p, opt.GridPoints)
}

// add appends the statistics of one state.
func (r *Result) add(step int, t float64, m []float64, idx []int, opt Options) error {
	st, err := Summarize(t, m, r.Quantiles)
	if err != nil {
		return err
	}
	st.Step = step
	if opt.KeepSamples {
		st.M = m
		st.Index = idx
	}
	r.Stats = append(r.Stats, st)
	return nil
}
