package timesteps

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
)

// testDists covers every implementation, plain and shifted both ways.
var testDists = []Dist{
	Uniform{},
	Uniform{Eps: 0.01},
	Beta21{},
	LogitNormal{Mu: 0, Sigma: 1},
	LogitNormal{Mu: 0.5, Sigma: 0.8},
	LogitNormal{Mu: -1, Sigma: 2},
	Shift{S: 3, Base: Beta21{}},
	Shift{S: 0.5, Base: LogitNormal{Mu: 0, Sigma: 1}},
	Shift{S: math.Sqrt(48), Base: Uniform{Eps: 0.001}},
	Shift{S: 2, Base: Shift{S: 1.5, Base: Beta21{}}},
}

func TestNormalQuantile(t *testing.T) {
	us := []float64{1e-12, 1e-10, 2.3e-10, 1e-7, 1e-4, 0.01, 0.2, 0.5, 0.7, 0.975, 1 - 1e-6, 1 - 1e-12}
	for _, u := range us {
		z := normalQuantile(u)
		var back float64
		if u < 0.5 {
			back = normalCDF(z)
		} else {
			back = 1 - normalCDF(z)
			u = 1 - u
		}
		if math.Abs(back-u) > 1e-13*u {
			t.Errorf("Φ(Φ⁻¹(%g)) = %g (z = %v)", u, back, z)
		}
	}
	if z := normalQuantile(0.975); math.Abs(z-1.959963984540054) > 1e-14 {
		t.Errorf("Φ⁻¹(0.975) = %.16f", z)
	}
	// In-graph version (float64) against the host.
	out := graph.MustExecOnce(backend.Must(), func(u *graph.Node) *graph.Node { return normalQuantileGraph(u) }, append(us, 0, 1))
	got := tensors.MustCopyFlatData[float64](out)
	for i, u := range append(us, 0, 1) {
		if want := normalQuantile(u); math.Abs(got[i]-want) > 1.2e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("graph Φ⁻¹(%g) = %.12f, host %.12f", u, got[i], want)
		}
	}
}

func TestQuadrature(t *testing.T) {
	cases := []struct {
		f          func(float64) float64
		a, b, want float64
	}{
		{math.Sqrt, 0, 1, 2.0 / 3},
		{func(x float64) float64 { return 1 / math.Sqrt(x) }, 0, 1, 2},
		{math.Exp, -1, 2, math.Exp(2) - math.Exp(-1)},
		{func(x float64) float64 { return math.Log(x) }, 0, 1, -1},
	}
	for i, c := range cases {
		if got := integrate(c.f, c.a, c.b); math.Abs(got-c.want) > 1e-10 {
			t.Errorf("case %d: integral %v, want %v", i, got, c.want)
		}
	}
}

func TestBeta21Moments(t *testing.T) {
	d := Beta21{}
	mean := integrate(func(x float64) float64 { return x * d.Density(x) }, 0, 1)
	variance := integrate(func(x float64) float64 { return (x - 2.0/3) * (x - 2.0/3) * d.Density(x) }, 0, 1)
	if math.Abs(mean-2.0/3) > 1e-12 || math.Abs(variance-1.0/18) > 1e-12 || d.Mean() != 2.0/3 {
		t.Errorf("Beta21 analytic moments: mean %v (Mean() %v), var %v; want 2/3, 1/18", mean, d.Mean(), variance)
	}
	// Monte Carlo with a fixed seed: 200k draws, standard errors 5.3e-4 (mean) and 3.5e-4 (variance).
	xs := d.Sample(rand.New(rand.NewPCG(7, 8)), 200_000)
	m, v := meanVar(xs)
	if math.Abs(m-2.0/3) > 4*math.Sqrt(1.0/18/200_000) || math.Abs(v-1.0/18) > 0.02/18 {
		t.Errorf("Beta21 samples: mean %.5f var %.5f, want 0.66667, 0.05556", m, v)
	}
}

func meanVar(xs []float64) (mean, variance float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(xs))
}

