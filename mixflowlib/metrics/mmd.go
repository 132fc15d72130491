package metrics

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// DefaultMedianScales are the multiples of the median-heuristic bandwidth MMD2 averages over when neither
// bandwidths nor scales are given: a multi-bandwidth kernel that stays sensitive both to differences at the scale
// of the data and to finer and coarser ones.
var DefaultMedianScales = []float64{0.5, 1, 2}

// DefaultMedianPoints is the number of pooled points (a seeded subsample) MedianBandwidth uses by default.
const DefaultMedianPoints = 1000

// MMDOptions configures MMD2. The zero value gives the median heuristic with DefaultMedianScales.
type MMDOptions struct {
	// Bandwidths are the RBF length scales σ; the kernel is the average over them of exp(−‖a − b‖² / (2σ²)),
	// so it lies in [0, 1]. Empty: the median heuristic, σ = s · MedianBandwidth(x, y) for each s in Scales.
	//
	// To compare several models against one reference, fix the bandwidths (e.g. from MedianBandwidth of the
	// reference with itself) and pass them here: with the median heuristic each pair gets its own kernel, so
	// values from different pairs are not on the same scale.
	Bandwidths []float64
	// Scales multiply the median bandwidth when Bandwidths is empty (nil: DefaultMedianScales).
	Scales []float64
	// MedianPoints caps the pooled points used for the median (0: DefaultMedianPoints).
	MedianPoints int
	// Seed seeds the median's subsample.
	Seed uint64
}

// MMD2 returns the unbiased estimate of the squared maximum mean discrepancy between the distributions of x
// (N × D) and y (M × D) under an RBF kernel k (see MMDOptions):
//
//	MMD²_u = 1/(N(N−1)) Σ_{i≠j} k(xᵢ, xⱼ) + 1/(M(M−1)) Σ_{i≠j} k(yᵢ, yⱼ) − 2/(NM) Σ_{i,j} k(xᵢ, yⱼ)
//
// (Gretton et al. 2012, eq. 3). Being unbiased it is centred on 0 for two samples of one distribution, so it can
// come out slightly negative. It needs N, M ≥ 2 and costs O((N+M)²·D).
func MMD2(x, y [][]float64, opt MMDOptions) (float64, error) {
	const metric = "MMD2"
	mx, my, err := toPair(metric, "x", "y", x, y, 2)
	if err != nil {
		return 0, err
	}
	bws, err := bandwidths(metric, mx, my, opt)
	if err != nil {
		return 0, err
	}
	kern := rbfKernel(bws)
	kxx := pairSum(mx, mx, true, kern)
	kyy := pairSum(my, my, true, kern)
	kxy := pairSum(mx, my, false, kern)
	n, m := float64(mx.n), float64(my.n)
	return 2*kxx/(n*(n-1)) + 2*kyy/(m*(m-1)) - 2*kxy/(n*m), nil
}

// bandwidths returns the explicit bandwidths of opt, validated, or the median heuristic's.
func bandwidths(metric string, mx, my matrix, opt MMDOptions) ([]float64, error) {
	if len(opt.Bandwidths) > 0 {
		for i, b := range opt.Bandwidths {
			if !(b > 0) || math.IsInf(b, 0) {
				return nil, fmt.Errorf("metrics: %s: bandwidth[%d] = %v must be finite and > 0", metric, i, b)
			}
		}
		return slices.Clone(opt.Bandwidths), nil
	}
	scales := opt.Scales
	if scales == nil {
		scales = DefaultMedianScales
	}
	if len(scales) == 0 {
		return nil, fmt.Errorf("metrics: %s: empty Scales and no Bandwidths", metric)
	}
	for i, s := range scales {
		if !(s > 0) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("metrics: %s: scale[%d] = %v must be finite and > 0", metric, i, s)
		}
	}
	med, err := medianDistance(metric, mx, my, opt.MedianPoints, opt.Seed)
	if err != nil {
		return nil, err
	}
	bws := make([]float64, len(scales))
	for i, s := range scales {
		bws[i] = s * med
	}
	return bws, nil
}

// MedianBandwidth returns the median heuristic bandwidth: the median Euclidean distance between distinct points
// of the pooled sample x ∪ y, computed on a seeded subsample of at most maxPoints points (0: DefaultMedianPoints).
// Pass y = nil to use x alone (e.g. to fix a bandwidth from a reference set).
func MedianBandwidth(x, y [][]float64, maxPoints int, seed uint64) (float64, error) {
	const metric = "MedianBandwidth"
	mx, err := toMatrix(metric, "x", x, 1)
	if err != nil {
		return 0, err
	}
	my := matrix{d: mx.d}
	if len(y) > 0 {
		if mx, my, err = toPair(metric, "x", "y", x, y, 1); err != nil {
			return 0, err
		}
	}
	return medianDistance(metric, mx, my, maxPoints, seed)
}

