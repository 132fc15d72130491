package repa_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/repa"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/encoder"
	"github.com/mixflow/mixflow/mixflowlib/experiment/repaexp"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/objective"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// smallSiT is a 16×16×1 SiT with a 4×4 token grid, 2 blocks, width 32, 10 classes.
func smallSiT() sit.Config {
	return sit.Config{ImageSize: 16, Channels: 1, PatchSize: 4, Depth: 2, Hidden: 32, Heads: 2, NumClasses: 10,
		TimeFreqDim: 32}.WithDefaults()
}

// randomEncoder is a ViT encoder for 16×16×1 images with a 4×4 grid of 16-wide tokens and random weights.
func randomEncoder(tb testing.TB, seed uint64) *encoder.ViT {
	tb.Helper()
	cfg := encoder.ViTConfig{ImageSize: 16, Channels: 1, PatchSize: 4, Width: 16, Depth: 1, Heads: 2, MLPRatio: 2}
	rng := rand.New(rand.NewPCG(seed, 1))
	w := graphtest.RandomWeights(cfg.ParamShapes(), rng, 0.3)
	enc, err := encoder.NewViT(cfg, w)
	if err != nil {
		tb.Fatal(err)
	}
	return enc
}

func newModel(tb testing.TB, mod func(*repa.Config)) *repa.Model {
	tb.Helper()
	cfg := repa.DefaultConfig(smallSiT())
	cfg.AlignDepth = 1
	if mod != nil {
		mod(&cfg)
	}
	m, err := repa.New(cfg, randomEncoder(tb, 1))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func randTensor(seed uint64, dims ...int) *tensors.Tensor {
	rng := rand.New(rand.NewPCG(seed, 7))
	return graphtest.Fill(func() float64 { return 2*rng.Float64() - 1 }, dims...)
}

func uniforms(seed uint64, n int) *tensors.Tensor {
	return graphtest.Fill(rand.New(rand.NewPCG(seed, 8)).Float64, n)
}

func normals(seed uint64, dims ...int) *tensors.Tensor {
	return graphtest.Fill(rand.New(rand.NewPCG(seed, 9)).NormFloat64, dims...)
}

func scalar(t *tensors.Tensor) float64 { return float64(tensors.ToScalar[float32](t)) }

func TestConfigValidate(t *testing.T) {
	def := repa.DefaultConfig(smallSiT())
	if def.Lambda != 0.5 || def.AlignDepth != 1 || def.ProjDim != 64 {
		t.Errorf("DefaultConfig(small) = %+v, want λ 0.5, block 1, head 64", def)
	}
	xl, _ := sit.Preset("SiT-XL/2")
	if c := repa.DefaultConfig(xl); c.AlignDepth != 8 || c.ProjDim != 2048 {
		t.Errorf("DefaultConfig(SiT-XL/2) = block %d, head %d; want REPA's 8 and 2048", c.AlignDepth, c.ProjDim)
	}
	for _, tc := range []struct {
		mod  func(*repa.Config)
		want string
	}{
		{func(c *repa.Config) { c.AlignDepth = 3 }, "AlignDepth 3 outside [1, 2]"},
		{func(c *repa.Config) { c.AlignDepth = 0 }, "AlignDepth 0 outside"},
		{func(c *repa.Config) { c.ProjDim = -4 }, "ProjDim -4"},
		{func(c *repa.Config) { c.Lambda = -0.1 }, "Lambda -0.1"},
		{func(c *repa.Config) { c.Lambda = math.NaN() }, "Lambda NaN"},
		{func(c *repa.Config) { c.SiT.PatchSize = 5 }, "repa: sit: ImageSize 16 is not a multiple of PatchSize 5"},
	} {
		cfg := repa.DefaultConfig(smallSiT())
		tc.mod(&cfg)
		if _, err := repa.New(cfg, randomEncoder(t, 1)); err == nil || !strings.Contains(err.Error(), tc.want) ||
			!strings.HasPrefix(err.Error(), "repa: ") {
			t.Errorf("New(%+v) err = %v, want %q", cfg, err, tc.want)
		}
	}
	if _, err := repa.New(def, nil); err == nil || !strings.Contains(err.Error(), "no encoder") {
		t.Errorf("nil encoder: err = %v", err)
	}
	rgb := def
	rgb.SiT.Channels = 3
	if _, err := repa.New(rgb, randomEncoder(t, 1)); err == nil || !strings.Contains(err.Error(), "takes 1 channels") {
		t.Errorf("channel mismatch: err = %v", err)
	}
}

// TestAlignmentLossHand compares AlignmentLoss with a host computation of −mean over batch and tokens of
// the cosine similarity, and checks its extreme values.
func TestAlignmentLossHand(t *testing.T) {
	const b, n, d = 3, 5, 7
	z, y := randTensor(1, b, n, d), randTensor(2, b, n, d)
	zf, _ := tensors.CopyFlatData[float32](z)
	yf, _ := tensors.CopyFlatData[float32](y)
	want := 0.0
	for i := range b * n {
		var dot, nz, ny float64
		for k := range d {
			a, c := float64(zf[i*d+k]), float64(yf[i*d+k])
			dot, nz, ny = dot+a*c, nz+a*a, ny+c*c
		}
		want -= dot / (math.Sqrt(nz) * math.Sqrt(ny)) / (b * n)
	}
	be := graphtest.Backend(t)
	got, err := ExecOnce(be, repa.AlignmentLoss, z, y)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(scalar(got)-want) > 1e-6 {
		t.Errorf("AlignmentLoss = %v, hand computation %v", scalar(got), want)
	}
	for _, tc := range []struct {
		scale, want float64
	}{{3, -1}, {-0.5, 1}} {
		got, err := ExecOnce(be, func(y *Node) *Node { return repa.AlignmentLoss(MulScalar(y, tc.scale), y) }, y)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(scalar(got)-tc.want) > 1e-6 {
			t.Errorf("AlignmentLoss(%g·y, y) = %v, want %v", tc.scale, scalar(got), tc.want)
		}
	}
	// A zero projection contributes 0 (normalisation by max(‖v‖, 1e-12)), not NaN.
	got, err = ExecOnce(be, func(y *Node) *Node { return repa.AlignmentLoss(ZerosLike(y), y) }, y)
	if err != nil || scalar(got) != 0 {
		t.Errorf("AlignmentLoss(0, y) = %v (%v), want 0", got, err)
	}
	if _, err := ExecOnce(be, repa.AlignmentLoss, z, randTensor(3, b, n, d+1)); err == nil ||
		!strings.Contains(err.Error(), "must both be [B, N, D]") {
		t.Errorf("mismatched shapes: err = %v", err)
	}
}

// TestHeadShapesAndGradients checks the projection head's output shape, its parameter count and that the
// alignment loss gives finite, non-zero gradients to the head and to SiT's layers up to block k, and
// exactly zero gradients to the later blocks and the final layer.
func TestHeadShapesAndGradients(t *testing.T) {
	m := newModel(t, nil) // 2 blocks, align after block 1
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(3))
	const b = 4
	var names []string
	exec, err := model.NewExec(graphtest.Backend(t), store, func(scope *model.Scope, x, tt, labels, x1 *Node) []*Node {
		ms := scope.In("model")
		_, loss := m.Align(ms, x, tt, nn.Cond{Labels: labels}, x1)
		out := []*Node{loss}
		for v := range store.IterVariables() {
			if v.Trainable && v.InUseByGraph(x.Graph()) {
				names = append(names, v.Path())
			}
		}
		for _, g := range scope.BuildTrainableVariablesGradientsGraph(loss) {
			out = append(out, ReduceAllMax(Abs(g)))
		}
		return out
	})
	if err != nil {
		t.Fatal(err)
	}
	x, x1 := randTensor(4, b, 16, 16, 1), randTensor(5, b, 16, 16, 1)
	res, err := exec.Call(x, uniforms(6, b), tensors.FromFlatDataAndDimensions([]int32{0, 3, 9, -1}, b), x1)
	if err != nil {
		t.Fatal(err)
	}
	if l := scalar(res[0]); !(l > -1 && l < 1) {
		t.Errorf("alignment loss %v outside (−1, 1)", l)
	}
	if len(res)-1 != len(names) {
		t.Fatalf("%d gradients for %d variables", len(res)-1, len(names))
	}
	nonzero := map[string]bool{}
	for i, name := range names {
		g := scalar(res[1+i])
		if math.IsNaN(g) || math.IsInf(g, 0) {
			t.Errorf("gradient of %s is %v", name, g)
		}
		late := strings.Contains(name, "/blocks_1/") || strings.Contains(name, "/final_layer/")
		if late && g != 0 {
			t.Errorf("alignment loss after block 1 has gradient %g on %s (a later layer)", g, name)
		}
		for _, part := range []string{"/repa_projector/fc0/", "/repa_projector/fc2/", "/x_embedder/", "/blocks_0/adaLN_modulation/"} {
			if strings.Contains(name, part) && g > 0 {
				nonzero[part] = true
			}
		}
	}
	for _, part := range []string{"/repa_projector/fc0/", "/repa_projector/fc2/", "/x_embedder/", "/blocks_0/adaLN_modulation/"} {
		if !nonzero[part] {
			t.Errorf("no non-zero gradient of the alignment loss reaches %s", part)
		}
	}
	z, err := model.NewExec(graphtest.Backend(t), model.NewStore(), func(scope *model.Scope, h *Node) *Node {
		return m.Project(scope.In("model"), h)
	})
	if err != nil {
		t.Fatal(err)
	}
	zs, err := z.Call(randTensor(7, 3, 16, 32))
	if err != nil {
		t.Fatal(err)
	}
	if dims := zs[0].Shape().Dimensions; len(dims) != 3 || dims[0] != 3 || dims[1] != 16 || dims[2] != 16 {
		t.Errorf("Project of [3 16 32] gave %v, want [3 16 16] (encoder Dim 16)", dims)
	}
	wantHead := 32*64 + 64 + 64*64 + 64 + 64*16 + 16
	if got := m.HeadParams(); got != wantHead {
		t.Errorf("HeadParams = %d, want %d", got, wantHead)
	}
	headVars := 0
	for v := range store.IterVariables() {
		if strings.HasPrefix(v.Path(), "/model/"+repa.HeadScope+"/") {
			headVars += v.Shape().Size()
		}
	}
	if headVars != wantHead {
		t.Errorf("head variables hold %d values, want %d", headVars, wantHead)
	}
}

