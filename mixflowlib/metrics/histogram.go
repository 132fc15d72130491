package metrics

import (
	"fmt"
	"math"
)

// MaxHistogramBins is the most cells Histogram accepts (a bound on the memory a user's bin count costs).
const MaxHistogramBins = 100_000

// Histogram bins samples into `bins` equal cells of [lo, hi] and returns the cell edges (bins+1 values,
// lo first, hi last; Centres gives the midpoints) and the density estimate count/(n·width) of each cell,
// n = len(samples): with every sample inside [lo, hi] the bars integrate to 1 and are directly
// comparable with a density such as timesteps.Dist.Density. Samples outside [lo, hi] count in n but in
// no cell; a sample equal to hi falls in the last cell. NaN samples, bins outside [1, MaxHistogramBins]
// and an empty or non-finite range are errors. It is the project's one histogram: the figures draw its
// edges and bars.
func Histogram(samples []float64, bins int, lo, hi float64) (edges, density []float64, err error) {
	if bins < 1 || bins > MaxHistogramBins {
		return nil, nil, fmt.Errorf("metrics: histogram needs 1 to %d bins, got %d", MaxHistogramBins, bins)
	}
	if math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsInf(hi, 0) || !(hi > lo) {
		return nil, nil, fmt.Errorf("metrics: histogram range [%v, %v] is not a finite interval with lo < hi", lo, hi)
	}
	if len(samples) == 0 {
		return nil, nil, fmt.Errorf("metrics: histogram of no samples")
	}
	width := (hi - lo) / float64(bins)
	counts := make([]float64, bins)
	for i, v := range samples {
		if math.IsNaN(v) {
			return nil, nil, fmt.Errorf("metrics: histogram sample %d is NaN", i)
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
	edges = make([]float64, bins+1)
	for k := range edges {
		edges[k] = lo + float64(k)*width
	}
	density = make([]float64, bins)
	for k := range counts {
		density[k] = counts[k] / (float64(len(samples)) * width)
	}
	return edges, density, nil
}

// Centres returns the midpoints of the cells between consecutive edges (len(edges)−1 values), e.g. to
// compare Histogram's bars with a density evaluated at the cell centres.
func Centres(edges []float64) []float64 {
	if len(edges) < 2 {
		return nil
	}
	c := make([]float64, len(edges)-1)
	for k := range c {
		c[k] = (edges[k] + edges[k+1]) / 2
	}
	return c
}
