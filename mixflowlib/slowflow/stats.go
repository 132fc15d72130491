package slowflow

import (
	"fmt"
	"math"
	"slices"

	"github.com/mixflow/mixflow/mixflowlib/metrics"
)

// DefaultQuantiles is the default band of Stats: the 5 % and 95 % quantiles.
var DefaultQuantiles = [2]float64{0.05, 0.95}

// Stats summarises the nearest interpolation times m* of all samples at one sampling step: one point of
// the paper's Fig. 1 (x = T, band = [Lo, Hi] or [Min, Max], line = Mean or Median).
type Stats struct {
	// Step is the index of the state in the sampler's grid (0 = the start state).
	Step int `json:"step"`
	// T is the sampling time of the state.
	T float64 `json:"t"`
	// N is the number of samples.
	N int `json:"n"`
	// Mean, Std and Median of m* over the samples.
	Mean   float64 `json:"mean"`
	Std    float64 `json:"std"`
	Median float64 `json:"median"`
	// Lo and Hi are the quantiles Result.Quantiles of m* (linear interpolation between order statistics).
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
	// Min and Max of m*.
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	// MeanGap is the mean slow-down T − m* (positive: the samples lag behind, i.e. are noisier than
	// the sampling time says).
	MeanGap float64 `json:"mean_gap"`
	// FracSlow is the fraction of samples with m* < T.
	FracSlow float64 `json:"frac_slow"`
	// M holds the per-sample m* (only with Options.KeepSamples); the per-sample gap is T − M[i].
	M []float64 `json:"m,omitempty"`
	// Index holds, per sample, the index of the reference data point that defined m* (NearestData and
	// NearestFinal with Options.KeepSamples).
	Index []int `json:"index,omitempty"`
}

// Summarize computes the Stats of the values m (one m* per sample) at sampling time t, with the band
// given by the quantiles q (q[0] ≤ q[1] in [0, 1]; the zero value means DefaultQuantiles). m is not
// modified. Quantiles interpolate linearly between order statistics (numpy's default, "type 7").
func Summarize(t float64, m []float64, q [2]float64) (Stats, error) {
	if q == [2]float64{} {
		q = DefaultQuantiles
	}
	if !(q[0] >= 0 && q[1] <= 1 && q[0] <= q[1]) {
		return Stats{}, fmt.Errorf("slowflow: quantiles %v must satisfy 0 ≤ lo ≤ hi ≤ 1", q)
	}
	if len(m) == 0 {
		return Stats{}, fmt.Errorf("slowflow: no samples to summarise at t = %v", t)
	}
	sorted := slices.Clone(m)
	var sum float64
	slow := 0
	for i, v := range sorted {
		if !finite(v) {
			return Stats{}, fmt.Errorf("slowflow: m*[%d] = %v is not finite", i, v)
		}
		sum += v
		if v < t {
			slow++
		}
	}
	slices.Sort(sorted)
	n := float64(len(sorted))
	mean := sum / n
	var ss float64
	for _, v := range sorted {
		ss += (v - mean) * (v - mean)
	}
	std := 0.0
	if len(sorted) > 1 {
		std = math.Sqrt(ss / (n - 1))
	}
	return Stats{
		T: t, N: len(sorted),
		Mean: mean, Std: std, Median: metrics.QuantileSorted(sorted, 0.5),
		Lo: metrics.QuantileSorted(sorted, q[0]), Hi: metrics.QuantileSorted(sorted, q[1]),
		Min: sorted[0], Max: sorted[len(sorted)-1],
		MeanGap:  t - mean,
		FracSlow: float64(slow) / n,
	}, nil
}

// Result is a Slow Flow measurement: per-step statistics of m* for one sampler and protocol.
// It is JSON-serialisable (every number is finite).
type Result struct {
	// Protocol names the protocol: "forward-noised-pair", "nearest-data" or "nearest-final".
	Protocol string `json:"protocol"`
	// Path is the name of the path the ground-truth interpolations were built with.
	Path string `json:"path"`
	// Method and Steps describe the sampler.
	Method string `json:"method"`
	Steps  int    `json:"steps"`
	// StartTime is the time the sampler started from.
	StartTime float64 `json:"start_time"`
	// N is the number of samples; ReferenceSize the number of reference data points (0 if none).
	N             int `json:"n"`
	ReferenceSize int `json:"reference_size,omitempty"`
	// Quantiles are the quantile levels of Stats.Lo and Stats.Hi.
	Quantiles [2]float64 `json:"quantiles"`
	// Stats holds one entry per visited state, in sampling order.
	Stats []Stats `json:"stats"`
}

// Series returns the columns of the result for plotting a Slow Flow band: sampling times, mean, the
// quantile band, and the min–max envelope.
func (r *Result) Series() (t, mean, lo, hi, minimum, maximum []float64) {
	for _, s := range r.Stats {
		t = append(t, s.T)
		mean = append(mean, s.Mean)
		lo = append(lo, s.Lo)
		hi = append(hi, s.Hi)
		minimum = append(minimum, s.Min)
		maximum = append(maximum, s.Max)
	}
	return
}
