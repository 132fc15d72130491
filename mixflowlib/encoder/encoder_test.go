package encoder

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/internal/graphtest"
)

func run1(tb testing.TB, fn func(x *Node) *Node, in *tensors.Tensor) []float32 {
	tb.Helper()
	out, err := ExecOnce(graphtest.Backend(tb), fn, in)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := tensors.CopyFlatData[float32](out)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func TestFitPadsAndCrops(t *testing.T) {
	for _, tc := range []struct{ in, out, before int }{{28, 32, 2}, {27, 32, 2}, {32, 28, -2}, {16, 16, 0}} {
		px := randPixels(1, tc.in, tc.in, 1, 1)
		got := run1(t, func(x *Node) *Node { return Fit(x, tc.out) },
			tensors.FromFlatDataAndDimensions(px, 1, tc.in, tc.in, 1))
		if len(got) != tc.out*tc.out {
			t.Fatalf("%d→%d: got %d values", tc.in, tc.out, len(got))
		}
		for y := range tc.out {
			for x := range tc.out {
				sy, sx := y-tc.before, x-tc.before
				want := float32(-1)
				if sy >= 0 && sy < tc.in && sx >= 0 && sx < tc.in {
					want = px[sy*tc.in+sx]
				}
				if got[y*tc.out+x] != want {
					t.Fatalf("%d→%d: pixel (%d, %d) = %v, want %v", tc.in, tc.out, y, x, got[y*tc.out+x], want)
				}
			}
		}
	}
}

// TestResizeMatchesResample checks Resize against images.Resample on 8-bit images: the graph's resize
// differs from the host's only by Resample's rounding to whole pixel values (half a level, 0.5/127.5).
func TestResizeMatchesResample(t *testing.T) {
	for _, c := range [][2]int{{16, 28}, {28, 16}, {12, 28}, {16, 16}} {
		in, out := c[0], c[1]
		rng := rand.New(rand.NewPCG(uint64(in), uint64(out)))
		px := make([]uint8, in*in)
		x := make([]float32, in*in)
		for i := range px {
			px[i] = uint8(rng.IntN(256))
			x[i] = images.Normalize(px[i])
		}
		want, err := images.Resample(px, in, in, 1, out, out, images.Resize, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := run1(t, func(x *Node) *Node { return Resize(x, out) }, tensors.FromFlatDataAndDimensions(x, 1, in, in, 1))
		if len(got) != out*out {
			t.Fatalf("%d→%d: got %d values", in, out, len(got))
		}
		for i, v := range want {
			if d := math.Abs(float64(got[i] - images.Normalize(v))); d > 0.5/127.5+1e-5 {
				t.Fatalf("%d→%d: pixel %d = %v, Resample gives %v", in, out, i, got[i], images.Normalize(v))
			}
		}
	}
}

func TestAreaWeightsRowsSumToOne(t *testing.T) {
	for _, c := range [][2]int{{8, 4}, {4, 8}, {8, 7}, {7, 8}, {5, 3}} {
		w := AreaWeights(c[0], c[1])
		for i := range c[1] {
			s := 0.0
			for a := range c[0] {
				s += w[i*c[0]+a]
			}
			if math.Abs(s-1) > 1e-12 {
				t.Errorf("AreaWeights(%d, %d) row %d sums to %v", c[0], c[1], i, s)
			}
		}
	}
	// 8 → 4 is 2-cell averaging.
	w := AreaWeights(8, 4)
	if w[0] != 0.5 || w[1] != 0.5 || w[2] != 0 {
		t.Errorf("AreaWeights(8, 4) row 0 = %v, want [0.5 0.5 0 …]", w[:8])
	}
}

func TestGridWeights(t *testing.T) {
	// 28×28 padded to 32×32 (offset 2), 8×8 encoder cells of 4 px, SiT grid 4×4 of 7 px:
	// target cell 0 covers [2, 9) of the encoder frame: 2 px of cell 0, 4 of cell 1, 1 of cell 2.
	w := GridWeights(32, 8, 28, 4)
	want := []float64{2.0 / 7, 4.0 / 7, 1.0 / 7, 0, 0, 0, 0, 0}
	for a, v := range want {
		if math.Abs(w[a]-v) > 1e-12 {
			t.Fatalf("GridWeights(32, 8, 28, 4) row 0 = %v, want %v", w[:8], want)
		}
	}
	// Last target cell [23, 30): 1 px of cell 5, 4 of cell 6, 2 of cell 7.
	want = []float64{0, 0, 0, 0, 0, 1.0 / 7, 4.0 / 7, 2.0 / 7}
	for a, v := range want {
		if math.Abs(w[3*8+a]-v) > 1e-12 {
			t.Fatalf("GridWeights(32, 8, 28, 4) row 3 = %v, want %v", w[24:], want)
		}
	}
	// Same frame: AreaWeights. Cropping (36 → 32, offset −2): first target cell [−2, 7) is renormalised
	// over its 7 px inside the frame.
	if a, b := GridWeights(32, 8, 32, 4), AreaWeights(8, 4); maxAbsDiff64(a, b) > 1e-12 {
		t.Errorf("GridWeights on the same frame differs from AreaWeights")
	}
	w = GridWeights(32, 8, 36, 4)
	if math.Abs(w[0]-4.0/7) > 1e-12 || math.Abs(w[1]-3.0/7) > 1e-12 {
		t.Errorf("cropped row 0 = %v, want [4/7 3/7 0 …]", w[:8])
	}
}

func maxAbsDiff64(a, b []float64) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

func TestMapTokensMatchesHostWeights(t *testing.T) {
	const d = 2
	tok := randPixels(2, 64, d, 1, 9) // [2, 8×8, 2]
	got := run1(t, func(x *Node) *Node { return MapTokens(x, 32, 8, 28, 4) }, tensors.FromFlatDataAndDimensions(tok, 2, 64, d))
	w := GridWeights(32, 8, 28, 4)
	for b := range 2 {
		for i := range 4 {
			for j := range 4 {
				for c := range d {
					want := 0.0
					for a := range 8 {
						for e := range 8 {
							want += w[i*8+a] * w[j*8+e] * float64(tok[(b*64+a*8+e)*d+c])
						}
					}
					if g := float64(got[((b*16)+i*4+j)*d+c]); math.Abs(g-want) > 1e-5 {
						t.Fatalf("MapTokens[%d, %d, %d, %d] = %v, want %v", b, i, j, c, g, want)
					}
				}
			}
		}
	}
}

func TestResampleTokens(t *testing.T) {
	const d = 3
	tok := randPixels(1, 16, d, 1, 5) // [1, 4×4, 3]
	in := tensors.FromFlatDataAndDimensions(tok, 1, 16, d)
	// 4×4 → 2×2: average of 2×2 blocks.
	got := run1(t, func(x *Node) *Node { return ResampleTokens(x, 4, 2) }, in)
	for i := range 2 {
		for j := range 2 {
			for c := range d {
				want := 0.0
				for a := range 2 {
					for b := range 2 {
						want += float64(tok[((2*i+a)*4+2*j+b)*d+c]) / 4
					}
				}
				if g := float64(got[(i*2+j)*d+c]); math.Abs(g-want) > 1e-6 {
					t.Fatalf("4→2 cell (%d, %d, %d) = %v, want %v", i, j, c, g, want)
				}
			}
		}
	}
	// 4×4 → 8×8: each token repeated over a 2×2 block.
	got = run1(t, func(x *Node) *Node { return ResampleTokens(x, 4, 8) }, in)
	for i := range 8 {
		for j := range 8 {
			for c := range d {
				if want, g := tok[((i/2)*4+j/2)*d+c], got[(i*8+j)*d+c]; math.Abs(float64(g-want)) > 1e-6 {
					t.Fatalf("4→8 cell (%d, %d, %d) = %v, want %v", i, j, c, g, want)
				}
			}
		}
	}
	// 4×4 → 3×3 keeps constant tokens constant.
	ones := make([]float32, 16*d)
	for i := range ones {
		ones[i] = 2.5
	}
	got = run1(t, func(x *Node) *Node { return ResampleTokens(x, 4, 3) }, tensors.FromFlatDataAndDimensions(ones, 1, 16, d))
	for i, g := range got {
		if math.Abs(float64(g)-2.5) > 1e-5 {
			t.Fatalf("4→3 of constant tokens: value %d = %v", i, g)
		}
	}
	// Mismatched grid panics with a message naming the problem.
	_, err := ExecOnce(graphtest.Backend(t), func(x *Node) *Node { return ResampleTokens(x, 5, 2) }, in)
	if err == nil || !strings.Contains(err.Error(), "5×5 grid") {
		t.Errorf("ResampleTokens on a wrong grid: err = %v", err)
	}
}

func TestViTConfigValidate(t *testing.T) {
	if err := DefaultViTConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		mod  func(*ViTConfig)
		want string
	}{
		{func(c *ViTConfig) { c.ImageSize = 30 }, "not a multiple of PatchSize"},
		{func(c *ViTConfig) { c.Width = 66 }, "multiple of 4"},
		{func(c *ViTConfig) { c.Heads = 3 }, "not divisible by Heads"},
		{func(c *ViTConfig) { c.Depth = 0 }, "Depth 0 must be positive"},
		{func(c *ViTConfig) { c.Channels = -1 }, "Channels -1"},
	} {
		c := DefaultViTConfig()
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "encoder: ") {
			t.Errorf("Validate(%+v) = %v, want an error containing %q", c, err, tc.want)
		}
	}
	if n := DefaultViTConfig().NumParams(); n != 103744 {
		t.Errorf("default encoder has %d parameters, want 103744", n)
	}
}

