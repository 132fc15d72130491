package metrics

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Gaussian holds the first two moments of a feature distribution, as used by the Fréchet distance (FID when
// the features are Inception's).
type Gaussian struct {
	// Mean is μ, length D.
	Mean []float64
	// Cov is the D × D covariance Σ.
	Cov *mat.SymDense
	// N is the number of samples the moments were estimated from (0 when they were given directly).
	N int
}

// Dim returns D.
func (g Gaussian) Dim() int { return len(g.Mean) }

// FeatureStats returns the sample mean and the unbiased sample covariance (divided by N − 1) of features, N × D
// with N ≥ 2. With N ≤ D the covariance is singular; FrechetDistance handles that.
func FeatureStats(features [][]float64) (Gaussian, error) {
	m, err := toMatrix("FeatureStats", "features", features, 2)
	if err != nil {
		return Gaussian{}, err
	}
	mean := make([]float64, m.d)
	for i := range m.n {
		for j, v := range m.row(i) {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(m.n)
	}
	centred := mat.NewDense(m.n, m.d, nil)
	for i := range m.n {
		r := m.row(i)
		for j := range mean {
			centred.Set(i, j, r[j]-mean[j])
		}
	}
	cov := mat.NewSymDense(m.d, nil)
	cov.SymOuterK(1/float64(m.n-1), centred.T())
	return Gaussian{Mean: mean, Cov: cov, N: m.n}, nil
}

// NewGaussian builds a Gaussian from a mean (length D) and a row-major D × D covariance, e.g. statistics loaded
// from a file. The covariance must be finite and symmetric (to 1e-9 relative); it is symmetrised exactly.
func NewGaussian(mean []float64, cov []float64) (Gaussian, error) {
	d := len(mean)
	if d == 0 {
		return Gaussian{}, fmt.Errorf("metrics: NewGaussian: empty mean")
	}
	if len(cov) != d*d {
		return Gaussian{}, fmt.Errorf("metrics: NewGaussian: covariance has %d values, want %d×%d = %d", len(cov), d, d, d*d)
	}
	for i, v := range mean {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Gaussian{}, fmt.Errorf("metrics: NewGaussian: mean[%d] is %v", i, v)
		}
	}
	scale := 0.0
	for i, v := range cov {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Gaussian{}, fmt.Errorf("metrics: NewGaussian: cov[%d][%d] is %v", i/d, i%d, v)
		}
		scale = max(scale, math.Abs(v))
	}
	s := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			a, b := cov[i*d+j], cov[j*d+i]
			if math.Abs(a-b) > 1e-9*scale {
				return Gaussian{}, fmt.Errorf("metrics: NewGaussian: covariance is not symmetric: cov[%d][%d] = %v but cov[%d][%d] = %v", i, j, a, j, i, b)
			}
			s.SetSym(i, j, (a+b)/2)
		}
	}
	return Gaussian{Mean: append([]float64(nil), mean...), Cov: s}, nil
}

// psdTolerance is how negative an eigenvalue may be, relative to the largest one, before a covariance is
// rejected as not positive semi-definite (rounding makes the eigenvalues of singular covariances slightly
// negative; they are clipped to 0).
const psdTolerance = 1e-6

// FrechetDistance returns the squared Fréchet (2-Wasserstein) distance between N(μ₁, Σ₁) and N(μ₂, Σ₂),
//
//	d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}),
//
// the quantity FID reports. The trace of the matrix square root is Σᵢ √λᵢ over the eigenvalues of the symmetric
// positive semi-definite matrix Bᵀ Σ₂ B, where Σ₁ = B Bᵀ: B is Σ₁'s Cholesky factor when Σ₁ is positive definite
// (or, swapping the roles, Σ₂'s), and V·Λ^{1/2} from Σ₁'s eigendecomposition when both are singular. Only
// symmetric factorisations are used, no general (non-symmetric) matrix square root, and no ε·I is added: tiny
// negative eigenvalues from rounding are clipped to 0, so singular and near-singular covariances (fewer samples
// than dimensions) need no regularisation. A covariance with clearly negative eigenvalues is an error. The result
// is clipped at 0. Cost: O(D³) in pure Go (gonum), mostly the tridiagonal reduction of the eigensolver; measured
// on the 2-core development machine (CPU time): about 0.02 s of CPU for D = 256, 2.3 s for D = 1024 and 26 s
// for D = 2048 (Inception-sized features).
func FrechetDistance(a, b Gaussian) (float64, error) {
	const metric = "FrechetDistance"
	if err := checkGaussian(metric, "a", a); err != nil {
		return 0, err
	}
	if err := checkGaussian(metric, "b", b); err != nil {
		return 0, err
	}
	if a.Dim() != b.Dim() {
		return 0, fmt.Errorf("metrics: %s: a has dimension %d but b has dimension %d", metric, a.Dim(), b.Dim())
	}
	meanTerm := 0.0
	for i, v := range a.Mean {
		d := v - b.Mean[i]
		meanTerm += d * d
	}
	trSqrt, err := traceSqrtProduct(metric, a.Cov, b.Cov)
	if err != nil {
		return 0, err
	}
	d2 := meanTerm + mat.Trace(a.Cov) + mat.Trace(b.Cov) - 2*trSqrt
	return max(d2, 0), nil
}

