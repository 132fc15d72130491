package timesteps

import (
	"fmt"
	"math"
)

// Histogram bins samples into `bins` equal cells of [lo, hi] and returns the cell centres and the density
// estimate count/(n·width), n = len(samples): with every sample inside [lo, hi] the bars integrate to 1 and
// are directly comparable with Dist.Density. Samples outside [lo, hi] count in n but in no cell; a sample
// equal to hi falls in the last cell. NaN samples, bins < 1 and an empty or non-finite range are errors.
func Histogram(samples []float64, bins int, lo, hi float64) (centres, density []float64, err error) {
	if bins < 1 {
		return nil, nil, fmt.Errorf("timesteps: histogram needs bins ≥ 1, got %d", bins)
	}
	if !finite(lo) || !finite(hi) || !(hi > lo) {
		return nil, nil, fmt.Errorf("timesteps: histogram range [%v, %v] is not a finite interval with lo < hi", lo, hi)
	}
	if len(samples) == 0 {
		return nil, nil, fmt.Errorf("timesteps: histogram of no samples")
	}
	width := (hi - lo) / float64(bins)
	counts := make([]float64, bins)
	for i, v := range samples {
		if math.IsNaN(v) {
			return nil, nil, fmt.Errorf("timesteps: histogram sample %d is NaN", i)
		}
		if v < lo || v > hi {
			continue
		}
		k := int((v - lo) / width)
		if k >= bins {
			k = bins - 1
		}
		counts[k]++
	}
	centres = make([]float64, bins)
	density = make([]float64, bins)
	for k := range counts {
		centres[k] = lo + (float64(k)+0.5)*width
		density[k] = counts[k] / (float64(len(samples)) * width)
	}
	return centres, density, nil
}

// DensityCurve evaluates a density f at the centres of n equal cells of [lo, hi] (the endpoints, where
// densities may be singular, are never evaluated), e.g. DensityCurve(d.Density, 0, 1, 200) or
// DensityCurve(joint.MarginalDensity, 0, 1, 200) for a plot.
func DensityCurve(f func(float64) float64, lo, hi float64, n int) (t, density []float64) {
	if n < 1 || !(hi > lo) {
		return nil, nil
	}
	t = make([]float64, n)
	density = make([]float64, n)
	width := (hi - lo) / float64(n)
	for i := range t {
		t[i] = lo + (float64(i)+0.5)*width
		density[i] = f(t[i])
	}
	return t, density
}
