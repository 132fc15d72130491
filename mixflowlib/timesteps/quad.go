package timesteps

import "math"

// integrate returns ∫_a^b f(x) dx by tanh-sinh (double-exponential) quadrature with step 1/64: near machine
// precision for integrands analytic inside (a, b), even with integrable singularities at the endpoints (√t at 0,
// the logit-normal's tails). Interior kinks cost accuracy, so callers split the interval there. The nodes are
// computed from the endpoint distance, so f is never evaluated exactly at a or b.
func integrate(f func(float64) float64, a, b float64) float64 {
	if !(b > a) {
		return 0
	}
	const h = 1.0 / 64
	half := (b - a) / 2
	sum := math.Pi / 2 * f(a+half) // k = 0: x = 0, weight π/2
	left, right := true, true      // each side stops once its nodes reach the endpoint in floating point
	for k := 1; left || right; k++ {
		s := float64(k) * h
		u := math.Pi / 2 * math.Sinh(s)
		// 1 − tanh(u) = 2/(e^{2u} + 1); weight (π/2)·cosh(s)/cosh²(u).
		e := math.Exp(2 * u)
		if math.IsInf(e, 1) {
			break
		}
		gap := 2 / (e + 1) * half
		w := math.Pi / 2 * math.Cosh(s) * 4 * e / ((e + 1) * (e + 1))
		if w == 0 {
			break
		}
		left = left && a+gap > a
		right = right && b-gap < b
		if left {
			sum += w * f(a+gap)
		}
		if right {
			sum += w * f(b-gap)
		}
	}
	return half * h * sum
}