func TestLogitNormalMoments(t *testing.T) {
	for _, d := range []LogitNormal{{0, 1}, {0.5, 0.8}, {-1, 2}} {
		// Mean() integrates the quantile; compare with the integral of t·density and with E over z directly.
		byDensity := integrate(func(x float64) float64 { return x * d.Density(x) }, 0, 1)
		gauss := func(z float64) float64 { return sigmoid(d.Mu+d.Sigma*z) * math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) }
		byZ := integrate(gauss, -12, 0) + integrate(gauss, 0, 12)
		if m := d.Mean(); math.Abs(m-byDensity) > 1e-9 || math.Abs(m-byZ) > 1e-9 {
			t.Errorf("%s: Mean %v, ∫t·p(t) %v, E_z[sigmoid] %v", d.Name(), m, byDensity, byZ)
		}
		second := integrate(func(x float64) float64 { return x * x * d.Density(x) }, 0, 1)
		xs := d.Sample(rand.New(rand.NewPCG(9, 10)), 100_000)
		m, v := meanVar(xs)
		wantVar := second - byDensity*byDensity
		if math.Abs(m-byDensity) > 4*math.Sqrt(wantVar/1e5) || math.Abs(v-wantVar) > 0.03*wantVar {
			t.Errorf("%s samples: mean %.5f var %.5f, want %.5f, %.5f", d.Name(), m, v, byDensity, wantVar)
		}
	}
	// Symmetry: logit-normal(0, σ) has mean ½.
	if m := (LogitNormal{0, 1.7}).Mean(); math.Abs(m-0.5) > 1e-12 {
		t.Errorf("logit-normal(0,1.7) mean %v, want 0.5", m)
	}
}

func TestDensitiesCDFsQuantiles(t *testing.T) {
	for _, d := range testDists {
		if err := d.Validate(); err != nil {
			t.Fatal(err)
		}
		lo, hi := d.Support()
		if total := integrate(d.Density, lo, hi); math.Abs(total-1) > 1e-8 {
			t.Errorf("%s: density integrates to %v", d.Name(), total)
		}
		if m, byDensity := d.Mean(), integrate(func(x float64) float64 { return x * d.Density(x) }, lo, hi); math.Abs(m-byDensity) > 1e-8 {
			t.Errorf("%s: Mean %v, ∫t·p(t) %v", d.Name(), m, byDensity)
		}
		for _, u := range []float64{0.001, 0.1, 0.37, 0.5, 0.9, 0.999} {
			x := d.Quantile(u)
			if x < lo || x > hi {
				t.Errorf("%s: Quantile(%v) = %v outside support [%v, %v]", d.Name(), u, x, lo, hi)
			}
			if c := d.CDF(x); math.Abs(c-u) > 1e-10 {
				t.Errorf("%s: CDF(Quantile(%v)) = %v", d.Name(), u, c)
			}
			const h = 1e-6
			if x-h > lo && x+h < hi {
				num := (d.CDF(x+h) - d.CDF(x-h)) / (2 * h)
				if p := d.Density(x); math.Abs(num-p) > 1e-5*math.Max(1, p) {
					t.Errorf("%s: density %v at %v, CDF derivative %v", d.Name(), p, x, num)
				}
			}
		}
		// Quantile is non-decreasing.
		prev := -1.0
		for i := 0; i <= 1000; i++ {
			x := d.Quantile(float64(i) / 1000)
			if x < prev {
				t.Fatalf("%s: quantile decreases at u=%v", d.Name(), float64(i)/1000)
			}
			prev = x
		}
	}
}

// ks returns the one-sample Kolmogorov–Smirnov statistic of xs against cdf.
func ks(xs []float64, cdf func(float64) float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := float64(len(s))
	d := 0.0
	for i, x := range s {
		c := cdf(x)
		d = math.Max(d, math.Max(math.Abs(float64(i+1)/n-c), math.Abs(c-float64(i)/n)))
	}
	return d
}