// drawn holds fixed inputs and random draws of a loss evaluation.
type drawn struct {
	x1, labels, ut, us, x0 *tensors.Tensor
}

func newDraws(b int) drawn {
	return drawn{x1: randTensor(11, b, 16, 16, 1), labels: tensors.FromFlatDataAndDimensions([]int32{1, 2, 3, 4}[:b], b),
		ut: uniforms(12, b), us: uniforms(13, b), x0: normals(14, b, 16, 16, 1)}
}

// TestLambdaZeroIsPlainSiT checks that λ = 0 gives exactly the plain SiT flow-matching loss (same seed,
// same draws), registers no auxiliary loss and creates no head; and that with λ = 0.5 the velocity loss
// is unchanged and the registered term is 0.5·L.
func TestLambdaZeroIsPlainSiT(t *testing.T) {
	const b = 4
	d := newDraws(b)
	fm := objective.FlowMatching{}
	be := graphtest.Backend(t)
	lossOf := func(net nn.Backbone, wrap bool) (obj float64, aux map[string]float64, nvars int) {
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, int64(5))
		var names []string
		exec, err := model.NewExec(be, store, func(scope *model.Scope, x1, labels, ut, x0 *Node) []*Node {
			ms := scope.In("model")
			cond := nn.Cond{Labels: labels}
			used := net
			if wrap {
				used = net.(repa.Binder).WithTargets(x1)
			}
			terms := fm.LossFromDraws(ms, used, x1, cond, objective.Draws{UTime: ut, X0: x0})
			out := []*Node{terms.Loss}
			names = nn.AuxLossNames(x1.Graph())
			for _, n := range names {
				out = append(out, nn.AuxLosses(x1.Graph())[n])
			}
			return out
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := exec.Call(d.x1, d.labels, d.ut, d.x0)
		if err != nil {
			t.Fatal(err)
		}
		aux = map[string]float64{}
		for i, n := range names {
			aux[n] = scalar(res[1+i])
		}
		return scalar(res[0]), aux, store.NumVariables()
	}
	plain, err := sit.New(smallSiT())
	if err != nil {
		t.Fatal(err)
	}
	want, aux0, plainVars := lossOf(plain, false)
	if len(aux0) != 0 {
		t.Fatalf("plain SiT registered %v", aux0)
	}
	got, aux, vars := lossOf(newModel(t, func(c *repa.Config) { c.Lambda = 0 }), true)
	if got != want || len(aux) != 0 || vars != plainVars {
		t.Errorf("λ = 0: loss %v (plain %v), aux %v, %d variables (plain %d)", got, want, aux, vars, plainVars)
	}
	m := newModel(t, nil)
	got, aux, vars = lossOf(m, true)
	if got != want {
		t.Errorf("λ = 0.5: velocity loss %v differs from plain SiT's %v (the head must not change the velocity)", got, want)
	}
	if vars <= plainVars || len(aux) != 1 {
		t.Fatalf("λ = 0.5: %d variables (plain %d), aux %v", vars, plainVars, aux)
	}
	r := aux[repa.AuxLossName]
	if !(r > -0.5 && r < 0.5) || r == 0 {
		t.Errorf("λ = 0.5: aux term %v, want in (−0.5, 0.5) and non-zero", r)
	}
}

// TestMixFlowAlignsSlowedInput checks that under MixFlow the alignment term is computed on the slowed
// interpolation x_m with the network conditioned on t, and that a second Velocity call adds nothing.
func TestMixFlowAlignsSlowedInput(t *testing.T) {
	const b = 4
	d := newDraws(b)
	m := newModel(t, nil)
	mix, err := objective.NewMixFlow(0.8)
	if err != nil {
		t.Fatal(err)
	}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(5))
	exec, err := model.NewExec(graphtest.Backend(t), store, func(scope *model.Scope, x1, labels, ut, us, x0 *Node) []*Node {
		ms := scope.In("model")
		cond := nn.Cond{Labels: labels}
		bound := m.WithTargets(x1)
		terms := mix.LossFromDraws(ms, bound, x1, cond, objective.Draws{UTime: ut, USlow: us, X0: x0})
		_ = bound.Velocity(ms, terms.Input, terms.T, cond) // a second evaluation must not add to the term
		aux := nn.AuxLosses(x1.Graph())[repa.AuxLossName]
		_, atM := m.Align(ms, terms.Input, terms.T, cond, x1) // slowed input, conditioned on t
		xt := Add(Mul(Reshape(terms.T, b, 1, 1, 1), x1), Mul(Reshape(OneMinus(terms.T), b, 1, 1, 1), x0))
		_, atT := m.Align(ms, xt, terms.T, cond, x1) // unslowed input
		return []*Node{aux, atM, atT, ReduceAllMax(Abs(Sub(terms.T, terms.M)))}
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := exec.Call(d.x1, d.labels, d.ut, d.us, d.x0)
	if err != nil {
		t.Fatal(err)
	}
	aux, atM, atT, gap := scalar(res[0]), scalar(res[1]), scalar(res[2]), scalar(res[3])
	if math.Abs(aux-0.5*atM) > 1e-6 {
		t.Errorf("registered term %v, want 0.5 × alignment on the slowed input %v", aux, 0.5*atM)
	}
	if gap == 0 || math.Abs(atM-atT) < 1e-7 {
		t.Errorf("test is vacuous: t and m equal (gap %v) or the losses at x_m and x_t agree (%v, %v)", gap, atM, atT)
	}
}

// TestSamplingIgnoresHead checks that Velocity is SiT's and builds neither the head nor anything else.
func TestSamplingIgnoresHead(t *testing.T) {
	m := newModel(t, nil)
	const b = 2
	x, tt := randTensor(21, b, 16, 16, 1), uniforms(22, b)
	labels := tensors.FromFlatDataAndDimensions([]int32{5, -1}, b)
	run := func(net nn.Backbone) ([]float32, *model.Store) {
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, int64(9))
		exec, err := model.NewExec(graphtest.Backend(t), store, func(scope *model.Scope, x, tt, labels *Node) *Node {
			return net.Velocity(scope.In("model"), x, tt, nn.Cond{Labels: labels})
		})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Call(x, tt, labels)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := tensors.CopyFlatData[float32](out[0])
		return v, store
	}
	got, store := run(m)
	want, _ := run(m.SiT())
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("Velocity differs from SiT's at %d: %v vs %v", i, got[i], want[i])
		}
	}
	for v := range store.IterVariables() {
		if strings.Contains(v.Path(), repa.HeadScope) {
			t.Errorf("sampling graph created head variable %s", v.Path())
		}
	}
}

