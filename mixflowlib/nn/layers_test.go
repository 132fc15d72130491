package nn_test

import (
	"encoding/json"
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

func randTensor(rng *rand.Rand, dims ...int) (*tensors.Tensor, []float32) {
	t := graphtest.Fill(rng.NormFloat64, dims...)
	return t, tensors.MustCopyFlatData[float32](t)
}

// TestPatchifyRoundTrip checks the token layout against the index formula on a non-square image and
// that Unpatchify inverts Patchify exactly.
func TestPatchifyRoundTrip(t *testing.T) {
	be := graphtest.Backend(t)
	const b, h, w, c, p = 2, 8, 12, 3, 4
	x, xv := randTensor(rand.New(rand.NewSource(1)), b, h, w, c)
	out := model.MustCallOnceN(be, model.NewStore(), func(_ *model.Scope, x *Node) []*Node {
		tok := nn.Patchify(x, p)
		return []*Node{tok, nn.Unpatchify(tok, h/p, w/p, p, c)}
	}, x)
	tok, back := graphtest.Flat(t, out[0]), graphtest.Flat(t, out[1])
	if got, want := out[0].Shape().Dimensions, []int{b, (h / p) * (w / p), p * p * c}; !slices.Equal(got, want) {
		t.Fatalf("tokens shape %v, want %v", got, want)
	}
	gw, nTok, tokLen := w/p, (h/p)*(w/p), p*p*c
	for bi := 0; bi < b; bi++ {
		for y := 0; y < h; y++ {
			for xx := 0; xx < w; xx++ {
				for ci := 0; ci < c; ci++ {
					i, r, j, s := y/p, y%p, xx/p, xx%p
					want := xv[((bi*h+y)*w+xx)*c+ci]
					got := tok[(bi*nTok+i*gw+j)*tokLen+(r*p+s)*c+ci]
					if got != want {
						t.Fatalf("token value for pixel (%d,%d,%d,%d) = %g, want %g", bi, y, xx, ci, got, want)
					}
				}
			}
		}
	}
	for i := range xv {
		if back[i] != xv[i] {
			t.Fatalf("Unpatchify(Patchify(x)) differs at %d: %g vs %g", i, back[i], xv[i])
		}
	}
}

func TestCheckPatchable(t *testing.T) {
	f := dtypes.Float32
	for _, tc := range []struct {
		s    shapes.Shape
		p    int
		want string
	}{
		{shapes.Make(f, 2, 30, 32, 1), 4, "not a multiple of the patch size"},
		{shapes.Make(f, 2, 32, 32), 4, "[B, H, W, C]"},
		{shapes.Make(f, 2, 32, 32, 1), 0, "patch size 0"},
	} {
		err := nn.CheckPatchable(tc.s, tc.p)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "nn: ") {
			t.Errorf("CheckPatchable(%s, %d) = %v, want error containing %q", tc.s, tc.p, err, tc.want)
		}
	}
	if err := nn.CheckPatchable(shapes.Make(f, 2, 28, 28, 1), 7); err != nil {
		t.Errorf("28×28 with patch 7 rejected: %v", err)
	}
}

// TestPosEmbed2D checks the DiT/MAE 2-D sin-cos embedding against a hand computation on a 2×3 grid with
// dim 8: each half uses frequencies ω = 1 and ω = 10000^(−1/2) = 0.01; the first half encodes the
// column, the second the row.
func TestPosEmbed2D(t *testing.T) {
	const gh, gw, dim = 2, 3, 8
	got, err := nn.PosEmbed2D(gh, gw, dim)
	if err != nil {
		t.Fatal(err)
	}
	s, c := math.Sin, math.Cos
	for i := 0; i < gh; i++ {
		for j := 0; j < gw; j++ {
			x, y := float64(j), float64(i)
			want := []float64{s(x), s(0.01 * x), c(x), c(0.01 * x), s(y), s(0.01 * y), c(y), c(0.01 * y)}
			row := got[(i*gw+j)*dim : (i*gw+j+1)*dim]
			for k := range want {
				if math.Abs(row[k]-want[k]) > 1e-12 {
					t.Errorf("token (%d,%d) channel %d = %.15g, want %.15g", i, j, k, row[k], want[k])
				}
			}
		}
	}
	// The graph constant holds the same values.
	be := graphtest.Backend(t)
	out := model.MustCallOnce(be, model.NewStore(), func(_ *model.Scope, x *Node) *Node {
		return nn.PosEmbed2DConst(x, gh, gw, dim)
	}, tensors.FromValue([]float32{0}))
	if !slices.Equal(out.Shape().Dimensions, []int{1, gh * gw, dim}) {
		t.Fatalf("PosEmbed2DConst shape %s", out.Shape())
	}
	for i, v := range graphtest.Flat(t, out) {
		if math.Abs(float64(v)-got[i]) > 1e-6 {
			t.Fatalf("PosEmbed2DConst[%d] = %g, want %g", i, v, got[i])
		}
	}
	if _, err := nn.PosEmbed2D(2, 2, 6); err == nil || !strings.Contains(err.Error(), "multiple of 4") {
		t.Errorf("dim 6: got %v, want a multiple-of-4 error", err)
	}
	if _, err := nn.SinCos1D([]float64{1}, 3); err == nil {
		t.Error("SinCos1D with odd dim: no error")
	}
}

