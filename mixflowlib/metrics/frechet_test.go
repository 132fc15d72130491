package metrics

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func gaussian(mean []float64, cov *mat.SymDense) Gaussian { return Gaussian{Mean: mean, Cov: cov} }

func diag(v ...float64) *mat.SymDense {
	s := mat.NewSymDense(len(v), nil)
	for i, x := range v {
		s.SetSym(i, i, x)
	}
	return s
}

// randomSPD returns Q·diag(eig)·Qᵀ for a random orthogonal Q.
func randomSPD(rng *rand.Rand, eig []float64) *mat.SymDense {
	d := len(eig)
	a := mat.NewDense(d, d, nil)
	for i := range d {
		for j := range d {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var q mat.Dense
	qr.QTo(&q)
	return rotate(&q, eig)
}

func rotate(q *mat.Dense, eig []float64) *mat.SymDense {
	d := len(eig)
	var t, m mat.Dense
	t.CloneFrom(q) // Q·diag(eig): scale the columns
	for j, e := range eig {
		for i := range d {
			t.Set(i, j, t.At(i, j)*e)
		}
	}
	m.Mul(&t, q.T())
	s := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			s.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	return s
}

func zeros(d int) []float64 { return make([]float64, d) }

// denmanBeaversTraceSqrt returns Tr(sqrtm(Σ₁Σ₂)) with the Denman–Beavers iteration on the non-symmetric product,
// the scipy.linalg.sqrtm route that pytorch-fid takes: an independent reference for FrechetDistance.
func denmanBeaversTraceSqrt(s1, s2 *mat.SymDense) float64 {
	var y, z mat.Dense
	y.Mul(s1, s2)
	d, _ := y.Dims()
	z.CloneFrom(eye(d))
	for range 100 {
		var yi, zi mat.Dense
		if err := yi.Inverse(&y); err != nil {
			panic(err)
		}
		if err := zi.Inverse(&z); err != nil {
			panic(err)
		}
		var yn, zn mat.Dense
		yn.Add(&y, &zi)
		yn.Scale(0.5, &yn)
		zn.Add(&z, &yi)
		zn.Scale(0.5, &zn)
		y, z = yn, zn
	}
	return mat.Trace(&y)
}

func eye(d int) *mat.Dense {
	m := mat.NewDense(d, d, nil)
	for i := range d {
		m.Set(i, i, 1)
	}
	return m
}

func TestFrechetClosedForms(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	s := randomSPD(rng, []float64{3, 1, 0.5, 0.1})
	// Identical Gaussians → 0.
	if d, err := FrechetDistance(gaussian([]float64{1, 2, 3, 4}, s), gaussian([]float64{1, 2, 3, 4}, s)); err != nil || d > 1e-12 {
		t.Errorf("identical Gaussians: %v, %v", d, err)
	}
	// Mean shift only → ‖Δμ‖².
	if d, _ := FrechetDistance(gaussian([]float64{1, 2, 3, 4}, s), gaussian([]float64{0, 2, 5, 4}, s)); !near(d, 5, 1e-11) {
		t.Errorf("mean shift only: %v, want 5", d)
	}
	// Diagonal covariances → ‖Δμ‖² + Σ(√a − √b)².
	a, b := []float64{4, 1, 0.25, 9}, []float64{1, 1, 1, 0.01}
	want := 1.0 // mean term
	for i := range a {
		want += (math.Sqrt(a[i]) - math.Sqrt(b[i])) * (math.Sqrt(a[i]) - math.Sqrt(b[i]))
	}
	if d, _ := FrechetDistance(gaussian([]float64{1, 0, 0, 0}, diag(a...)), gaussian(zeros(4), diag(b...))); !near(d, want, 1e-12) {
		t.Errorf("diagonal: %v, want %v", d, want)
	}
	// The same pair rotated jointly (commuting, not diagonal) gives the same distance.
	var q mat.Dense
	var qr mat.QR
	r := mat.NewDense(4, 4, nil)
	for i := range 4 {
		for j := range 4 {
			r.Set(i, j, rng.NormFloat64())
		}
	}
	qr.Factorize(r)
	qr.QTo(&q)
	if d, _ := FrechetDistance(gaussian([]float64{1, 0, 0, 0}, rotate(&q, a)), gaussian(zeros(4), rotate(&q, b))); !near(d, want, 1e-10) {
		t.Errorf("jointly rotated: %v, want %v", d, want)
	}
	// 2-D, non-commuting: for a 2×2 PSD M, Tr √M = √(Tr M + 2√det M), with Tr M = Tr(Σ₁Σ₂), det M = det Σ₁·det Σ₂.
	s1 := mat.NewSymDense(2, []float64{2, 0.7, 0.7, 1})
	s2 := mat.NewSymDense(2, []float64{0.5, -0.3, -0.3, 3})
	var p mat.Dense
	p.Mul(s1, s2)
	trSqrt := math.Sqrt(mat.Trace(&p) + 2*math.Sqrt(mat.Det(s1)*mat.Det(s2)))
	want = mat.Trace(s1) + mat.Trace(s2) - 2*trSqrt
	if d, _ := FrechetDistance(gaussian(zeros(2), s1), gaussian(zeros(2), s2)); !near(d, want, 1e-12) {
		t.Errorf("2-D non-commuting: %v, want %v", d, want)
	}
}

// TestFrechetAgainstSqrtm compares with the trace of scipy-style sqrtm(Σ₁Σ₂) on random, non-commuting covariances.
func TestFrechetAgainstSqrtm(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	for trial := range 5 {
		d := 3 + trial*2
		e1, e2 := make([]float64, d), make([]float64, d)
		for i := range d {
			e1[i] = 0.05 + 3*rng.Float64()
			e2[i] = 0.05 + 3*rng.Float64()
		}
		s1, s2 := randomSPD(rng, e1), randomSPD(rng, e2)
		mu1, mu2 := make([]float64, d), make([]float64, d)
		meanTerm := 0.0
		for i := range d {
			mu1[i], mu2[i] = rng.NormFloat64(), rng.NormFloat64()
			meanTerm += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i])
		}
		want := meanTerm + mat.Trace(s1) + mat.Trace(s2) - 2*denmanBeaversTraceSqrt(s1, s2)
		got, err := FrechetDistance(gaussian(mu1, s1), gaussian(mu2, s2))
		if err != nil {
			t.Fatal(err)
		}
		if !near(got, want, 1e-9*(1+want)) {
			t.Errorf("D=%d: FrechetDistance %v, sqrtm reference %v", d, got, want)
		}
		back, _ := FrechetDistance(gaussian(mu2, s2), gaussian(mu1, s1))
		if !near(back, got, 1e-10*(1+got)) {
			t.Errorf("D=%d: not symmetric: %v vs %v", d, got, back)
		}
	}
}

