package metrics

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/mixflow/mixflow/datasets/toy2d"
)

// toyRows draws n points of a toy as rows.
func toyRows(t testing.TB, spec string, n int, seed uint64) [][]float64 {
	t.Helper()
	pts, _, err := toy2d.MustByName(spec).Points(n, seed)
	if err != nil {
		t.Fatal(err)
	}
	return Points2D(pts)
}

// shifted returns rows + c on the first coordinate.
func shifted(rows [][]float64, c float64) [][]float64 {
	out := make([][]float64, len(rows))
	for i, r := range rows {
		out[i] = slices.Clone(r)
		out[i][0] += c
	}
	return out
}

func randRows(rng *rand.Rand, n, d int) [][]float64 {
	rows := make([][]float64, n)
	for i := range rows {
		rows[i] = make([]float64, d)
		for j := range rows[i] {
			rows[i][j] = rng.NormFloat64()
		}
	}
	return rows
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// checkDistance checks the sample distance d (named name) on two samples a, b of one distribution: it
// grows as b is shifted further, it is symmetric up to symTol, and it is deterministic and independent of
// the number of cores (the same value twice, and with GOMAXPROCS=1).
func checkDistance(t *testing.T, name string, d func(x, y [][]float64) float64, a, b [][]float64, symTol float64) {
	t.Helper()
	same := d(a, b)
	prev := same
	for _, c := range []float64{0.05, 0.1, 0.2, 0.4, 0.8} {
		v := d(a, shifted(b, c))
		if v <= prev {
			t.Errorf("%s not increasing with the shift: %.5f at shift %g after %.5f", name, v, c, prev)
		}
		prev = v
	}
	if ab, ba := d(a, b), d(b, a); ab != same || !near(ab, ba, symTol) {
		t.Errorf("%s(a,b)=%v, %s(b,a)=%v, first call %v", name, ab, name, ba, same)
	}
	old := runtime.GOMAXPROCS(1)
	single := d(a, b)
	runtime.GOMAXPROCS(old)
	if single != same {
		t.Errorf("%s with GOMAXPROCS=1 is %v, with %d is %v", name, single, old, same)
	}
}

func TestWasserstein1DKnown(t *testing.T) {
	for _, c := range []struct {
		a, b []float64
		p    float64
		want float64
	}{
		{[]float64{0}, []float64{1}, 1, 1},
		{[]float64{2, 0, 1}, []float64{1, 3, 2}, 1, 1},
		{[]float64{2, 0, 1}, []float64{1, 3, 2}, 2, 1},
		{[]float64{0, 0}, []float64{0, 3}, 2, math.Sqrt(4.5)},
		// Unequal sizes: quantile functions differ by 1/2 on (1/3, 2/3], so W₁ = 1/6 and W₂ = √(1/12).
		{[]float64{0, 1}, []float64{0, 0.5, 1}, 1, 1.0 / 6},
		{[]float64{0, 1}, []float64{0, 0.5, 1}, 2, math.Sqrt(1.0 / 12)},
	} {
		got, err := Wasserstein1D(c.a, c.b, c.p)
		if err != nil {
			t.Fatal(err)
		}
		if !near(got, c.want, 1e-12) {
			t.Errorf("W_%g(%v, %v) = %v, want %v", c.p, c.a, c.b, got, c.want)
		}
	}
}

// TestWasserstein1DUnequalSizes checks the merged-quantile formula against two independent computations:
// replicating each sample to a common size (the empirical measures are unchanged) and, for p = 1, ∫|F_a − F_b|.
func TestWasserstein1DUnequalSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		n, m := 1+rng.IntN(9), 1+rng.IntN(9)
		a, b := make([]float64, n), make([]float64, m)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		for i := range b {
			b[i] = 0.5 + 2*rng.NormFloat64()
		}
		var ra, rb []float64 // a repeated m times each, b repeated n times each: both of size n·m
		for _, v := range a {
			for range m {
				ra = append(ra, v)
			}
		}
		for _, v := range b {
			for range n {
				rb = append(rb, v)
			}
		}
		for _, p := range []float64{1, 2, 3} {
			got, _ := Wasserstein1D(a, b, p)
			want, _ := Wasserstein1D(ra, rb, p)
			if !near(got, want, 1e-12*(1+want)) {
				t.Fatalf("trial %d p=%g: merged %v, replicated %v", trial, p, got, want)
			}
		}
		// W₁ = ∫ |F_a(x) − F_b(x)| dx, integrating the step CDFs between consecutive pooled points.
		pool := slices.Sorted(slices.Values(append(slices.Clone(a), b...)))
		cdf := func(s []float64, x float64) float64 {
			c := 0
			for _, v := range s {
				if v <= x {
					c++
				}
			}
			return float64(c) / float64(len(s))
		}
		want := 0.0
		for i := 0; i+1 < len(pool); i++ {
			want += math.Abs(cdf(a, pool[i])-cdf(b, pool[i])) * (pool[i+1] - pool[i])
		}
		if got, _ := Wasserstein1D(a, b, 1); !near(got, want, 1e-12*(1+want)) {
			t.Fatalf("trial %d: W₁ %v, CDF integral %v", trial, got, want)
		}
	}
	// Translation: W_p(a, a + c) = |c| for every p.
	a := []float64{3, -1, 4, 1, -5, 9, 2, 6}
	b := make([]float64, len(a))
	for i, v := range a {
		b[i] = v - 0.7
	}
	for _, p := range []float64{1, 2, 5} {
		if got, _ := Wasserstein1D(a, b, p); !near(got, 0.7, 1e-12) {
			t.Errorf("W_%g under a shift of 0.7 = %v", p, got)
		}
	}
	if !slices.Equal(a, []float64{3, -1, 4, 1, -5, 9, 2, 6}) {
		t.Error("Wasserstein1D modified its input")
	}
}

