package toyexp

import (
	"context"
	"fmt"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// EvalRow is one measured number: a metric of the samples of one sampler setting and evaluation seed.
type EvalRow struct {
	// Method is the sampler ("euler", "heun"); "data" for the noise-floor rows.
	Method string `json:"method"`
	// Steps is the number of sampling steps (0 for the noise-floor rows).
	Steps int `json:"steps"`
	// Seed is the evaluation seed.
	Seed uint64 `json:"seed"`
	// Metric is MetricSW or MetricMMD.
	Metric string `json:"metric"`
	// Value is the metric's value (lower is better for both).
	Value float64 `json:"value"`
}

// EvalResult is the evaluation of one run: the core's experiment.EvalResult with toy rows. Its Floor
// holds, per seed and metric, the metric between two independent sets of true points of the same size
// (Method "data", Steps 0).
type EvalResult struct {
	experiment.EvalResult[EvalSpec, EvalRow]
}

// Mean returns the mean over evaluation seeds of metric for (method, steps), and false if there is no
// such row.
func (r *EvalResult) Mean(method string, steps int, metric string) (float64, bool) {
	return experiment.MeanOf(r.Rows, func(row EvalRow) bool {
		return row.Method == method && row.Steps == steps && row.Metric == metric
	}, EvalRow.value)
}

// FloorMean returns the mean noise floor of metric over the evaluation seeds.
func (r *EvalResult) FloorMean(metric string) float64 {
	m, _ := experiment.MeanOf(r.Floor, func(row EvalRow) bool { return row.Metric == metric }, EvalRow.value)
	return m
}

func (r EvalRow) value() float64 { return r.Value }

// Evaluate samples run with every (method, steps) of spec, from the same initial noise for every
// setting, and compares the samples with fresh true points of run's data (independent of the training
// stream) by the sliced Wasserstein distance and the MMD. Each evaluation seed has its own noise and its
// own true points. The result is cached under the run's key and the spec.
func (l *Lab) Evaluate(ctx context.Context, run *Run, spec EvalSpec) (*EvalResult, error) {
	return measure(l, "evaluate", cacheEval, "eval", run, spec, func(c EvalSpec) bool { return c.UseEMA },
		func(c EvalSpec) *experiment.Stage {
			return l.begin("evaluate "+run.Label, 1, "setting", len(c.Seeds)*len(c.Methods)*len(c.Steps))
		},
		func(c EvalSpec, net nn.Backbone, store *model.Store, st *experiment.Stage) (EvalResult, error) {
			return evaluate(ctx, run, c, net, store, st)
		})
}

// measure returns m's measurement of run with spec on the network and weights that sample it (the EMA
// weights when useEMA says so), reported to the stage begin starts and cached under name with the spec
// as field of the key beside the run's key and data (experiment.MeasureRun); a nil run is an error
// naming op.
func measure[S experiment.Spec[S], T any, PT experiment.Measured[T]](l *Lab, op, name, field string, run *Run, spec S,
	useEMA func(S) bool, begin func(S) *experiment.Stage,
	m func(c S, net nn.Backbone, store *model.Store, st *experiment.Stage) (T, error)) (*T, error) {
	if run == nil {
		return nil, fmt.Errorf("toyexp: %s: nil run", op)
	}
	return experiment.MeasureRun[S, T, PT](l.cache(), name, experiment.MeasureKey[S]{Run: run.Key, Data: run.Data, Field: field, Spec: spec},
		begin, func(c S, st *experiment.Stage) (T, error) {
			net, store, err := run.sampling(useEMA(c))
			if err != nil {
				var zero T
				return zero, err
			}
			return m(c, net, store, st)
		})
}

func evaluate(ctx context.Context, run *Run, c EvalSpec, net nn.Backbone, store *model.Store, st *experiment.Stage) (EvalResult, error) {
	start := time.Now()
	res := EvalResult{Run: run.Label, RunKey: run.Key, Spec: c}
	dim := run.Data.Dim
	done := 0
	for _, seed := range c.Seeds {
		truthFlat, err := truePoints(run.Data, c.Samples, seedTruth+seed)
		if err != nil {
			return res, err
		}
		truth, _ := rows(truthFlat, dim)
		floorFlat, err := truePoints(run.Data, c.Samples, seedFloor+seed)
		if err != nil {
			return res, err
		}
		floor, _ := rows(floorFlat, dim)
		var mmd metrics.MMDOptions
		if c.MMDSamples > 0 {
			// One kernel for every model: bandwidths from the true points alone.
			h, err := metrics.MedianBandwidth(truth[:c.MMDSamples], nil, 0, seed)
			if err != nil {
				return res, fmt.Errorf("toyexp: evaluate: %w", err)
			}
			for _, s := range metrics.DefaultMedianScales {
				mmd.Bandwidths = append(mmd.Bandwidths, s*h)
			}
		}
		score := func(x [][]float64) (map[string]float64, error) {
			out := map[string]float64{}
			sw, err := metrics.SlicedWasserstein(x, truth, metrics.SWOptions{Projections: c.Projections, Seed: seed})
			if err != nil {
				return nil, err
			}
			out[MetricSW] = sw
			if c.MMDSamples > 0 {
				m, err := metrics.MMD2(x[:c.MMDSamples], truth[:c.MMDSamples], mmd)
				if err != nil {
					return nil, err
				}
				out[MetricMMD] = m
			}
			return out, nil
		}
		fl, err := score(floor)
		if err != nil {
			return res, fmt.Errorf("toyexp: evaluate noise floor: %w", err)
		}
		for _, m := range c.Metrics() {
			res.Floor = append(res.Floor, EvalRow{Method: "data", Seed: seed, Metric: m, Value: fl[m]})
		}
		x0, err := sampler.Noise(seedNoise+seed, c.Samples, dim)
		if err != nil {
			return res, fmt.Errorf("toyexp: evaluate: %w", err)
		}
		for _, method := range c.Methods {
			meth, _ := experiment.ParseMethod(method)
			for _, steps := range c.Steps {
				if err := ctx.Err(); err != nil {
					return res, err
				}
				x, err := sample(net, store, samplerConfig(meth, steps, seed), x0)
				if err != nil {
					return res, fmt.Errorf("toyexp: evaluate %s, %s %d steps, seed %d: %w", run.Label, method, steps, seed, err)
				}
				xr, err := rows(x, dim)
				if err != nil {
					return res, fmt.Errorf("toyexp: evaluate %s, %s %d steps, seed %d: %w", run.Label, method, steps, seed, err)
				}
				sc, err := score(xr)
				if err != nil {
					return res, fmt.Errorf("toyexp: evaluate %s, %s %d steps, seed %d: %w", run.Label, method, steps, seed, err)
				}
				for _, m := range c.Metrics() {
					res.Rows = append(res.Rows, EvalRow{Method: method, Steps: steps, Seed: seed, Metric: m, Value: sc[m]})
				}
				done++
				st.Progress(done, map[string]float64{MetricSW: sc[MetricSW]})
			}
		}
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// sample runs one sampler from x0 and returns the final states, flat.
func sample(net nn.Backbone, store *model.Store, cfg sampler.Config, x0 *tensors.Tensor) ([]float32, error) {
	s, err := sampler.New(nil, store, net, cfg)
	if err != nil {
		return nil, err
	}
	defer s.Finalize()
	x, err := s.Sample(x0, datasets.Cond{})
	if err != nil {
		return nil, err
	}
	return tensors.MustCopyFlatData[float32](x), nil
}

// Samples draws n samples of run with a sampler ("euler", "heun", "euler-maruyama" or "heun-sde", steps
// steps) from the noise of the given seed, and returns their first two coordinates (the toy's plane), e.g. for scatter plots.
// It is not cached (a few milliseconds for a toy MLP).
func (l *Lab) Samples(run *Run, method string, steps, n int, seed uint64, useEMA bool) ([][2]float64, error) {
	if run == nil {
		return nil, fmt.Errorf("toyexp: samples: nil run")
	}
	meth, err := experiment.ParseMethod(method)
	if err != nil {
		return nil, err
	}
	if err := experiment.CheckSteps("samples", []int{steps}); err != nil {
		return nil, err
	}
	if n < 1 || n > MaxSamples {
		return nil, fmt.Errorf("toyexp: samples n %d outside [1, %d]", n, MaxSamples)
	}
	net, store, err := run.sampling(useEMA)
	if err != nil {
		return nil, err
	}
	dim := run.Data.Dim
	x0, err := sampler.Noise(seedNoise+seed, n, dim)
	if err != nil {
		return nil, fmt.Errorf("toyexp: samples: %w", err)
	}
	x, err := sample(net, store, samplerConfig(meth, steps, seed), x0)
	if err != nil {
		return nil, fmt.Errorf("toyexp: samples of %s: %w", run.Label, err)
	}
	out := make([][2]float64, n)
	for i := range out {
		out[i] = [2]float64{float64(x[i*dim]), float64(x[i*dim+1])}
	}
	return out, nil
}

// TruePoints returns n fresh points of the data distribution of d (their first two coordinates), drawn
// with seed, e.g. to plot next to samples.
func TruePoints(d DataSpec, n int, seed uint64) ([][2]float64, error) {
	c, err := d.Canonical()
	if err != nil {
		return nil, err
	}
	if n < 1 || n > MaxSamples {
		return nil, fmt.Errorf("toyexp: true points n %d outside [1, %d]", n, MaxSamples)
	}
	x, err := truePoints(c, n, seedTruth+seed)
	if err != nil {
		return nil, err
	}
	out := make([][2]float64, n)
	for i := range out {
		out[i] = [2]float64{float64(x[i*c.Dim]), float64(x[i*c.Dim+1])}
	}
	return out, nil
}