func checkGaussian(metric, name string, g Gaussian) error {
	if g.Cov == nil {
		return fmt.Errorf("metrics: %s: %s has a nil covariance", metric, name)
	}
	d := g.Dim()
	if d == 0 {
		return fmt.Errorf("metrics: %s: %s has an empty mean", metric, name)
	}
	if n := g.Cov.SymmetricDim(); n != d {
		return fmt.Errorf("metrics: %s: %s has a mean of length %d but a %d×%d covariance", metric, name, d, n, n)
	}
	for i, v := range g.Mean {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("metrics: %s: %s.Mean[%d] is %v", metric, name, i, v)
		}
	}
	for i := range d {
		for j := i; j < d; j++ {
			if v := g.Cov.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("metrics: %s: %s.Cov[%d][%d] is %v", metric, name, i, j, v)
			}
		}
	}
	return nil
}

// traceSqrtProduct returns Tr((Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}) = Σ √λᵢ(Σ₁Σ₂) for PSD Σ₁, Σ₂.
func traceSqrtProduct(metric string, s1, s2 *mat.SymDense) (float64, error) {
	names := [2]string{"a", "b"}
	// B with Σ_f = B Bᵀ for the factored matrix f; M = Bᵀ Σ_o B for the other one, o.
	factor, other := s1, s2
	var chol mat.Cholesky
	ok := chol.Factorize(s1)
	if !ok {
		factor, other = s2, s1
		names[0], names[1] = names[1], names[0]
		ok = chol.Factorize(s2)
	}
	var m mat.Dense
	if ok {
		var l mat.TriDense
		chol.LTo(&l) // Σ_f = L Lᵀ, B = L
		var t mat.Dense
		t.Mul(mat.DenseCopyOf(other), &l) // Σ_o L (triangular multiply)
		m.Mul(l.T(), &t)                  // Lᵀ Σ_o L
	} else {
		// Both singular: B = V Λ^{1/2} from Σ₁ = V Λ Vᵀ (then B Bᵀ = Σ₁).
		factor, other = s1, s2
		names = [2]string{"a", "b"}
		var eig mat.EigenSym
		if !eig.Factorize(factor, true) {
			return 0, fmt.Errorf("metrics: %s: eigendecomposition of %s's covariance did not converge", metric, names[0])
		}
		vals := eig.Values(nil)
		if err := checkPSD(metric, names[0], vals); err != nil {
			return 0, err
		}
		// Σ_o is not seen in full through B when B is singular: check it on its own.
		var eigO mat.EigenSym
		if !eigO.Factorize(other, false) {
			return 0, fmt.Errorf("metrics: %s: eigendecomposition of %s's covariance did not converge", metric, names[1])
		}
		if err := checkPSD(metric, names[1], eigO.Values(nil)); err != nil {
			return 0, err
		}
		var v mat.Dense
		eig.VectorsTo(&v)
		n := len(vals)
		for j := range n {
			s := math.Sqrt(max(vals[j], 0))
			for i := range n {
				v.Set(i, j, v.At(i, j)*s)
			}
		}
		var t mat.Dense
		t.Mul(other, &v) // Σ_o B
		m.Mul(v.T(), &t) // Bᵀ Σ_o B
	}
	n, _ := m.Dims()
	sym := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			sym.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, false) {
		return 0, fmt.Errorf("metrics: %s: eigendecomposition of Σ_a^{1/2} Σ_b Σ_a^{1/2} did not converge", metric)
	}
	vals := eig.Values(nil)
	// M is congruent to Σ_o restricted to the range of B, so a clearly negative eigenvalue means Σ_o is not PSD.
	if err := checkPSD(metric, names[1], vals); err != nil {
		return 0, err
	}
	tr := 0.0
	for _, v := range vals {
		tr += math.Sqrt(max(v, 0))
	}
	return tr, nil
}

func checkPSD(metric, name string, ascending []float64) error {
	lo, hi := ascending[0], ascending[len(ascending)-1]
	if lo < -psdTolerance*max(math.Abs(hi), math.SmallestNonzeroFloat64) {
		return fmt.Errorf("metrics: %s: %s's covariance is not positive semi-definite (eigenvalue %.3g, largest %.3g)", metric, name, lo, hi)
	}
	return nil
}