// TestModulateAndGate checks x·(1+scale)+shift and the gate, per sample and per token.
func TestModulateAndGate(t *testing.T) {
	be := graphtest.Backend(t)
	out := model.MustCallOnceN(be, model.NewStore(), func(_ *model.Scope, g *Graph) []*Node {
		x := Const(g, [][][]float32{{{1, 2}, {3, 4}}})        // [1, 2, 2]
		shift := Const(g, [][]float32{{10, 20}})              // [1, 2]
		scale := Const(g, [][]float32{{1, -0.5}})             // [1, 2]
		tokScale := Const(g, [][][]float32{{{0, 1}, {2, 3}}}) // [1, 2, 2]
		return []*Node{nn.Modulate(x, shift, scale), nn.Gate(x, scale), nn.Modulate(x, ZerosLike(tokScale), tokScale)}
	})
	for i, want := range [][]float32{
		{12, 21, 16, 22},
		{1, -1, 3, -2},
		{1, 4, 9, 16},
	} {
		got := graphtest.Flat(t, out[i])
		for k := range want {
			if got[k] != want[k] {
				t.Errorf("output %d = %v, want %v", i, got, want)
				break
			}
		}
	}
}

// TestAdaLNModulationZero checks that the modulation starts at exactly zero and splits into n vectors.
func TestAdaLNModulationZero(t *testing.T) {
	be := graphtest.Backend(t)
	x, _ := randTensor(rand.New(rand.NewSource(2)), 3, 5)
	out := model.MustCallOnceN(be, model.NewStore(), func(scope *model.Scope, c *Node) []*Node {
		return nn.AdaLNModulation(scope.In("ada"), c, 6, 4)
	}, x)
	if len(out) != 6 {
		t.Fatalf("got %d vectors, want 6", len(out))
	}
	for i, o := range out {
		if !slices.Equal(o.Shape().Dimensions, []int{3, 4}) {
			t.Errorf("vector %d has shape %s, want [3 4]", i, o.Shape())
		}
		for _, v := range graphtest.Flat(t, o) {
			if v != 0 {
				t.Fatalf("vector %d not zero at init", i)
			}
		}
	}
}

// TestSelfAttentionReference compares SelfAttention (both implementations, same variables) with a
// float64 host computation from the stored weights.
func TestSelfAttentionReference(t *testing.T) {
	be := graphtest.Backend(t)
	const b, n, d, heads = 2, 5, 8, 2
	rng := rand.New(rand.NewSource(3))
	x, xv := randTensor(rng, b, n, d)
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(5))
	attn := func(impl nn.AttentionImpl) []float32 {
		out := model.MustCallOnce(be, store, func(scope *model.Scope, x *Node) *Node {
			// Random biases too, so that their layout is checked.
			s := scope.In("attn").WithInitializer(initializer.RandomNormalFn(scope, 0.5))
			return nn.SelfAttention(s, x, heads, impl)
		}, x)
		return graphtest.Flat(t, out)
	}
	gotE := attn(nn.AttentionEinsum)
	gotF := attn(nn.AttentionFused)
	gotD := attn(nn.AttentionDefault)
	val := func(path string) []float32 {
		v := store.GetVariable(path)
		if v == nil {
			t.Fatalf("variable %s not found", path)
		}
		tv, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		return graphtest.Flat(t, tv)
	}
	wqkv, bqkv := val("/attn/qkv/dense/weights"), val("/attn/qkv/dense/biases")
	wo, bo := val("/attn/proj/dense/weights"), val("/attn/proj/dense/biases")
	want := make([]float64, b*n*d)
	for bi := 0; bi < b; bi++ {
		// qkv[t][o] = Σ_i x[t][i]·W[i][o] + bias[o], o = (which, head, k).
		qkv := make([][]float64, n)
		for tk := 0; tk < n; tk++ {
			qkv[tk] = make([]float64, 3*d)
			for o := 0; o < 3*d; o++ {
				s := float64(bqkv[o])
				for i := 0; i < d; i++ {
					s += float64(xv[(bi*n+tk)*d+i]) * float64(wqkv[i*3*d+o])
				}
				qkv[tk][o] = s
			}
		}
		concat := graphtest.RefAttention(qkv, heads) // concatenated head outputs per token
		for tk := 0; tk < n; tk++ {
			for o := 0; o < d; o++ {
				s := float64(bo[o])
				for i := 0; i < d; i++ {
					s += concat[tk][i] * float64(wo[i*d+o])
				}
				want[(bi*n+tk)*d+o] = s
			}
		}
	}
	tol := 1e-4
	if backend.Current().Kind != backend.Go {
		tol = 5e-3 // XLA on GPUs may run float32 matrix products in TF32
	}
	for name, got := range map[string][]float32{"einsum": gotE, "fused": gotF, "default": gotD} {
		for i := range want {
			if math.Abs(float64(got[i])-want[i]) > tol*(1+math.Abs(want[i])) {
				t.Errorf("%s attention[%d] = %g, want %g", name, i, got[i], want[i])
				break
			}
		}
	}
}

