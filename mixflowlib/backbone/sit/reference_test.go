package sit_test

import (
	"math"
	"math/rand"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// TestMatchesHostReference randomises every weight of a small model and compares Forward with a float64
// host re-implementation of SiT's forward pass (models.py), written from the reference formulas: patch
// embedding + 2-D sin-cos position embedding, [cos, sin] timestep features on raw t, MLP with SiLU, label
// table with the null row, adaLN chunks (shift, scale, gate)×2, LayerNorm without affine (eps 1e-6),
// timm attention, MLP with tanh-GELU, final adaLN (shift, scale), linear and unpatchify.
func TestMatchesHostReference(t *testing.T) {
	for _, impl := range []nn.AttentionImpl{nn.AttentionEinsum, nn.AttentionFused} {
		t.Run(impl.String(), func(t *testing.T) { testHostReference(t, impl) })
	}
}

func testHostReference(t *testing.T, impl nn.AttentionImpl) {
	be := graphtest.Backend(t)
	cfg := sit.Config{ImageSize: 4, Channels: 2, PatchSize: 2, Depth: 2, Hidden: 8, Heads: 2, MLPRatio: 1.5,
		NumClasses: 3, TimeFreqDim: 6, Attention: impl}
	m := graphtest.Build(t, sit.New, cfg)
	c := m.Config()
	store := graphtest.NewStore(41)
	exec := forwardExec(t, be, store, m, true)
	rng := rand.New(rand.NewSource(41))
	const b = 2
	x, tt, labels := randImages(rng, c, b), graphtest.RandTimes(rng, b), labelTensor(1, -1)
	if _, err := exec.Call(x, tt, labels); err != nil { // creates the variables
		t.Fatal(err)
	}
	// Randomise every weight so that no term of the forward pass is hidden by the zero initialisation.
	params := map[string][]float64{}
	for v := range store.IterVariables() {
		n := v.Shape().Size()
		vals := make([]float32, n)
		p64 := make([]float64, n)
		for i := range vals {
			vals[i] = float32(0.4 * rng.NormFloat64())
			p64[i] = float64(vals[i])
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...)); err != nil {
			t.Fatal(err)
		}
		params[v.Path()] = p64
	}
	out, err := exec.Call(x, tt, labels)
	if err != nil {
		t.Fatal(err)
	}
	got := graphtest.Flat(t, out[0])
	xv, tv := graphtest.Flat(t, x), graphtest.Flat(t, tt)
	per := c.ImageSize * c.ImageSize * c.Channels
	// 2e-4 separates float32 rounding from real differences (tanh- vs erf-GELU differ by ~5e-4 here);
	// XLA on GPUs may run float32 matrix products in TF32, hence the looser bound there.
	tol := 2e-4
	if backend.Current().Kind != backend.Go {
		tol = 5e-3
	}
	for i, label := range []int{1, -1} {
		want := hostSiT(t, c, params, xv[i*per:(i+1)*per], float64(tv[i]), label)
		for k := range want {
			if math.Abs(float64(got[i*per+k])-want[k]) > tol*(1+math.Abs(want[k])) {
				t.Fatalf("sample %d, value %d: got %.6f, host reference %.6f", i, k, got[i*per+k], want[k])
			}
		}
	}
}