func TestNewViTRejectsBadWeights(t *testing.T) {
	cfg := smallViT()
	good := randomViT(t, cfg, 1).Weights()
	cases := map[string]func(map[string]*tensors.Tensor){
		"missing": func(w map[string]*tensors.Tensor) { delete(w, "norm/gain") },
		"unexpected": func(w map[string]*tensors.Tensor) {
			w["extra/weights"] = tensors.FromFlatDataAndDimensions([]float32{1}, 1)
		},
		"has shape": func(w map[string]*tensors.Tensor) {
			w["norm/gain"] = tensors.FromFlatDataAndDimensions(make([]float32, 8), 8)
		},
		"is NaN": func(w map[string]*tensors.Tensor) {
			v := make([]float32, 16)
			v[3] = float32(math.NaN())
			w["norm/offset"] = tensors.FromFlatDataAndDimensions(v, 16)
		},
	}
	for want, mod := range cases {
		w := map[string]*tensors.Tensor{}
		for k, v := range good {
			w[k] = v
		}
		mod(w)
		if _, err := NewViT(cfg, w); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NewViT with a %s weight: err = %v", want, err)
		}
	}
}

// leaky is an encoder that breaks the contract: gradients reach its input.
type leaky struct{ spec Spec }

func (l leaky) Spec() Spec { return l.spec }
func (l leaky) Encode(x *Node) *Node {
	b := x.Shape().Dimensions[0]
	return Reshape(x, b, l.spec.Grid*l.spec.Grid, -1)
}