func TestWasserstein1DErrors(t *testing.T) {
	for _, c := range []struct {
		a, b []float64
		p    float64
		want string
	}{
		{nil, []float64{1}, 1, "Wasserstein1D: a is empty"},
		{[]float64{1}, []float64{0, math.NaN()}, 1, "b[1] is NaN"},
		{[]float64{math.Inf(1)}, []float64{1}, 1, "a[0] is +Inf"},
		{[]float64{1}, []float64{1}, 0.5, "order p 0.5 must be finite and >= 1"},
		{[]float64{1}, []float64{1}, math.NaN(), "order p NaN"},
	} {
		_, err := Wasserstein1D(c.a, c.b, c.p)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "metrics: ") {
			t.Errorf("Wasserstein1D(%v, %v, %v): error %v, want %q", c.a, c.b, c.p, err, c.want)
		}
	}
}

// TestSlicedWassersteinShift uses the closed form for a translation by c: every projection is shifted by θ·c,
// so SW₂² = E(θ·c)² = ‖c‖²/D, whatever the distribution, and SW₁ = ‖c‖·E|θ₁| (2/π in 2-D).
func TestSlicedWassersteinShift(t *testing.T) {
	x := toyRows(t, "moons", 500, 1)
	y := shifted(x, 0.6)
	sw2, err := SlicedWasserstein(x, y, SWOptions{Projections: 4000, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if want := 0.6 / math.Sqrt2; !near(sw2, want, 0.01*want) {
		t.Errorf("SW₂ of a shift by 0.6 = %.5f, want %.5f", sw2, want)
	}
	sw1, _ := SlicedWasserstein(x, y, SWOptions{Projections: 4000, Seed: 3, P: 1})
	if want := 0.6 * 2 / math.Pi; !near(sw1, want, 0.02*want) {
		t.Errorf("SW₁ of a shift by 0.6 = %.5f, want %.5f", sw1, want)
	}
	// In D = 5 the same holds with ‖c‖²/5.
	rng := rand.New(rand.NewPCG(4, 4))
	x5 := randRows(rng, 300, 5)
	sw, _ := SlicedWasserstein(x5, shifted(x5, 1), SWOptions{Projections: 4000})
	if want := 1 / math.Sqrt(5); !near(sw, want, 0.03*want) {
		t.Errorf("SW₂ of a unit shift in 5-D = %.5f, want %.5f", sw, want)
	}
}

func TestSlicedWassersteinSanity(t *testing.T) {
	const n = 2000
	a := toyRows(t, "moons", n, 1)
	b := toyRows(t, "moons", n, 2)
	opt := SWOptions{Seed: 1}
	same, _ := SlicedWasserstein(a, b, opt)
	other, _ := SlicedWasserstein(a, toyRows(t, "8gaussians", n, 2), opt)
	// Two samples of 2000 points differ by about 0.02–0.05 in SW₂ (it shrinks like N^(−1/2)); the toys all have
	// mean 0 and E‖x‖² = 2, so a different toy is only a few times further (about 0.3 here).
	if same > 0.06 {
		t.Errorf("SW between two samples of moons = %.4f, want ≈ 0 (< 0.06)", same)
	}
	if other < 4*same {
		t.Errorf("SW moons vs 8gaussians = %.4f, not clearly above same-toy %.4f", other, same)
	}
	checkDistance(t, "SW", func(x, y [][]float64) float64 { v, _ := SlicedWasserstein(x, y, opt); return v }, a, b, 0)
	otherSeed, _ := SlicedWasserstein(a, b, SWOptions{Seed: 2})
	if otherSeed == same {
		t.Error("different seeds gave identical SW")
	}
	// Unequal sizes work and agree with equal sizes up to sampling noise.
	uneq, err := SlicedWasserstein(a[:1500], shifted(b, 0.4), opt)
	if err != nil {
		t.Fatal(err)
	}
	eq, _ := SlicedWasserstein(a, shifted(b, 0.4), opt)
	if !near(uneq, eq, 0.1*eq) {
		t.Errorf("SW with 1500 vs 2000 points = %.4f, with 2000 vs 2000 = %.4f", uneq, eq)
	}
}

func TestSampleMetricErrors(t *testing.T) {
	good := [][]float64{{0, 0}, {1, 1}, {2, 0}, {0, 2}, {1, 0}}
	nan := [][]float64{{0, 0}, {1, math.NaN()}, {2, 0}, {0, 2}, {1, 0}}
	inf := [][]float64{{0, 0}, {1, 1}, {math.Inf(-1), 0}, {0, 2}, {1, 0}}
	ragged := [][]float64{{0, 0}, {1, 1, 1}, {2, 0}, {0, 2}, {1, 0}}
	threeD := [][]float64{{0, 0, 0}, {1, 1, 1}, {2, 0, 0}, {0, 2, 0}, {1, 0, 0}}
	metrics := map[string]func(x, y [][]float64) error{
		"SlicedWasserstein": func(x, y [][]float64) error { _, err := SlicedWasserstein(x, y, SWOptions{}); return err },
		"MMD2":              func(x, y [][]float64) error { _, err := MMD2(x, y, MMDOptions{}); return err },
		"EnergyDistance":    func(x, y [][]float64) error { _, err := EnergyDistance(x, y); return err },
		"PrecisionRecall":   func(x, y [][]float64) error { _, _, err := PrecisionRecall(x, y, 0); return err },
	}
	for name, fn := range metrics {
		xName, yName := "x", "y"
		if name == "PrecisionRecall" {
			xName, yName = "real", "fake"
		}
		for _, c := range []struct {
			x, y [][]float64
			want string
		}{
			{good, nan, yName + "[1][1] is NaN"},
			{inf, good, xName + "[2][0] is -Inf"},
			{ragged, good, xName + "[1] has 3 values, but " + xName + "[0] has 2"},
			{good, threeD, xName + " has dimension 2 but " + yName + " has dimension 3"},
			{nil, good, xName + " has 0 samples"},
			{[][]float64{{}, {}, {}, {}}, good, "dimension 0"},
		} {
			err := fn(c.x, c.y)
			if err == nil || !strings.HasPrefix(err.Error(), "metrics: "+name+": ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: error %v, want one containing %q", name, err, c.want)
			}
		}
	}
	one := [][]float64{{1, 2}}
	if _, err := MMD2(one, good, MMDOptions{}); err == nil || !strings.Contains(err.Error(), "x has 1 samples, need at least 2") {
		t.Errorf("MMD2 with 1 sample: %v", err)
	}
	if _, err := EnergyDistance(good, one); err == nil || !strings.Contains(err.Error(), "need at least 2") {
		t.Errorf("EnergyDistance with 1 sample: %v", err)
	}
	if _, _, err := PrecisionRecall(good, good[:3], 3); err == nil || !strings.Contains(err.Error(), "fake has 3 samples, need at least 4") {
		t.Errorf("PrecisionRecall with 3 samples and k=3: %v", err)
	}
	if _, _, err := PrecisionRecall(good, good, -1); err == nil {
		t.Error("PrecisionRecall with k=-1 gave no error")
	}
	if _, err := SlicedWasserstein(good, good, SWOptions{P: -1}); err == nil {
		t.Error("SlicedWasserstein with P=-1 gave no error")
	}
	if _, err := SlicedWasserstein(good, good, SWOptions{Projections: -3}); err == nil {
		t.Error("SlicedWasserstein with Projections=-3 gave no error")
	}
	if _, err := MMD2(good, good, MMDOptions{Bandwidths: []float64{1, 0}}); err == nil || !strings.Contains(err.Error(), "bandwidth[1] = 0") {
		t.Errorf("MMD2 with a zero bandwidth: %v", err)
	}
	if _, err := MMD2(good, good, MMDOptions{Scales: []float64{}}); err == nil {
		t.Error("MMD2 with empty scales gave no error")
	}
	same := [][]float64{{1, 1}, {1, 1}, {1, 1}}
	if _, err := MMD2(same, same, MMDOptions{}); err == nil || !strings.Contains(err.Error(), "median pairwise distance is 0") {
		t.Errorf("MMD2 on coincident points: %v", err)
	}
}

// naiveMMD2 is the textbook unbiased estimator with one exp per bandwidth and pair.
func naiveMMD2(x, y [][]float64, bws []float64) float64 {
	k := func(a, b []float64) float64 {
		s := 0.0
		for _, bw := range bws {
			s += math.Exp(-sqDist(a, b) / (2 * bw * bw))
		}
		return s / float64(len(bws))
	}
	var kxx, kyy, kxy float64
	for i := range x {
		for j := range x {
			if i != j {
				kxx += k(x[i], x[j])
			}
		}
	}
	for i := range y {
		for j := range y {
			if i != j {
				kyy += k(y[i], y[j])
			}
		}
	}
	for i := range x {
		for j := range y {
			kxy += k(x[i], y[j])
		}
	}
	n, m := float64(len(x)), float64(len(y))
	return kxx/(n*(n-1)) + kyy/(m*(m-1)) - 2*kxy/(n*m)
}

func TestMMD2MatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, d := range []int{1, 2, 3, 7} {
		x := randRows(rng, 70, d)
		y := shifted(randRows(rng, 90, d), 0.5)
		for _, bws := range [][]float64{{1}, {0.5, 1, 2}, {4, 1, 2, 0.5}, {0.3, 1.7}} {
			got, err := MMD2(x, y, MMDOptions{Bandwidths: bws})
			if err != nil {
				t.Fatal(err)
			}
			if want := naiveMMD2(x, y, bws); !near(got, want, 1e-12) {
				t.Errorf("D=%d bandwidths %v: MMD2 %v, naive %v", d, bws, got, want)
			}
		}
		// Median heuristic: same as passing the median bandwidth times the default scales.
		med, err := MedianBandwidth(x, y, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := MMD2(x, y, MMDOptions{})
		if want := naiveMMD2(x, y, []float64{0.5 * med, med, 2 * med}); !near(got, want, 1e-12) {
			t.Errorf("D=%d median heuristic: MMD2 %v, naive %v", d, got, want)
		}
	}
}

func TestMedianBandwidth(t *testing.T) {
	// Distances among 0, 1, 3 on a line: 1, 3, 2 → median 2.
	got, err := MedianBandwidth([][]float64{{0}, {1}}, [][]float64{{3}}, 0, 0)
	if err != nil || got != 2 {
		t.Errorf("median of {1, 2, 3} = %v, %v", got, err)
	}
	// Four points: distances 1, 1, 2, 2, 3, 3 (0, 1, 2, 3 on a line gives 1,2,3,1,2,1): median (1+2)/2... check.
	got, _ = MedianBandwidth([][]float64{{0}, {1}, {2}, {3}}, nil, 0, 0)
	if want := math.Sqrt((1 + 4) / 2.0); got != want { // median of squared distances {1,1,1,4,4,9} is (1+4)/2
		t.Errorf("median bandwidth of 0..3 = %v, want %v", got, want)
	}
	// Subsampling: stays close to the full median for a large sample and is deterministic.
	x := toyRows(t, "gaussian", 3000, 1)
	full, _ := MedianBandwidth(x, nil, 3000, 0)
	sub, _ := MedianBandwidth(x, nil, 500, 9)
	sub2, _ := MedianBandwidth(x, nil, 500, 9)
	if sub != sub2 || !near(sub, full, 0.05*full) {
		t.Errorf("subsampled median %v (again %v), full %v", sub, sub2, full)
	}
	// For N(0, I) in 2-D, ‖x − y‖² ~ 2·χ²₂ = Exp(mean 4), whose median is 4 ln 2.
	if want := math.Sqrt(4 * math.Ln2); !near(full, want, 0.03*want) {
		t.Errorf("median distance of 2-D N(0,I) = %v, want %v", full, want)
	}
	if _, err := MedianBandwidth(x, nil, 1, 0); err == nil {
		t.Error("MedianBandwidth with maxPoints=1 gave no error")
	}
}

// TestMMD2Sanity: unbiased (centred on 0 for one distribution), clearly larger for other toys, monotone in a shift.
func TestMMD2Sanity(t *testing.T) {
	const n = 300
	const pairs = 24
	vals := make([]float64, pairs)
	for i := range vals {
		a := toyRows(t, "moons", n, uint64(2*i))
		b := toyRows(t, "moons", n, uint64(2*i+1))
		v, err := MMD2(a, b, MMDOptions{Bandwidths: []float64{0.25, 0.5, 1}})
		if err != nil {
			t.Fatal(err)
		}
		vals[i] = v
	}
	s, _ := Summarize(vals)
	// The biased (V-statistic) estimator would sit about (2/n)(1 − E k) ≈ 0.004 above 0 here.
	if math.Abs(s.Estimate) > 4*s.Std/math.Sqrt(pairs) {
		t.Errorf("MMD² between samples of one toy: mean %.5f, std %.5f over %d pairs: not centred on 0", s.Estimate, s.Std, pairs)
	}
	a := toyRows(t, "moons", 1000, 100)
	b := toyRows(t, "moons", 1000, 101)
	opt := MMDOptions{Bandwidths: []float64{0.25, 0.5, 1}}
	same, _ := MMD2(a, b, opt)
	other, _ := MMD2(a, toyRows(t, "spirals", 1000, 101), opt)
	if other < 0.01 || other < 20*math.Abs(same) {
		t.Errorf("MMD² moons vs spirals = %.5f, moons vs moons = %.5f", other, same)
	}
	checkDistance(t, "MMD²", func(x, y [][]float64) float64 { v, _ := MMD2(x, y, opt); return v }, a, b, 1e-13)
}

func TestEnergyDistance(t *testing.T) {
	// Two point masses at distance 1: 2·1 − 0 − 0 = 2.
	if e, err := EnergyDistance([][]float64{{0}, {0}}, [][]float64{{1}, {1}}); err != nil || !near(e, 2, 1e-15) {
		t.Errorf("energy distance of δ₀, δ₁ = %v, %v", e, err)
	}
	// Against a direct computation on random data.
	rng := rand.New(rand.NewPCG(8, 8))
	x, y := randRows(rng, 40, 3), shifted(randRows(rng, 55, 3), 0.3)
	dist := func(a, b []float64) float64 { return math.Sqrt(sqDist(a, b)) }
	var dxy, dxx, dyy float64
	for i := range x {
		for j := range y {
			dxy += dist(x[i], y[j])
		}
		for j := range x {
			if i != j {
				dxx += dist(x[i], x[j])
			}
		}
	}
	for i := range y {
		for j := range y {
			if i != j {
				dyy += dist(y[i], y[j])
			}
		}
	}
	want := 2*dxy/(40*55) - dxx/(40*39) - dyy/(55*54)
	if got, _ := EnergyDistance(x, y); !near(got, want, 1e-12) {
		t.Errorf("EnergyDistance %v, direct %v", got, want)
	}
	a := toyRows(t, "rings", 800, 1)
	b := toyRows(t, "rings", 800, 2)
	prev, _ := EnergyDistance(a, b)
	if prev > 0.01 {
		t.Errorf("energy distance between samples of one toy = %v", prev)
	}
	for _, c := range []float64{0.1, 0.2, 0.4} {
		v, _ := EnergyDistance(a, shifted(b, c))
		if v <= prev {
			t.Errorf("energy distance not increasing with the shift: %v at %g after %v", v, c, prev)
		}
		prev = v
	}
}

// naivePR is precision/recall with every distance sorted, as a reference.
func naivePR(real, fake [][]float64, k int) (float64, float64) {
	radii := func(s [][]float64) []float64 {
		r := make([]float64, len(s))
		for i := range s {
			var d []float64
			for j := range s {
				if j != i {
					d = append(d, math.Sqrt(sqDist(s[i], s[j])))
				}
			}
			slices.Sort(d)
			r[i] = d[k-1]
		}
		return r
	}
	frac := func(q, ref [][]float64, r []float64) float64 {
		c := 0
		for _, p := range q {
			for j, s := range ref {
				if math.Sqrt(sqDist(p, s)) <= r[j] {
					c++
					break
				}
			}
		}
		return float64(c) / float64(len(q))
	}
	rr, rf := radii(real), radii(fake)
	return frac(fake, real, rr), frac(real, fake, rf)
}

func TestPrecisionRecall(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, d := range []int{2, 5, 40} { // 40: the matrix-product path
		real := randRows(rng, 120, d)
		fake := shifted(randRows(rng, 100, d), 0.8)
		for _, k := range []int{1, 3, 5} {
			p, r, err := PrecisionRecall(real, fake, k)
			if err != nil {
				t.Fatal(err)
			}
			wp, wr := naivePR(real, fake, k)
			if p != wp || r != wr {
				t.Errorf("D=%d k=%d: (%v, %v), naive (%v, %v)", d, k, p, r, wp, wr)
			}
		}
	}
	// Identical sets: both 1 (also through the matrix-product path, where rounding must not push a point out of
	// its own ball).
	x := toyRows(t, "spirals", 1000, 1)
	if p, r, _ := PrecisionRecall(x, x, 0); p != 1 || r != 1 {
		t.Errorf("identical sets: precision %v, recall %v", p, r)
	}
	hd := randRows(rng, 300, 64)
	if p, r, _ := PrecisionRecall(hd, hd, 0); p != 1 || r != 1 {
		t.Errorf("identical 64-D sets: precision %v, recall %v", p, r)
	}
	// Fake covers only 4 of the 8 Gaussians: precision stays high, recall drops to about 1/2.
	toy := toy2d.MustByName("8gaussians")
	pts, labels, _ := toy.Points(2000, 1)
	real := Points2D(pts)
	fakePts, fakeLabels, _ := toy.Points(2000, 2)
	var half [][]float64
	for i, p := range fakePts {
		if fakeLabels[i] < 4 {
			half = append(half, []float64{p[0], p[1]})
		}
	}
	p, r, _ := PrecisionRecall(real, half, 3)
	if p < 0.95 || r < 0.4 || r > 0.6 {
		t.Errorf("fake on half the modes: precision %.3f (want > 0.95), recall %.3f (want ≈ 0.5)", p, r)
	}
	// And the reverse roles: fake covers everything, real half: recall high, precision ≈ 1/2.
	var realHalf [][]float64
	for i, q := range real {
		if labels[i] < 4 {
			realHalf = append(realHalf, q)
		}
	}
	p, r, _ = PrecisionRecall(realHalf, Points2D(fakePts), 3)
	if r < 0.95 || p < 0.4 || p > 0.6 {
		t.Errorf("fake on all modes vs real on half: precision %.3f (want ≈ 0.5), recall %.3f (want > 0.95)", p, r)
	}
	// Far away: both 0.
	if p, r, _ := PrecisionRecall(real, shifted(real, 100), 3); p != 0 || r != 0 {
		t.Errorf("disjoint sets: precision %v, recall %v", p, r)
	}
}
