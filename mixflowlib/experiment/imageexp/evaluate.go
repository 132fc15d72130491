package imageexp

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
)

// FloorRun is the run name of the noise-floor rows: real images scored like generated ones.
const FloorRun = "real data"

// EvalRow is one measured number: a metric of the images of one run, sampler setting and seed.
type EvalRow struct {
	// Run is the run's label (FloorRun for the noise floor).
	Run string `json:"run"`
	// Sampler is the sampler setting's label ("data" for the noise floor); Method, Steps and CFG repeat
	// its main fields for tidy tables.
	Sampler string  `json:"sampler"`
	Method  string  `json:"method"`
	Steps   int     `json:"steps"`
	CFG     float64 `json:"cfg,omitempty"`
	// Seed is the evaluation seed.
	Seed uint64 `json:"seed"`
	// Metric names the metric; Value is its value.
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
}

// EvalResult is the evaluation of one run: the core's experiment.EvalResult with image rows, one per
// (sampler setting, seed, metric), and the noise-floor rows of Spec.Floor.
type EvalResult struct {
	experiment.EvalResult[EvalSpec, EvalRow]
}

// Metrics returns the names of the metrics in r, in a stable order (FID, precision, recall, accuracy,
// IS, then the others alphabetically).
func (r *EvalResult) Metrics() []string { return metricNames(r.Rows) }

// Value returns the summary over seeds of metric for the sampler setting s (mean, standard deviation and
// 95 % interval; with one seed the interval is the single value), and false if there is no such row.
func (r *EvalResult) Value(s SamplerSpec, metric string) (metrics.Summary, bool) {
	c, err := s.Canonical()
	if err != nil {
		return metrics.Summary{}, false
	}
	vals := r.values(c.Label(), metric)
	if len(vals) == 0 {
		return metrics.Summary{}, false
	}
	return summarize(vals), true
}

func (r *EvalResult) values(sampler, metric string) map[uint64]float64 {
	out := map[uint64]float64{}
	for _, row := range r.Rows {
		if row.Sampler == sampler && row.Metric == metric {
			out[row.Seed] = row.Value
		}
	}
	return out
}

// evalKey is what one (run, setting, seed) evaluation's cache key hashes.
type evalKey struct {
	Run       string        `json:"run"`
	UseEMA    bool          `json:"use_ema"`
	Sampler   SamplerSpec   `json:"sampler"`
	N         int           `json:"n"`
	Seed      uint64        `json:"seed"`
	BatchSize int           `json:"batch_size"`
	Evaluator EvaluatorSpec `json:"evaluator"`
}

// scored is the cached result of one (run or floor, setting, seed) evaluation.
type scored struct {
	Metrics map[string]float64 `json:"metrics"`
	Seconds float64            `json:"seconds"`
}

