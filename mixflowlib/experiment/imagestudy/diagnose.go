package imagestudy

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/exposure"
)

// DiagSpec configures the exposure-bias diagnostics of one image model: the injected-lag test
// (exposure.InjectedLag, scored by the residual noise and by a metric of the final images) and the
// per-step variance gap (exposure.VarianceGap), both on the first N held-out images with their labels.
type DiagSpec struct {
	// N is the number of held-out images (at most the data's HeldOut size).
	N int `json:"n"`
	// LagDeltas are the injected lags δ, each < LagT0; LagT0 is the labelled start time.
	LagDeltas []float64 `json:"lag_deltas"`
	LagT0     float64   `json:"lag_t0"`
	// Sampler is the sampler of both tests (guidance is ignored by neither; keep it unguided).
	Sampler imageexp.SamplerSpec `json:"sampler"`
	// Metric names the evaluator metric reported for the injected-lag samples (e.g. imageexp.MetricFID).
	Metric string `json:"metric"`
	// Evaluator scores the injected-lag samples (zero value: the fmnist evaluator without
	// precision/recall).
	Evaluator imageexp.EvaluatorSpec `json:"evaluator"`
	// Seed seeds the noise of both tests.
	Seed uint64 `json:"seed"`
	// UseEMA diagnoses the EMA weights.
	UseEMA bool `json:"use_ema"`
}

// DefaultDiagSpec returns 500 held-out images, δ ∈ {0, 0.05, 0.1, 0.2} from t0 = 0.5, Euler at 10
// steps, FID of the final images, EMA weights.
func DefaultDiagSpec() DiagSpec {
	return DiagSpec{N: 500, LagDeltas: exposure.DefaultDeltas, LagT0: exposure.DefaultT0,
		Sampler: imageexp.SamplerSpec{Method: imageexp.MethodEuler, Steps: 10}, Metric: imageexp.MetricFID, UseEMA: true}
}

// Canonical fills defaults and validates.
func (d DiagSpec) Canonical() (DiagSpec, error) {
	if d.N < 4 || d.N > imageexp.MaxImages {
		return d, fmt.Errorf("imagestudy: diag n %d outside [4, %d]", d.N, imageexp.MaxImages)
	}
	if d.LagT0 == 0 {
		d.LagT0 = exposure.DefaultT0
	}
	if !(d.LagT0 > 0 && d.LagT0 < 1) {
		return d, fmt.Errorf("imagestudy: diag lag_t0 %v outside (0, 1)", d.LagT0)
	}
	if len(d.LagDeltas) == 0 {
		d.LagDeltas = exposure.DefaultDeltas
	}
	for _, v := range d.LagDeltas {
		if !(v >= 0 && v < d.LagT0) {
			return d, fmt.Errorf("imagestudy: diag lag delta %v outside [0, lag_t0 %v)", v, d.LagT0)
		}
	}
	var err error
	if d.Sampler, err = d.Sampler.Canonical(); err != nil {
		return d, err
	}
	if d.Sampler.Guided() {
		return d, fmt.Errorf("imagestudy: diag sampler %s: want no guidance", d.Sampler.Label())
	}
	if d.Metric == "" {
		d.Metric = imageexp.MetricFID
	}
	if d.Evaluator.Kind == "" {
		d.Evaluator = imageexp.EvaluatorSpec{Kind: imageexp.EvaluatorFMNIST, Params: []byte(`{"no_precision_recall":true}`)}
	}
	if d.Evaluator, err = d.Evaluator.Canonical(); err != nil {
		return d, err
	}
	return d, nil
}

// Diagnosis holds the exposure-bias diagnostics of one model: the core's (experiment.Diagnosis), the
// injected-lag test (residual noise and DiagSpec.Metric per δ) and the variance gap per step.
type Diagnosis struct {
	experiment.Diagnosis
}

// LagSlope returns the growth of the lag test's metric from δ = 0 to the largest δ, divided by that δ
// (metric units per unit of lag): how fast the model's samples degrade with a lag it did not cause.
func (d *Diagnosis) LagSlope() float64 {
	if len(d.Lag) < 2 {
		return math.NaN()
	}
	a, b := d.Lag[0], d.Lag[len(d.Lag)-1]
	return (b.Metric - a.Metric) / (b.Delta - a.Delta)
}

