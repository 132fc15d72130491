package figures

import (
	"bytes"
	"image/png"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/mixflow/mixflow/widgets/chart"
)

// mixflowPairs draws MixFlow's (t, m_t) on the host: t = √U ~ Beta(2,1), m = t(1 − γU').
func mixflowPairs(n int, gamma float64, seed uint64) (t, m []float64) {
	r := rand.New(rand.NewPCG(seed, 7))
	t, m = make([]float64, n), make([]float64, n)
	for i := range t {
		t[i] = math.Sqrt(r.Float64())
		m[i] = t[i] * (1 - gamma*r.Float64())
	}
	return t, m
}

func kinds(p chart.Panel) string {
	var k []string
	for _, s := range p.Series {
		k = append(k, string(s.Kind))
	}
	return strings.Join(k, ",")
}

func mustPNG(t *testing.T, f chart.Figure) {
	t.Helper()
	b, err := f.PNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	want := f.Width
	if want == 0 {
		want = 760
	}
	if img.Bounds().Dx() != want || img.Bounds().Dy() < 200 {
		t.Errorf("%s: PNG %v, want width %d", f.Title, img.Bounds(), want)
	}
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	for _, p := range append([]string{"figures: "}, parts...) {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

func slowBand(name string, k float64) Band {
	b := Band{Name: name}
	for i := 0; i <= 10; i++ {
		x := float64(i) / 10
		b.X = append(b.X, x)
		b.Mean = append(b.Mean, k*x)
		b.Lo = append(b.Lo, (k-0.1)*x)
		b.Hi = append(b.Hi, (k+0.05)*x)
		b.Min = append(b.Min, (k-0.3)*x)
		b.Max = append(b.Max, math.Min(1, (k+0.1)*x))
	}
	return b
}

func TestSlowFlow(t *testing.T) {
	f, err := SlowFlow([]Band{slowBand("baseline", 0.6), slowBand("MixFlow", 0.8)}, SlowFlowOptions{Gamma: 0.8, BandLabel: "5–95 %"})
	if err != nil {
		t.Fatal(err)
	}
	p := f.Panels[0]
	if got := kinds(p); got != "line,line,band,band,line,band,band,line" {
		t.Errorf("series = %s", got)
	}
	if d := p.Series[0]; d.Y[1] != 1 || d.X[1] != 1 || !d.Dash {
		t.Errorf("diagonal = %+v", d)
	}
	if g := p.Series[1]; math.Abs(g.Y[1]-0.2) > 1e-12 {
		t.Errorf("(1−γ)t line ends at %g, want 0.2", g.Y[1])
	}
	if b := p.Series[3]; b.Name != "baseline" || b.Lo[10] != 0.5 || b.Hi[10] != 0.65 {
		t.Errorf("quantile band = %+v", b)
	}
	if !strings.Contains(f.Subtitle, "5–95 %") {
		t.Errorf("subtitle %q", f.Subtitle)
	}
	mustPNG(t, f)

	bad := slowBand("short", 0.5)
	bad.Lo = bad.Lo[:3]
	_, err = SlowFlow([]Band{bad}, SlowFlowOptions{})
	wantErr(t, err, `"short"`, "Lo has 3 values, want 11")
	_, err = SlowFlow([]Band{slowBand("x", 0.5)}, SlowFlowOptions{Gamma: 1.3})
	wantErr(t, err, "gamma 1.3 outside [0, 1]")
	nan := slowBand("nan", 0.5)
	nan.Mean[4] = math.NaN()
	_, err = SlowFlow([]Band{nan}, SlowFlowOptions{})
	wantErr(t, err, "NaN", `"nan"`)
	_, err = SlowFlow(nil, SlowFlowOptions{})
	wantErr(t, err, "no bands")
}

func TestTimestepDensities(t *testing.T) {
	tt, _ := mixflowPairs(40000, 0.8, 1)
	xs := make([]float64, 101)
	ps := make([]float64, 101)
	for i := range xs {
		xs[i] = float64(i) / 100
		ps[i] = 2 * xs[i]
	}
	f, err := TimestepDensities([]Density{{Name: "Beta(2,1)", Samples: tt, X: xs, P: ps}, {Name: "uniform", X: xs, P: ones(101)}}, DensityOptions{Bins: 20})
	if err != nil {
		t.Fatal(err)
	}
	p := f.Panels[0]
	if got := kinds(p); got != "line,line,line" {
		t.Fatalf("series = %s", got)
	}
	// The step outline of Beta(2,1) samples follows 2t: bin k of 20 has density 2·(k+0.5)/20.
	h := p.Series[0]
	for k := 0; k < 20; k++ {
		got := h.Y[1+2*k]
		want := 2 * (float64(k) + 0.5) / 20
		if math.Abs(got-want) > 0.1 {
			t.Errorf("bin %d: density %.3f, want %.3f", k, got, want)
		}
	}
	mustPNG(t, f)
	filled, err := TimestepDensities([]Density{{Name: "b", Samples: tt}}, DensityOptions{Filled: true})
	if err != nil || kinds(filled.Panels[0]) != "bars" {
		t.Errorf("filled: %v %s", err, kinds(filled.Panels[0]))
	}
	_, err = TimestepDensities([]Density{{Name: "empty"}}, DensityOptions{})
	wantErr(t, err, `"empty"`, "neither samples nor")
	_, err = TimestepDensities([]Density{{Name: "bad", X: []float64{0, 1}, P: []float64{1}}}, DensityOptions{})
	wantErr(t, err, "X has 2 values but P has 1")
}

// TestJointTMCapsTheSpike: with a uniform t the density of (t, m_t) grows as 1/(γt) towards t = 0,
// a few cells there would set the top of the colour scale and leave the triangle in one colour: the
// heatmap caps its colours at the 99th percentile (and says so).
func TestJointTMCapsTheSpike(t *testing.T) {
	const gamma = 0.8
	r := rand.New(rand.NewPCG(3, 7))
	tt, mm := make([]float64, 100000), make([]float64, 100000)
	for i := range tt {
		tt[i] = r.Float64()
		mm[i] = tt[i] * (1 - gamma*r.Float64())
	}
	f, err := JointTM(tt, mm, JointOptions{Gamma: gamma, Bins: 30})
	if err != nil {
		t.Fatal(err)
	}
	h := f.Panels[0].Series[0]
	if h.ZClip != 0.99 {
		t.Fatalf("heatmap ZClip = %g, want 0.99", h.ZClip)
	}
	var cells []float64
	for _, row := range h.Z {
		for _, z := range row {
			if z > 0 {
				cells = append(cells, z)
			}
		}
	}
	slices.Sort(cells)
	p99, top := cells[int(math.Ceil(0.99*float64(len(cells))))-1], cells[len(cells)-1]
	if top < 2*p99 {
		t.Errorf("the spike (max %.1f, p99 %.1f) is too small for this test to show the cap", top, p99)
	}
	mustPNG(t, f)
}

func ones(n int) []float64 {
	o := make([]float64, n)
	for i := range o {
		o[i] = 1
	}
	return o
}

func TestJointTMIsUniformOnTheTriangle(t *testing.T) {
	const gamma = 0.5
	tt, mm := mixflowPairs(200000, gamma, 2)
	f, err := JointTM(tt, mm, JointOptions{Gamma: gamma, Bins: 10, Marginals: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != 2 {
		t.Fatalf("%d panels, want joint + marginals", len(f.Panels))
	}
	h := f.Panels[0].Series[0]
	if h.Kind != chart.KindHeatmap || len(h.Z) != 10 || len(h.X) != 11 {
		t.Fatalf("heatmap %s %d×%d", h.Kind, len(h.Z), len(h.X))
	}
	// Cells fully inside (1−γ)t ≤ m ≤ t have density 2/γ = 4; cells fully outside have 0.
	inside, outside := 0, 0
	for j := 0; j < 10; j++ {
		for i := 0; i < 10; i++ {
			t0, t1, m0, m1 := float64(i)/10, float64(i+1)/10, float64(j)/10, float64(j+1)/10
			switch {
			case m0 >= (1-gamma)*t1 && m1 <= t0:
				inside++
				if math.Abs(h.Z[j][i]-2/gamma) > 0.35 {
					t.Errorf("cell t∈[%.1f,%.1f] m∈[%.1f,%.1f]: density %.2f, want %.2f", t0, t1, m0, m1, h.Z[j][i], 2/gamma)
				}
			case m0 >= t1 || m1 <= (1-gamma)*t0:
				outside++
				if h.Z[j][i] != 0 {
					t.Errorf("cell outside the region has density %.3f", h.Z[j][i])
				}
			}
		}
	}
	if inside < 5 || outside < 20 {
		t.Fatalf("test covers %d inside and %d outside cells", inside, outside)
	}
	reg := f.Panels[0].Series[1]
	if reg.Kind != chart.KindPolygon || reg.Y[2] != 1-gamma {
		t.Errorf("region outline = %+v", reg)
	}
	mustPNG(t, f)

	sc, err := JointTM(tt, mm, JointOptions{Gamma: gamma, Mode: JointScatter, MaxPoints: 500})
	if err != nil || len(sc.Panels[0].Series[0].X) != 500 {
		t.Errorf("scatter: %v", err)
	}
	_, err = JointTM(tt, mm, JointOptions{Gamma: -0.1})
	wantErr(t, err, "gamma -0.1 outside [0, 1]")
	_, err = JointTM(tt, mm[:5], JointOptions{Gamma: 0.5})
	wantErr(t, err, "t has 200000 values and m has 5")
	mm[3] = math.NaN()
	_, err = JointTM(tt, mm, JointOptions{Gamma: 0.5})
	wantErr(t, err, "m[3] is NaN")
}

func TestGammaAblation(t *testing.T) {
	f, err := GammaAblation([]Ablation{{Name: "MixFlow", Gamma: []float64{0.3, 0.5, 0.8, 1}, Mean: []float64{16, 15.8, 15.6, 15.7}, Err: []float64{0.2, 0.1, 0.1, 0.2}}},
		AblationOptions{Metric: "FID ↓", References: []Reference{{"baseline", 16.6}}, ErrLabel: "± std over 3 seeds"})
	if err != nil {
		t.Fatal(err)
	}
	s := f.Panels[0].Series
	if kinds(f.Panels[0]) != "errorbar,line" || s[0].Lo[2] != 15.5 || s[0].Hi[0] != 16.2 || s[1].Y[0] != 16.6 {
		t.Errorf("series %s: %+v", kinds(f.Panels[0]), s)
	}
	mustPNG(t, f)
	_, err = GammaAblation([]Ablation{{Name: "x", Gamma: []float64{1.5}, Mean: []float64{1}}}, AblationOptions{})
	wantErr(t, err, "gamma 1.5 outside")
	_, err = GammaAblation([]Ablation{{Name: "x", Gamma: []float64{0.5}, Mean: []float64{1}, Err: []float64{1, 2}}}, AblationOptions{})
	wantErr(t, err, "Err has 2 values")
}

func TestMetricVsSteps(t *testing.T) {
	f, err := MetricVsSteps([]MetricSeries{
		{Name: "baseline", Steps: []float64{5, 10, 25, 50}, Value: []float64{40, 21, 12, 10}},
		{Name: "MixFlow", Steps: []float64{5, 10, 25, 50}, Value: []float64{30, 17, 11, 9.5}, Err: []float64{1, 1, 0.5, 0.5}},
	}, StepsOptions{Metric: "FID", LogX: true})
	if err != nil {
		t.Fatal(err)
	}
	if kinds(f.Panels[0]) != "line,scatter,errorbar" || !f.Panels[0].X.Log {
		t.Errorf("series %s log %v", kinds(f.Panels[0]), f.Panels[0].X.Log)
	}
	mustPNG(t, f)
	_, err = MetricVsSteps([]MetricSeries{{Name: "z", Steps: []float64{0, 10}, Value: []float64{1, 2}}}, StepsOptions{LogX: true})
	if err == nil || !strings.Contains(err.Error(), "log axis") {
		t.Errorf("log x with 0 steps: %v", err)
	}
}

// TestMetricVsStepsDodgesErrorBars: error bars of several series at the same step counts are drawn
// side by side (within 30 % of the smallest gap), not on top of each other.
func TestMetricVsStepsDodgesErrorBars(t *testing.T) {
	for _, logX := range []bool{false, true} {
		steps := []float64{10, 20, 50}
		f, err := MetricVsSteps([]MetricSeries{
			{Name: "a", Steps: steps, Value: []float64{1, 2, 3}, Err: []float64{1, 1, 1}},
			{Name: "b", Steps: steps, Value: []float64{1, 2, 3}, Err: []float64{1, 1, 1}},
			{Name: "c", Steps: steps, Value: []float64{1, 2, 3}},
		}, StepsOptions{LogX: logX})
		if err != nil {
			t.Fatal(err)
		}
		var bars [][]float64
		for _, s := range f.Panels[0].Series {
			switch s.Kind {
			case chart.KindErrorBar:
				bars = append(bars, s.X)
			case chart.KindLine:
				if !slices.Equal(s.X, steps) {
					t.Errorf("log %v: the series without bars moved to %v", logX, s.X)
				}
			}
		}
		if len(bars) != 2 {
			t.Fatalf("log %v: %d error-bar series, want 2", logX, len(bars))
		}
		for i, x := range steps {
			a, b := bars[0][i], bars[1][i]
			if logX {
				a, b, x = math.Log10(a), math.Log10(b), math.Log10(x)
			}
			gap := 10.0 // 10 → 20 steps
			if logX {
				gap = math.Log10(2)
			}
			if !(a < x && x < b) || b-a > 0.3*gap+1e-9 || b-a < 0.05*gap {
				t.Errorf("log %v: bars at step %g drawn at %g and %g: want them either side, within 30 %% of the gap", logX, steps[i], bars[0][i], bars[1][i])
			}
		}
	}
}

func TestLossCurves(t *testing.T) {
	f, err := LossCurves([]Curve{{Name: "loss", Step: []float64{0, 1, 2}, Value: []float64{1, 0, 0}}}, LossOptions{Smooth: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	// Bias-corrected: the decay-weighted means of the values so far are 1, 1/3 and 1/7.
	ema := f.Panels[0].Series[1].Y
	if want := []float64{1, 1.0 / 3, 1.0 / 7}; math.Abs(ema[0]-want[0]) > 1e-12 || math.Abs(ema[1]-want[1]) > 1e-12 || math.Abs(ema[2]-want[2]) > 1e-12 {
		t.Errorf("EMA = %v, want %v", ema, want)
	}
	// A constant loss has a constant EMA from the first step (no warm-up ramp).
	f, _ = LossCurves([]Curve{{Name: "loss", Step: []float64{0, 1, 2}, Value: []float64{3, 3, 3}}}, LossOptions{Smooth: 0.99})
	for _, v := range f.Panels[0].Series[1].Y {
		if math.Abs(v-3) > 1e-9 {
			t.Errorf("EMA of a constant 3 = %v", f.Panels[0].Series[1].Y)
			break
		}
	}
	mustPNG(t, f)
	_, err = LossCurves([]Curve{{Name: "loss", Step: []float64{0, 1}, Value: []float64{1, math.NaN()}}}, LossOptions{})
	wantErr(t, err, "NaN")
	_, err = LossCurves(nil, LossOptions{Smooth: 1})
	wantErr(t, err, "smoothing 1 outside")
}

func TestSampleScatter(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var sets []PointSet
	for k, name := range []string{"data", "baseline", "MixFlow"} {
		s := PointSet{Name: name}
		for i := 0; i < 6000; i++ {
			s.X = append(s.X, r.NormFloat64()+float64(k))
			s.Y = append(s.Y, 0.5*r.NormFloat64())
		}
		sets = append(sets, s)
	}
	f, err := SampleScatter(sets, ScatterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != 3 {
		t.Fatalf("%d panels", len(f.Panels))
	}
	for _, p := range f.Panels {
		if p.X.Range != f.Panels[0].X.Range || p.Y.Range != f.Panels[0].Y.Range || !p.Equal {
			t.Errorf("panel %q does not share the square range", p.Title)
		}
		if p.X.Range[1]-p.X.Range[0] != p.Y.Range[1]-p.Y.Range[0] {
			t.Errorf("range not square: %v %v", p.X.Range, p.Y.Range)
		}
		if n := len(p.Series[0].X); n != 4000 {
			t.Errorf("panel %q draws %d points, want the 4000 cap", p.Title, n)
		}
	}
	mustPNG(t, f)
	ov, err := SampleScatter(sets, ScatterOptions{Overlay: true, MaxPoints: 100})
	if err != nil || len(ov.Panels) != 1 || len(ov.Panels[0].Series) != 3 {
		t.Errorf("overlay: %v", err)
	}
	_, err = SampleScatter([]PointSet{{Name: "bad", X: []float64{1}, Y: nil}}, ScatterOptions{})
	wantErr(t, err, `"bad"`, "X has 1 values but Y has 0")
}