// TestTargetsOnSiTGrid checks Targets against Fit + Encode + MapTokens for a SiT on 12×12 images with
// patch 4 (3×3 grid) and a 16×16 encoder with a 4×4 grid.
func TestTargetsOnSiTGrid(t *testing.T) {
	s := smallSiT()
	s.ImageSize, s.PatchSize = 12, 4
	cfg := repa.DefaultConfig(s)
	cfg.AlignDepth = 1
	enc := randomEncoder(t, 2)
	m, err := repa.New(cfg, enc)
	if err != nil {
		t.Fatal(err)
	}
	x1 := randTensor(31, 2, 12, 12, 1)
	res, err := ExecOnceN(graphtest.Backend(t), func(x1 *Node) []*Node {
		got := m.Targets(x1)
		want := encoder.MapTokens(enc.Encode(encoder.Fit(x1, 16)), 16, 4, 12, 3)
		return []*Node{got, ReduceAllMax(Abs(Sub(got, want)))}
	}, x1)
	if err != nil {
		t.Fatal(err)
	}
	if dims := res[0].Shape().Dimensions; dims[0] != 2 || dims[1] != 9 || dims[2] != 16 {
		t.Errorf("Targets shape %v, want [2 9 16]", dims)
	}
	if d := scalar(res[1]); d != 0 {
		t.Errorf("Targets differ from Fit+Encode+MapTokens by %g", d)
	}
}

