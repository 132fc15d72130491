package slowflow

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/path"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// gvp is a local GVP path (α = sin(πm/2), σ = cos(πm/2)) so that these tests exercise the generic search
// without depending on the path package's own non-linear paths.
type gvp struct{}

func (gvp) Name() string { return "test-gvp" }
func (gvp) At(t float64) path.Coeffs {
	s, c := math.Sincos(math.Pi * t / 2)
	return path.Coeffs{Alpha: s, Sigma: c, DAlpha: math.Pi / 2 * c, DSigma: -math.Pi / 2 * s}
}
func (gvp) AtGraph(t *Node) path.CoeffsNodes { panic("not used") }

// linearCopy has the Linear coefficients but is not path.Linear, forcing the generic search.
type linearCopy struct{}

func (linearCopy) Name() string                     { return "linear-copy" }
func (linearCopy) At(t float64) path.Coeffs         { return path.Linear{}.At(t) }
func (linearCopy) AtGraph(t *Node) path.CoeffsNodes { return path.Linear{}.AtGraph(t) }

func randVec(rng *rand.Rand, d int, scale float64) []float32 {
	v := make([]float32, d)
	for i := range v {
		v[i] = float32(scale * rng.NormFloat64())
	}
	return v
}

// constructed returns x̂ = m·x1 + (1−m)·x0 + w with w ⟂ (x1 − x0) of norm ortho.
func constructed(rng *rand.Rand, d int, m, ortho float64) (xhat, x0, x1 []float32) {
	x0, x1 = randVec(rng, d, 1), randVec(rng, d, 1)
	u := make([]float64, d)
	var uu float64
	for i := range u {
		u[i] = float64(x1[i] - x0[i])
		uu += u[i] * u[i]
	}
	w := make([]float64, d)
	var wu, ww float64
	for i := range w {
		w[i] = rng.NormFloat64()
		wu += w[i] * u[i]
	}
	for i := range w {
		w[i] -= wu / uu * u[i]
		ww += w[i] * w[i]
	}
	xhat = make([]float32, d)
	for i := range xhat {
		xhat[i] = float32(m*float64(x1[i]) + (1-m)*float64(x0[i]) + ortho*w[i]/math.Sqrt(ww))
	}
	return
}

func TestNearestTimeConstructed(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, m := range []float64{-0.4, 0, 0.13, 0.5, 0.87, 1, 1.3} {
		for _, ortho := range []float64{0, 3} {
			xhat, x0, x1 := constructed(rng, 32, m, ortho)
			want := math.Min(1, math.Max(0, m))
			for _, p := range []path.Path{path.Linear{}, linearCopy{}} {
				got, err := NearestTime(p, xhat, x0, x1)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got-want) > 2e-6 {
					t.Errorf("%s: m = %v, orthogonal %v: got %v, want %v", p.Name(), m, ortho, got, want)
				}
			}
		}
	}
}

// TestGridSearchMatchesClosedForm compares the generic search with the closed form on random points
// (not on the segment), and recovers m exactly on a non-linear path.
func TestGridSearchMatchesClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for range 200 {
		d := 1 + rng.IntN(20)
		xhat, x0, x1 := randVec(rng, d, 1.5), randVec(rng, d, 1), randVec(rng, d, 1)
		a, err := NearestTime(path.Linear{}, xhat, x0, x1)
		if err != nil {
			t.Fatal(err)
		}
		b, err := NearestTime(linearCopy{}, xhat, x0, x1)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(a-b) > 1e-6 {
			t.Errorf("d=%d: closed form %v, grid search %v", d, a, b)
		}
	}
	for _, m := range []float64{0, 0.05, 0.33, 0.5, 0.71, 0.999, 1} {
		x0, x1 := randVec(rng, 16, 1), randVec(rng, 16, 1)
		c := gvp{}.At(m)
		xhat := make([]float32, 16)
		for i := range xhat {
			xhat[i] = float32(c.Alpha*float64(x1[i]) + c.Sigma*float64(x0[i]))
		}
		got, err := NearestTime(gvp{}, xhat, x0, x1)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-m) > 1e-4 {
			t.Errorf("GVP: m = %v recovered as %v", m, got)
		}
	}
}

