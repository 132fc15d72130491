package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// Summary is a point estimate with its spread and a 95 % confidence interval, for error bars in tables and
// ablation charts.
type Summary struct {
	// Estimate is the mean over seeds (Summarize, OverSeeds) or the full-sample value (Bootstrap).
	Estimate float64
	// Std is the sample standard deviation over seeds (divided by n − 1), or the standard deviation of the
	// bootstrap replicates (the bootstrap standard error).
	Std float64
	// Lo and Hi bound the 95 % confidence interval: of the mean, Estimate ± t₀.₉₇₅,ₙ₋₁·Std/√n, over seeds;
	// the 2.5 % and 97.5 % percentiles of the replicates for Bootstrap.
	Lo, Hi float64
	// N is the number of seeds or bootstrap resamples.
	N int
}

// String formats the summary, e.g. "0.0123 (95% CI 0.0101–0.0145, std 0.0018, n=5)".
func (s Summary) String() string {
	return fmt.Sprintf("%.4g (95%% CI %.4g–%.4g, std %.2g, n=%d)", s.Estimate, s.Lo, s.Hi, s.Std, s.N)
}

// Summarize returns the mean of values (one per seed or run), their standard deviation and the Student-t 95 %
// confidence interval of the mean. It needs at least 2 finite values.
func Summarize(values []float64) (Summary, error) {
	n := len(values)
	if n < 2 {
		return Summary{}, fmt.Errorf("metrics: Summarize: %d values, need at least 2 for an error bar", n)
	}
	mean := 0.0
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Summary{}, fmt.Errorf("metrics: Summarize: values[%d] is %v", i, v)
		}
		mean += v
	}
	mean /= float64(n)
	std := stdDev(values, mean)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(n - 1)}.Quantile(0.975)
	half := t * std / math.Sqrt(float64(n))
	return Summary{Estimate: mean, Std: std, Lo: mean - half, Hi: mean + half, N: n}, nil
}

func stdDev(values []float64, mean float64) float64 {
	ss := 0.0
	for _, v := range values {
		ss += (v - mean) * (v - mean)
	}
	return math.Sqrt(ss / float64(len(values)-1))
}

// OverSeeds calls fn with seeds 0 … n−1 (e.g. train or sample with that seed and return a metric) and
// summarises the results with Summarize. It stops at the first error, which it returns with the seed.
func OverSeeds(n int, fn func(seed uint64) (float64, error)) (Summary, error) {
	if n < 2 {
		return Summary{}, fmt.Errorf("metrics: OverSeeds: %d seeds, need at least 2 for an error bar", n)
	}
	values := make([]float64, n)
	for s := range n {
		v, err := fn(uint64(s))
		if err != nil {
			return Summary{}, fmt.Errorf("metrics: OverSeeds: seed %d: %w", s, err)
		}
		values[s] = v
	}
	return Summarize(values)
}

// Bootstrap returns metric(x, y) with a percentile bootstrap error bar: the metric is recomputed on resamples
// pairs of sets, each drawn from x and y with replacement (y may be nil: then only x is resampled and the metric
// receives nil), and Std, Lo and Hi come from those replicates. The resamples are seeded.
//
// Bootstrap measures the sampling noise of a fixed pair of sample sets. Duplicated points bias metrics built on
// nearest neighbours or on within-set pairs (PrecisionRecall, MMD2's within terms), so for those prefer fresh
// samples per seed with OverSeeds. Use a few hundred resamples or more for the percentiles to settle.
func Bootstrap(x, y [][]float64, metric func(x, y [][]float64) (float64, error), resamples int, seed uint64) (Summary, error) {
	if metric == nil {
		return Summary{}, fmt.Errorf("metrics: Bootstrap: nil metric")
	}
	if resamples < 2 {
		return Summary{}, fmt.Errorf("metrics: Bootstrap: %d resamples, need at least 2", resamples)
	}
	if len(x) == 0 {
		return Summary{}, fmt.Errorf("metrics: Bootstrap: x is empty")
	}
	est, err := metric(x, y)
	if err != nil {
		return Summary{}, fmt.Errorf("metrics: Bootstrap: full sample: %w", err)
	}
	rng := rand.New(rand.NewPCG(seed, 0xb0075742))
	resample := func(s [][]float64) [][]float64 {
		if s == nil {
			return nil
		}
		r := make([][]float64, len(s))
		for i := range r {
			r[i] = s[rng.IntN(len(s))]
		}
		return r
	}
	reps := make([]float64, resamples)
	for b := range reps {
		v, err := metric(resample(x), resample(y))
		if err != nil {
			return Summary{}, fmt.Errorf("metrics: Bootstrap: resample %d: %w", b, err)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Summary{}, fmt.Errorf("metrics: Bootstrap: resample %d gave %v", b, v)
		}
		reps[b] = v
	}
	mean := 0.0
	for _, v := range reps {
		mean += v
	}
	mean /= float64(resamples)
	slices.Sort(reps)
	return Summary{
		Estimate: est,
		Std:      stdDev(reps, mean),
		Lo:       QuantileSorted(reps, 0.025),
		Hi:       QuantileSorted(reps, 0.975),
		N:        resamples,
	}, nil
}

// QuantileSorted returns the q-quantile (0 ≤ q ≤ 1) of the sorted values s, interpolating linearly between
// order statistics.
func QuantileSorted(s []float64, q float64) float64 {
	h := q * float64(len(s)-1)
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}