func TestCheckEncoder(t *testing.T) {
	if err := CheckEncoder(randomViT(t, smallViT(), 1)); err != nil {
		t.Fatalf("random ViT: %v", err)
	}
	bad := leaky{Spec{Name: "leaky", ImageSize: 4, Channels: 1, Grid: 2, Dim: 4}}
	if err := CheckEncoder(bad); err == nil || !strings.Contains(err.Error(), "StopGradient") {
		t.Errorf("leaky encoder: err = %v, want a StopGradient complaint", err)
	}
	wrongDim := leaky{Spec{Name: "wrong", ImageSize: 4, Channels: 1, Grid: 2, Dim: 5}}
	if err := CheckEncoder(wrongDim); err == nil {
		t.Errorf("encoder with a wrong output shape passed CheckEncoder")
	}
	if err := CheckEncoder(nil); err == nil {
		t.Errorf("nil encoder passed CheckEncoder")
	}
}

// TestEncodeIsFrozen checks that Encode creates no variables in the Store of the graph that uses it and
// that no gradient flows through it, even when the loss depends on it.
func TestEncodeIsFrozen(t *testing.T) {
	vit := randomViT(t, smallViT(), 2)
	before := vit.Fingerprint()
	store := model.NewStore()
	exec, err := model.NewExec(graphtest.Backend(t), store, func(scope *model.Scope, x *Node) []*Node {
		w := scope.In("w").VariableWithValue("scale", float32(1)).NodeValue(x.Graph())
		xs := Mul(x, w)
		loss := ReduceAllSum(Square(vit.Encode(xs)))
		grads := Gradient(loss, x, w)
		return []*Node{loss, ReduceAllMax(Abs(grads[0])), Abs(grads[1])}
	})
	if err != nil {
		t.Fatal(err)
	}
	out := exec.MustCall(tensors.FromFlatDataAndDimensions(randPixels(2, 16, 16, 1, 3), 2, 16, 16, 1))
	if n := store.NumVariables(); n != 1 {
		for v := range store.IterVariables() {
			t.Logf("variable %s", v.Path())
		}
		t.Errorf("store holds %d variables after Encode, want only the test's own 1", n)
	}
	for i, name := range []string{"∂loss/∂x", "∂loss/∂w"} {
		if g := tensors.ToScalar[float32](out[i+1]); g != 0 {
			t.Errorf("%s = %v through the frozen encoder, want 0", name, g)
		}
	}
	if vit.Fingerprint() != before {
		t.Errorf("weights changed")
	}
}