// hostSiT computes SiT's velocity for one NHWC image in float64.
func hostSiT(t *testing.T, c sit.Config, p map[string][]float64, img []float32, tm float64, label int) []float64 {
	H, P, C, G := c.Hidden, c.PatchSize, c.Channels, c.ImageSize/c.PatchSize
	N, pd := G*G, P*P*C
	w := func(name string) []float64 {
		v, ok := p["/model/"+name]
		if !ok {
			t.Fatalf("no variable /model/%s", name)
		}
		return v
	}
	// linear applies y = x·W + b with W stored [in, out].
	linear := func(x []float64, name string, out int) []float64 {
		W, B := w(name+"/dense/weights"), w(name+"/dense/biases")
		in := len(x)
		y := make([]float64, out)
		for o := 0; o < out; o++ {
			s := B[o]
			for i := 0; i < in; i++ {
				s += x[i] * W[i*out+o]
			}
			y[o] = s
		}
		return y
	}
	silu := func(v []float64) []float64 {
		o := make([]float64, len(v))
		for i, x := range v {
			o[i] = x / (1 + math.Exp(-x))
		}
		return o
	}
	layerNorm := func(v []float64) []float64 {
		mu, vr := 0.0, 0.0
		for _, x := range v {
			mu += x
		}
		mu /= float64(len(v))
		for _, x := range v {
			vr += (x - mu) * (x - mu)
		}
		vr /= float64(len(v))
		o := make([]float64, len(v))
		for i, x := range v {
			o[i] = (x - mu) / math.Sqrt(vr+1e-6)
		}
		return o
	}
	modulate := func(v, shift, scale []float64) []float64 {
		o := make([]float64, len(v))
		for i := range v {
			o[i] = v[i]*(1+scale[i]) + shift[i]
		}
		return o
	}

	// Patch embedding + position embedding.
	pos, _ := nn.PosEmbed2D(G, G, H)
	tok := make([][]float64, N)
	for i := 0; i < G; i++ {
		for j := 0; j < G; j++ {
			patch := make([]float64, 0, pd)
			for r := 0; r < P; r++ {
				for s := 0; s < P; s++ {
					for ch := 0; ch < C; ch++ {
						patch = append(patch, float64(img[((i*P+r)*c.ImageSize+j*P+s)*C+ch]))
					}
				}
			}
			e := linear(patch, "x_embedder/proj", H)
			for k := range e {
				e[k] += pos[(i*G+j)*H+k]
			}
			tok[i*G+j] = e
		}
	}
	// Conditioning.
	half := c.TimeFreqDim / 2
	feat := make([]float64, c.TimeFreqDim)
	for k := 0; k < half; k++ {
		f := math.Exp(-math.Log(10000) * float64(k) / float64(half))
		feat[k], feat[half+k] = math.Cos(tm*f), math.Sin(tm*f)
	}
	cond := linear(silu(linear(feat, "t_embedder/mlp_0", H)), "t_embedder/mlp_2", H)
	row := label
	if label == nn.NullLabel {
		row = c.NumClasses
	}
	table := w("y_embedder/embedding_table")
	for k := range cond {
		cond[k] += table[row*H+k]
	}
	sc := silu(cond)
	// Blocks.
	heads := c.Heads
	M := int(float64(H) * c.MLPRatio)
	for bi := 0; bi < c.Depth; bi++ {
		name := func(s string) string { return "blocks_" + string(rune('0'+bi)) + "/" + s }
		ada := linear(sc, name("adaLN_modulation"), 6*H)
		chunk := func(k int) []float64 { return ada[k*H : (k+1)*H] }
		// Attention branch.
		qkv := make([][]float64, N)
		for n := range tok {
			qkv[n] = linear(modulate(layerNorm(tok[n]), chunk(0), chunk(1)), name("attn/qkv"), 3*H)
		}
		attnOut := graphtest.RefAttention(qkv, heads)
		for qi := range attnOut {
			attnOut[qi] = linear(attnOut[qi], name("attn/proj"), H)
		}
		for n := range tok {
			for k := range tok[n] {
				tok[n][k] += chunk(2)[k] * attnOut[n][k]
			}
		}
		// MLP branch.
		for n := range tok {
			h1 := linear(modulate(layerNorm(tok[n]), chunk(3), chunk(4)), name("mlp/fc1"), M)
			for k, v := range h1 {
				h1[k] = 0.5 * v * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(v+0.044715*v*v*v)))
			}
			h2 := linear(h1, name("mlp/fc2"), H)
			for k := range tok[n] {
				tok[n][k] += chunk(5)[k] * h2[k]
			}
		}
	}
	// Final layer and unpatchify.
	fin := linear(sc, "final_layer/adaLN_modulation", 2*H)
	out := make([]float64, c.ImageSize*c.ImageSize*C)
	for i := 0; i < G; i++ {
		for j := 0; j < G; j++ {
			y := linear(modulate(layerNorm(tok[i*G+j]), fin[:H], fin[H:]), "final_layer/linear", pd)
			for r := 0; r < P; r++ {
				for s := 0; s < P; s++ {
					for ch := 0; ch < C; ch++ {
						out[((i*P+r)*c.ImageSize+j*P+s)*C+ch] = y[(r*P+s)*C+ch]
					}
				}
			}
		}
	}
	return out
}
