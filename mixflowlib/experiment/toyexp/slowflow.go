package toyexp

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
	"github.com/mixflow/mixflow/mixflowlib/slowflow"
)

// SlowFlowResult is a Slow Flow measurement of one run: one slowflow.Result per number of sampling
// steps of the spec.
type SlowFlowResult struct {
	// Run and RunKey identify the measured run (its Label and Key).
	Run    string `json:"run"`
	RunKey string `json:"run_key"`
	// Spec is the measurement spec, canonical.
	Spec SlowFlowSpec `json:"spec"`
	// Results holds one measurement per Spec.Steps entry, in that order.
	Results []*slowflow.Result `json:"results"`
	// Seconds is the wall time of the measurement when it was computed.
	Seconds float64 `json:"seconds"`
	// FromCache is true when the call that returned the result loaded it from the cache (not stored).
	FromCache bool `json:"-"`
}

// ForSteps returns the measurement with n sampling steps, or nil.
func (r *SlowFlowResult) ForSteps(n int) *slowflow.Result {
	for _, res := range r.Results {
		if res.Steps == n {
			return res
		}
	}
	return nil
}

// MeanGap returns the mean slow-down t − m* of a measurement, averaged over its sampling states with
// t > 0 (the start state, where m* = t by construction or m* is meaningless, is left out): one number per
// Slow Flow band, larger when the samples lag further behind their sampling time.
func MeanGap(res *slowflow.Result) float64 {
	var sum float64
	var n int
	for _, s := range res.Stats {
		if s.T > 0 {
			sum += s.MeanGap
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// FinalStats returns the statistics of the last sampling state (t = 1): where the samples end up.
func FinalStats(res *slowflow.Result) slowflow.Stats {
	return res.Stats[len(res.Stats)-1]
}

type slowFlowKey struct {
	Run      string       `json:"run"`
	Data     DataSpec     `json:"data"`
	SlowFlow SlowFlowSpec `json:"slowflow"`
}

// MeasureSlowFlow measures the Slow Flow of run (see mixflowlib/slowflow) for every number of sampling
// steps of spec, from the same noise and reference points for every step count and every run with the
// same spec, so runs are compared on identical inputs. The result is cached under the run's key and the
// spec.
func (l *Lab) MeasureSlowFlow(ctx context.Context, run *Run, spec SlowFlowSpec) (*SlowFlowResult, error) {
	if run == nil {
		return nil, fmt.Errorf("toyexp: slowflow: nil run")
	}
	c, err := spec.Canonical()
	if err != nil {
		return nil, err
	}
	st := l.begin(fmt.Sprintf("slow flow %s (%s)", run.Label, c.Protocol), 1, "setting", len(c.Steps))
	res, info, err := expcache.Compute(l.cache(), cacheSlowFlow, slowFlowKey{Run: run.Key, Data: run.Data, SlowFlow: c},
		func(string) (SlowFlowResult, error) { return measure(ctx, run, c, st) })
	if err != nil {
		st.End(false, "failed")
		return nil, err
	}
	res.FromCache = info.Hit
	st.End(info.Hit, "")
	return &res, nil
}

func measure(ctx context.Context, run *Run, c SlowFlowSpec, st *Stage) (SlowFlowResult, error) {
	start := time.Now()
	res := SlowFlowResult{Run: run.Label, RunKey: run.Key, Spec: c}
	net, store, err := run.sampling(c.UseEMA)
	if err != nil {
		return res, err
	}
	dim := run.Data.Dim
	x0, err := sampler.Noise(seedNoise+c.Seed, c.N, dim)
	if err != nil {
		return res, fmt.Errorf("toyexp: slowflow: %w", err)
	}
	var ref *tensors.Tensor
	switch c.Protocol {
	case slowflow.ProtocolForwardNoisedPair:
		x1, err := truePoints(run.Data, c.N, seedTruth+c.Seed)
		if err != nil {
			return res, err
		}
		ref = tensors.FromFlatDataAndDimensions(x1, c.N, dim)
	default:
		r, err := truePoints(run.Data, c.ReferenceSize, seedRef+c.Seed)
		if err != nil {
			return res, err
		}
		ref = tensors.FromFlatDataAndDimensions(r, c.ReferenceSize, dim)
	}
	meth, _ := parseMethod(c.Method)
	opt := slowflow.Options{Quantiles: c.Quantiles}
	for i, steps := range c.Steps {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		s, err := sampler.New(nil, store, net, samplerConfig(meth, steps, c.Seed))
		if err != nil {
			return res, fmt.Errorf("toyexp: slowflow %s: %w", run.Label, err)
		}
		var r *slowflow.Result
		switch c.Protocol {
		case slowflow.ProtocolNearestData:
			r, err = slowflow.NearestData(s, x0, datasets.Cond{}, ref, opt)
		case slowflow.ProtocolNearestFinal:
			r, err = slowflow.NearestFinal(s, x0, datasets.Cond{}, ref, opt)
		case slowflow.ProtocolForwardNoisedPair:
			r, err = slowflow.ForwardNoisedPair(s, x0, ref, datasets.Cond{}, opt)
		}
		s.Finalize()
		if err != nil {
			return res, fmt.Errorf("toyexp: slowflow %s, %s %d steps: %w", run.Label, c.Method, steps, err)
		}
		res.Results = append(res.Results, r)
		st.Progress(i+1, map[string]float64{"mean gap": MeanGap(r)})
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}