// TestTargetsResized checks Targets with Fit FitResize against Resize + Encode for a SiT on 8×8 images
// with patch 2 (4×4 grid) and a 16×16 encoder with a 4×4 grid: the resized image fills the encoder's
// frame, so the grids coincide and no token is resampled; and that an unknown Fit is refused.
func TestTargetsResized(t *testing.T) {
	s := smallSiT()
	s.ImageSize, s.PatchSize = 8, 2
	cfg := repa.DefaultConfig(s)
	cfg.AlignDepth, cfg.Fit = 1, repa.FitResize
	enc := randomEncoder(t, 2)
	m, err := repa.New(cfg, enc)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Fit = repa.FitPad
	mp, err := repa.New(cfg, enc)
	if err != nil {
		t.Fatal(err)
	}
	x1 := randTensor(32, 2, 8, 8, 1)
	res, err := ExecOnceN(graphtest.Backend(t), func(x1 *Node) []*Node {
		got := m.Targets(x1)
		want := enc.Encode(ClipScalar(encoder.Resize(x1, 16), -1, 1))
		return []*Node{got, ReduceAllMax(Abs(Sub(got, want))), ReduceAllMax(Abs(Sub(got, mp.Targets(x1))))}
	}, x1)
	if err != nil {
		t.Fatal(err)
	}
	if dims := res[0].Shape().Dimensions; dims[0] != 2 || dims[1] != 16 || dims[2] != 16 {
		t.Errorf("Targets shape %v, want [2 16 16]", dims)
	}
	if d := scalar(res[1]); d != 0 {
		t.Errorf("resized Targets differ from Resize+Encode by %g", d)
	}
	if d := scalar(res[2]); d < 1e-3 {
		t.Errorf("resized and padded Targets differ by only %g: Fit is not used", d)
	}
	cfg.Fit = "stretch"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "stretch") {
		t.Errorf("Validate with Fit %q: %v, want an error naming it", cfg.Fit, err)
	}
}