func TestEncodeFlat(t *testing.T) {
	vit := randomViT(t, smallViT(), 3)
	const n = 5
	px := randPixels(n, 16, 16, 1, 4)
	one, err := EncodeFlat(vit, px, n, 16, 16, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(one) != n*16*16 {
		t.Fatalf("got %d values, want %d", len(one), n*16*16)
	}
	chunked, err := EncodeFlat(vit, px, n, 16, 16, 1, 2) // 2 + 2 + 1 (padded)
	if err != nil {
		t.Fatal(err)
	}
	if d := graphtest.MaxAbsDiff(one, chunked); d > 1e-5 {
		t.Errorf("chunked encoding differs by %g", d)
	}
	graph := run1(t, vit.Encode, tensors.FromFlatDataAndDimensions(px, n, 16, 16, 1))
	if d := graphtest.MaxAbsDiff(one, graph); d > 1e-5 {
		t.Errorf("EncodeFlat differs from Encode by %g", d)
	}
	// Smaller images are padded with −1 like Fit.
	small := randPixels(2, 12, 12, 1, 5)
	padded := run1(t, func(x *Node) *Node { return vit.Encode(Fit(x, 16)) }, tensors.FromFlatDataAndDimensions(small, 2, 12, 12, 1))
	got, err := EncodeFlat(vit, small, 2, 12, 12, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := graphtest.MaxAbsDiff(got, padded); d > 1e-5 {
		t.Errorf("EncodeFlat of 12×12 images differs from Encode(Fit) by %g", d)
	}
	tensor, err := EncodeTensor(vit, tensors.FromFlatDataAndDimensions(px, n, 16, 16, 1), 3)
	if err != nil {
		t.Fatal(err)
	}
	if dims := tensor.Shape().Dimensions; len(dims) != 3 || dims[0] != n || dims[1] != 16 || dims[2] != 16 {
		t.Errorf("EncodeTensor shape %v", dims)
	}

	bad := append([]float32(nil), px...)
	bad[16*16+3*16+5] = float32(math.NaN())
	if _, err := EncodeFlat(vit, bad, n, 16, 16, 1, 0); err == nil || !strings.Contains(err.Error(), "image 1 pixel (y 3, x 5") {
		t.Errorf("NaN pixel: err = %v", err)
	}
	bad[16*16+3*16+5] = 255
	if _, err := EncodeFlat(vit, bad, n, 16, 16, 1, 0); err == nil || !strings.Contains(err.Error(), "is 255") {
		t.Errorf("unnormalised pixel: err = %v", err)
	}
	if _, err := EncodeFlat(vit, px, n, 16, 16, 3, 0); err == nil || !strings.Contains(err.Error(), "1 channels") {
		t.Errorf("wrong channels: err = %v", err)
	}
	if _, err := EncodeFlat(vit, px[:10], n, 16, 16, 1, 0); err == nil || !strings.Contains(err.Error(), "pixel values") {
		t.Errorf("short data: err = %v", err)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	vit := randomViT(t, smallViT(), 4)
	dir := t.TempDir()
	path := filepath.Join(dir, "enc.mfckpt")
	cfg := DefaultTrainConfig()
	rep := TrainReport{Steps: 3, TestAccuracy: 0.5}
	if err := SaveTrained(path, vit, cfg, rep, nil); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Fingerprint() != vit.Fingerprint() || back.Spec() != vit.Spec() {
		t.Errorf("round trip changed the encoder: %s vs %s", back.Spec(), vit.Spec())
	}
	if r, ok := back.TrainReport(); !ok || r.Steps != 3 || r.TestAccuracy != 0.5 {
		t.Errorf("train report %+v, %v", r, ok)
	}
	if c, ok := back.TrainConfig(); !ok || c != cfg {
		t.Errorf("train config %+v, %v", c, ok)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode("bytes", data); err != nil {
		t.Errorf("Decode: %v", err)
	}
	data[len(data)-10] ^= 0xff
	corrupt := filepath.Join(dir, "corrupt.mfckpt")
	if err := os.WriteFile(corrupt, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(corrupt); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("corrupted file: err = %v, want a checksum error", err)
	}
	if _, err := Decode("corrupt-bytes", data); err == nil || !strings.Contains(err.Error(), "corrupt-bytes") {
		t.Errorf("corrupted bytes: err = %v, want an error naming the data", err)
	}
}

func TestShiftImages(t *testing.T) {
	const s = 12
	for seed := range uint64(20) {
		img := make([]float32, 2*s*s*2)
		for i := range img {
			img[i] = -1
		}
		img[(5*s+6)*2] = 1 // image 0, channel 0 at (5, 6)
		img[(5*s+6)*2+1] = 0.5
		x := tensors.FromFlatDataAndDimensions(img, 2, s, s, 2)
		images.RandomShift(x, 2, rand.New(rand.NewPCG(seed, 0)))
		out, _ := tensors.CopyFlatData[float32](x)
		found := 0
		for y := range s {
			for xx := range s {
				if out[(y*s+xx)*2] == 1 {
					found++
					if math.Abs(float64(y-5)) > 2 || math.Abs(float64(xx-6)) > 2 || out[(y*s+xx)*2+1] != 0.5 {
						t.Fatalf("seed %d: bright pixel moved to (%d, %d) without its second channel", seed, y, xx)
					}
				}
			}
		}
		if found != 1 {
			t.Fatalf("seed %d: %d bright pixels after the shift, want 1", seed, found)
		}
	}
}

func TestTrainValidate(t *testing.T) {
	set := synthSet(t, 16, 1)
	for _, tc := range []struct {
		mod  func(*TrainConfig)
		want string
	}{
		{func(c *TrainConfig) { c.MaskRatio = 1 }, "MaskRatio 1 outside"},
		{func(c *TrainConfig) { c.LR = math.NaN() }, "LR NaN"},
		{func(c *TrainConfig) { c.Steps, c.Epochs = 0, 0 }, "one must be positive"},
		{func(c *TrainConfig) { c.ReconWeight = -1 }, "ReconWeight -1"},
		{func(c *TrainConfig) { c.Arch.ImageSize = 21 }, "want at most 21×21×1"},
	} {
		cfg := DefaultTrainConfig()
		tc.mod(&cfg)
		if _, _, err := Train(set, nil, cfg, 0, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Train with %+v: err = %v, want %q", cfg, err, tc.want)
		}
	}
}

// TestTrainLearns trains a tiny encoder on synthetic data whose class is a bright bar's position: the
// loss must fall, the held-out accuracy must beat chance by far, and training is deterministic.
func TestTrainLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small network")
	}
	train, test := synthSet(t, 512, 1), synthSet(t, 200, 2)
	cfg := DefaultTrainConfig()
	cfg.Arch = ViTConfig{ImageSize: 32, Channels: 1, PatchSize: 8, Width: 16, Depth: 1, Heads: 2, MLPRatio: 2}
	cfg.Steps, cfg.BatchSize, cfg.WarmupSteps, cfg.LR, cfg.WeightDecay = 120, 32, 5, 5e-3, 0
	cfg.Flip, cfg.MaxShift = false, 0 // a flip would turn one class's bar position into another's
	var losses []float64
	vit, rep, err := Train(train, test, cfg, 1, func(p TrainProgress) { losses = append(losses, p.Loss) })
	if err != nil {
		t.Fatal(err)
	}
	first, last := mean(losses[:5]), mean(losses[len(losses)-5:])
	t.Logf("loss %.3f → %.3f, held-out accuracy %.3f, recon MSE %.4f", first, last, rep.TestAccuracy, rep.TestReconMSE)
	if !(last < 0.7*first) {
		t.Errorf("loss did not fall: %.3f → %.3f", first, last)
	}
	if rep.TestAccuracy < 0.4 || rep.TestImages != 200 {
		t.Errorf("held-out accuracy %.3f on %d images, want ≥ 0.4 (chance 0.1)", rep.TestAccuracy, rep.TestImages)
	}
	cfg.Steps = 3
	a, _, err := Train(train, nil, cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := Train(train, nil, cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Fingerprint() != b.Fingerprint() {
		t.Errorf("two seeded runs gave different weights")
	}
	if a.Fingerprint() == vit.Fingerprint() {
		t.Errorf("3 and 60 steps gave the same weights")
	}
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// TestShippedWeights checks the embedded encoder: its architecture, the training configuration and the
// held-out numbers recorded by cmd/train-encoder (82.15 % linear-probe accuracy, reconstruction MSE
// 0.0550 when shipped), the contract, and that different images get different tokens.
func TestShippedWeights(t *testing.T) {
	enc, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if enc.Config() != DefaultViTConfig() {
		t.Errorf("shipped architecture %+v, want %+v", enc.Config(), DefaultViTConfig())
	}
	if s := enc.Spec(); s.ImageSize != 28 || s.Grid != 4 || s.Dim != 64 || s.Channels != 1 || len(s.Fingerprint) != 64 {
		t.Errorf("shipped spec %+v", s)
	}
	cfg, ok := enc.TrainConfig()
	if !ok || cfg != DefaultTrainConfig() {
		t.Errorf("shipped weights were trained with %+v (recorded %v), want DefaultTrainConfig %+v", cfg, ok, DefaultTrainConfig())
	}
	rep, ok := enc.TrainReport()
	if !ok || rep.TestImages != 10000 || rep.TestAccuracy < 0.8 || rep.TestReconMSE > 0.06 {
		t.Errorf("shipped training report %+v (recorded %v): want ≥ 80 %% accuracy and MSE ≤ 0.06 on 10000 test images", rep, ok)
	}
	if err := CheckEncoder(enc); err != nil {
		t.Error(err)
	}
	px := randPixels(2, 28, 28, 1, 11)
	out, err := EncodeFlat(enc, px, 2, 28, 28, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d := graphtest.MaxAbsDiff(out[:16*64], out[16*64:]); d < 0.1 {
		t.Errorf("two different images give tokens within %g", d)
	}
}