// TestLabelEmbedding checks the null row, NaN for invalid labels and NullLabels.
func TestLabelEmbedding(t *testing.T) {
	be := graphtest.Backend(t)
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(7))
	out := model.MustCallOnceN(be, store, func(scope *model.Scope, l *Node) []*Node {
		return []*Node{nn.LabelEmbedding(scope.In("y"), l, 3, 4, dtypes.Float32), nn.NullLabels(l)}
	}, tensors.FromValue([]int32{0, 2, -1, 3}))
	emb := graphtest.Flat(t, out[0])
	tv, _ := store.GetVariable("/y/embedding_table").Value()
	table := graphtest.Flat(t, tv)
	if len(table) != 4*4 {
		t.Fatalf("table has %d values, want (3+1)·4", len(table))
	}
	for i, row := range []int{0, 2, 3} { // label -1 → row NumClasses = 3
		for k := 0; k < 4; k++ {
			if emb[i*4+k] != table[row*4+k] {
				t.Fatalf("sample %d uses the wrong row: %v vs row %d %v", i, emb[i*4:i*4+4], row, table[row*4:row*4+4])
			}
		}
	}
	if !math.IsNaN(float64(emb[12])) {
		t.Errorf("label 3 with 3 classes gave %v, want NaN", emb[12:16])
	}
	nulls, _ := tensors.CopyFlatData[int32](out[1])
	for _, v := range nulls {
		if v != nn.NullLabel {
			t.Fatalf("NullLabels = %v", nulls)
		}
	}
}

// TestTimestepMLPInit checks the shapes and the SiT initialisation (N(0, 0.02²) weights, zero biases).
func TestTimestepMLPInit(t *testing.T) {
	be := graphtest.Backend(t)
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(9))
	out := model.MustCallOnce(be, store, func(scope *model.Scope, tt *Node) *Node {
		return nn.TimestepMLP(scope.In("t_embedder"), tt, 256, 64, 1)
	}, tensors.FromValue([]float32{0, 0.5, 1}))
	if !slices.Equal(out.Shape().Dimensions, []int{3, 64}) {
		t.Fatalf("shape %s, want [3 64]", out.Shape())
	}
	for _, name := range []string{"mlp_0", "mlp_2"} {
		w, _ := store.GetVariable("/t_embedder/" + name + "/dense/weights").Value()
		bias, _ := store.GetVariable("/t_embedder/" + name + "/dense/biases").Value()
		for _, v := range graphtest.Flat(t, bias) {
			if v != 0 {
				t.Fatalf("%s bias not zero at init", name)
			}
		}
		wv := graphtest.Flat(t, w)
		ss := 0.0
		for _, v := range wv {
			ss += float64(v) * float64(v)
		}
		if std := math.Sqrt(ss / float64(len(wv))); math.Abs(std-0.02) > 0.002 {
			t.Errorf("%s weight std %.4f, want ≈ 0.02", name, std)
		}
	}
}

func TestParseAttentionImpl(t *testing.T) {
	for _, impl := range []nn.AttentionImpl{nn.AttentionDefault, nn.AttentionEinsum, nn.AttentionFused} {
		got, err := nn.ParseAttentionImpl(impl.String())
		if err != nil || got != impl {
			t.Errorf("ParseAttentionImpl(%q) = %v, %v", impl.String(), got, err)
		}
	}
	if _, err := nn.ParseAttentionImpl("flash"); err == nil || !strings.Contains(err.Error(), `"flash"`) {
		t.Errorf("unknown name: %v", err)
	}
	js, err := json.Marshal(struct{ A nn.AttentionImpl }{nn.AttentionFused})
	if err != nil || string(js) != `{"A":"fused"}` {
		t.Errorf("json.Marshal = %s, %v", js, err)
	}
	var back struct{ A nn.AttentionImpl }
	if err := json.Unmarshal(js, &back); err != nil || back.A != nn.AttentionFused {
		t.Errorf("json.Unmarshal = %v, %v", back.A, err)
	}
	if err := json.Unmarshal([]byte(`{"A":"flash"}`), &back); err == nil {
		t.Error("json.Unmarshal accepted an unknown implementation")
	}
}
