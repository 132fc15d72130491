package slowflow

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/mixflow/mixflow/mixflowlib/path"
)

// searchGrid is the number of grid intervals of the coarse search of NearestTime for non-linear paths;
// the best grid point is then refined by golden-section search on its two neighbouring intervals.
const searchGrid = 128

// NearestTime returns the interpolation time of the ground-truth interpolation nearest to x̂:
//
//	m* = argmin_{m ∈ [0, 1]} ‖x̂ − (α_m·x1 + σ_m·x0)‖²
//
// for one example (xhat, x0, x1 of equal length). For the Linear path it is the closed form
// m* = clip(⟨x̂ − x0, x1 − x0⟩ / ‖x1 − x0‖², 0, 1) (the projection of x̂ on the line through x0 and x1,
// clipped to the segment). For other paths the squared distance, a function of m through α_m and σ_m
// only, is evaluated from six inner products on a grid of 129 points and the best point is refined by
// golden-section search (to ~1e-9 in m).
//
// It returns an error for mismatched lengths, non-finite values, and — for Linear — x1 = x0, where
// every m is equally near.
func NearestTime(p path.Path, xhat, x0, x1 []float32) (float64, error) {
	if p == nil {
		return 0, fmt.Errorf("slowflow: NearestTime: path is nil")
	}
	if len(xhat) == 0 || len(xhat) != len(x0) || len(xhat) != len(x1) {
		return 0, fmt.Errorf("slowflow: NearestTime: xhat, x0 and x1 have %d, %d and %d values, want the same positive number",
			len(xhat), len(x0), len(x1))
	}
	return nearestOne(p, isLinear(p), xhat, x0, x1, 0)
}

// NearestTimes is NearestTime for n examples at once: xhat, x0 and x1 hold n rows of d values each
// (row-major [n, d]); the result holds m* for each row. Large batches are split over the CPUs.
func NearestTimes(p path.Path, xhat, x0, x1 []float32, d int) ([]float64, error) {
	if p == nil {
		return nil, fmt.Errorf("slowflow: NearestTimes: path is nil")
	}
	if d < 1 || len(xhat) == 0 || len(xhat)%d != 0 {
		return nil, fmt.Errorf("slowflow: NearestTimes: xhat has %d values, want a positive multiple of d = %d", len(xhat), d)
	}
	if len(x0) != len(xhat) || len(x1) != len(xhat) {
		return nil, fmt.Errorf("slowflow: NearestTimes: xhat, x0 and x1 have %d, %d and %d values, want the same", len(xhat), len(x0), len(x1))
	}
	n := len(xhat) / d
	out := make([]float64, n)
	linear := isLinear(p)
	workers := min(runtime.GOMAXPROCS(0), n, max(1, len(xhat)/(1<<16)))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				row := xhat[i*d : (i+1)*d]
				m, err := nearestOne(p, linear, row, x0[i*d:(i+1)*d], x1[i*d:(i+1)*d], i)
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = m
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func isLinear(p path.Path) bool {
	switch p.(type) {
	case path.Linear, *path.Linear:
		return true
	}
	return false
}

// nearestOne computes m* for one example; row is the example's index for error messages.
func nearestOne(p path.Path, linear bool, xhat, x0, x1 []float32, row int) (float64, error) {
	if linear {
		var num, den float64
		for j := range xhat {
			a := float64(xhat[j]) - float64(x0[j])
			b := float64(x1[j]) - float64(x0[j])
			num += a * b
			den += b * b
		}
		if !finite(num) || !finite(den) {
			return 0, fmt.Errorf("slowflow: example %d has a non-finite value in xhat, x0 or x1", row)
		}
		if den == 0 {
			return 0, fmt.Errorf("slowflow: example %d has x1 = x0: the linear interpolation does not depend on m", row)
		}
		return clip01(num / den), nil
	}
	var q quadratic
	for j := range xhat {
		h, a, b := float64(xhat[j]), float64(x1[j]), float64(x0[j])
		q.hh += h * h
		q.h1 += h * a
		q.h0 += h * b
		q.s11 += a * a
		q.s10 += a * b
		q.s00 += b * b
	}
	if !q.finite() {
		return 0, fmt.Errorf("slowflow: example %d has a non-finite value in xhat, x0 or x1", row)
	}
	return q.argmin(p), nil
}

// quadratic holds the inner products that determine ‖x̂ − α·x1 − σ·x0‖² for every (α, σ).
type quadratic struct{ hh, h1, h0, s11, s10, s00 float64 }

func (q quadratic) finite() bool {
	return finite(q.hh) && finite(q.h1) && finite(q.h0) && finite(q.s11) && finite(q.s10) && finite(q.s00)
}

// dist2 returns ‖x̂ − α_m·x1 − σ_m·x0‖² (it can be slightly negative from rounding near 0).
func (q quadratic) dist2(p path.Path, m float64) float64 {
	c := p.At(m)
	a, s := c.Alpha, c.Sigma
	return q.hh + a*a*q.s11 + s*s*q.s00 - 2*a*q.h1 - 2*s*q.h0 + 2*a*s*q.s10
}

// argmin finds the minimiser over [0, 1] by a grid search refined by golden-section search.
func (q quadratic) argmin(p path.Path) float64 {
	best, bestD := 0, math.Inf(1)
	for i := 0; i <= searchGrid; i++ {
		if d := q.dist2(p, float64(i)/searchGrid); d < bestD {
			best, bestD = i, d
		}
	}
	lo := float64(max(best-1, 0)) / searchGrid
	hi := float64(min(best+1, searchGrid)) / searchGrid
	const invPhi = 0.6180339887498949
	c := hi - invPhi*(hi-lo)
	d := lo + invPhi*(hi-lo)
	fc, fd := q.dist2(p, c), q.dist2(p, d)
	for hi-lo > 1e-10 {
		if fc < fd {
			hi, d, fd = d, c, fc
			c = hi - invPhi*(hi-lo)
			fc = q.dist2(p, c)
		} else {
			lo, c, fc = c, d, fd
			d = lo + invPhi*(hi-lo)
			fd = q.dist2(p, d)
		}
	}
	m := (lo + hi) / 2
	// Keep the grid point if the refinement did not improve on it (e.g. a minimum at an endpoint).
	if g := float64(best) / searchGrid; q.dist2(p, g) <= q.dist2(p, m) {
		return g
	}
	return m
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func clip01(v float64) float64 { return math.Min(1, math.Max(0, v)) }