// Evaluate samples run with every sampler setting of spec and scores the images, clipped to [−1, 1] as
// saving them would, with spec's evaluator.
// Each (setting, seed) uses the seed's initial noise and conditioning, the same for every run, so runs
// are compared on identical inputs; each is cached on its own under the run's key, so an interrupted
// evaluation resumes and a grown spec computes only what is new. With spec.Floor the noise floor is
// evaluated too (see Floor).
func (l *Lab) Evaluate(ctx context.Context, run *Run, spec EvalSpec) (*EvalResult, error) {
	if err := run.check(); err != nil {
		return nil, err
	}
	c, err := spec.Canonical()
	if err != nil {
		return nil, err
	}
	total := len(c.Samplers) * len(c.Seeds)
	st := l.begin("evaluate "+run.Label, 1, "setting", total)
	res := &EvalResult{Run: run.Label, RunKey: run.Key, Spec: c}
	done, hits := 0, 0
	for _, s := range c.Samplers {
		for _, seed := range c.Seeds {
			key := evalKey{Run: run.Key, UseEMA: c.UseEMA && run.HasEMA, Sampler: s, N: c.N, Seed: seed,
				BatchSize: c.BatchSize, Evaluator: c.Evaluator}
			sc, info, err := expcache.Compute(l.cache(), cacheEval, key, func(string) (scored, error) {
				start := time.Now()
				ev, err := c.Evaluator.New()
				if err != nil {
					return scored{}, err
				}
				smp, err := l.generate(ctx, run, s, c.N, seed, c.UseEMA, c.BatchSize)
				if err != nil {
					return scored{}, err
				}
				// As when generated images are saved (PNG) or scored by the reference evaluation suites:
				// values are clipped to [−1, 1]; a sampler that overshoots is not an evaluator error.
				m, err := ev(clip(smp.Images), smp.Cond)
				if err != nil {
					return scored{}, fmt.Errorf("imageexp: evaluate %s, %s, seed %d: %w", run.Label, s.Label(), seed, err)
				}
				if err := checkMetrics(m); err != nil {
					return scored{}, fmt.Errorf("imageexp: evaluate %s, %s, seed %d: %w", run.Label, s.Label(), seed, err)
				}
				return scored{Metrics: m, Seconds: time.Since(start).Seconds()}, nil
			})
			if err != nil {
				st.End(false, "failed")
				return nil, err
			}
			if info.Hit {
				hits++
			}
			res.Seconds += sc.Seconds
			for _, name := range sortedMetricNames(sc.Metrics) {
				res.Rows = append(res.Rows, EvalRow{Run: run.Label, Sampler: s.Label(), Method: s.Method, Steps: s.Steps,
					CFG: s.CFG, Seed: seed, Metric: name, Value: sc.Metrics[name]})
			}
			done++
			st.Progress(done, headline(sc.Metrics))
		}
	}
	if c.Floor {
		if res.Floor, err = l.Floor(ctx, run.Base.Data, c); err != nil {
			st.End(false, "failed")
			return nil, err
		}
	}
	st.End(hits == total, fmt.Sprintf("%d settings × %d seeds, %d from the cache", len(c.Samplers), len(c.Seeds), hits))
	return res, nil
}

// floorKey is what one noise-floor evaluation's cache key hashes.
type floorKey struct {
	Data      DataSpec      `json:"data"`
	N         int           `json:"n"`
	Seed      uint64        `json:"seed"`
	Evaluator EvaluatorSpec `json:"evaluator"`
}

// Floor scores spec.N real images per seed of spec (Data.Real: data the evaluator's reference was not
// computed from) exactly as generated images are scored: the noise floor of each metric at N images,
// what a perfect generator would get. It needs data whose Data.Real is set. Each seed is cached.
func (l *Lab) Floor(ctx context.Context, data DataSpec, spec EvalSpec) ([]EvalRow, error) {
	c, err := spec.Canonical()
	if err != nil {
		return nil, err
	}
	dc, err := data.Canonical()
	if err != nil {
		return nil, err
	}
	dc.Seed = 0 // the training stream does not matter for real images
	var rows []EvalRow
	for _, seed := range c.Seeds {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sc, _, err := expcache.Compute(l.cache(), cacheFloor, floorKey{Data: dc, N: c.N, Seed: seed, Evaluator: c.Evaluator},
			func(string) (scored, error) {
				start := time.Now()
				d, err := dc.Load()
				if err != nil {
					return scored{}, err
				}
				if d.Real == nil {
					return scored{}, fmt.Errorf("imageexp: floor: data %s provides no real images (Data.Real is nil)", d.Name)
				}
				b, err := d.Real(c.N, seed)
				if err != nil {
					return scored{}, fmt.Errorf("imageexp: floor: real images of %s: %w", d.Name, err)
				}
				ev, err := c.Evaluator.New()
				if err != nil {
					return scored{}, err
				}
				m, err := ev(b.X, b.Cond)
				if err != nil {
					return scored{}, fmt.Errorf("imageexp: floor, seed %d: %w", seed, err)
				}
				if err := checkMetrics(m); err != nil {
					return scored{}, fmt.Errorf("imageexp: floor, seed %d: %w", seed, err)
				}
				return scored{Metrics: m, Seconds: time.Since(start).Seconds()}, nil
			})
		if err != nil {
			return nil, err
		}
		for _, name := range sortedMetricNames(sc.Metrics) {
			rows = append(rows, EvalRow{Run: FloorRun, Sampler: "data", Method: "data", Seed: seed, Metric: name,
				Value: sc.Metrics[name]})
		}
	}
	return rows, nil
}

