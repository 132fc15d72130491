package highdim

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// Metric names of an evaluation (lower is better for MetricFD and MetricModes; MetricSpread is best at 1).
const (
	// MetricFD is the Fréchet distance between Gaussian fits of the samples and of fresh true points
	// (the FID formula on the raw coordinates), divided by D.
	MetricFD = "fd"
	// MetricSpread is the mean squared distance of a sample to its nearest component mean, per
	// coordinate, in units of the components' variance s²: 1 for true data (up to O(1/D)), above 1 when
	// samples keep noise (lag carried to the end), below 1 when they collapse onto the means.
	MetricSpread = "spread"
	// MetricModes is the total-variation distance between the fraction of samples nearest to each
	// component and the component weights (0: every mode has its share).
	MetricModes = "modes"
)

// Metrics lists the metrics of an evaluation in table order.
var Metrics = []string{MetricFD, MetricSpread, MetricModes}

// Row is one measured number.
type Row struct {
	// Sampler is the setting's Sampler.Name(); "data" for the noise-floor rows.
	Sampler string `json:"sampler"`
	// Seed is the evaluation seed.
	Seed uint64 `json:"seed"`
	// Metric is one of Metrics.
	Metric string `json:"metric"`
	// Value is the metric's value.
	Value float64 `json:"value"`
}

// EvalResult is the evaluation of one run: the core's experiment.EvalResult with this study's rows (the
// Floor rows, Sampler "data", score a second independent set of true points).
type EvalResult struct {
	experiment.EvalResult[EvalSpec, Row]
}

// Mean returns the mean over evaluation seeds of metric for the sampler named name (Sampler.Name, or
// "data" for the floor), NaN and false when absent.
func (r *EvalResult) Mean(name, metric string) (float64, bool) {
	rows := r.Rows
	if name == "data" {
		rows = r.Floor
	}
	return experiment.MeanOf(rows, func(row Row) bool { return row.Sampler == name && row.Metric == metric },
		func(row Row) float64 { return row.Value })
}

// Evaluate samples run with every setting of spec from the same initial noise per evaluation seed and
// scores the samples against fresh true points of the data. The result is cached under the run's key.
func (l *Lab) Evaluate(ctx context.Context, run *Run, spec EvalSpec) (*EvalResult, error) {
	return measure(l, "evaluate", "hd-eval", "eval", run, spec, func(c EvalSpec) bool { return c.UseEMA },
		func(c EvalSpec, in inputs) (EvalResult, error) { return evaluate(ctx, run, c, in) })
}

// inputs is what a measurement of a run works on: the data's mixture and the network and weights that
// sample the run.
type inputs struct {
	mix   *oracle.Mixture
	net   nn.Backbone
	store *model.Store
}

// measure returns m's measurement of run with spec on its inputs (the EMA weights when useEMA says so),
// cached under name with the spec as field of the key beside the run's key and data
// (experiment.MeasureRun); a nil run is an error naming op.
func measure[S experiment.Spec[S], T any, PT experiment.Measured[T]](l *Lab, op, name, field string, run *Run, spec S,
	useEMA func(S) bool, m func(S, inputs) (T, error)) (*T, error) {
	if run == nil {
		return nil, fmt.Errorf("highdim: %s: nil run", op)
	}
	return experiment.MeasureRun[S, T, PT](l.cache(), name, experiment.MeasureKey[S]{Run: run.Key, Data: run.Data, Field: field, Spec: spec},
		nil, func(c S, _ *experiment.Stage) (T, error) {
			var in inputs
			var err error
			if in.mix, err = run.Data.Mixture(); err != nil {
				var zero T
				return zero, err
			}
			if in.net, in.store, err = run.Backbone(useEMA(c)); err != nil {
				var zero T
				return zero, err
			}
			return m(c, in)
		})
}

