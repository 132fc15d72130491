package experiment

import "math"

// EvalResult is the evaluation of one run: one row of the lab's row type R per measured number, under
// the lab's evaluation spec S. The labs embed it in their own EvalResult (its JSON fields are theirs).
type EvalResult[S, R any] struct {
	// Run and RunKey identify the evaluated run (its Label and Key).
	Run    string `json:"run"`
	RunKey string `json:"run_key"`
	// Spec is the evaluation spec, canonical.
	Spec S `json:"spec"`
	// Rows holds one row per measured number (sampler setting, seed, metric), in spec order.
	Rows []R `json:"rows"`
	// Floor holds the metrics' noise floor per seed and metric: the same metrics between two independent
	// sets of real data, what a perfect sampler would score.
	Floor []R `json:"floor,omitempty"`
	// Seconds is the wall time of the evaluation when it was computed (cache hits: their original time).
	Seconds float64 `json:"seconds"`
	// FromCache is true when the call that returned the result loaded it from the cache (not stored).
	FromCache bool `json:"-"`
}

// MeanOf returns the mean of value over the rows that keep selects, and NaN and false when it selects
// none.
func MeanOf[R any](rows []R, keep func(R) bool, value func(R) float64) (float64, bool) {
	var sum float64
	var n int
	for _, r := range rows {
		if keep(r) {
			sum += value(r)
			n++
		}
	}
	if n == 0 {
		return math.NaN(), false
	}
	return sum / float64(n), true
}