func checkMetrics(m map[string]float64) error {
	if len(m) == 0 {
		return fmt.Errorf("evaluator returned no metrics")
	}
	for k, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("metric %s is %v", k, v)
		}
	}
	return nil
}

// headline picks the values shown in progress reports.
func headline(m map[string]float64) map[string]float64 {
	if v, ok := m[MetricFID]; ok {
		return map[string]float64{MetricFID: v}
	}
	return m
}

var metricOrder = map[string]int{MetricFID: 0, MetricPrecision: 1, MetricRecall: 2, MetricAccuracy: 3, MetricIS: 4}

func sortedMetricNames(m map[string]float64) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sortMetrics(names)
	return names
}

func sortMetrics(names []string) {
	sort.Slice(names, func(i, j int) bool {
		a, okA := metricOrder[names[i]]
		b, okB := metricOrder[names[j]]
		switch {
		case okA && okB:
			return a < b
		case okA != okB:
			return okA
		}
		return names[i] < names[j]
	})
}

func metricNames(rows []EvalRow) []string {
	seen := map[string]bool{}
	var names []string
	for _, r := range rows {
		if !seen[r.Metric] {
			seen[r.Metric] = true
			names = append(names, r.Metric)
		}
	}
	sortMetrics(names)
	return names
}

// summarize summarises per-seed values (metrics.Summarize; a single value gives a zero-width interval).
func summarize(bySeed map[uint64]float64) metrics.Summary {
	vals := make([]float64, 0, len(bySeed))
	for _, seed := range sortedSeeds(bySeed) {
		vals = append(vals, bySeed[seed])
	}
	return summarizeValues(vals)
}

func summarizeValues(vals []float64) metrics.Summary {
	if len(vals) == 1 {
		return metrics.Summary{Estimate: vals[0], Lo: vals[0], Hi: vals[0], N: 1}
	}
	s, err := metrics.Summarize(vals)
	if err != nil { // cannot happen for ≥ 2 finite values (checkMetrics); keep the mean
		var sum float64
		for _, v := range vals {
			sum += v
		}
		m := sum / float64(len(vals))
		return metrics.Summary{Estimate: m, Lo: m, Hi: m, N: len(vals)}
	}
	return s
}

func sortedSeeds(m map[uint64]float64) []uint64 {
	seeds := make([]uint64, 0, len(m))
	for s := range m {
		seeds = append(seeds, s)
	}
	sort.Slice(seeds, func(i, j int) bool { return seeds[i] < seeds[j] })
	return seeds
}

// Comparison is the evaluation of several runs with one spec (the analogue of the paper's Table 4):
// summaries over seeds of every (run, sampler setting, metric), with the paired difference to the
// reference run (the first one), and the metrics' noise floor.
type Comparison struct {
	// Runs are the run labels in the order given; Runs[0] is the reference.
	Runs []string `json:"runs"`
	// Samplers are the sampler settings, canonical, in spec order.
	Samplers []SamplerSpec `json:"samplers"`
	// Metrics are the metric names.
	Metrics []string `json:"metrics"`
	// Results are the evaluations, one per run.
	Results []*EvalResult `json:"results"`
	// Floor holds the noise-floor rows (when the spec asks for them).
	Floor []EvalRow `json:"floor,omitempty"`
	// Cells holds one summary per (run, sampler, metric).
	Cells []Cell `json:"cells"`
}

// Cell summarises one (run, sampler setting, metric) over the evaluation seeds.
type Cell struct {
	Run     string      `json:"run"`
	Sampler SamplerSpec `json:"sampler"`
	Metric  string      `json:"metric"`
	// Summary is the mean over seeds, their standard deviation and the 95 % interval of the mean.
	Summary metrics.Summary `json:"summary"`
	// Diff summarises the per-seed differences (this run − the reference run), which share noise and
	// labels; nil for the reference itself.
	Diff *metrics.Summary `json:"diff,omitempty"`
}