func evaluate(ctx context.Context, run *Run, c EvalSpec, in inputs) (EvalResult, error) {
	start := time.Now()
	res := EvalResult{Run: run.Label, RunKey: run.Key, Spec: c}
	mix, net, store := in.mix, in.net, in.store
	dim := run.Data.Dim
	for _, seed := range c.Seeds {
		truth, _, err := TruePoints(run.Data, c.Samples, seed)
		if err != nil {
			return res, err
		}
		sc, err := newScorer(mix, truth)
		if err != nil {
			return res, err
		}
		floor, _, err := TruePoints(run.Data, c.Samples, seed+seedFloor)
		if err != nil {
			return res, err
		}
		fl, err := sc.score(floor)
		if err != nil {
			return res, fmt.Errorf("highdim: evaluate noise floor: %w", err)
		}
		for _, m := range Metrics {
			res.Floor = append(res.Floor, Row{Sampler: "data", Seed: seed, Metric: m, Value: fl[m]})
		}
		x0, err := sampler.Noise(seedNoise+seed, c.Samples, dim)
		if err != nil {
			return res, fmt.Errorf("highdim: evaluate: %w", err)
		}
		for _, s := range c.Samplers {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			cfg, _ := s.Config()
			smp, err := sampler.New(nil, store, net, cfg)
			if err != nil {
				return res, fmt.Errorf("highdim: evaluate %s, %s: %w", run.Label, s.Name(), err)
			}
			xt, err := smp.Sample(x0, datasets.Cond{})
			smp.Finalize()
			if err != nil {
				return res, fmt.Errorf("highdim: evaluate %s, %s: %w", run.Label, s.Name(), err)
			}
			x := tensors.MustCopyFlatData[float32](xt)
			_ = xt.FinalizeAll()
			v, err := sc.score(x)
			if err != nil {
				return res, fmt.Errorf("highdim: evaluate %s, %s, seed %d: %w", run.Label, s.Name(), seed, err)
			}
			for _, m := range Metrics {
				res.Rows = append(res.Rows, Row{Sampler: s.Name(), Seed: seed, Metric: m, Value: v[m]})
			}
		}
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// scorer scores sample sets against one set of true points of a mixture.
type scorer struct {
	mix   *oracle.Mixture
	means [][]float64
	truth metrics.Gaussian
	dim   int
}

func newScorer(mix *oracle.Mixture, truth []float32) (*scorer, error) {
	d := mix.Dim()
	rows, err := metrics.Float32Rows(truth, d)
	if err != nil {
		return nil, fmt.Errorf("highdim: true points: %w", err)
	}
	g, err := metrics.FeatureStats(rows)
	if err != nil {
		return nil, fmt.Errorf("highdim: true points: %w", err)
	}
	return &scorer{mix: mix, means: mix.Means(), truth: g, dim: d}, nil
}

// score returns every metric of the samples x (row-major [n, D]).
func (s *scorer) score(x []float32) (map[string]float64, error) {
	rows, err := metrics.Float32Rows(x, s.dim)
	if err != nil {
		return nil, err
	}
	g, err := metrics.FeatureStats(rows)
	if err != nil {
		return nil, err
	}
	fd, err := metrics.FrechetDistance(g, s.truth)
	if err != nil {
		return nil, err
	}
	spread, modes := s.modeStats(rows)
	return map[string]float64{MetricFD: fd / float64(s.dim), MetricSpread: spread, MetricModes: modes}, nil
}

// modeStats returns MetricSpread and MetricModes of rows.
func (s *scorer) modeStats(rows [][]float64) (spread, tv float64) {
	k := len(s.means)
	counts := make([]float64, k)
	stds := s.mix.Stds()
	for _, r := range rows {
		best, bi := math.Inf(1), 0
		for j, mu := range s.means {
			var d2 float64
			for i, v := range r {
				d2 += (v - mu[i]) * (v - mu[i])
			}
			if d2 < best {
				best, bi = d2, j
			}
		}
		counts[bi]++
		sd := stds[0]
		if len(stds) == k {
			sd = stds[bi]
		}
		spread += best / (float64(s.dim) * sd * sd)
	}
	n := float64(len(rows))
	w := s.mix.Weights()
	for j := range counts {
		tv += math.Abs(counts[j]/n-w[j]) / 2
	}
	return spread / n, tv
}

// PairedDiff returns, over training seeds, the paired difference arm − ref of metric for the sampler
// named name (each model's value averaged over its evaluation seeds), with its Student-t 95 % interval:
// arm[i] and ref[i] must come from the same base seed i (or ref[i] is that seed's reference). Negative
// means arm is lower (better for MetricFD and MetricModes).
func PairedDiff(arm, ref []*EvalResult, name, metric string) (metrics.Summary, error) {
	if len(arm) != len(ref) {
		return metrics.Summary{}, fmt.Errorf("highdim: paired difference: %d arm results vs %d reference results", len(arm), len(ref))
	}
	d := make([]float64, len(arm))
	for i := range arm {
		a, ok1 := arm[i].Mean(name, metric)
		b, ok2 := ref[i].Mean(name, metric)
		if !ok1 || !ok2 {
			return metrics.Summary{}, fmt.Errorf("highdim: paired difference: no %s of %s for seed %d", metric, name, i)
		}
		d[i] = a - b
	}
	s, err := metrics.Summarize(d)
	if err != nil {
		return s, fmt.Errorf("highdim: paired difference: %w", err)
	}
	return s, nil
}

// OverSeeds returns the mean of metric for the sampler named name over results (one per training seed)
// with its Student-t 95 % interval.
func OverSeeds(results []*EvalResult, name, metric string) (metrics.Summary, error) {
	v := make([]float64, len(results))
	for i, r := range results {
		m, ok := r.Mean(name, metric)
		if !ok {
			return metrics.Summary{}, fmt.Errorf("highdim: no %s of %s for seed %d", metric, name, i)
		}
		v[i] = m
	}
	s, err := metrics.Summarize(v)
	if err != nil {
		return s, fmt.Errorf("highdim: %w", err)
	}
	return s, nil
}