// source is a seeded datasets.Source of random 16×16 images with labels.
type source struct{ seed uint64 }

func (s source) Name() string { return fmt.Sprintf("random16(seed=%d)", s.seed) }
func (s source) Batch(step int64, size int) (datasets.Batch, error) {
	labels := make([]int32, size)
	for i := range labels {
		labels[i] = int32((int(step)*size + i) % 10)
	}
	return datasets.Batch{X: randTensor(s.seed+uint64(step)*1000, size, 16, 16, 1),
		Cond: datasets.Cond{Labels: tensors.FromFlatDataAndDimensions(labels, size)}}, nil
}

// TestTrainerKeepsEncoderFrozen trains a few steps with the trainer (standard, then MixFlow
// post-training): the encoder's weights and its outputs stay the same, the trainer's Store holds no
// encoder variable, the head trains, and the trainer logs the "repa" term.
func TestTrainerKeepsEncoderFrozen(t *testing.T) {
	m := newModel(t, nil)
	enc := m.Encoder().(*encoder.ViT)
	fp := enc.Fingerprint()
	probe := randTensor(41, 3, 16, 16, 1)
	before, err := encoder.EncodeTensor(enc, probe, 0)
	if err != nil {
		t.Fatal(err)
	}
	cfg := trainer.DefaultConfig()
	cfg.Steps, cfg.BatchSize, cfg.LR, cfg.LogEvery, cfg.EMADecay = 4, 4, 1e-3, 1, 0.9
	cfg.CheckpointDir = t.TempDir()
	tr, err := trainer.New(cfg, m, repaexp.Wrap(objective.FlowMatching{LabelDropout: 0.1}), source{1})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Init(); err != nil {
		t.Fatal(err)
	}
	headBefore := map[string][]float32{}
	for v := range tr.Store().IterVariables() {
		p := v.Path()
		if strings.Contains(strings.ToLower(p), "encoder") {
			t.Errorf("trainer store holds encoder variable %s", p)
		}
		if strings.HasPrefix(p, "/model/"+repa.HeadScope+"/") {
			headBefore[p], _ = tensors.CopyFlatData[float32](v.MustValue())
		}
	}
	if len(headBefore) != 6 {
		t.Fatalf("found %d head variables, want 6", len(headBefore))
	}
	hist, err := tr.Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if names := tr.AuxLossNames(); len(names) != 1 || names[0] != repa.AuxLossName {
		t.Errorf("trainer aux losses %v, want [repa]", names)
	}
	if r := hist.Aux[repa.AuxLossName]; len(r) == 0 || math.IsNaN(r[len(r)-1]) || math.Abs(r[len(r)-1]) > 0.5 {
		t.Errorf("logged repa term %v, want finite values in [−0.5, 0.5]", r)
	}
	for v := range tr.Store().IterVariables() {
		if old, ok := headBefore[v.Path()]; ok {
			now, _ := tensors.CopyFlatData[float32](v.MustValue())
			same := true
			for i := range now {
				same = same && now[i] == old[i]
			}
			if same {
				t.Errorf("head variable %s did not train", v.Path())
			}
		}
	}

	// MixFlow post-training from that checkpoint keeps the term and the encoder frozen.
	mix, err := objective.NewMixFlow(0.8)
	if err != nil {
		t.Fatal(err)
	}
	post := cfg
	post.CheckpointDir = t.TempDir()
	pt, err := trainer.PostTrain(post, m, repaexp.Wrap(mix), source{2}, trainer.PostTrainOptions{Base: tr.LastCheckpoint(), FromEMA: true})
	if err != nil {
		t.Fatal(err)
	}
	ph, err := pt.Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r := ph.Aux[repa.AuxLossName]; len(r) == 0 {
		t.Errorf("MixFlow post-training logged no repa term")
	}
	if enc.Fingerprint() != fp {
		t.Errorf("encoder weights changed during training")
	}
	after, err := encoder.EncodeTensor(enc, probe, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := tensors.CopyFlatData[float32](before)
	c, _ := tensors.CopyFlatData[float32](after)
	for i := range a {
		if a[i] != c[i] {
			t.Fatalf("encoder output changed after training at %d: %v → %v", i, a[i], c[i])
		}
	}
}

// TestWrapPassesPlainBackbones checks that the wrapper leaves a backbone without WithTargets alone.
func TestWrapPassesPlainBackbones(t *testing.T) {
	const b = 4
	d := newDraws(b)
	plain, err := sit.New(smallSiT())
	if err != nil {
		t.Fatal(err)
	}
	fm := objective.FlowMatching{}
	w := repaexp.Wrap(fm)
	if w.Name() != "repa+"+fm.Name() {
		t.Errorf("Name = %q", w.Name())
	}
	if err := (repaexp.Objective{}).Validate(); err == nil {
		t.Errorf("empty wrapper validated")
	}
	res := make([]float64, 2)
	for i, obj := range []objective.Detailed{fm, w} {
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, int64(5))
		out, err := model.NewExec(graphtest.Backend(t), store, func(scope *model.Scope, x1, labels *Node) *Node {
			terms := obj.TermsGraph(scope.In("model"), plain, x1, nn.Cond{Labels: labels})
			if n := nn.AuxLossNames(x1.Graph()); len(n) != 0 {
				t.Errorf("aux losses %v registered for a plain backbone", n)
			}
			return terms.Loss
		})
		if err != nil {
			t.Fatal(err)
		}
		r, err := out.Call(d.x1, d.labels)
		if err != nil {
			t.Fatal(err)
		}
		res[i] = scalar(r[0])
	}
	if res[0] != res[1] {
		t.Errorf("wrapped loss %v differs from the plain objective's %v", res[1], res[0])
	}
}
