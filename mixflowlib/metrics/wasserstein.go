package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// DefaultProjections is the number of random directions SlicedWasserstein uses when SWOptions.Projections is 0.
const DefaultProjections = 256

// SWOptions configures SlicedWasserstein. The zero value gives SW₂ with DefaultProjections and seed 0.
type SWOptions struct {
	// Projections is the number of random directions θ, drawn uniformly on the unit sphere (0: DefaultProjections).
	// The Monte-Carlo error of the estimate shrinks like 1/√Projections.
	Projections int
	// P is the order p ≥ 1 of the distance (0: 2, i.e. SW₂).
	P int
	// Seed seeds the directions: the same seed gives the same directions, so comparisons between models that use
	// one seed share their projections (a paired comparison with less noise).
	Seed uint64
}

// SlicedWasserstein returns the sliced p-Wasserstein distance between the empirical distributions of x and y
// (N × D and M × D, N and M may differ):
//
//	SW_p(x, y) = ( E_θ W_p^p(θᵀx, θᵀy) )^(1/p),  θ uniform on the unit sphere S^{D−1},
//
// with the expectation estimated over opt.Projections seeded random directions, and each one-dimensional W_p
// computed exactly between the projected samples (see Wasserstein1D). It costs O(L·(N+M)·(D + log(N+M))) for L
// projections. For two independent samples of one distribution it is not 0 but shrinks like N^(−1/2).
func SlicedWasserstein(x, y [][]float64, opt SWOptions) (float64, error) {
	const metric = "SlicedWasserstein"
	if opt.Projections == 0 {
		opt.Projections = DefaultProjections
	}
	if opt.P == 0 {
		opt.P = 2
	}
	if opt.Projections < 0 {
		return 0, fmt.Errorf("metrics: %s: Projections %d must be positive", metric, opt.Projections)
	}
	if opt.P < 1 {
		return 0, fmt.Errorf("metrics: %s: order P %d must be >= 1", metric, opt.P)
	}
	mx, my, err := toPair(metric, "x", "y", x, y, 1)
	if err != nil {
		return 0, err
	}
	dirs := sphereDirections(mx.d, opt.Projections, opt.Seed)
	per := make([]float64, opt.Projections)
	p := float64(opt.P)
	// Projections are handed out in chunks so each goroutine reuses its buffers.
	const chunk = 8
	nChunks := (opt.Projections + chunk - 1) / chunk
	parallelFor(nChunks, func(c int) {
		px := make([]float64, mx.n)
		py := make([]float64, my.n)
		for l := c * chunk; l < min((c+1)*chunk, opt.Projections); l++ {
			theta := dirs[l*mx.d : (l+1)*mx.d]
			project(mx, theta, px)
			project(my, theta, py)
			slices.Sort(px)
			slices.Sort(py)
			per[l] = wassersteinSortedPow(px, py, p)
		}
	})
	mean := 0.0
	for _, v := range per {
		mean += v
	}
	mean /= float64(len(per))
	return math.Pow(mean, 1/p), nil
}

// sphereDirections returns n directions uniform on S^{d−1}, row-major [n, d].
func sphereDirections(d, n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x5eed5eed5eed5eed))
	dirs := make([]float64, n*d)
	for l := range n {
		v := dirs[l*d : (l+1)*d]
		for {
			norm := 0.0
			for j := range v {
				v[j] = rng.NormFloat64()
				norm += v[j] * v[j]
			}
			if norm > 1e-300 {
				norm = math.Sqrt(norm)
				for j := range v {
					v[j] /= norm
				}
				break
			}
		}
	}
	return dirs
}

func project(m matrix, theta, out []float64) {
	if m.d == 2 {
		t0, t1 := theta[0], theta[1]
		for i := range m.n {
			out[i] = m.a[2*i]*t0 + m.a[2*i+1]*t1
		}
		return
	}
	for i := range m.n {
		r := m.row(i)
		s := 0.0
		for j, t := range theta {
			s += r[j] * t
		}
		out[i] = s
	}
}

// Wasserstein1D returns the exact p-Wasserstein distance W_p between the empirical distributions of a and b
// (any sizes): (∫₀¹ |F_a⁻¹(u) − F_b⁻¹(u)|^p du)^(1/p) with the empirical quantile functions. For equal sizes this is
// the matched-sorted-samples formula ((1/n) Σ |a₍ᵢ₎ − b₍ᵢ₎|^p)^(1/p); for unequal sizes the integral over the merged
// breakpoints i/n and j/m is evaluated exactly (no interpolation). The inputs are not modified.
func Wasserstein1D(a, b []float64, p float64) (float64, error) {
	const metric = "Wasserstein1D"
	if !(p >= 1) || math.IsInf(p, 0) {
		return 0, fmt.Errorf("metrics: %s: order p %v must be finite and >= 1", metric, p)
	}
	for _, in := range []struct {
		name string
		s    []float64
	}{{"a", a}, {"b", b}} {
		name, s := in.name, in.s
		if len(s) == 0 {
			return 0, fmt.Errorf("metrics: %s: %s is empty", metric, name)
		}
		for i, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("metrics: %s: %s[%d] is %v", metric, name, i, v)
			}
		}
	}
	sa, sb := slices.Clone(a), slices.Clone(b)
	slices.Sort(sa)
	slices.Sort(sb)
	return math.Pow(wassersteinSortedPow(sa, sb, p), 1/p), nil
}

func absPow(d, p float64) float64 {
	d = math.Abs(d)
	switch p {
	case 1:
		return d
	case 2:
		return d * d
	}
	return math.Pow(d, p)
}

// wassersteinSortedPow returns W_p^p between sorted samples a (n) and b (m).
func wassersteinSortedPow(a, b []float64, p float64) float64 {
	n, m := len(a), len(b)
	if n == m {
		s := 0.0
		if p == 2 {
			for i, v := range a {
				d := v - b[i]
				s += d * d
			}
		} else {
			for i, v := range a {
				s += absPow(v-b[i], p)
			}
		}
		return s / float64(n)
	}
	// Walk the merged breakpoints of the two step quantile functions. Positions are counted in units of
	// 1/(n·m) with integers, so breakpoints compare exactly: a's i-th step ends at (i+1)·m, b's j-th at (j+1)·n.
	s := 0.0
	i, j := 0, 0
	pos := 0 // current u·n·m
	for i < n && j < m {
		ea, eb := (i+1)*m, (j+1)*n
		next := min(ea, eb)
		s += float64(next-pos) * absPow(a[i]-b[j], p)
		pos = next
		if ea == next {
			i++
		}
		if eb == next {
			j++
		}
	}
	return s / (float64(n) * float64(m))
}
