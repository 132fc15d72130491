package experiment

import (
	"context"
	"fmt"
	"math"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
	"github.com/mixflow/mixflow/mixflowlib/slowflow"
)

// SlowFlowSpec describes a Slow Flow measurement (mixflowlib/slowflow): for each number of sampling
// steps, the per-step statistics of m*, the time of the ground-truth interpolation nearest to the
// generated state. Toy and image labs share it (and so share the Slow Flow figures and tables).
type SlowFlowSpec struct {
	// Protocol is slowflow.ProtocolNearestData ("nearest-data", the literal reading of the paper's
	// definition and the default), slowflow.ProtocolNearestFinal or slowflow.ProtocolForwardNoisedPair.
	Protocol string `json:"protocol"`
	// Method is the sampler: "euler", "heun", "euler-maruyama" or "heun-sde".
	Method string `json:"method"`
	// Steps are the numbers of sampling steps, one measurement each.
	Steps []int `json:"steps"`
	// N is the number of sampling runs (generated points).
	N int `json:"n"`
	// ReferenceSize is the number of true points the nearest-data and nearest-final protocols search over
	// (forward-noised-pair pairs each run with its own true point and ignores it).
	ReferenceSize int `json:"reference_size"`
	// Seed seeds the noise and the true points.
	Seed uint64 `json:"seed"`
	// Quantiles are the band's levels (zero value: 5 % and 95 %).
	Quantiles [2]float64 `json:"quantiles"`
	// UseEMA samples with the EMA weights.
	UseEMA bool `json:"use_ema"`
}

// Canonical fills defaults and validates.
func (s SlowFlowSpec) Canonical() (SlowFlowSpec, error) {
	switch s.Protocol {
	case "":
		s.Protocol = slowflow.ProtocolNearestData
	case slowflow.ProtocolNearestData, slowflow.ProtocolNearestFinal, slowflow.ProtocolForwardNoisedPair:
	default:
		return s, fmt.Errorf("experiment: slowflow protocol %q: want %q, %q or %q", s.Protocol,
			slowflow.ProtocolNearestData, slowflow.ProtocolNearestFinal, slowflow.ProtocolForwardNoisedPair)
	}
	var err error
	if s.Method, err = CanonicalMethod("experiment", s.Method); err != nil {
		return s, err
	}
	if err := CheckSteps("slowflow", s.Steps); err != nil {
		return s, err
	}
	if s.N < 2 || s.N > MaxSamples {
		return s, fmt.Errorf("experiment: slowflow n %d outside [2, %d]", s.N, MaxSamples)
	}
	if s.Protocol == slowflow.ProtocolForwardNoisedPair {
		s.ReferenceSize = 0
	} else if s.ReferenceSize < 1 || s.ReferenceSize > MaxSamples {
		return s, fmt.Errorf("experiment: slowflow reference_size %d outside [1, %d]", s.ReferenceSize, MaxSamples)
	}
	if s.Quantiles == [2]float64{} {
		s.Quantiles = slowflow.DefaultQuantiles
	}
	q := s.Quantiles
	if !(q[0] >= 0 && q[0] <= q[1] && q[1] <= 1) {
		return s, fmt.Errorf("experiment: slowflow quantiles %v: want 0 ≤ lo ≤ hi ≤ 1", q)
	}
	return s, nil
}

// Validate reports the first invalid field of s.
func (s SlowFlowSpec) Validate() error { return Validate(s) }

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

// SlowFlowInputs are what a Slow Flow measurement samples from and compares with, the same for every
// step count: the initial noise X0 with its conditioning Cond, and Ref, the true points searched
// (nearest-data, nearest-final) or paired with the runs (forward-noised-pair).
type SlowFlowInputs struct {
	X0, Ref *tensors.Tensor
	Cond    datasets.Cond
	// Options are the slowflow options (quantiles, path).
	Options slowflow.Options
}

// MeasureSlowFlowSteps measures the Slow Flow of c for every step count of c (canonical) on the same
// inputs: newSampler builds the run's sampler for a number of steps, run names it in errors, st receives
// one progress report (with the mean gap) per step count. It is the measurement loop the labs share.
func MeasureSlowFlowSteps(ctx context.Context, c SlowFlowSpec, run string, in SlowFlowInputs, st *Stage,
	newSampler func(steps int) (*sampler.Sampler, error)) ([]*slowflow.Result, error) {
	var out []*slowflow.Result
	for i, steps := range c.Steps {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		s, err := newSampler(steps)
		if err != nil {
			return out, fmt.Errorf("experiment: slowflow %s: %w", run, err)
		}
		var r *slowflow.Result
		switch c.Protocol {
		case slowflow.ProtocolNearestData:
			r, err = slowflow.NearestData(s, in.X0, in.Cond, in.Ref, in.Options)
		case slowflow.ProtocolNearestFinal:
			r, err = slowflow.NearestFinal(s, in.X0, in.Cond, in.Ref, in.Options)
		case slowflow.ProtocolForwardNoisedPair:
			r, err = slowflow.ForwardNoisedPair(s, in.X0, in.Ref, in.Cond, in.Options)
		default:
			err = fmt.Errorf("unknown protocol %q", c.Protocol)
		}
		s.Finalize()
		if err != nil {
			return out, fmt.Errorf("experiment: slowflow %s, %s %d steps: %w", run, c.Method, steps, err)
		}
		out = append(out, r)
		st.Progress(i+1, map[string]float64{"mean gap": MeanGap(r)})
	}
	return out, nil
}