// Diagnose runs the injected-lag test and the variance gap of run (cached under the run's key and the
// spec) on lab's cache.
func Diagnose(ctx context.Context, lab *imageexp.Lab, run *imageexp.Run, spec DiagSpec) (*Diagnosis, error) {
	if run == nil {
		return nil, fmt.Errorf("imagestudy: diagnose: nil run")
	}
	return experiment.MeasureRun(cacheOf(lab), "imgstudy-diag", experiment.MeasureKey[DiagSpec]{Run: run.Key, Field: "diag", Spec: spec},
		nil, func(c DiagSpec, _ *experiment.Stage) (Diagnosis, error) { return diagnose(ctx, lab, run, c) })
}

func diagnose(ctx context.Context, lab *imageexp.Lab, run *imageexp.Run, c DiagSpec) (Diagnosis, error) {
	start := time.Now()
	d := Diagnosis{experiment.Diagnosis{Run: run.Label, RunKey: run.Key}}
	data, err := run.Data().Load()
	if err != nil {
		return d, err
	}
	x1, cond, err := heldOut(data, c.N)
	if err != nil {
		return d, err
	}
	defer func() { _ = x1.FinalizeAll() }()
	store, net, err := lab.Load(run, c.UseEMA)
	if err != nil {
		return d, err
	}
	ev, err := c.Evaluator.New()
	if err != nil {
		return d, err
	}
	metric := func(x *tensors.Tensor) (float64, error) {
		img := x
		if data.Decode != nil {
			if img, err = data.Decode(x); err != nil {
				return 0, err
			}
			defer func() { _ = img.FinalizeAll() }()
		}
		m, err := ev(img, cond)
		if err != nil {
			return 0, err
		}
		v, ok := m[c.Metric]
		if !ok {
			return 0, fmt.Errorf("imagestudy: diagnose: evaluator gives no metric %q", c.Metric)
		}
		return v, nil
	}
	sc, err := c.Sampler.Config(c.Seed)
	if err != nil {
		return d, err
	}
	if d.Lag, err = exposure.InjectedLag(nil, store, net, x1, cond, exposure.LagConfig{
		Deltas: c.LagDeltas, T0: c.LagT0, Sampler: sc, Seed: c.Seed, Metric: metric,
	}); err != nil {
		return d, fmt.Errorf("imagestudy: diagnose %s: %w", run.Label, err)
	}
	if err := ctx.Err(); err != nil {
		return d, err
	}
	if d.Gap, err = exposure.VarianceGap(nil, store, net, x1, cond, exposure.GapConfig{Sampler: sc, Seed: c.Seed}); err != nil {
		return d, fmt.Errorf("imagestudy: diagnose %s: %w", run.Label, err)
	}
	d.Seconds = time.Since(start).Seconds()
	return d, nil
}

// heldOut returns the first n held-out examples of data and their conditioning (labels and caption
// tokens, whichever the data has).
func heldOut(data *imageexp.Data, n int) (*tensors.Tensor, datasets.Cond, error) {
	h := data.HeldOut
	if h.X == nil || h.X.Shape().Dimensions[0] < n {
		return nil, datasets.Cond{}, fmt.Errorf("imagestudy: diagnose: n %d exceeds the %s held-out set", n, data.Name)
	}
	dims := h.X.Shape().Dimensions
	flat, err := tensors.CopyFlatData[float32](h.X)
	if err != nil {
		return nil, datasets.Cond{}, err
	}
	per := len(flat) / dims[0]
	x := tensors.FromFlatDataAndDimensions(flat[:n*per], append([]int{n}, dims[1:]...)...)
	cond, err := imageexp.SliceCond(h.Cond, 0, n, n)
	if err != nil {
		return nil, cond, fmt.Errorf("imagestudy: diagnose: %w", err)
	}
	return x, cond, nil
}

// cacheOf returns lab's cache, creating the default one as the Lab would.
func cacheOf(lab *imageexp.Lab) *expcache.Cache {
	if lab.Cache == nil {
		lab.Cache = expcache.Default().WithSalt(imageexp.CacheSalt)
	}
	return lab.Cache
}
