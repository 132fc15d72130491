package imageexp

import (
	"context"
	"fmt"
	"time"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
	"github.com/mixflow/mixflow/mixflowlib/slowflow"
)

// DefaultSlowFlowSpec returns the nearest-data protocol with Euler at 10 and 50 steps, 256 generated
// images against the 2000 held-out images of the default Fashion-MNIST data, 5–95 % band, EMA weights.
func DefaultSlowFlowSpec() SlowFlowSpec {
	return SlowFlowSpec{Protocol: slowflow.ProtocolNearestData, Method: MethodEuler, Steps: []int{10, 50},
		N: 256, ReferenceSize: 2000, Quantiles: slowflow.DefaultQuantiles, UseEMA: true}
}

type slowFlowKey struct {
	Run      string       `json:"run"`
	UseEMA   bool         `json:"use_ema"`
	SlowFlow SlowFlowSpec `json:"slowflow"`
}

// MeasureSlowFlow measures the Slow Flow of run (mixflowlib/slowflow) for every number of sampling steps
// of spec: N images generated from the noise and conditioning of spec.Seed (the same for every run with
// the same spec, so runs are compared on identical inputs), against the first ReferenceSize images of
// Data.HeldOut (forward-noised-pair: the first N, with their own conditioning). Distances are taken in
// model space. The result is cached under the run's key and the spec.
func (l *Lab) MeasureSlowFlow(ctx context.Context, run *Run, spec SlowFlowSpec) (*SlowFlowResult, error) {
	c, err := checkSlowFlow(run, spec, "slowflow")
	if err != nil {
		return nil, err
	}
	return l.cachedSlowFlow(fmt.Sprintf("slow flow %s (%s)", run.Label, c.Protocol), c, cacheSlowFlow,
		slowFlowKey{Run: run.Key, UseEMA: c.UseEMA && run.HasEMA, SlowFlow: c},
		func(st *experiment.Stage) (SlowFlowResult, error) { return l.measure(ctx, run, c, st) })
}

// checkSlowFlow checks run and returns spec canonical, or an error in the words of op.
func checkSlowFlow(run *Run, spec SlowFlowSpec, op string) (SlowFlowSpec, error) {
	if err := run.check(); err != nil {
		return spec, err
	}
	c, err := spec.Canonical()
	if err != nil {
		return c, fmt.Errorf("imageexp: %s: %w", op, err)
	}
	return c, nil
}

// slowFlowInputs is what both Slow Flow measurements of a run start from: its data, the first n held-out
// images as the reference set, the noise of c.Seed and c's sampling method.
type slowFlowInputs struct {
	data    *Data
	ref, x0 *tensors.Tensor
	meth    sampler.Method
}

// loadSlowFlow loads the inputs of a measurement of run with c (op and field name the measurement and the
// spec field that asks for n reference images in errors).
func loadSlowFlow(run *Run, c SlowFlowSpec, n int, field, op string) (in slowFlowInputs, err error) {
	if in.data, err = run.Base.Data.Load(); err != nil {
		return in, err
	}
	if in.ref, err = heldOutHead(in.data, n, field, op); err != nil {
		return in, err
	}
	if in.x0, err = initialNoise(in.data.Shape, c.N, c.Seed); err != nil {
		return in, err
	}
	in.meth, err = ParseMethod(c.Method)
	return in, err
}

// cachedSlowFlow runs measure under a progress stage of one setting per step count of c, its result
// cached under kind and key.
func (l *Lab) cachedSlowFlow(title string, c SlowFlowSpec, kind string, key any, measure func(*experiment.Stage) (SlowFlowResult, error)) (*SlowFlowResult, error) {
	st := l.begin(title, 1, "setting", len(c.Steps))
	res, hit, err := experiment.Measure(l.cache(), st, kind, key, func(string) (SlowFlowResult, error) { return measure(st) })
	if err != nil {
		return nil, err
	}
	res.FromCache = hit
	return &res, nil
}

