package imageexp

import (
	"context"
	"fmt"
	"time"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/experiment/toyexp"
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
	if err := run.check(); err != nil {
		return nil, err
	}
	c, err := spec.Canonical()
	if err != nil {
		return nil, fmt.Errorf("imageexp: slowflow: %w", err)
	}
	st := l.begin(fmt.Sprintf("slow flow %s (%s)", run.Label, c.Protocol), 1, "setting", len(c.Steps))
	res, info, err := expcache.Compute(l.cache(), cacheSlowFlow, slowFlowKey{Run: run.Key, UseEMA: c.UseEMA && run.HasEMA, SlowFlow: c},
		func(string) (SlowFlowResult, error) { return l.measure(ctx, run, c, st) })
	if err != nil {
		st.End(false, "failed")
		return nil, err
	}
	st.End(info.Hit, "")
	return &res, nil
}

func (l *Lab) measure(ctx context.Context, run *Run, c SlowFlowSpec, st *toyexp.Stage) (SlowFlowResult, error) {
	start := time.Now()
	res := SlowFlowResult{Run: run.Label, RunKey: run.Key, Spec: c}
	data, err := run.Base.Data.Load()
	if err != nil {
		return res, err
	}
	if data.HeldOut.X == nil {
		return res, fmt.Errorf("imageexp: slowflow: data %s has no held-out set", data.Name)
	}
	held := data.HeldOut.X.Shape().Dimensions[0]
	need, what := c.ReferenceSize, "reference_size"
	if c.Protocol == slowflow.ProtocolForwardNoisedPair {
		need, what = c.N, "n"
	}
	if need > held {
		return res, fmt.Errorf("imageexp: slowflow %s %d exceeds the %d held-out images of %s", what, need, held, data.Name)
	}
	store, net, err := l.Load(run, c.UseEMA)
	if err != nil {
		return res, err
	}
	x0, err := initialNoise(data.Shape, c.N, c.Seed)
	if err != nil {
		return res, err
	}
	ref, err := headRows(data.HeldOut.X, need)
	if err != nil {
		return res, err
	}
	var cond datasets.Cond
	if c.Protocol == slowflow.ProtocolForwardNoisedPair {
		if cond, err = sliceCond(data.HeldOut.Cond, 0, c.N, c.N); err != nil {
			return res, err
		}
	} else if cond, err = conds(data, c.N, c.Seed); err != nil {
		return res, err
	}
	meth, err := ParseMethod(c.Method)
	if err != nil {
		return res, err
	}
	opt := slowflow.Options{Quantiles: c.Quantiles, Path: run.objective().pathOf()}
	for i, steps := range c.Steps {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		s, err := sampler.New(nil, store, net, sampler.Config{Method: meth, Steps: steps, Path: opt.Path})
		if err != nil {
			return res, fmt.Errorf("imageexp: slowflow %s: %w", run.Label, err)
		}
		var r *slowflow.Result
		switch c.Protocol {
		case slowflow.ProtocolNearestData:
			r, err = slowflow.NearestData(s, x0, cond, ref, opt)
		case slowflow.ProtocolNearestFinal:
			r, err = slowflow.NearestFinal(s, x0, cond, ref, opt)
		case slowflow.ProtocolForwardNoisedPair:
			r, err = slowflow.ForwardNoisedPair(s, x0, ref, cond, opt)
		}
		s.Finalize()
		if err != nil {
			return res, fmt.Errorf("imageexp: slowflow %s, %s %d steps: %w", run.Label, c.Method, steps, err)
		}
		res.Results = append(res.Results, r)
		st.Progress(i+1, map[string]float64{"mean gap": toyexp.MeanGap(r)})
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
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

// MeanGap returns the mean slow-down t − m* of a measurement over its states with t > 0 (see
// toyexp.MeanGap).
func MeanGap(res *slowflow.Result) float64 { return toyexp.MeanGap(res) }