// Compare evaluates every run with spec (see Evaluate) and summarises the results; runs[0] is the
// reference of the paired differences. Run labels must be distinct.
func (l *Lab) Compare(ctx context.Context, runs []*Run, spec EvalSpec) (*Comparison, error) {
	if len(runs) == 0 {
		return nil, fmt.Errorf("imageexp: compare: no runs")
	}
	c, err := spec.Canonical()
	if err != nil {
		return nil, err
	}
	cmp := &Comparison{Samplers: c.Samplers}
	for _, r := range runs {
		if err := r.check(); err != nil {
			return nil, err
		}
		cmp.Runs = append(cmp.Runs, r.Label)
	}
	if d := experiment.FirstDuplicate(cmp.Runs); d >= 0 {
		return nil, fmt.Errorf("imageexp: compare: two runs are labelled %q; give them distinct labels", cmp.Runs[d])
	}
	noFloor := c
	noFloor.Floor = false
	for _, r := range runs {
		res, err := l.Evaluate(ctx, r, noFloor)
		if err != nil {
			return nil, err
		}
		res.Spec = c
		cmp.Results = append(cmp.Results, res)
	}
	if c.Floor {
		if cmp.Floor, err = l.Floor(ctx, runs[0].Base.Data, c); err != nil {
			return nil, err
		}
		for _, res := range cmp.Results {
			res.Floor = cmp.Floor
		}
	}
	cmp.Metrics = metricNames(cmp.Results[0].Rows)
	ref := cmp.Results[0]
	for i, res := range cmp.Results {
		for _, s := range c.Samplers {
			for _, m := range cmp.Metrics {
				vals := res.values(s.Label(), m)
				if len(vals) == 0 {
					continue
				}
				cell := Cell{Run: res.Run, Sampler: s, Metric: m, Summary: summarize(vals)}
				if i > 0 {
					refVals := ref.values(s.Label(), m)
					var diffs []float64
					for _, seed := range sortedSeeds(vals) {
						if rv, ok := refVals[seed]; ok {
							diffs = append(diffs, vals[seed]-rv)
						}
					}
					if len(diffs) > 0 {
						d := summarizeValues(diffs)
						cell.Diff = &d
					}
				}
				cmp.Cells = append(cmp.Cells, cell)
			}
		}
	}
	return cmp, nil
}

// Cell returns the summary of (run, s, metric), and false if there is none.
func (c *Comparison) Cell(run string, s SamplerSpec, metric string) (Cell, bool) {
	cs, err := s.Canonical()
	if err != nil {
		return Cell{}, false
	}
	for _, cell := range c.Cells {
		if cell.Run == run && cell.Sampler == cs && cell.Metric == metric {
			return cell, true
		}
	}
	return Cell{}, false
}

// FloorSummary returns the noise floor of metric summarised over seeds, and false without a floor.
func (c *Comparison) FloorSummary(metric string) (metrics.Summary, bool) {
	return floorSummary(c.Floor, metric)
}

// FloorSummary returns the noise floor of metric summarised over seeds, and false without a floor.
func (r *EvalResult) FloorSummary(metric string) (metrics.Summary, bool) {
	return floorSummary(r.Floor, metric)
}

func floorSummary(rows []EvalRow, metric string) (metrics.Summary, bool) {
	vals := map[uint64]float64{}
	for _, r := range rows {
		if r.Metric == metric {
			vals[r.Seed] = r.Value
		}
	}
	if len(vals) == 0 {
		return metrics.Summary{}, false
	}
	return summarize(vals), true
}

// clip returns a float32 tensor with the values of x clipped to [−1, 1] (NaN stays NaN).
func clip(x *tensors.Tensor) *tensors.Tensor {
	flat, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		return x
	}
	for i, v := range flat {
		if v > 1 {
			flat[i] = 1
		} else if v < -1 {
			flat[i] = -1
		}
	}
	return tensors.FromFlatDataAndDimensions(flat, x.Shape().Dimensions...)
}