// TestFrechetSingular covers the fallbacks: one singular covariance (Cholesky of the other), both singular
// (eigendecomposition), and rank-deficient sample covariances with fewer samples than dimensions.
func TestFrechetSingular(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	r := mat.NewDense(5, 5, nil)
	for i := range 5 {
		for j := range 5 {
			r.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(r)
	var q mat.Dense
	qr.QTo(&q)
	for _, c := range []struct {
		name string
		a, b []float64
	}{
		{"first singular", []float64{1, 0, 2, 0.5, 0}, []float64{2, 3, 1, 0.1, 1}},
		{"second singular", []float64{2, 3, 1, 0.1, 1}, []float64{1, 0, 2, 0.5, 0}},
		{"both singular", []float64{1, 0, 2, 0, 4}, []float64{0, 3, 1, 0, 4}},
		{"both zero", []float64{0, 0, 0, 0, 0}, []float64{0, 0, 0, 0, 0}},
	} {
		want := 0.0
		for i := range c.a {
			d := math.Sqrt(c.a[i]) - math.Sqrt(c.b[i])
			want += d * d
		}
		got, err := FrechetDistance(gaussian(zeros(5), rotate(&q, c.a)), gaussian(zeros(5), rotate(&q, c.b)))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !near(got, want, 1e-6) {
			t.Errorf("%s: %v, want %v", c.name, got, want)
		}
	}
	// 10 samples in 20 dimensions: rank-9 covariance; the distance of a set to itself is 0.
	x := randRows(rng, 10, 20)
	g, err := FeatureStats(x)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := FrechetDistance(g, g); err != nil || d > 1e-9 {
		t.Errorf("rank-deficient self distance: %v, %v", d, err)
	}
	y := randRows(rng, 10, 20)
	h, _ := FeatureStats(y)
	dxy, err := FrechetDistance(g, h)
	if err != nil || dxy <= 0 {
		t.Errorf("rank-deficient pair: %v, %v", dxy, err)
	}
}

func TestFeatureStats(t *testing.T) {
	g, err := FeatureStats([][]float64{{1, 2}, {3, 2}, {5, 8}})
	if err != nil {
		t.Fatal(err)
	}
	if g.N != 3 || g.Dim() != 2 || !near(g.Mean[0], 3, 1e-15) || !near(g.Mean[1], 4, 1e-15) {
		t.Errorf("stats: N=%d mean %v", g.N, g.Mean)
	}
	// Unbiased covariance: var₀ = (4+0+4)/2 = 4, var₁ = (4+4+16)/2 = 12, cov = (2·(−2)·... )/2.
	want := [][]float64{{4, 6}, {6, 12}}
	for i := range 2 {
		for j := range 2 {
			if !near(g.Cov.At(i, j), want[i][j], 1e-13) {
				t.Errorf("cov[%d][%d] = %v, want %v", i, j, g.Cov.At(i, j), want[i][j])
			}
		}
	}
	// Fitted stats of N(μ, I) samples: FD to the true Gaussian is small, to a shifted one ≈ ‖Δ‖².
	rng := rand.New(rand.NewPCG(3, 3))
	x := randRows(rng, 20000, 3)
	fit, _ := FeatureStats(x)
	truth := gaussian(zeros(3), diag(1, 1, 1))
	d0, _ := FrechetDistance(fit, truth)
	d1, _ := FrechetDistance(fit, gaussian([]float64{1, 0, 0}, diag(1, 1, 1)))
	if d0 > 0.01 || !near(d1, 1, 0.03) {
		t.Errorf("fitted N(0,I): FD to truth %v (want ≈ 0), to a unit shift %v (want ≈ 1)", d0, d1)
	}
	if _, err := FeatureStats([][]float64{{1, 2}}); err == nil || !strings.Contains(err.Error(), "metrics: FeatureStats: features has 1 samples, need at least 2") {
		t.Errorf("FeatureStats with 1 sample: %v", err)
	}
	if _, err := FeatureStats([][]float64{{1, 2}, {3, math.NaN()}}); err == nil || !strings.Contains(err.Error(), "features[1][1] is NaN") {
		t.Errorf("FeatureStats with NaN: %v", err)
	}
}

func TestFrechetErrors(t *testing.T) {
	good := gaussian([]float64{0, 0}, diag(1, 1))
	notPSD := gaussian([]float64{0, 0}, mat.NewSymDense(2, []float64{1, 2, 2, 1})) // eigenvalues 3, −1
	for _, c := range []struct {
		a, b Gaussian
		want string
	}{
		{good, gaussian([]float64{0, 0, 0}, diag(1, 1, 1)), "a has dimension 2 but b has dimension 3"},
		{good, gaussian([]float64{0, math.NaN()}, diag(1, 1)), "b.Mean[1] is NaN"},
		{gaussian([]float64{0, 0}, diag(1, math.Inf(1))), good, "a.Cov[1][1] is +Inf"},
		{good, gaussian([]float64{0, 0}, nil), "b has a nil covariance"},
		{good, gaussian([]float64{0, 0, 0}, diag(1, 1)), "b has a mean of length 3 but a 2×2 covariance"},
		{good, gaussian(nil, diag(1)), "b has an empty mean"},
		{good, notPSD, "b's covariance is not positive semi-definite"},
		{notPSD, good, "a's covariance is not positive semi-definite"},
		{notPSD, gaussian([]float64{0, 0}, diag(1, 0)), "positive semi-definite"},
	} {
		_, err := FrechetDistance(c.a, c.b)
		if err == nil || !strings.HasPrefix(err.Error(), "metrics: FrechetDistance: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
	if _, err := NewGaussian([]float64{0, 0}, []float64{1, 0.5, 0.4, 1}); err == nil || !strings.Contains(err.Error(), "not symmetric") {
		t.Errorf("NewGaussian asymmetric: %v", err)
	}
	if _, err := NewGaussian([]float64{0, 0}, []float64{1, 0, 0}); err == nil || !strings.Contains(err.Error(), "want 2×2 = 4") {
		t.Errorf("NewGaussian wrong size: %v", err)
	}
	g, err := NewGaussian([]float64{1, 2}, []float64{2, 0.5, 0.5, 1})
	if err != nil || g.Cov.At(0, 1) != 0.5 || g.Mean[1] != 2 {
		t.Errorf("NewGaussian: %+v, %v", g, err)
	}
}