func (l *Lab) measure(ctx context.Context, run *Run, c SlowFlowSpec, st *experiment.Stage) (SlowFlowResult, error) {
	start := time.Now()
	res := SlowFlowResult{Run: run.Label, RunKey: run.Key, Spec: c}
	need, what := c.ReferenceSize, "reference_size"
	if c.Protocol == slowflow.ProtocolForwardNoisedPair {
		need, what = c.N, "n"
	}
	si, err := loadSlowFlow(run, c, need, what, "slowflow")
	if err != nil {
		return res, err
	}
	data := si.data
	store, net, err := l.Load(run, c.UseEMA)
	if err != nil {
		return res, err
	}
	var cond datasets.Cond
	if c.Protocol == slowflow.ProtocolForwardNoisedPair {
		if cond, err = SliceCond(data.HeldOut.Cond, 0, c.N, c.N); err != nil {
			return res, err
		}
	} else if cond, err = conds(data, c.N, c.Seed); err != nil {
		return res, err
	}
	p := run.objective().pathOf()
	in := experiment.SlowFlowInputs{X0: si.x0, Ref: si.ref, Cond: cond, Options: slowflow.Options{Quantiles: c.Quantiles, Path: p}}
	res.Results, err = experiment.MeasureSlowFlowSteps(ctx, c, run.Label, in, st, func(steps int) (*sampler.Sampler, error) {
		return sampler.New(nil, store, net, sampler.Config{Method: si.meth, Steps: steps, Path: p})
	})
	if err != nil {
		return res, err
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// heldOutHead returns the first n held-out images of data as a new tensor, or an error naming op and the
// spec field that asked for n when data has no held-out set or fewer than n images.
func heldOutHead(data *Data, n int, field, op string) (*tensors.Tensor, error) {
	if data.HeldOut.X == nil {
		return nil, fmt.Errorf("imageexp: %s: data %s has no held-out set", op, data.Name)
	}
	if held := data.HeldOut.X.Shape().Dimensions[0]; n > held {
		return nil, fmt.Errorf("imageexp: %s: %s %d exceeds the %d held-out images of %s", op, field, n, held, data.Name)
	}
	return headRows(data.HeldOut.X, n)
}

// headRows returns the first n rows of a float32 tensor [N, ...] as a new tensor.
func headRows(t *tensors.Tensor, n int) (*tensors.Tensor, error) {
	all, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return nil, fmt.Errorf("imageexp: held-out set: %w", err)
	}
	dims := t.Shape().Dimensions
	per := len(all) / dims[0]
	return tensors.FromFlatDataAndDimensions(all[:n*per], append([]int{n}, dims[1:]...)...), nil
}

// MeanGap returns the mean slow-down t − m* of a measurement over its states with t > 0
// (experiment.MeanGap).
func MeanGap(res *slowflow.Result) float64 { return experiment.MeanGap(res) }

// ReferenceRun is the Run label of MeasureReferenceSlowFlow's result.
const ReferenceRun = "forward process (reference)"

const cacheSlowFlowRef = "img-slowflow-ref"

type slowFlowRefKey struct {
	Data     DataSpec     `json:"data"`
	Path     string       `json:"path"`
	SlowFlow SlowFlowSpec `json:"slowflow"`
}

// MeasureReferenceSlowFlow is the reference band of MeasureSlowFlow's nearest-data protocol: the same
// measurement (slowflow.ReferenceNearestData) applied to true forward interpolations of N real images
// that are not in the reference set (a training batch drawn with spec.Seed; the reference set is the
// same first ReferenceSize held-out images) with the noise of spec.Seed, on run's data and path. It is the band of the states the model was trained on;
// a model's band is read against it (imageview.SlowFlowWithReference; see slowflow.ReferenceNearestData
// for how an exact model can differ from it). Nothing is sampled and no weights are read, so
// runs on the same data and path share it; it is cached under the data, the path and the spec.
func (l *Lab) MeasureReferenceSlowFlow(ctx context.Context, run *Run, spec SlowFlowSpec) (*SlowFlowResult, error) {
	c, err := checkSlowFlow(run, spec, "reference slowflow")
	if err != nil {
		return nil, err
	}
	if c.Protocol != slowflow.ProtocolNearestData {
		return nil, fmt.Errorf("imageexp: reference slowflow: protocol %q has no reference band; use %q", c.Protocol, slowflow.ProtocolNearestData)
	}
	p := run.objective().pathOf()
	return l.cachedSlowFlow(fmt.Sprintf("slow flow reference (%s)", c.Protocol), c, cacheSlowFlowRef,
		slowFlowRefKey{Data: run.Base.Data, Path: p.Name(), SlowFlow: c},
		func(st *experiment.Stage) (SlowFlowResult, error) { return l.measureReference(ctx, run, c, st) })
}

func (l *Lab) measureReference(ctx context.Context, run *Run, c SlowFlowSpec, st *experiment.Stage) (SlowFlowResult, error) {
	start := time.Now()
	res := SlowFlowResult{Run: ReferenceRun, Spec: c}
	si, err := loadSlowFlow(run, c, c.ReferenceSize, "reference_size", "reference slowflow")
	if err != nil {
		return res, err
	}
	// Real images outside the reference set: a training batch (nothing here is trained or evaluated on it).
	batch, err := si.data.Train.Batch(int64(c.Seed), c.N)
	if err != nil {
		return res, fmt.Errorf("imageexp: reference slowflow: training batch: %w", err)
	}
	opt := slowflow.Options{Quantiles: c.Quantiles, Path: run.objective().pathOf()}
	for i, steps := range c.Steps {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		r, err := slowflow.ReferenceNearestData(nil, sampler.Config{Method: si.meth, Steps: steps, Path: opt.Path}, si.x0, batch.X, si.ref, opt)
		if err != nil {
			return res, fmt.Errorf("imageexp: reference slowflow, %s %d steps: %w", c.Method, steps, err)
		}
		res.Results = append(res.Results, r)
		st.Progress(i+1, map[string]float64{"mean gap": experiment.MeanGap(r)})
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}
