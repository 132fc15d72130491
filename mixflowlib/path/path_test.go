package path

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mixflow/mixflow/mixflowlib/backend"
)

var allPaths = []Path{Linear{}, GVP{}, VP{}, VP{SigmaMin: 0.5, SigmaMax: 5}}

var allPredictions = []Prediction{Velocity, Data, Noise, Score}

func near(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

func TestEndpoints(t *testing.T) {
	for _, p := range []Path{Linear{}, GVP{}} {
		c0, c1 := p.At(0), p.At(1)
		if !near(c0.Alpha, 0, 1e-15) || !near(c0.Sigma, 1, 1e-15) {
			t.Errorf("%s at t=0: α=%v σ=%v, want 0, 1 (pure noise)", p.Name(), c0.Alpha, c0.Sigma)
		}
		if !near(c1.Alpha, 1, 1e-15) || !near(c1.Sigma, 0, 1e-15) {
			t.Errorf("%s at t=1: α=%v σ=%v, want 1, 0 (pure data)", p.Name(), c1.Alpha, c1.Sigma)
		}
	}
	// VP: exactly data at t=1; at t=0 SiT's schedule leaves α_0 = exp(−¼·19.9 − 0.05).
	c0, c1 := VP{}.At(0), VP{}.At(1)
	if c1.Alpha != 1 || c1.Sigma != 0 {
		t.Errorf("vp at t=1: α=%v σ=%v, want 1, 0", c1.Alpha, c1.Sigma)
	}
	if want := math.Exp(-0.25*19.9 - 0.05); !near(c0.Alpha, want, 1e-12) {
		t.Errorf("vp at t=0: α=%v, want %v", c0.Alpha, want)
	}
	if !math.IsInf(c1.DSigma, -1) {
		t.Errorf("vp σ̇ at t=1 = %v, want −Inf (documented singularity)", c1.DSigma)
	}
}

func TestDerivativesMatchFiniteDifferences(t *testing.T) {
	const h = 1e-6
	for _, p := range allPaths {
		for _, tt := range []float64{0.01, 0.1, 0.3, 0.5, 0.77, 0.95, 0.99} {
			c := p.At(tt)
			lo, hi := p.At(tt-h), p.At(tt+h)
			dA := (hi.Alpha - lo.Alpha) / (2 * h)
			dS := (hi.Sigma - lo.Sigma) / (2 * h)
			if !near(c.DAlpha, dA, 1e-6) || !near(c.DSigma, dS, 1e-6) {
				t.Errorf("%s at t=%v: (α̇, σ̇) = (%v, %v), finite differences (%v, %v)", p.Name(), tt, c.DAlpha, c.DSigma, dA, dS)
			}
		}
	}
}

func TestVariancePreserving(t *testing.T) {
	for _, p := range []Path{GVP{}, VP{}, VP{SigmaMin: 1, SigmaMax: 2}} {
		for i := 0; i <= 100; i++ {
			tt := float64(i) / 100
			c := p.At(tt)
			if s := c.Alpha*c.Alpha + c.Sigma*c.Sigma; !near(s, 1, 1e-12) {
				t.Fatalf("%s at t=%v: α²+σ² = %v, want 1", p.Name(), tt, s)
			}
		}
	}
	// VP against SiT's own formulas for the SBDM diffusion: (α̇/α)σ² − σσ̇ = β(t)/2 = ½(σmin + (1−t)(σmax−σmin)).
	s := SDE{Path: VP{}, Form: DiffusionSBDM, Norm: 1}
	for _, tt := range []float64{0.1, 0.5, 0.9} {
		if got, want := s.Diffusion(tt), 0.5*(0.1+(1-tt)*19.9); !near(got, want, 1e-10) {
			t.Errorf("vp SBDM diffusion at t=%v = %v, want β/2 = %v", tt, got, want)
		}
	}
}

// truth returns, for one sample, the exact value of every prediction kind and x_t.
func truth(p Path, tt float64, x0, x1 []float64) (xt []float64, pred map[Prediction][]float64) {
	c := p.At(tt)
	pred = map[Prediction][]float64{}
	for j := range x0 {
		xt = append(xt, c.Alpha*x1[j]+c.Sigma*x0[j])
		pred[Velocity] = append(pred[Velocity], c.DAlpha*x1[j]+c.DSigma*x0[j])
		pred[Data] = append(pred[Data], x1[j])
		pred[Noise] = append(pred[Noise], x0[j])
		pred[Score] = append(pred[Score], -x0[j]/c.Sigma)
	}
	return xt, pred
}

func TestConversionsRecoverTruth(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const d = 5
	for _, p := range allPaths {
		for _, tt := range []float64{0.02, 0.3, 0.5, 0.81, 0.97} {
			x0, x1 := make([]float64, d), make([]float64, d)
			for j := range x0 {
				x0[j], x1[j] = rng.NormFloat64(), 2*rng.NormFloat64()+1
			}
			xt, pred := truth(p, tt, x0, x1)
			for _, from := range allPredictions {
				for _, to := range allPredictions {
					got, err := ConvertFlat(p, from, to, []float64{tt}, xt, pred[from])
					if err != nil {
						t.Fatalf("%s %v→%v at t=%v: %v", p.Name(), from, to, tt, err)
					}
					for j := range got {
						if !near(got[j], pred[to][j], 1e-8) {
							t.Fatalf("%s %v→%v at t=%v: got %v, want %v", p.Name(), from, to, tt, got, pred[to])
						}
					}
					// Round trip back.
					back, err := ConvertFlat(p, to, from, []float64{tt}, xt, got)
					if err != nil {
						t.Fatal(err)
					}
					for j := range back {
						if !near(back[j], pred[from][j], 1e-8) {
							t.Fatalf("%s %v→%v→%v at t=%v: got %v, want %v", p.Name(), from, to, from, tt, back, pred[from])
						}
					}
				}
			}
		}
	}
}

func TestConversionFormulas(t *testing.T) {
	// SiT's closed forms for Linear: score = (t·v − x)/(1 − t), v = x/t + (1 − t)/t·score,
	// x1 = x + (1 − t)·v, x0 = x − t·v.
	tt := 0.3
	check := func(from, to Prediction, wantA, wantB float64) {
		t.Helper()
		a, b, ok := ConvertCoeffs(Linear{}, from, to, tt)
		if !ok || !near(a, wantA, 1e-14) || !near(b, wantB, 1e-14) {
			t.Errorf("linear %v→%v at t=%v: (a, b) = (%v, %v, ok=%v), want (%v, %v)", from, to, tt, a, b, ok, wantA, wantB)
		}
	}
	check(Velocity, Score, -1/(1-tt), tt/(1-tt))
	check(Score, Velocity, 1/tt, (1-tt)/tt)
	check(Velocity, Data, 1, 1-tt)
	check(Velocity, Noise, 1, -tt)
}

func TestSingularities(t *testing.T) {
	cases := []struct {
		p        Path
		from, to Prediction
		t        float64
		ok       bool
	}{
		{Linear{}, Velocity, Data, 0, true},
		{Linear{}, Velocity, Data, 1, true},
		{Linear{}, Velocity, Noise, 1, true},
		{GVP{}, Velocity, Noise, 1, true},
		{Linear{}, Velocity, Score, 1, false},
		{GVP{}, Velocity, Score, 1, false},
		{Linear{}, Data, Velocity, 1, false},
		{Linear{}, Data, Velocity, 0, true},
		{Linear{}, Noise, Data, 0, false},
		{Linear{}, Score, Velocity, 0, false},
		{Linear{}, Score, Velocity, 1, true},
		{VP{}, Velocity, Data, 1, false},
		{VP{}, Velocity, Data, 0.999, true},
	}
	for _, c := range cases {
		if _, _, ok := ConvertCoeffs(c.p, c.from, c.to, c.t); ok != c.ok {
			t.Errorf("%s %v→%v at t=%v: ok=%v, want %v", c.p.Name(), c.from, c.to, c.t, ok, c.ok)
		}
	}
	_, err := ConvertFlat(Linear{}, Velocity, Score, []float64{0.5, 1}, []float32{1, 2}, []float32{3, 4})
	if err == nil || !strings.Contains(err.Error(), "singular at t[1] = 1") {
		t.Errorf("ConvertFlat at t=1: err = %v, want a singularity error naming t[1]", err)
	}
}

func TestFlatHelpers(t *testing.T) {
	x0 := []float32{1, 2, 3, 4}
	x1 := []float32{10, 20, 30, 40}
	xt, err := InterpolateFlat(Linear{}, []float64{0.25, 1}, x0, x1)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{0.75*1 + 0.25*10, 0.75*2 + 0.25*20, 30, 40}
	for i := range want {
		if math.Abs(float64(xt[i]-want[i])) > 1e-5 {
			t.Fatalf("InterpolateFlat = %v, want %v", xt, want)
		}
	}
	ut, err := TargetVelocityFlat(GVP{}, []float64{0, 1}, x0, x1)
	if err != nil {
		t.Fatal(err)
	}
	// GVP: u_0 = (π/2)·x1, u_1 = −(π/2)·x0.
	wantU := []float32{math.Pi / 2 * 10, math.Pi / 2 * 20, -math.Pi / 2 * 3, -math.Pi / 2 * 4}
	for i := range wantU {
		if math.Abs(float64(ut[i]-wantU[i])) > 1e-4 {
			t.Fatalf("TargetVelocityFlat(gvp) = %v, want %v", ut, wantU)
		}
	}
}

func TestBadInput(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	cases := []struct {
		name    string
		err     error
		wantSub string
	}{
		{"t>1", second(InterpolateFlat(Linear{}, []float64{0.5, 1.2}, x, x)), "t[1] = 1.2 outside [0, 1]"},
		{"NaN t", second(InterpolateFlat(Linear{}, []float64{math.NaN(), 0.2}, x, x)), "t[0] = NaN outside [0, 1]"},
		{"length", second(InterpolateFlat(Linear{}, []float64{0.5, 0.5}, x, x[:3])), "different lengths 4 and 3"},
		{"batch", second(TargetVelocityFlat(Linear{}, []float64{0.5, 0.5, 0.5}, x, x)), "not a positive multiple of len(t) = 3"},
		{"empty", second(InterpolateFlat(Linear{}, nil, x, x)), "empty t"},
		{"nil path", second(InterpolateFlat[float64](nil, []float64{0.5}, x, x)), "nil path"},
		{"kind", second(ConvertFlat(Linear{}, Prediction(7), Data, []float64{0.5}, x, x)), "unknown prediction kind 7"},
		{"vp", VP{SigmaMin: -1}.Validate(), "SigmaMin -1"},
		{"vp order", VP{SigmaMin: 5, SigmaMax: 1}.Validate(), "SigmaMax 1"},
		{"vp NaN", VP{SigmaMin: math.NaN()}.Validate(), "SigmaMin NaN"},
		{"sde norm", second(NewSDE(Linear{}, DiffusionSigma, -1)), "norm -1"},
		{"sde form", second(NewSDE(Linear{}, "wiggly", 1)), `unknown diffusion form "wiggly"`},
		{"prediction", second(ParsePrediction("logits")), `unknown prediction "logits"`},
	}
	for _, c := range cases {
		if c.err == nil || !strings.HasPrefix(c.err.Error(), "path: ") || !strings.Contains(c.err.Error(), c.wantSub) {
			t.Errorf("%s: err = %v, want a path error containing %q", c.name, c.err, c.wantSub)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestByName(t *testing.T) {
	for _, p := range allPaths {
		q, err := ByName(p.Name())
		if err != nil || q != p {
			t.Errorf("ByName(%q) = %v, %v; want %v", p.Name(), q, err, p)
		}
	}
	if p, err := ByName(" GVP "); err != nil || p != (GVP{}) {
		t.Errorf("ByName(GVP) = %v, %v", p, err)
	}
	for _, bad := range []string{"cosine", "vp(1)", "vp(a,2)", "vp(3,1)", ""} {
		if _, err := ByName(bad); err == nil || !strings.HasPrefix(err.Error(), "path: ") || !strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) {
			t.Errorf("ByName(%q): err = %v, want an error naming the input", bad, err)
		}
	}
	for _, f := range DiffusionForms {
		if g, err := ParseDiffusionForm(strings.ToUpper(string(f))); err != nil || g != f {
			t.Errorf("ParseDiffusionForm(%q) = %v, %v", f, g, err)
		}
	}
	if f, err := ParseDiffusionForm("inccreasing-decreasing"); err != nil || f != DiffusionIncreasingDecreasing {
		t.Errorf("SiT's spelling not accepted: %v, %v", f, err)
	}
}

func TestDiffusionForms(t *testing.T) {
	tt, n := 0.3, 1.7
	want := map[DiffusionForm]float64{
		DiffusionConstant:             n,
		DiffusionSBDM:                 n * (1 - tt) / tt, // Linear: (α̇/α)σ² − σσ̇ = (1 − t)/t
		DiffusionSigma:                n * (1 - tt),
		DiffusionLinear:               n * (1 - tt),
		DiffusionDecreasing:           0.25 * math.Pow(n*math.Cos(math.Pi*tt)+1, 2),
		DiffusionIncreasingDecreasing: n * math.Pow(math.Sin(math.Pi*tt), 2),
	}
	for f, w := range want {
		s := SDE{Path: Linear{}, Form: f, Norm: n}
		if got := s.Diffusion(tt); !near(got, w, 1e-14) {
			t.Errorf("%s: w(%v) = %v, want %v", f, tt, got, w)
		}
		// Drift = v + w·score, with the score from ConvertCoeffs.
		a, b := s.DriftCoeffs(tt)
		sa, sb, _ := ConvertCoeffs(Linear{}, Velocity, Score, tt)
		if !near(a, w*sa, 1e-12) || !near(b, 1+w*sb, 1e-12) {
			t.Errorf("%s drift coefficients (%v, %v), want (%v, %v)", f, a, b, w*sa, 1+w*sb)
		}
	}
	// The sigma form stays finite at t = 1: f = v − norm·x̂0 = v − norm·(x − v) on Linear.
	a, b := SDE{Form: DiffusionSigma, Norm: n}.DriftCoeffs(1)
	if !near(a, -n, 1e-14) || !near(b, 1+n, 1e-14) {
		t.Errorf("sigma drift at t=1: (%v, %v), want (%v, %v)", a, b, -n, 1+n)
	}
}

// TestSDEPreservesMarginals integrates the SDE with the exact velocity of Gaussian data and checks the
// distribution at the end time against the exact marginal of the path. A wrong sign or factor in the drift or
// the noise (e.g. w instead of 2w) changes the variance by far more than the tolerance.
func TestSDEPreservesMarginals(t *testing.T) {
	const mu, s = 1.5, 0.5 // x1 ~ N(mu, s²), 1-D
	velocity := func(x, tt float64) float64 {
		return mu + (tt*s*s-(1-tt))/(tt*tt*s*s+(1-tt)*(1-tt))*(x-tt*mu)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const n, steps, tEnd = 40000, 200, 0.96
	for _, form := range []DiffusionForm{DiffusionSigma, DiffusionConstant, DiffusionIncreasingDecreasing} {
		sde := SDE{Path: Linear{}, Form: form, Norm: 1}
		var sum, sum2 float64
		dt := tEnd / steps
		// The coefficients depend on t only: compute them once per step.
		var a, b, std [steps]float64
		for k := range steps {
			a[k], b[k] = sde.DriftCoeffs(float64(k) * dt)
			std[k] = sde.NoiseStd(float64(k)*dt, dt)
		}
		for i := 0; i < n; i++ {
			x := rng.NormFloat64()
			for k := 0; k < steps; k++ {
				x += (a[k]*x+b[k]*velocity(x, float64(k)*dt))*dt + std[k]*rng.NormFloat64()
			}
			sum += x
			sum2 += x * x
		}
		mean := sum / n
		variance := sum2/n - mean*mean
		wantMean, wantVar := tEnd*mu, tEnd*tEnd*s*s+(1-tEnd)*(1-tEnd)
		t.Logf("%s: mean %.4f (want %.4f), var %.4f (want %.4f)", form, mean, wantMean, variance, wantVar)
		if math.Abs(mean-wantMean) > 0.012 || math.Abs(variance/wantVar-1) > 0.03 {
			t.Errorf("%s: x at t=%v has mean %.4f var %.4f, want %.4f, %.4f", form, tEnd, mean, variance, wantMean, wantVar)
		}
	}
}

// runGraph runs fn on the backend and returns its outputs as float64 slices.
func runGraph(t *testing.T, fn func(g *Graph) []*Node) [][]float64 {
	t.Helper()
	var outs []*tensors.Tensor
	err := exceptions.TryCatch[error](func() {
		outs = MustExecOnceN(backend.Must(), func(g *Graph) []*Node { return fn(g) })
	})
	if err != nil {
		t.Fatal(err)
	}
	res := make([][]float64, len(outs))
	for i, o := range outs {
		switch o.DType() {
		case dtypes.Float32:
			for _, v := range tensors.MustCopyFlatData[float32](o) {
				res[i] = append(res[i], float64(v))
			}
		default:
			res[i] = tensors.MustCopyFlatData[float64](o)
		}
	}
	return res
}

func TestGraphMatchesHost(t *testing.T) {
	const b, d = 6, 3
	ts := []float64{0.05, 0.2, 0.4, 0.6, 0.8, 0.95}
	rng := rand.New(rand.NewPCG(5, 6))
	x0, x1, extra := make([]float64, b*d), make([]float64, b*d), make([]float64, b*d)
	for i := range x0 {
		x0[i], x1[i], extra[i] = rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
	}
	sde := SDE{Form: DiffusionSBDM, Norm: 0.7}
	for _, p := range allPaths {
		sde.Path = p
		var nodes []string
		outs := runGraph(t, func(g *Graph) []*Node {
			tn := Const(g, ts)
			x0n := Reshape(Const(g, x0), b, d)
			x1n := Reshape(Const(g, x1), b, d)
			en := Reshape(Const(g, extra), b, d)
			c := p.AtGraph(tn)
			res := []*Node{c.Alpha, c.Sigma, c.DAlpha, c.DSigma, InterpolateGraph(p, tn, x0n, x1n), TargetVelocityGraph(p, tn, x0n, x1n)}
			nodes = []string{"alpha", "sigma", "dalpha", "dsigma", "interpolate", "velocity"}
			for _, from := range allPredictions {
				for _, to := range allPredictions {
					res = append(res, ConvertGraph(p, from, to, tn, x0n, en))
					nodes = append(nodes, fmt.Sprintf("%v→%v", from, to))
				}
			}
			res = append(res, sde.DiffusionGraph(tn), sde.DriftGraph(tn, x0n, en))
			nodes = append(nodes, "diffusion", "drift")
			return res
		})
		var want [][]float64
		for _, tt := range ts {
			c := p.At(tt)
			for k, v := range []float64{c.Alpha, c.Sigma, c.DAlpha, c.DSigma} {
				if len(want) <= k {
					want = append(want, nil)
				}
				want[k] = append(want[k], v)
			}
		}
		xt, _ := InterpolateFlat(p, ts, x0, x1)
		ut, _ := TargetVelocityFlat(p, ts, x0, x1)
		want = append(want, xt, ut)
		for _, from := range allPredictions {
			for _, to := range allPredictions {
				conv, err := ConvertFlat(p, from, to, ts, x0, extra)
				if err != nil {
					t.Fatal(err)
				}
				want = append(want, conv)
			}
		}
		var w, drift []float64
		for i, tt := range ts {
			w = append(w, sde.Diffusion(tt))
			a, bb := sde.DriftCoeffs(tt)
			for j := 0; j < d; j++ {
				drift = append(drift, a*x0[i*d+j]+bb*extra[i*d+j])
			}
		}
		want = append(want, w, drift)
		for k := range want {
			for i := range want[k] {
				if !near(outs[k][i], want[k][i], 1e-12) {
					t.Fatalf("%s %s: graph %v, host %v", p.Name(), nodes[k], outs[k], want[k])
				}
			}
		}
	}
}

func TestGraphScalarTimeAndEulerMaruyama(t *testing.T) {
	sde := SDE{Form: DiffusionSigma, Norm: 1}
	x := []float32{1, -2, 0.5, 3}
	v := []float32{0.3, 0.1, -1, 2}
	xi := []float32{0.2, -0.4, 1, 0}
	const tt, dt = 0.4, 0.05
	outs := runGraph(t, func(g *Graph) []*Node {
		xn, vn, xin := Reshape(Const(g, x), 2, 2), Reshape(Const(g, v), 2, 2), Reshape(Const(g, xi), 2, 2)
		tn, dtn := Scalar(g, dtypes.Float32, tt), Scalar(g, dtypes.Float32, dt)
		return []*Node{sde.EulerMaruyamaGraph(tn, dtn, xn, vn, xin), sde.EulerMaruyamaGraph(tn, dtn, xn, vn, nil)}
	})
	a, b := sde.DriftCoeffs(tt)
	std := sde.NoiseStd(tt, dt)
	for i := range x {
		mean := float64(x[i]) + (a*float64(x[i])+b*float64(v[i]))*dt
		if !near(outs[0][i], mean+std*float64(xi[i]), 1e-5) || !near(outs[1][i], mean, 1e-5) {
			t.Fatalf("Euler–Maruyama step %d: graph (%v, %v), want (%v, %v)", i, outs[0][i], outs[1][i], mean+std*float64(xi[i]), mean)
		}
	}
}

func TestGraphShapeErrors(t *testing.T) {
	err := exceptions.TryCatch[error](func() {
		MustExecOnceN(backend.Must(), func(g *Graph) []*Node {
			x := Zeros(g, shapesOf(g, 4, 2))
			return []*Node{InterpolateGraph(Linear{}, Zeros(g, shapesOf(g, 3)), x, x)}
		})
	})
	if err == nil || !strings.Contains(err.Error(), "path: per-sample values of shape") {
		t.Errorf("t of the wrong batch size: err = %v", err)
	}
	err = exceptions.TryCatch[error](func() {
		MustExecOnceN(backend.Must(), func(g *Graph) []*Node {
			return []*Node{InterpolateGraph(Linear{}, Zeros(g, shapesOf(g, 4)), Zeros(g, shapesOf(g, 4, 2)), Zeros(g, shapesOf(g, 4, 3)))}
		})
	})
	if err == nil || !strings.Contains(err.Error(), "x0 shape") {
		t.Errorf("x0/x1 shape mismatch: err = %v", err)
	}
}

func shapesOf(_ *Graph, dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }

func TestOrLinear(t *testing.T) {
	if p := OrLinear(nil); p != (Linear{}) {
		t.Errorf("OrLinear(nil) = %v, want Linear", p)
	}
	if p := OrLinear(GVP{}); p != (GVP{}) {
		t.Errorf("OrLinear(GVP) = %v, want GVP kept", p)
	}
}