func TestNearestTimesBatched(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const n, d = 3000, 7 // large enough to use several workers
	xhat, x0, x1 := randVec(rng, n*d, 1), randVec(rng, n*d, 1), randVec(rng, n*d, 1)
	for _, p := range []path.Path{path.Linear{}, gvp{}} {
		got, err := NearestTimes(p, xhat, x0, x1, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{0, 1, 1234, n - 1} {
			want, _ := NearestTime(p, xhat[i*d:(i+1)*d], x0[i*d:(i+1)*d], x1[i*d:(i+1)*d])
			if got[i] != want {
				t.Errorf("%s row %d: batched %v, single %v", p.Name(), i, got[i], want)
			}
		}
	}
	// Errors name the package, the example and the problem.
	bad := append([]float32(nil), x1...)
	copy(bad[5*d:6*d], x0[5*d:6*d])
	if _, err := NearestTimes(path.Linear{}, xhat, x0, bad, d); err == nil || !strings.Contains(err.Error(), "example 5 has x1 = x0") {
		t.Errorf("x1 = x0: %v", err)
	}
	nan := append([]float32(nil), xhat...)
	nan[17] = float32(math.NaN())
	for _, p := range []path.Path{path.Linear{}, gvp{}} {
		if _, err := NearestTimes(p, nan, x0, x1, d); err == nil || !strings.Contains(err.Error(), "example 2 has a non-finite value") {
			t.Errorf("%s NaN: %v", p.Name(), err)
		}
	}
	if _, err := NearestTimes(path.Linear{}, xhat[:10], x0, x1, d); err == nil || !strings.HasPrefix(err.Error(), "slowflow: ") {
		t.Errorf("length mismatch: %v", err)
	}
	if _, err := NearestTime(path.Linear{}, xhat[:3], x0[:4], x1[:3]); err == nil {
		t.Errorf("NearestTime length mismatch: no error")
	}
	if _, err := NearestTime(nil, xhat[:3], x0[:3], x1[:3]); err == nil {
		t.Errorf("nil path: no error")
	}
}

func TestSummarize(t *testing.T) {
	m := make([]float64, 101)
	for i := range m {
		m[100-i] = float64(i) / 100 // unsorted input
	}
	st, err := Summarize(0.8, m, [2]float64{0.1, 0.95})
	if err != nil {
		t.Fatal(err)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	if !near(st.Mean, 0.5) || !near(st.Median, 0.5) || !near(st.Lo, 0.1) || !near(st.Hi, 0.95) ||
		st.Min != 0 || st.Max != 1 || !near(st.MeanGap, 0.3) || st.N != 101 || !near(st.FracSlow, 80.0/101) {
		t.Errorf("stats %+v", st)
	}
	if want := math.Sqrt(101 * 102 / 12.0 / 100 / 100 * 100 / 100); math.Abs(st.Std-want) > 1e-3 {
		t.Errorf("std %v, want %v", st.Std, want)
	}
	// Interpolated quantile: 5 % of 4 values sorted [1 2 3 4] is 1 + 0.15.
	st, _ = Summarize(1, []float64{4, 1, 3, 2}, [2]float64{})
	if !near(st.Lo, 1.15) || !near(st.Hi, 3.85) || !near(st.Median, 2.5) {
		t.Errorf("default quantiles: %+v", st)
	}
	if m[0] != 1 {
		t.Errorf("Summarize modified its input")
	}
	for _, c := range []struct {
		m []float64
		q [2]float64
	}{{nil, [2]float64{}}, {[]float64{1, math.NaN()}, [2]float64{}}, {[]float64{1}, [2]float64{0.9, 0.1}}, {[]float64{1}, [2]float64{-0.1, 0.5}}} {
		if _, err := Summarize(0.5, c.m, c.q); err == nil || !strings.HasPrefix(err.Error(), "slowflow: ") {
			t.Errorf("Summarize(%v, %v): error %v", c.m, c.q, err)
		}
	}
}

func newSampler(t *testing.T, net nn.Backbone, cfg sampler.Config) *sampler.Sampler {
	t.Helper()
	s, err := sampler.New(nil, model.NewStore(), net, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Finalize)
	return s
}

func tensor(data []float32, n int, dims ...int) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(data, append([]int{n}, dims...)...)
}

// pointMass returns an almost-point-mass Gaussian oracle (s = 1e-4) with a random mean in d dims.
func pointMass(t *testing.T, rng *rand.Rand, d int) *oracle.Gaussian {
	mu := make([]float64, d)
	for i := range mu {
		mu[i] = 2 * rng.NormFloat64()
	}
	g, err := oracle.NewGaussian(mu, []float64{1e-4})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestForwardNoisedPairOracle: with a (near) point-mass target the exact velocity keeps the sampler on
// the interpolation (m* = t up to discretisation), and a velocity scaled by a < 1 makes it lag behind by
// exactly the Euler chain's factor: m_k = 1 − Π_j (1 − a·h/(1 − t_j)).
func TestForwardNoisedPairOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const n, d, steps = 64, 8, 40
	g := pointMass(t, rng, d)
	x1 := tensor(g.Sample(rng, n), n, d)
	x0 := tensor(randVec(rng, n*d, 1), n, d)

	exact, err := ForwardNoisedPair(newSampler(t, g, sampler.Config{Steps: steps}), x0, x1, datasets.Cond{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(exact.Stats) != steps+1 || exact.Protocol != ProtocolForwardNoisedPair || exact.N != n {
		t.Fatalf("result has %d stats, protocol %q, N %d", len(exact.Stats), exact.Protocol, exact.N)
	}
	for _, st := range exact.Stats {
		if math.Abs(st.Min-st.T) > 2e-3 || math.Abs(st.Max-st.T) > 2e-3 {
			t.Errorf("exact velocity at t = %v: m* in [%v, %v], want t", st.T, st.Min, st.Max)
		}
	}

	const a = 0.6
	slow, _ := oracle.NewPerturbed(g, a, nil)
	res, err := ForwardNoisedPair(newSampler(t, slow, sampler.Config{Steps: steps}), x0, x1, datasets.Cond{}, Options{KeepSamples: true})
	if err != nil {
		t.Fatal(err)
	}
	lag := 1.0
	for k, st := range res.Stats {
		want := 1 - lag
		if math.Abs(st.Mean-want) > 2e-3 || math.Abs(st.Max-want) > 5e-3 {
			t.Errorf("scale %v at t = %v: mean m* %v (max %v), want %v", a, st.T, st.Mean, st.Max, want)
		}
		if k > 0 && k < steps && !(st.Max < st.T && st.MeanGap > 0 && st.FracSlow == 1) {
			t.Errorf("scale %v at t = %v: m* up to %v is not below t", a, st.T, st.Max)
		}
		if len(st.M) != n {
			t.Errorf("KeepSamples: %d per-sample values, want %d", len(st.M), n)
		}
		h := 1.0 / steps
		lag *= 1 - a*h/(1-st.T)
	}
}

// TestForwardNoisedPairGaussianTheory: for x1 ~ N(0, s²I) in high dimension even the exact velocity gives
// m* < t, m*(t) → [r·(t0(1 + s²) − 1) + 1]/(1 + s²) with r = sqrt(var_t/var_t0), var_t = t²s² + (1−t)².
// This pins down the measurement against a non-trivial known answer and documents the caveat of protocol (a).
func TestForwardNoisedPairGaussianTheory(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	const n, d, s = 32, 2000, 0.5
	mu := make([]float64, d)
	g, _ := oracle.NewGaussian(mu, []float64{s})
	x1 := tensor(g.Sample(rng, n), n, d)
	x0 := tensor(randVec(rng, n*d, 1), n, d)
	variance := func(t float64) float64 { return t*t*s*s + (1-t)*(1-t) }
	for _, t0 := range []float64{0, 0.5} {
		res, err := ForwardNoisedPair(newSampler(t, g, sampler.Config{Method: sampler.Heun, Steps: 20, TStart: t0, TEnd: 1}), x0, x1, datasets.Cond{}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range res.Stats {
			r := math.Sqrt(variance(st.T) / variance(t0))
			want := math.Max(0, (r*(t0*(1+s*s)-1)+1)/(1+s*s))
			if math.Abs(st.Mean-want) > 0.01 {
				t.Errorf("t0 = %v, t = %v: mean m* %v, theory %v", t0, st.T, st.Mean, want)
			}
		}
		last := res.Stats[len(res.Stats)-1]
		t.Logf("t0 = %v: the exact model ends at mean m* = %.3f at t = 1", t0, last.Mean)
		if last.Mean > 0.75 {
			t.Errorf("t0 = %v: exact model reaches m* = %v at t = 1; theory says well below 1", t0, last.Mean)
		}
	}
}

// TestNearestDataOracle: with a point-mass target in the reference set, the nearest data point is the
// target from the first step on and m* = t.
func TestNearestDataOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	const n, d, r = 48, 8, 37
	g := pointMass(t, rng, d)
	ref := randVec(rng, r*d, 2)
	const target = 29
	for j, v := range g.Mean() {
		ref[target*d+j] = float32(v)
	}
	x0 := tensor(randVec(rng, n*d, 1), n, d)
	for _, chunk := range []int{0, 5} { // 5 does not divide 37: the last chunk is padded
		res, err := NearestData(newSampler(t, g, sampler.Config{Steps: 25}), x0, datasets.Cond{}, tensor(ref, r, d), Options{KeepSamples: true, ChunkSize: chunk})
		if err != nil {
			t.Fatal(err)
		}
		if res.ReferenceSize != r {
			t.Errorf("ReferenceSize %d", res.ReferenceSize)
		}
		for _, st := range res.Stats[1:] { // at t = 0 every line passes through x0: any index is nearest
			if math.Abs(st.Min-st.T) > 2e-3 || math.Abs(st.Max-st.T) > 2e-3 {
				t.Errorf("chunk %d t = %v: m* in [%v, %v], want t", chunk, st.T, st.Min, st.Max)
			}
			for k, idx := range st.Index {
				if idx != target {
					t.Errorf("chunk %d t = %v: sample %d chose reference %d, want %d", chunk, st.T, k, idx, target)
					break
				}
			}
		}
	}
}

// TestReferenceSearchBruteForce compares the compiled search with a host brute force, for the linear
// closed form and the grid of a non-linear path, with padded chunks.
func TestReferenceSearchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const n, d, r = 20, 5, 23
	xhat, x0, ref := randVec(rng, n*d, 1), randVec(rng, n*d, 1), randVec(rng, r*d, 1)
	for _, p := range []path.Path{path.Linear{}, gvp{}} {
		for _, chunk := range []int{0, 4, 23} {
			set, err := newRefSet(backend.Must(), ref, d, n, chunk, p, 401)
			if err != nil {
				t.Fatal(err)
			}
			idx, ms, err := set.nearestLine(tensor(xhat, n, d), tensor(x0, n, d), xhat, x0)
			if err != nil {
				t.Fatal(err)
			}
			pts, err := set.nearestPoint(tensor(xhat, n, d), xhat)
			if err != nil {
				t.Fatal(err)
			}
			set.finalize()
			for k := range n {
				h, o := xhat[k*d:(k+1)*d], x0[k*d:(k+1)*d]
				best, bestD := -1, math.Inf(1)
				bestP, bestPD := -1, math.Inf(1)
				for j := range r {
					row := ref[j*d : (j+1)*d]
					m, _ := NearestTime(p, h, o, row)
					c := p.At(m)
					var dist, pd float64
					for i := range d {
						e := float64(h[i]) - c.Alpha*float64(row[i]) - c.Sigma*float64(o[i])
						dist += e * e
						f := float64(h[i] - row[i])
						pd += f * f
					}
					if dist < bestD {
						best, bestD = j, dist
					}
					if pd < bestPD {
						bestP, bestPD = j, pd
					}
				}
				if idx[k] != best {
					t.Errorf("%s chunk %d example %d: line search chose %d, brute force %d", p.Name(), chunk, k, idx[k], best)
				}
				if m, _ := NearestTime(p, h, o, ref[idx[k]*d:(idx[k]+1)*d]); ms[k] != m {
					t.Errorf("%s chunk %d example %d: m* %v, want %v", p.Name(), chunk, k, ms[k], m)
				}
				if pts[k] != bestP {
					t.Errorf("%s chunk %d example %d: point search chose %d, brute force %d", p.Name(), chunk, k, pts[k], bestP)
				}
			}
		}
	}
}

// TestNearestFinalOracle: 8 narrow, far-apart Gaussians with their means as reference set: every final
// sample is next to a mean, so m* reaches ≈ 1 at t = 1, and the pair is the component the sample landed in.
func TestNearestFinalOracle(t *testing.T) {
	mix, _ := oracle.EightGaussians(4, 0.02)
	var ref []float32
	for _, mu := range mix.Means() {
		ref = append(ref, float32(mu[0]), float32(mu[1]))
	}
	x0, _ := sampler.Noise(9, 200, 2)
	res, err := NearestFinal(newSampler(t, mix, sampler.Config{Method: sampler.Heun, Steps: 50}), x0, datasets.Cond{}, tensor(ref, 8, 2), Options{KeepSamples: true})
	if err != nil {
		t.Fatal(err)
	}
	first, last := res.Stats[0], res.Stats[len(res.Stats)-1]
	if first.Max != 0 || last.T != 1 || last.Min < 0.98 {
		t.Errorf("m* at t = 0 in [%v, %v], at t = 1 in [%v, %v]; want 0 and ≈ 1", first.Min, first.Max, last.Min, last.Max)
	}
	counts := map[int]int{}
	for _, i := range last.Index {
		counts[i]++
	}
	if len(counts) != 8 {
		t.Errorf("final samples landed in %d of 8 components: %v", len(counts), counts)
	}
}

func TestResultJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	g := pointMass(t, rng, 2)
	x1 := tensor(g.Sample(rng, 10), 10, 2)
	x0 := tensor(randVec(rng, 20, 1), 10, 2)
	res, err := ForwardNoisedPair(newSampler(t, g, sampler.Config{Steps: 5}), x0, x1, datasets.Cond{}, Options{KeepSamples: true, Quantiles: [2]float64{0.25, 0.75}})
	if err != nil {
		t.Fatal(err)
	}
	blob, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(blob, &back); err != nil {
		t.Fatal(err)
	}
	if back.Protocol != res.Protocol || back.Path != "linear" || back.Method != "euler" || back.Steps != 5 ||
		len(back.Stats) != 6 || back.Stats[3].Mean != res.Stats[3].Mean || len(back.Stats[3].M) != 10 || back.Quantiles[1] != 0.75 {
		t.Errorf("JSON round trip changed the result: %s", blob)
	}
	tt, mean, lo, hi, mn, mx := res.Series()
	if len(tt) != 6 || tt[5] != 1 || mean[2] != res.Stats[2].Mean || lo[1] > hi[1] || mn[4] > mx[4] {
		t.Errorf("Series: %v %v", tt, mean)
	}
}

func TestProtocolErrors(t *testing.T) {
	g, _ := oracle.NewGaussian([]float64{0, 0}, []float64{1})
	s := newSampler(t, g, sampler.Config{Steps: 3})
	x0 := tensor([]float32{1, 2, 3, 4}, 2, 2)
	ref := tensor([]float32{1, 1, 2, 2, 3, 3}, 3, 2)
	late := newSampler(t, g, sampler.Config{Steps: 3, TStart: 0.3, TEnd: 1})
	back := newSampler(t, g, sampler.Config{Steps: 3, TStart: 1, TEnd: 0})
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"nil sampler", func() error { _, err := ForwardNoisedPair(nil, x0, x0, datasets.Cond{}, Options{}); return err }(), "sampler is nil"},
		{"nil x0", func() error { _, err := ForwardNoisedPair(s, nil, x0, datasets.Cond{}, Options{}); return err }(), "x0 is nil"},
		{"x1 shape", func() error {
			_, err := ForwardNoisedPair(s, x0, tensor([]float32{1, 2}, 1, 2), datasets.Cond{}, Options{})
			return err
		}(), "x1 has shape"},
		{"bad quantiles", func() error {
			_, err := ForwardNoisedPair(s, x0, ref, datasets.Cond{}, Options{Quantiles: [2]float64{0.9, 0.1}})
			return err
		}(), "quantiles"},
		{"backwards", func() error { _, err := ForwardNoisedPair(back, x0, x0, datasets.Cond{}, Options{}); return err }(), "backwards"},
		{"late start", func() error { _, err := NearestData(late, x0, datasets.Cond{}, ref, Options{}); return err }(), "TStart 0"},
		{"ref shape", func() error {
			_, err := NearestData(s, x0, datasets.Cond{}, tensor([]float32{1, 2, 3}, 1, 3), Options{})
			return err
		}(), "reference set has shape"},
		{"nil ref", func() error { _, err := NearestFinal(s, x0, datasets.Cond{}, nil, Options{}); return err }(), "reference set is nil"},
		{"NaN ref", func() error {
			_, err := NearestFinal(s, x0, datasets.Cond{}, tensor([]float32{1, float32(math.NaN())}, 1, 2), Options{})
			return err
		}(), "non-finite value at flat index 1"},
		{"same pair", func() error { _, err := ForwardNoisedPair(s, x0, x0, datasets.Cond{}, Options{}); return err }(), "x1 = x0"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.HasPrefix(c.err.Error(), "slowflow: ") || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, c.err, c.want)
		}
	}
}
