package timesteps

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