// ks2 returns the two-sample Kolmogorov–Smirnov statistic.
func ks2(a, b []float64) float64 {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	i, j, d := 0, 0, 0.0
	for i < len(a) && j < len(b) {
		x := math.Min(a[i], b[j])
		for i < len(a) && a[i] <= x {
			i++
		}
		for j < len(b) && b[j] <= x {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d
}

// graphSamples runs fn once in a fresh store seeded with seed and returns its float32 outputs.
func graphSamples(t *testing.T, seed int64, fn func(scope *model.Scope, g *graph.Graph) []*graph.Node) [][]float64 {
	t.Helper()
	exec, err := model.NewExec(backend.Must(), graphtest.NewStore(seed), fn)
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Call()
	if err != nil {
		t.Fatal(err)
	}
	res := make([][]float64, len(outs))
	for i, o := range outs {
		if o.DType() != dtypes.Float32 {
			t.Fatalf("output %d has dtype %s, want float32", i, o.DType())
		}
		for _, v := range tensors.MustCopyFlatData[float32](o) {
			res[i] = append(res[i], float64(v))
		}
	}
	return res
}

func TestGraphSamplesMatchHost(t *testing.T) {
	const n = 20_000
	// Critical values at α = 0.001: 1.95/√n (one sample) and 1.95·√(2/n) (two samples).
	crit1, crit2 := 1.95/math.Sqrt(n), 1.95*math.Sqrt(2.0/n)
	for i, d := range testDists {
		out := graphSamples(t, int64(100+i), func(scope *model.Scope, g *graph.Graph) []*graph.Node {
			return []*graph.Node{d.SampleGraph(scope, g, n)}
		})[0]
		host := d.Sample(rand.New(rand.NewPCG(uint64(i), 11)), n)
		if len(out) != n {
			t.Fatalf("%s: SampleGraph returned %d values", d.Name(), len(out))
		}
		if k := ks(out, d.CDF); k > crit1 {
			t.Errorf("%s: graph samples vs CDF: KS %.4f > %.4f", d.Name(), k, crit1)
		}
		if k := ks(host, d.CDF); k > crit1 {
			t.Errorf("%s: host samples vs CDF: KS %.4f > %.4f", d.Name(), k, crit1)
		}
		if k := ks2(out, host); k > crit2 {
			t.Errorf("%s: graph vs host samples: KS %.4f > %.4f", d.Name(), k, crit2)
		}
	}
	// The KS check has power: Beta21 graph samples against the uniform CDF must fail it.
	if k := ks(Beta21{}.Sample(rand.New(rand.NewPCG(1, 1)), n), Uniform{}.CDF); k < 10*crit1 {
		t.Errorf("KS statistic of Beta21 vs uniform only %.4f", k)
	}
}

func TestQuantileGraphMatchesHost(t *testing.T) {
	us := []float64{0, 1e-9, 1e-4, 0.05, 0.25, 0.5, 0.75, 0.95, 0.9999, 1 - 6e-8}
	for _, d := range testDists {
		out := graph.MustExecOnce(backend.Must(), func(u *graph.Node) *graph.Node { return d.QuantileGraph(u) }, us)
		got := tensors.MustCopyFlatData[float64](out)
		for i, u := range us {
			if want := d.Quantile(u); math.Abs(got[i]-want) > 1e-8 {
				t.Errorf("%s: QuantileGraph(%g) = %.12f, Quantile = %.12f", d.Name(), u, got[i], want)
			}
		}
	}
}

func TestShift(t *testing.T) {
	if got := ShiftTime(0.5, 3); math.Abs(got-0.25) > 1e-15 {
		t.Errorf("ShiftTime(0.5, 3) = %v, want 0.25", got)
	}
	for _, s := range []float64{0.3, 1, 3, math.Sqrt(48)} {
		prev := -1.0
		for i := 0; i <= 100; i++ {
			x := float64(i) / 100
			y := ShiftTime(x, s)
			// RAE's convention: t_R = 1 − t, t_R' = s·t_R/(1 + (s − 1)·t_R).
			tR := 1 - x
			if rae := s * tR / (1 + (s-1)*tR); math.Abs((1-y)-rae) > 1e-14 {
				t.Fatalf("s=%v t=%v: 1 − ShiftTime = %v, RAE's shift %v", s, x, 1-y, rae)
			}
			if y <= prev && i > 0 {
				t.Fatalf("ShiftTime not increasing at s=%v t=%v", s, x)
			}
			if s > 1 && y > x+1e-15 || s < 1 && y < x-1e-15 {
				t.Fatalf("ShiftTime(%v, %v) = %v moves the wrong way", x, s, y)
			}
			if math.Abs(UnshiftTime(y, s)-x) > 1e-14 {
				t.Fatalf("UnshiftTime does not invert ShiftTime at s=%v t=%v", s, x)
			}
			prev = y
		}
	}
	// shift(1) is the identity.
	for _, base := range []Dist{Beta21{}, LogitNormal{0.3, 1.2}} {
		d := Shift{S: 1, Base: base}
		for _, u := range []float64{0.1, 0.5, 0.8} {
			if d.Quantile(u) != base.Quantile(u) || math.Abs(d.Density(base.Quantile(u))-base.Density(base.Quantile(u))) > 1e-15 {
				t.Errorf("shift(1,%s) differs from its base at u=%v", base.Name(), u)
			}
		}
	}
	// Shifting toward noise lowers the mean.
	if m := (Shift{S: 3, Base: Beta21{}}).Mean(); !(m < 2.0/3) {
		t.Errorf("shift(3,beta21) mean %v not below 2/3", m)
	}
	s, err := ResolutionShift(768*16*16, 0)
	if err != nil || math.Abs(s-math.Sqrt(48)) > 1e-15 {
		t.Errorf("ResolutionShift(768·16·16) = %v, %v; want √48", s, err)
	}
	if s, _ := ResolutionShift(768*32*32, 4096); math.Abs(s-math.Sqrt(192)) > 1e-14 {
		t.Errorf("ResolutionShift(768·32·32) = %v, want √192", s)
	}
	out := graph.MustExecOnce(backend.Must(), func(x *graph.Node) *graph.Node { return ShiftTimeGraph(x, 3) }, []float64{0, 0.2, 0.5, 1})
	for i, x := range []float64{0, 0.2, 0.5, 1} {
		if got := tensors.MustCopyFlatData[float64](out)[i]; math.Abs(got-ShiftTime(x, 3)) > 1e-15 {
			t.Errorf("ShiftTimeGraph(%v) = %v", x, got)
		}
	}
}

func TestJoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	const n = 100_000
	for _, gamma := range []float64{0, 0.4, 0.8, 1} {
		j, err := NewJoint(Beta21{}, gamma)
		if err != nil {
			t.Fatal(err)
		}
		ts, ms := j.Sample(rng, n)
		for i := range ts {
			if gamma == 0 && ms[i] != ts[i] {
				t.Fatalf("γ=0: m %v ≠ t %v", ms[i], ts[i])
			}
			if ms[i] > ts[i] || ms[i] < (1-gamma)*ts[i]-1e-15 {
				t.Fatalf("γ=%v: m/t = %v outside [1−γ, 1]", gamma, ms[i]/ts[i])
			}
		}
		meanM, varM := meanVar(ms)
		want := 2.0 / 3 * (1 - gamma/2)
		if math.Abs(j.MeanM()-want) > 1e-15 || math.Abs(meanM-want) > 4*math.Sqrt(varM/n) {
			t.Errorf("γ=%v: E[m] sample %.5f, MeanM %.5f, want E[t](1−γ/2) = %.5f", gamma, meanM, j.MeanM(), want)
		}
		if gamma == 0 {
			continue
		}
		// Beta21: the pairs are uniform over the region, density 2/γ inside, 0 outside.
		if p := j.Density(0.5, 0.5*(1-gamma/2)); math.Abs(p-2/gamma) > 1e-12 {
			t.Errorf("γ=%v: joint density %v inside, want %v", gamma, p, 2/gamma)
		}
		if p := j.Density(0.5, 0.51); p != 0 {
			t.Errorf("γ=%v: joint density %v above the diagonal", gamma, p)
		}
		// Marginal of m: closed form for Beta21, integrates to 1, matches the histogram.
		total := integrate(j.MarginalDensity, 0, 1)
		if gamma < 1 {
			total = integrate(j.MarginalDensity, 0, 1-gamma) + integrate(j.MarginalDensity, 1-gamma, 1)
		}
		if math.Abs(total-1) > 1e-8 {
			t.Errorf("γ=%v: marginal of m integrates to %v", gamma, total)
		}
		edges, hist, err := metrics.Histogram(ms, 20, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		for k, m := range metrics.Centres(edges) {
			closed := 2 / gamma * (math.Min(1, m/math.Max(1-gamma, 1e-300)) - m)
			if p := j.MarginalDensity(m); math.Abs(p-closed) > 1e-9 {
				t.Errorf("γ=%v: marginal at %v = %v, closed form %v", gamma, m, p, closed)
			}
			if math.Abs(hist[k]-closed) > 0.05*math.Max(closed, 0.5) {
				t.Errorf("γ=%v: histogram %v at m=%v, density %v", gamma, hist[k], m, closed)
			}
		}
	}
	// A non-Beta21 base: the marginal still integrates to 1.
	j := Joint{Times: LogitNormal{0, 1}, Gamma: 0.8}
	if total := integrate(j.MarginalDensity, 0, 0.2) + integrate(j.MarginalDensity, 0.2, 1); math.Abs(total-1) > 1e-7 {
		t.Errorf("logit-normal joint: marginal integrates to %v", total)
	}
	// Absolute mixture: m uniform, independent of t.
	ja := Joint{Times: Beta21{}, Gamma: 0.8, Mixture: Absolute}
	ts, ms := ja.Sample(rng, n)
	if k := ks(ms, Uniform{}.CDF); k > 1.95/math.Sqrt(n) {
		t.Errorf("absolute mixture: m not uniform, KS %v", k)
	}
	above := 0
	for i := range ts {
		if ms[i] > ts[i] {
			above++
		}
	}
	if above == 0 {
		t.Error("absolute mixture never has m > t")
	}
}

func TestJointSampleGraph(t *testing.T) {
	const n = 20_000
	for _, gamma := range []float64{0, 0.8} {
		j := Joint{Times: Shift{S: 2, Base: Beta21{}}, Gamma: gamma}
		out := graphSamples(t, 5, func(scope *model.Scope, g *graph.Graph) []*graph.Node {
			tt, m := j.SampleGraph(scope, g, n)
			return []*graph.Node{tt, m}
		})
		ts, ms := out[0], out[1]
		for i := range ts {
			if ms[i] > ts[i]+1e-7 || ms[i] < (1-gamma)*ts[i]-1e-6 {
				t.Fatalf("γ=%v: m/t = %v outside [1−γ, 1]", gamma, ms[i]/ts[i])
			}
		}
		if k := ks(ts, j.Times.CDF); k > 1.95/math.Sqrt(n) {
			t.Errorf("γ=%v: graph t vs shift(2,beta21): KS %v", gamma, k)
		}
		_, hostM := j.Sample(rand.New(rand.NewPCG(3, 3)), n)
		if k := ks2(ms, hostM); k > 1.95*math.Sqrt(2.0/n) {
			t.Errorf("γ=%v: graph vs host m: KS %v", gamma, k)
		}
	}
}

func TestDensityCurve(t *testing.T) {
	ts, ps := DensityCurve(Beta21{}.Density, 0, 1, 4)
	if !slices.Equal(ts, []float64{0.125, 0.375, 0.625, 0.875}) || !slices.Equal(ps, []float64{0.25, 0.75, 1.25, 1.75}) {
		t.Errorf("DensityCurve = %v, %v", ts, ps)
	}
}

func TestByName(t *testing.T) {
	for _, d := range testDists {
		got, err := ByName(d.Name())
		if err != nil || got.Name() != d.Name() {
			t.Errorf("ByName(%q) = %v, %v", d.Name(), got, err)
		}
	}
	want := map[string]Dist{
		"uniform":                            Uniform{},
		"Logit-Normal(0, 1)":                 LogitNormal{0, 1},
		"logit-normal":                       LogitNormal{0, 1},
		"logit-normal_0_1":                   LogitNormal{0, 1},
		"beta21":                             Beta21{},
		"beta(2,1)":                          Beta21{},
		"shift(3.0,beta21)":                  Shift{S: 3, Base: Beta21{}},
		"shift(2,shift(1.5,uniform(0.001)))": Shift{S: 2, Base: Shift{S: 1.5, Base: Uniform{Eps: 0.001}}},
	}
	for spec, d := range want {
		got, err := ByName(spec)
		if err != nil || got != d {
			t.Errorf("ByName(%q) = %v, %v; want %v", spec, got, err, d)
		}
	}
	bad := map[string]string{
		"gamma":                   `unknown distribution "gamma"`,
		"logit-normal(0,-1)":      "sigma -1 must be finite and > 0",
		"logit-normal(0,x)":       `parameter "x" is not a finite number`,
		"logit-normal(0,nan)":     `parameter "nan" is not a finite number`,
		"logit-normal(1)":         "takes (mu,sigma)",
		"shift(0,beta21)":         "shift factor 0",
		"shift(3)":                "shift takes (s,dist)",
		"shift(3,beta21":          "missing closing parenthesis",
		"shift(3,beta21))":        "unbalanced",
		"uniform(0.7)":            "eps 0.7 outside [0, 0.5)",
		"beta(2,2)":               "only beta(2,1)",
		"beta21(1)":               "no parameters",
		"":                        "malformed",
		"shift(2,logit-normal_0)": "logit-normal_mu_sigma",
	}
	for spec, sub := range bad {
		_, err := ByName(spec)
		if err == nil || !strings.HasPrefix(err.Error(), "timesteps: \""+spec+"\": ") || !strings.Contains(err.Error(), sub) {
			t.Errorf("ByName(%q): err = %v, want one naming the input and containing %q", spec, err, sub)
		}
	}
}

func TestBadParameters(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{CheckGamma("objective", 1.3), "objective: gamma 1.3 outside [0, 1]"},
		{CheckGamma("objective", math.NaN()), "objective: gamma NaN outside [0, 1]"},
		{CheckGamma("timesteps", -0.1), "timesteps: gamma -0.1 outside [0, 1]"},
		{second(NewLogitNormal(0, 0)), "timesteps: logit-normal sigma 0 must be finite and > 0"},
		{second(NewLogitNormal(math.Inf(1), 1)), "timesteps: logit-normal mu +Inf is not finite"},
		{second(NewUniform(-0.1)), "timesteps: uniform eps -0.1 outside [0, 0.5)"},
		{second(NewShift(math.NaN(), Beta21{})), "timesteps: shift factor NaN must be finite and > 0"},
		{second(NewShift(2, nil)), "timesteps: shift(2) has no base distribution"},
		{second(NewJoint(Beta21{}, 1.3)), "timesteps: gamma 1.3 outside [0, 1]"},
		{second(NewJoint(nil, 0.5)), "timesteps: joint has no time distribution"},
		{Joint{Times: Beta21{}, Mixture: 5}.Validate(), "timesteps: unknown mixture mode 5"},
		{second(ResolutionShift(0, 0)), "timesteps: resolution shift needs latentDim > 0"},
	}
	for _, c := range cases {
		if c.err == nil || c.err.Error() != c.want && !strings.HasPrefix(c.err.Error(), c.want) {
			t.Errorf("err = %v, want %q", c.err, c.want)
		}
	}
	if err := CheckGamma("objective", 1); err != nil {
		t.Errorf("gamma 1 rejected: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }
