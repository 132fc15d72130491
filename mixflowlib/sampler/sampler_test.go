package sampler

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/path"
)

func mustNoise(t *testing.T, seed uint64, dims ...int) *tensors.Tensor {
	t.Helper()
	x, err := Noise(seed, dims...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// sameAsPlain fails the test unless got equals the plain sampler's output bit for bit (what names the
// setting that should change nothing).
func sameAsPlain(t *testing.T, what string, got, plain []float32) {
	t.Helper()
	for i := range plain {
		if plain[i] != got[i] {
			t.Fatalf("%s: value %d = %v, plain sampler %v", what, i, got[i], plain[i])
		}
	}
}

func mustSample(t *testing.T, net nn.Backbone, cfg Config, x0 *tensors.Tensor, cond datasets.Cond) []float32 {
	t.Helper()
	s, err := New(nil, model.NewStore(), net, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Finalize()
	out, err := s.Sample(x0, cond)
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float32](out)
}

// slope fits log(err) = slope·log(h) + c by least squares.
func slope(hs, errs []float64) float64 {
	var sx, sy, sxx, sxy float64
	n := float64(len(hs))
	for i := range hs {
		x, y := math.Log(hs[i]), math.Log(errs[i])
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// TestOrderOfAccuracy integrates the exact Gaussian velocity and compares with the exact flow
// x_1 = μ + s·x0: the error of Euler must fall like h, that of Heun like h², with and without a shifted grid.
func TestOrderOfAccuracy(t *testing.T) {
	g, err := oracle.NewGaussian([]float64{1, -0.5, 2}, []float64{0.5, 1.5, 0.8})
	if err != nil {
		t.Fatal(err)
	}
	const b, d = 32, 3
	x0 := mustNoise(t, 1, b, d)
	exact, err := g.FlowMap(tensors.MustCopyFlatData[float32](x0), 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method     Method
		shift      float64
		lo, hi     float64
		stepCounts []int
	}{
		{Euler, 1, 0.9, 1.1, []int{8, 16, 32, 64}},
		{Heun, 1, 1.9, 2.2, []int{16, 32, 64, 128}},
		{Euler, 3, 0.85, 1.15, []int{8, 16, 32, 64}},
		{Heun, 3, 1.9, 2.2, []int{16, 32, 64, 128}},
	} {
		var hs, errs []float64
		for _, n := range tc.stepCounts {
			got := mustSample(t, g, Config{Method: tc.method, Steps: n, Shift: tc.shift}, x0, datasets.Cond{})
			var e float64
			for i := range got {
				e = math.Max(e, math.Abs(float64(got[i])-float64(exact[i])))
			}
			hs = append(hs, 1/float64(n))
			errs = append(errs, e)
		}
		p := slope(hs, errs)
		t.Logf("%s shift %v: max errors %v → order %.3f", tc.method, tc.shift, errs, p)
		if p < tc.lo || p > tc.hi {
			t.Errorf("%s shift %v: fitted order %.3f outside [%v, %v] (errors %v)", tc.method, tc.shift, p, tc.lo, tc.hi, errs)
		}
	}
}

// TestInversion integrates backwards (TStart 1, TEnd 0) from exact data and must recover the noise.
func TestInversion(t *testing.T) {
	g, _ := oracle.NewGaussian([]float64{1, -1}, []float64{0.7, 1.2})
	x0 := mustNoise(t, 2, 16, 2)
	data, _ := g.FlowMap(tensors.MustCopyFlatData[float32](x0), 1)
	back := mustSample(t, g, Config{Method: Heun, Steps: 64, TStart: 1, TEnd: 0}, tensors.FromFlatDataAndDimensions(data, 16, 2), datasets.Cond{})
	want := tensors.MustCopyFlatData[float32](x0)
	for i := range back {
		if math.Abs(float64(back[i]-want[i])) > 1e-3 {
			t.Fatalf("inverted value %d = %v, want the noise %v", i, back[i], want[i])
		}
	}
}

// emMoments propagates the exact mean and variance of the discrete Euler–Maruyama chain for a Gaussian
// oracle (the chain is linear in x, so they follow closed recursions): an exact check of the compiled
// step, its drift and noise scale, the grid and the last step.
func emMoments(t *testing.T, cfg Config, mu, std float64) (mean, variance float64) {
	t.Helper()
	cfg = cfg.withDefaults()
	steps, err := cfg.plan()
	if err != nil {
		t.Fatal(err)
	}
	mean, variance = 0, 1 // x0 ~ N(0, 1)
	for _, st := range steps {
		p := st.params
		tt := float64(p[pTCur])
		k := (tt*std*std - (1 - tt)) / (tt*tt*std*std + (1-tt)*(1-tt)) // v = μ + k(x − tμ)
		a, b, dt, c := float64(p[pACur]), float64(p[pBCur]), float64(p[pDT]), float64(p[pNoiseStd])
		gain := 1 + dt*(a+b*k)
		mean = mean*gain + dt*b*mu*(1-k*tt)
		variance = variance*gain*gain + c*c
	}
	return mean, variance
}

func TestSDEStatistics(t *testing.T) {
	const mu, std = 1.5, 0.6
	g, _ := oracle.NewGaussian([]float64{mu, mu}, []float64{std})
	// 4000 rather than 4096 rows: Go 1.27.3's simd LoadFloat32x4Part reads a whole vector past the end of
	// short slices, and GoMLX's pure-Go backend broadcasts [B, 2] rows with it; a [4096, 2] float32
	// buffer (exactly 32 KiB) can end on an unmapped page and the process dies with SIGSEGV (seen here).
	const b, d = 4000, 2
	for _, cfg := range []Config{
		{Method: EulerMaruyama, Steps: 100, Seed: 7},
		{Method: EulerMaruyama, Steps: 100, Seed: 8, LastStep: LastStepEuler, Diffusion: path.DiffusionConstant, DiffusionNorm: 0.5},
	} {
		got := mustSample(t, g, cfg, mustNoise(t, 3, b, d), datasets.Cond{})
		var s, s2 float64
		for _, v := range got {
			s += float64(v)
			s2 += float64(v) * float64(v)
		}
		n := float64(len(got))
		mean := s / n
		variance := s2/n - mean*mean
		wantMean, wantVar := emMoments(t, cfg, mu, std)
		t.Logf("%s %s: sample mean %.4f var %.4f; chain mean %.4f var %.4f; data %v %v", cfg.Method, cfg.Diffusion, mean, variance, wantMean, wantVar, mu, std*std)
		if math.Abs(mean-wantMean) > 4*math.Sqrt(wantVar/n) {
			t.Errorf("%+v: sample mean %v, chain mean %v", cfg, mean, wantMean)
		}
		if math.Abs(variance-wantVar) > 4*wantVar*math.Sqrt(2/n) {
			t.Errorf("%+v: sample variance %v, chain variance %v", cfg, variance, wantVar)
		}
		// The chain itself must approximate the data distribution (discretisation error only).
		if math.Abs(wantMean-mu) > 0.02 || math.Abs(wantVar-std*std)/(std*std) > 0.05 {
			t.Errorf("%+v: chain mean/var %v/%v far from the data's %v/%v", cfg, wantMean, wantVar, mu, std*std)
		}
	}
	// HeunSDE: no closed chain here; check the target statistics directly.
	got := mustSample(t, g, Config{Method: HeunSDE, Steps: 60, Seed: 9}, mustNoise(t, 4, b, d), datasets.Cond{})
	var s, s2 float64
	for _, v := range got {
		s += float64(v)
		s2 += float64(v) * float64(v)
	}
	n := float64(len(got))
	mean, variance := s/n, s2/n-(s/n)*(s/n)
	if math.Abs(mean-mu) > 0.03 || math.Abs(variance-std*std)/(std*std) > 0.08 {
		t.Errorf("HeunSDE: sample mean %v var %v, data %v %v", mean, variance, mu, std*std)
	}
}

// TestDefaultDrift checks the SiT default drift independently of the path package: on the Linear path with
// w = σ_t = 1 − t, f = v + (1 − t)·(t·v − x)/(1 − t) = (1 + t)·v − x.
func TestDefaultDrift(t *testing.T) {
	steps, err := Config{Method: EulerMaruyama, Steps: 4}.plan()
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range steps[:4] {
		tt := st.tCur
		if math.Abs(float64(st.params[pACur])+1) > 1e-6 || math.Abs(float64(st.params[pBCur])-(1+tt)) > 1e-6 {
			t.Errorf("t=%v: drift a=%v b=%v, want −1 and %v", tt, st.params[pACur], st.params[pBCur], 1+tt)
		}
		dt := st.tNext - st.tCur
		if want := math.Sqrt(2 * (1 - tt) * dt); math.Abs(float64(st.params[pNoiseStd])-want) > 1e-6 {
			t.Errorf("t=%v: noise std %v, want %v", tt, st.params[pNoiseStd], want)
		}
	}
	last := steps[4]
	if last.tCur != 0.96 || last.tNext != 1 || last.params[pNoiseStd] != 0 {
		t.Errorf("last step %+v, want 0.96 → 1 without noise", last)
	}
}

// labelNet is a tiny Guidable backbone: v(x, t, label) = c(label) + t·x with c(l) = l for l ≥ 0 and
// c(null) = 10. It records the batch sizes it was built for.
type labelNet struct {
	mu      sync.Mutex
	batches []int
}

func (n *labelNet) Velocity(_ *model.Scope, x, t *Node, cond nn.Cond) *Node {
	n.mu.Lock()
	n.batches = append(n.batches, x.Shape().Dimensions[0])
	n.mu.Unlock()
	lab := ConvertDType(cond.Labels, x.DType())
	c := Where(LessThan(cond.Labels, ScalarZero(x.Graph(), dtypes.Int32)), AddScalar(ZerosLike(lab), 10), lab)
	return Add(InsertAxes(c, -1), Mul(InsertAxes(t, -1), x))
}

func (n *labelNet) NullCond(cond nn.Cond) nn.Cond {
	return nn.Cond{Labels: Neg(OnesLike(cond.Labels))}
}

// guidedHost is the host reference for labelNet with guidance.
func guidedHost(x, tt float64, label int, g Guidance) float64 {
	vc := float64(label) + tt*x
	vu := 10 + tt*x
	return vu + g.scaleAt(tt)*(vc-vu)
}

func TestGuidance(t *testing.T) {
	const b = 3
	x0 := tensors.FromFlatDataAndDimensions([]float32{0.5, -1, 2}, b, 1)
	labels := []int32{0, 3, 7}
	cond := datasets.Cond{Labels: tensors.FromFlatDataAndDimensions(labels, b)}
	for _, tc := range []struct {
		name   string
		method Method
		steps  int
		g      Guidance
	}{
		{"one Euler step", Euler, 1, Guidance{Scale: 4}},
		{"interval Euler", Euler, 4, Guidance{Scale: 2.5, TMin: 0.5}},
		{"interval Heun", Heun, 4, Guidance{Scale: 1.5, TMin: 0.2, TMax: 0.6}},
		{"scale below 1", Euler, 2, Guidance{Scale: 0.5}},
	} {
		net := &labelNet{}
		got := mustSample(t, net, Config{Method: tc.method, Steps: tc.steps, Guidance: tc.g}, x0, cond)
		for _, bs := range net.batches {
			if bs != 2*b {
				t.Errorf("%s: backbone built for batch %d, want %d (one call on [x; x])", tc.name, bs, 2*b)
			}
		}
		grid, _ := Config{Method: tc.method, Steps: tc.steps}.Grid()
		for i := range b {
			x := float64(tensors.MustCopyFlatData[float32](x0)[i])
			for k := range tc.steps {
				t0, t1 := grid[k], grid[k+1]
				k1 := guidedHost(x, t0, int(labels[i]), tc.g)
				if tc.method == Heun {
					k2 := guidedHost(x+(t1-t0)*k1, t1, int(labels[i]), tc.g)
					x += (t1 - t0) * (k1 + k2) / 2
				} else {
					x += (t1 - t0) * k1
				}
			}
			if math.Abs(float64(got[i])-x) > 1e-5*(1+math.Abs(x)) {
				t.Errorf("%s: example %d (label %d) = %v, want %v", tc.name, i, labels[i], got[i], x)
			}
		}
	}
	// Without guidance the backbone sees the batch as given.
	net := &labelNet{}
	got := mustSample(t, net, Config{Steps: 1}, x0, cond)
	if len(net.batches) == 0 || net.batches[0] != b {
		t.Errorf("unguided: backbone built for batches %v, want %d", net.batches, b)
	}
	if want := 0.5 + 0; math.Abs(float64(got[0])-want) > 1e-6 {
		t.Errorf("unguided Euler step = %v, want %v", got[0], want)
	}
}

// weightNet reads a variable "w" and returns w·x: a stand-in for a trained backbone.
type weightNet struct{}

func (weightNet) Velocity(scope *model.Scope, x, _ *Node, _ nn.Cond) *Node {
	scope = scope.ResetVisited()
	w := scope.In("lin").VariableWithShape("w", shapes.Make(x.DType())).NodeValue(x.Graph())
	return Mul(x, w)
}

func TestStoreWeights(t *testing.T) {
	x0 := tensors.FromFlatDataAndDimensions([]float32{1, 2}, 2, 1)
	// No weights: an error that names the variable, and the store is left empty.
	empty := model.NewStore()
	s, err := New(nil, empty, weightNet{}, Config{Steps: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Sample(x0, datasets.Cond{})
	if err == nil || !strings.Contains(err.Error(), "/model/lin/w") || !strings.Contains(err.Error(), "no weights") {
		t.Errorf("sampling without weights: error %v, want one naming /model/lin/w", err)
	}
	if empty.NumVariables() != 0 {
		t.Errorf("the sampler left %d variables in the store", empty.NumVariables())
	}
	// With the weight in the store: dx/dt = 2x, two Euler steps of 0.5 give x·2·2.
	store := model.NewStore()
	if _, err := store.CreateVariable("/model/lin/w", tensors.FromScalar(float32(2))); err != nil {
		t.Fatal(err)
	}
	s, err = New(nil, store, weightNet{}, Config{Steps: 2})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Sample(x0, datasets.Cond{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tensors.MustCopyFlatData[float32](out); got[0] != 4 || got[1] != 8 {
		t.Errorf("w = 2 sample %v, want [4 8]", got)
	}
	if store.NumVariables() != 1 {
		t.Errorf("store has %d variables after sampling, want 1", store.NumVariables())
	}
}

func TestTrajectoryAndDeterminism(t *testing.T) {
	m, _ := oracle.EightGaussians(2, 0.1)
	x0 := mustNoise(t, 5, 64, 2)
	cfg := Config{Method: EulerMaruyama, Steps: 20, Seed: 11, Shift: 2}
	s, err := New(nil, model.NewStore(), m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := s.Trajectory(x0, datasets.Cond{})
	if err != nil {
		t.Fatal(err)
	}
	grid := s.Grid()
	if len(tr.Times) != len(grid) || len(tr.States) != len(grid) || len(grid) != 22 {
		t.Fatalf("trajectory has %d times/%d states, grid %d points; want 22", len(tr.Times), len(tr.States), len(grid))
	}
	for i := range grid {
		if tr.Times[i] != grid[i] {
			t.Errorf("time %d = %v, grid %v", i, tr.Times[i], grid[i])
		}
	}
	if tr.Shape[0] != 64 || tr.Shape[1] != 2 {
		t.Errorf("trajectory shape %v", tr.Shape)
	}
	first := tensors.MustCopyFlatData[float32](x0)
	for i, v := range tr.States[0] {
		if v != first[i] {
			t.Fatalf("first state differs from x0 at %d", i)
		}
	}
	again, err := s.Sample(x0, datasets.Cond{})
	if err != nil {
		t.Fatal(err)
	}
	last := tensors.MustCopyFlatData[float32](again)
	for i, v := range tr.States[len(tr.States)-1] {
		if v != last[i] {
			t.Fatalf("same seed: trajectory end and Sample differ at %d (%v vs %v)", i, v, last[i])
		}
	}
	other := mustSample(t, m, Config{Method: EulerMaruyama, Steps: 20, Seed: 12, Shift: 2}, x0, datasets.Cond{})
	same := 0
	for i := range other {
		if other[i] == last[i] {
			same++
		}
	}
	if same > len(other)/10 {
		t.Errorf("different seeds gave %d identical values of %d", same, len(other))
	}
	// x0 is untouched and still usable.
	if got := tensors.MustCopyFlatData[float32](x0); got[0] != first[0] {
		t.Errorf("x0 was modified")
	}
	// A visitor's error stops the walk.
	stop := errors.New("stop here")
	calls := 0
	_, err = s.Walk(x0, datasets.Cond{}, func(i int, _ float64, _ *tensors.Tensor) error {
		calls++
		if i == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 4 {
		t.Errorf("visitor error: got %v after %d calls, want %v after 4", err, calls, stop)
	}
}

func TestGrid(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	g, err := Config{Steps: 4}.Grid()
	if err != nil || len(g) != 5 || !near(g[1], 0.25) || g[4] != 1 {
		t.Errorf("uniform grid %v (%v)", g, err)
	}
	g, _ = Config{Steps: 2, Shift: 3}.Grid()
	if want := 0.5 / (0.5 + 3*0.5); !near(g[1], want) || g[0] != 0 || g[2] != 1 {
		t.Errorf("shifted grid %v, want middle %v", g, want)
	}
	g, _ = Config{Method: EulerMaruyama, Steps: 4}.Grid()
	if len(g) != 6 || !near(g[4], 0.96) || g[5] != 1 || !near(g[1], 0.24) {
		t.Errorf("SDE grid %v, want 4 steps to 0.96 then 1", g)
	}
	g, _ = Config{Method: EulerMaruyama, Steps: 4, LastStep: LastStepNone}.Grid()
	if len(g) != 5 || !near(g[4], 0.96) {
		t.Errorf("SDE grid without last step %v", g)
	}
	g, _ = Config{Method: Heun, Steps: 2, TStart: 1, TEnd: 0}.Grid()
	if len(g) != 3 || g[0] != 1 || g[2] != 0 {
		t.Errorf("backward grid %v", g)
	}
	if n := func() int {
		s, _ := New(nil, model.NewStore(), weightNet{}, Config{Method: HeunSDE, Steps: 10})
		return s.Evaluations()
	}(); n != 22 {
		t.Errorf("HeunSDE evaluations %d, want 22", n)
	}
}

func TestBadConfig(t *testing.T) {
	g, _ := oracle.NewGaussian([]float64{0}, []float64{1})
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{}, "Steps 0 < 1"},
		{Config{Steps: 10, Method: Method(9)}, "unknown method"},
		{Config{Steps: 10, TStart: 0.5, TEnd: 0.5}, "grid is empty"},
		{Config{Steps: 10, TEnd: 1.5}, "TEnd 1.5 outside [0, 1]"},
		{Config{Steps: 10, TStart: math.NaN(), TEnd: 1}, "TStart NaN"},
		{Config{Steps: 10, Shift: -2}, "Shift -2"},
		{Config{Steps: 10, Shift: 0.5}, "sampler: Shift 0.5: want 0 or 1 (no shift) or a finite value ≥ 1"},
		{Config{Steps: 10, Shift: math.Inf(1)}, "Shift +Inf"},
		{Config{Steps: 10, Guidance: Guidance{Scale: -1}}, "Scale -1"},
		{Config{Steps: 10, Guidance: Guidance{Scale: 2, TMin: 0.8, TMax: 0.2}}, "guidance interval"},
		{Config{Steps: 10, Guidance: Guidance{Scale: 2, TMin: -0.1}}, "guidance interval"},
		{Config{Steps: 10, Guidance: Guidance{Scale: 2, TMin: 0.5, TMax: 1.5}}, "guidance interval"},
		{Config{Steps: 10, Method: EulerMaruyama, TStart: 1, TEnd: 0}, "forward only"},
		{Config{Steps: 10, Method: EulerMaruyama, LastStepSize: 2}, "LastStepSize"},
		{Config{Steps: 10, Method: EulerMaruyama, Diffusion: "wiggly"}, "unknown diffusion form"},
		{Config{Steps: 10, Method: EulerMaruyama, Diffusion: path.DiffusionSBDM}, "not finite"},
		{Config{Steps: 10, Method: EulerMaruyama, LastStep: LastStep(7)}, "unknown last step"},
	}
	for _, c := range cases {
		_, err := New(nil, model.NewStore(), g, c.cfg)
		if err == nil || !strings.HasPrefix(err.Error(), "sampler: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.cfg, err, c.want)
		}
	}
	// SBDM works once the grid starts after 0, as in SiT.
	if _, err := New(nil, model.NewStore(), g, Config{Steps: 10, Method: EulerMaruyama, Diffusion: path.DiffusionSBDM, TStart: 1e-3, TEnd: 1}); err != nil {
		t.Errorf("SBDM from t = 1e-3: %v", err)
	}
	// Guidance on a backbone without null conditioning.
	if _, err := New(nil, model.NewStore(), g, Config{Steps: 4, Guidance: Guidance{Scale: 2}}); err == nil || !strings.Contains(err.Error(), "nn.Guidable") {
		t.Errorf("guidance on a non-Guidable backbone: %v", err)
	}
	if _, err := New(nil, nil, g, Config{Steps: 4}); err == nil || !strings.Contains(err.Error(), "store is nil") {
		t.Errorf("nil store: %v", err)
	}
	if _, err := New(nil, model.NewStore(), nil, Config{Steps: 4}); err == nil || !strings.Contains(err.Error(), "backbone is nil") {
		t.Errorf("nil backbone: %v", err)
	}
}

func TestBadInputs(t *testing.T) {
	g, _ := oracle.NewGaussian([]float64{0, 0}, []float64{1})
	s, err := New(nil, model.NewStore(), g, Config{Steps: 2})
	if err != nil {
		t.Fatal(err)
	}
	good := mustNoise(t, 1, 4, 2)
	cases := []struct {
		x0   *tensors.Tensor
		cond datasets.Cond
		want string
	}{
		{nil, datasets.Cond{}, "x0 is nil"},
		{tensors.FromFlatDataAndDimensions([]float64{1, 2}, 1, 2), datasets.Cond{}, "dtype Float64"},
		{tensors.FromFlatDataAndDimensions([]float32{1, float32(math.NaN())}, 1, 2), datasets.Cond{}, "non-finite value at flat index 1"},
		{good, datasets.Cond{Labels: tensors.FromFlatDataAndDimensions([]int32{1, 2}, 2)}, "cond.Labels"},
		{good, datasets.Cond{Tokens: tensors.FromFlatDataAndDimensions([]int32{1, 2, 3, 4}, 4)}, "cond.Tokens"},
		{tensors.FromFlatDataAndDimensions([]float32{1, 2, 3}, 1, 3), datasets.Cond{}, "want 2"}, // backbone shape panic
	}
	for _, c := range cases {
		_, err := s.Sample(c.x0, c.cond)
		if err == nil || !strings.HasPrefix(err.Error(), "sampler: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
	if _, err := Noise(1); err == nil {
		t.Errorf("Noise without dimensions: no error")
	}
	if _, err := Noise(1, 3, 0); err == nil {
		t.Errorf("Noise with a zero dimension: no error")
	}
	// Guidance without any conditioning.
	gs, err := New(nil, model.NewStore(), &labelNet{}, Config{Steps: 2, Guidance: Guidance{Scale: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gs.Sample(good, datasets.Cond{}); err == nil || !strings.Contains(err.Error(), "needs conditioning") {
		t.Errorf("guidance without cond: %v", err)
	}
	// A diverging model is reported.
	p, _ := oracle.NewPerturbed(g, 1e38, nil)
	ds, _ := New(nil, model.NewStore(), p, Config{Steps: 4})
	if _, err := ds.Sample(tensors.FromFlatDataAndDimensions([]float32{10, 10}, 1, 2), datasets.Cond{}); err == nil || !strings.Contains(err.Error(), "diverged") {
		t.Errorf("diverging model: %v", err)
	}
	_ = backend.Must()
}