func medianDistance(metric string, mx, my matrix, maxPoints int, seed uint64) (float64, error) {
	if maxPoints == 0 {
		maxPoints = DefaultMedianPoints
	}
	if maxPoints < 2 {
		return 0, fmt.Errorf("metrics: %s: MedianPoints %d must be >= 2", metric, maxPoints)
	}
	total := mx.n + my.n
	if total < 2 {
		return 0, fmt.Errorf("metrics: %s: the median distance needs at least 2 points, got %d", metric, total)
	}
	idx := make([]int, total)
	for i := range idx {
		idx[i] = i
	}
	if total > maxPoints { // partial Fisher–Yates: the first maxPoints entries are a uniform subsample
		rng := rand.New(rand.NewPCG(seed, 0x6d656469616e))
		for i := range maxPoints {
			j := i + rng.IntN(total-i)
			idx[i], idx[j] = idx[j], idx[i]
		}
		idx = idx[:maxPoints]
	}
	row := func(k int) []float64 {
		if k < mx.n {
			return mx.row(k)
		}
		return my.row(k - mx.n)
	}
	d := make([]float64, 0, len(idx)*(len(idx)-1)/2)
	for a := range idx {
		ra := row(idx[a])
		for b := a + 1; b < len(idx); b++ {
			d = append(d, sqDist(ra, row(idx[b])))
		}
	}
	slices.Sort(d)
	var med float64
	if h := len(d) / 2; len(d)%2 == 1 {
		med = d[h]
	} else {
		med = (d[h-1] + d[h]) / 2
	}
	med = math.Sqrt(med)
	if !(med > 0) {
		return 0, fmt.Errorf("metrics: %s: median pairwise distance is 0 (at least half the points coincide); pass explicit bandwidths", metric)
	}
	return med, nil
}

// rbfKernel returns a row function: the sum over d2 of k(d²) = mean over σ of exp(−d²/(2σ²)). When the bandwidths
// form a chain σ, 2σ, 4σ, … it evaluates one exp per pair and gets the others by repeated squaring
// (exp(−d²/(2(σ/2)²)) = exp(−d²/(2σ²))⁴).
func rbfKernel(bws []float64) func(d2 []float64) float64 {
	sorted := slices.Clone(bws)
	slices.Sort(sorted)
	slices.Reverse(sorted) // largest first
	chain := true
	for i := 1; i < len(sorted); i++ {
		if math.Abs(sorted[i-1]/sorted[i]-2) > 1e-12 {
			chain = false
		}
	}
	inv := 1 / float64(len(sorted))
	if chain {
		c := -1 / (2 * sorted[0] * sorted[0])
		levels := len(sorted)
		return func(d2 []float64) float64 {
			s := 0.0
			for _, d := range d2 {
				e := math.Exp(c * d)
				s += e
				for range levels - 1 {
					e *= e
					e *= e
					s += e
				}
			}
			return s * inv
		}
	}
	cs := make([]float64, len(sorted))
	for i, b := range sorted {
		cs[i] = -1 / (2 * b * b)
	}
	return func(d2 []float64) float64 {
		s := 0.0
		for _, d := range d2 {
			for _, c := range cs {
				s += math.Exp(c * d)
			}
		}
		return s * inv
	}
}

// sumSqrt is the row function of the energy distance: Σ √d².
func sumSqrt(d2 []float64) float64 {
	s := 0.0
	for _, d := range d2 {
		s += math.Sqrt(d)
	}
	return s
}

// pairBlock is the number of rows of a that one parallel task handles in pairSum.
const pairBlock = 64

// pairSum returns Σ_{i<j} f(‖aᵢ − aⱼ‖²) when upper (a and b are the same set), else Σ_{i,j} f(‖aᵢ − bⱼ‖²), where
// rowSum applies f to a row of squared distances and sums it (one indirect call per row keeps the inner loops
// tight).
func pairSum(a, b matrix, upper bool, rowSum func(d2 []float64) float64) float64 {
	nBlocks := (a.n + pairBlock - 1) / pairBlock
	partial := make([]float64, nBlocks)
	parallelFor(nBlocks, func(blk int) {
		buf := make([]float64, b.n)
		s := 0.0
		for i := blk * pairBlock; i < min((blk+1)*pairBlock, a.n); i++ {
			j0 := 0
			if upper {
				j0 = i + 1
			}
			d2 := buf[:b.n-j0]
			if a.d == 2 {
				x0, x1 := a.a[2*i], a.a[2*i+1]
				bb := b.a[2*j0 : 2*b.n]
				for k := range d2 {
					d0, d1 := x0-bb[2*k], x1-bb[2*k+1]
					d2[k] = d0*d0 + d1*d1
				}
			} else {
				ai := a.row(i)
				for k := range d2 {
					d2[k] = sqDist(ai, b.row(j0+k))
				}
			}
			s += rowSum(d2)
		}
		partial[blk] = s
	})
	s := 0.0
	for _, v := range partial {
		s += v
	}
	return s
}

// EnergyDistance returns the energy distance between the distributions of x (N × D) and y (M × D),
//
//	E(x, y) = 2·E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖   (Székely & Rizzo),
//
// estimated with the unbiased U-statistics (i ≠ j within a set). It is ≥ 0 for the distributions, 0 only when
// they are equal, and needs no bandwidth; the estimate can be slightly negative. N, M ≥ 2; cost O((N+M)²·D).
func EnergyDistance(x, y [][]float64) (float64, error) {
	const metric = "EnergyDistance"
	mx, my, err := toPair(metric, "x", "y", x, y, 2)
	if err != nil {
		return 0, err
	}
	dxx := pairSum(mx, mx, true, sumSqrt)
	dyy := pairSum(my, my, true, sumSqrt)
	dxy := pairSum(mx, my, false, sumSqrt)
	n, m := float64(mx.n), float64(my.n)
	return 2*dxy/(n*m) - 2*dxx/(n*(n-1)) - 2*dyy/(m*(m-1)), nil
}
