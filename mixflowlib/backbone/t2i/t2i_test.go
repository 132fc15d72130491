package t2i_test

import (
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

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/t2i"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

var prompts = []string{"two red squares at the top left", "there is a blue circle in the center",
	"at the bottom right there are four white crosses"}

// TestShapes builds every conditioning route and checks every output shape.
func TestShapes(t *testing.T) {
	be := graphtest.Backend(t)
	for _, cond := range []t2i.Conditioning{t2i.CrossPooled, t2i.Cross, t2i.Pooled} {
		t.Run(string(cond), func(t *testing.T) {
			m := graphtest.Build(t, t2i.New, smallConfig(t, cond))
			c := m.Config()
			rng := rand.New(rand.NewSource(1))
			b := len(prompts)
			out, err := forwardExec(t, be, graphtest.NewStore(1), m).Call(randImages(rng, c, b), graphtest.RandTimes(rng, b), encode(t, m, 12, prompts...))
			if err != nil {
				t.Fatal(err)
			}
			want := [][]int{{b, 16, 16, 3}}
			for range c.Depth + 1 {
				want = append(want, []int{b, c.NumTokens(), c.Hidden})
			}
			want = append(want, []int{b, c.Hidden}, []int{b, 13, c.Text.Width}, []int{b, c.Text.Width})
			if len(out) != len(want) {
				t.Fatalf("%d outputs, want %d", len(out), len(want))
			}
			for i, w := range want {
				if !slices.Equal(out[i].Shape().Dimensions, w) {
					t.Errorf("output %d has shape %s, want %v", i, out[i].Shape(), w)
				}
			}
		})
	}
}

// TestZeroInit checks adaLN-Zero and the zero-initialised cross-attention output: a fresh model predicts
// exactly zero and every block is the identity, while the text encoder's output is not trivial.
func TestZeroInit(t *testing.T) {
	be := graphtest.Backend(t)
	m := graphtest.Build(t, t2i.New, smallConfig(t, t2i.CrossPooled))
	rng := rand.New(rand.NewSource(2))
	out, err := forwardExec(t, be, graphtest.NewStore(2), m).Call(randImages(rng, m.Config(), 3), graphtest.RandTimes(rng, 3), encode(t, m, 12, prompts...))
	if err != nil {
		t.Fatal(err)
	}
	if v := graphtest.MaxAbs(graphtest.Flat(t, out[0])); v != 0 {
		t.Errorf("fresh model velocity max |v| = %g, want 0", v)
	}
	h0 := graphtest.Flat(t, out[1])
	for k := 1; k <= m.Config().Depth; k++ {
		if d := graphtest.MaxAbsDiff(h0, graphtest.Flat(t, out[1+k])); d != 0 {
			t.Errorf("Hidden[%d] differs from Hidden[0] by %g at initialisation", k, d)
		}
	}
	pooled := graphtest.Flat(t, out[len(out)-1])
	w := m.Config().Text.Width
	if graphtest.MaxAbsDiff(pooled[:w], pooled[w:2*w]) == 0 {
		t.Error("two different captions have the same pooled embedding at initialisation")
	}
}

// trained returns a model of the given conditioning and a store after a few large Adam steps on random
// data, so that every weight is non-trivial.
func trained(t *testing.T, cond t2i.Conditioning) (*t2i.Model, *model.Store) {
	t.Helper()
	be := graphtest.Backend(t)
	m := graphtest.Build(t, t2i.New, smallConfig(t, cond))
	store := graphtest.NewStore(3)
	st := newAdamStep(t, be, store, m, 3e-2)
	rng := rand.New(rand.NewSource(3))
	tokens := encode(t, m, 12, prompts...)
	for range 4 {
		st.Step(t, randImages(rng, m.Config(), len(prompts)), tokens)
	}
	return m, store
}

// TestTextConditioning checks that, through each conditioning route, the caption changes the output,
// the same caption gives the same output, and word order matters only where the encoder can see it.
func TestTextConditioning(t *testing.T) {
	be := graphtest.Backend(t)
	for _, cond := range []t2i.Conditioning{t2i.CrossPooled, t2i.Cross, t2i.Pooled} {
		t.Run(string(cond), func(t *testing.T) {
			m, store := trained(t, cond)
			rng := rand.New(rand.NewSource(4))
			x1 := randImages(rng, m.Config(), 1)
			x := tensors.FromFlatDataAndDimensions(slices.Repeat(graphtest.Flat(t, x1), 4), 4, 16, 16, 3)
			tm := tensors.FromFlatDataAndDimensions([]float32{0.5, 0.5, 0.5, 0.5}, 4)
			tokens := encode(t, m, 12, "two red squares at the top left", "two red squares at the top left",
				"two blue squares at the top left", "")
			v := velocity(t, be, store, m, x, tm, tokens)
			n := len(v) / 4
			scale := graphtest.MaxAbs(v[:n])
			if d := graphtest.MaxAbsDiff(v[:n], v[n:2*n]); d > 1e-6*scale {
				t.Errorf("same caption, different velocity (max diff %g)", d)
			}
			if scale == 0 {
				t.Fatal("velocity is zero after training steps")
			}
			for i, name := range map[int]string{2: "another colour", 3: "the null caption"} {
				if d := graphtest.MaxAbsDiff(v[:n], v[i*n:(i+1)*n]); d < 1e-4*scale {
					t.Errorf("%s changes the velocity by only %g (scale %g)", name, d, scale)
				}
			}
		})
	}
}

// TestNullCaption checks the null caption: finite output, NullCond gives all-padding tokens, and the pooled
// embedding is one learned vector whatever the padded length.
func TestNullCaption(t *testing.T) {
	be := graphtest.Backend(t)
	m, store := trained(t, t2i.CrossPooled)
	rng := rand.New(rand.NewSource(5))
	x, tm := randImages(rng, m.Config(), 2), graphtest.RandTimes(rng, 2)
	exec, err := model.NewExec(be, store, func(scope *model.Scope, in []*Node) []*Node {
		null := m.NullCond(nn.Cond{Tokens: in[2]})
		o := m.Forward(scope.In("model"), in[0], in[1], null)
		return []*Node{null.Tokens, o.Velocity, o.Text.Pooled}
	})
	if err != nil {
		t.Fatal(err)
	}
	var first []float32
	for _, l := range []int{12, 16} {
		out, err := exec.Call(x, tm, encode(t, m, l, prompts[0], prompts[1]))
		if err != nil {
			t.Fatal(err)
		}
		toks, err := tensors.CopyFlatData[int32](out[0])
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(toks, func(id int32) bool { return id != t2i.PadID }) || len(toks) != 2*l {
			t.Fatalf("NullCond tokens %v, want %d padding ids", toks, 2*l)
		}
		v := graphtest.Flat(t, out[1])
		for _, f := range v {
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				t.Fatal("null caption gives a non-finite velocity")
			}
		}
		p := graphtest.Flat(t, out[2])
		w := m.Config().Text.Width
		if d := graphtest.MaxAbsDiff(p[:w], p[w:]); d > 1e-6*graphtest.MaxAbs(p) {
			t.Errorf("length %d: null embeddings of two samples differ by %g", l, d)
		}
		if first == nil {
			first = p[:w]
		} else if d := graphtest.MaxAbsDiff(first, p[:w]); d > 1e-6*graphtest.MaxAbs(p) {
			t.Errorf("null embedding at length %d differs from length 12 by %g", l, d)
		}
	}
}

// TestPaddingMasked checks that padding does not reach the output: the same captions padded to 12 or 16
// tokens give the same velocity, and so does a store whose padding embedding row is overwritten with
// large values, while changing a word's row does change the output (so the test can fail).
func TestPaddingMasked(t *testing.T) {
	be := graphtest.Backend(t)
	for _, cond := range []t2i.Conditioning{t2i.CrossPooled, t2i.Pooled} {
		t.Run(string(cond), func(t *testing.T) {
			m, store := trained(t, cond)
			rng := rand.New(rand.NewSource(6))
			x, tm := randImages(rng, m.Config(), 3), graphtest.RandTimes(rng, 3)
			ref := velocity(t, be, store, m, x, tm, encode(t, m, 12, prompts...))
			scale := graphtest.MaxAbs(ref)
			if d := graphtest.MaxAbsDiff(ref, velocity(t, be, store, m, x, tm, encode(t, m, 16, prompts...))); d > 1e-6*scale {
				t.Errorf("padding to 16 instead of 12 tokens changes the velocity by %g (scale %g)", d, scale)
			}
			table := store.GetVariable("/model/text/token_embedding")
			if table == nil {
				t.Fatal("no /model/text/token_embedding variable")
			}
			orig := graphtest.Flat(t, table.MustValue())
			w := m.Config().Text.Width
			set := func(row int, val float32) {
				vals := slices.Clone(orig)
				for i := range w {
					vals[row*w+i] = val
				}
				if err := table.SetValue(tensors.FromFlatDataAndDimensions(vals, len(vals)/w, w)); err != nil {
					t.Fatal(err)
				}
			}
			set(t2i.PadID, 100)
			if d := graphtest.MaxAbsDiff(ref, velocity(t, be, store, m, x, tm, encode(t, m, 12, prompts...))); d != 0 {
				t.Errorf("changing the padding embedding changes the velocity by %g", d)
			}
			set(int(tokenizerID(t, "red")), 3)
			if d := graphtest.MaxAbsDiff(ref, velocity(t, be, store, m, x, tm, encode(t, m, 12, prompts...))); d < 1e-4*scale {
				t.Errorf("changing the embedding of \"red\" changes the velocity by only %g", d)
			}
		})
	}
}

func tokenizerID(t *testing.T, word string) int32 {
	ids, err := tokenizer(t).Encode(word)
	if err != nil {
		t.Fatal(err)
	}
	return ids[0]
}

// TestInvalidTokenIsNaN checks that an id outside the vocabulary makes its own sample's velocity NaN and
// leaves the other samples alone.
func TestInvalidTokenIsNaN(t *testing.T) {
	be := graphtest.Backend(t)
	m, store := trained(t, t2i.CrossPooled)
	rng := rand.New(rand.NewSource(7))
	tokens := encode(t, m, 12, prompts[0], prompts[1])
	ids := flat32(t, tokens)
	ids[12+2] = int32(m.Config().Text.VocabSize) // second caption, third word
	bad := tensors.FromFlatDataAndDimensions(ids, 2, 12)
	v := velocity(t, be, store, m, randImages(rng, m.Config(), 2), graphtest.RandTimes(rng, 2), bad)
	n := len(v) / 2
	for i, f := range v {
		if nan := math.IsNaN(float64(f)); nan != (i >= n) {
			t.Fatalf("velocity[%d] = %v: want NaN exactly for the sample with the invalid token", i, f)
		}
	}
	if err := m.CheckTokens(bad); err == nil || !strings.Contains(err.Error(), "caption 1 has token 32 at position 2") {
		t.Errorf("CheckTokens: %v", err)
	}
}

func flat32(t *testing.T, x *tensors.Tensor) []int32 {
	v, err := tensors.CopyFlatData[int32](x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestHostChecks covers the host boundary: prompts with unknown words or too many words, mismatched
// tokenizers, and token tensors of the wrong type, shape or content.
func TestHostChecks(t *testing.T) {
	m := graphtest.Build(t, t2i.New, smallConfig(t, t2i.CrossPooled))
	tok := tokenizer(t)
	tokens, err := m.EncodePrompts(tok, []string{"Two RED squares, at the top left.", ""})
	if err != nil {
		t.Fatal(err)
	}
	back, err := tok.DecodeBatch(tokens)
	if err != nil || back[0] != "two red squares at the top left" || back[1] != "" {
		t.Fatalf("round trip: %q %v", back, err)
	}
	if err := m.CheckTokens(tokens); err != nil {
		t.Errorf("CheckTokens on encoded prompts: %v", err)
	}
	lenient := *tok
	lenient.Strict = false // EncodePrompts is strict whatever the tokenizer says
	for _, c := range []struct{ prompt, want string }{
		{"two red zebras", `t2i: prompt 1: captions: unknown word "zebras"`},
		{strings.Repeat("red ", 13), "t2i: prompt 1: captions: caption"},
	} {
		_, err := m.EncodePrompts(&lenient, []string{"a red square", c.prompt})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("prompt %q: %v, want an error starting %q", c.prompt, err, c.want)
		}
	}
	unk, err := lenient.EncodeBatch([]string{"two red zebras"})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.CheckTokens(unk); err == nil || !strings.Contains(err.Error(), "unknown-word token 1 at position 2") {
		t.Errorf("CheckTokens with <unk>: %v", err)
	}
	long := *tok
	long.MaxLen = 17
	if _, err := m.EncodePrompts(&long, prompts); err == nil || !strings.Contains(err.Error(), "exceeds the model's Text.MaxLen 16") {
		t.Errorf("tokenizer longer than the model: %v", err)
	}
	other := smallConfig(t, t2i.CrossPooled)
	other.Text.VocabSize = 40
	if _, err := graphtest.Build(t, t2i.New, other).EncodePrompts(tok, prompts); err == nil || !strings.Contains(err.Error(), "32 token ids but the model's Text.VocabSize is 40") {
		t.Errorf("vocabulary mismatch: %v", err)
	}
	if _, err := m.EncodePrompts(tok, nil); err == nil {
		t.Error("no prompts accepted")
	}
	for name, bad := range map[string]*tensors.Tensor{
		"float":    tensors.FromFlatDataAndDimensions([]float32{2, 3}, 1, 2),
		"rank 1":   tensors.FromFlatDataAndDimensions([]int32{2, 3}, 2),
		"too long": tensors.FromFlatDataAndDimensions(make([]int32, 17), 1, 17),
		"negative": tensors.FromFlatDataAndDimensions([]int32{2, -1}, 1, 2),
	} {
		if err := m.CheckTokens(bad); err == nil || !strings.HasPrefix(err.Error(), "t2i: ") {
			t.Errorf("CheckTokens(%s): %v", name, err)
		}
	}
	if err := m.CheckTokens(nil); err == nil {
		t.Error("nil tokens accepted")
	}
}

// TestBadInput checks that graph building refuses shapes that do not fit, with errors naming the input.
func TestBadInput(t *testing.T) {
	m := graphtest.Build(t, t2i.New, smallConfig(t, t2i.CrossPooled))
	img := shapes.Make(dtypes.Float32, 2, 16, 16, 3)
	tm := shapes.Make(dtypes.Float32, 2)
	toks := shapes.Make(dtypes.Int32, 2, 12)
	for _, c := range []struct {
		x, t   shapes.Shape
		tokens *shapes.Shape
		want   string
	}{
		{shapes.Make(dtypes.Float32, 2, 16, 16, 1), tm, &toks, "t2i: x has shape"},
		{shapes.Make(dtypes.Int32, 2, 16, 16, 3), tm, &toks, "t2i: x has dtype"},
		{img, shapes.Make(dtypes.Float32, 3), &toks, "t2i: t has shape"},
		{img, tm, nil, "t2i: no caption tokens"},
		{img, tm, ptr(shapes.Make(dtypes.Int32, 3, 12)), "t2i: tokens have shape"},
		{img, tm, ptr(shapes.Make(dtypes.Int32, 2, 17)), "want 1 to Text.MaxLen = 16"},
		{img, tm, ptr(shapes.Make(dtypes.Float32, 2, 12)), "want int32 [B, L]"},
	} {
		if err := m.CheckInput(c.x, c.t, c.tokens); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckInput(%s, %s, %v): %v, want %q", c.x, c.t, c.tokens, err, c.want)
		}
	}
	if err := m.CheckInput(img, tm, &toks); err != nil {
		t.Errorf("valid input refused: %v", err)
	}
	// Forward panics with the same error inside a graph; model.Exec returns it.
	be := graphtest.Backend(t)
	_, err := model.CallOnce(be, graphtest.NewStore(1), func(scope *model.Scope, x, tt *Node) *Node {
		return m.Velocity(scope.In("model"), x, tt, nn.Cond{})
	}, tensors.FromShape(img), tensors.FromShape(tm))
	if err == nil || !strings.Contains(err.Error(), "t2i: no caption tokens") {
		t.Errorf("Velocity without tokens: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestCallableTwice evaluates the model twice in one graph (as Heun and guidance do).
func TestCallableTwice(t *testing.T) {
	be := graphtest.Backend(t)
	m, store := trained(t, t2i.CrossPooled)
	rng := rand.New(rand.NewSource(8))
	exec, err := model.NewExec(be, store, func(scope *model.Scope, in []*Node) []*Node {
		ms := scope.In("model")
		cond := nn.Cond{Tokens: in[2]}
		return []*Node{m.Velocity(ms, in[0], in[1], cond), m.Velocity(ms, in[0], in[1], cond)}
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Call(randImages(rng, m.Config(), 3), graphtest.RandTimes(rng, 3), encode(t, m, 12, prompts...))
	if err != nil {
		t.Fatal(err)
	}
	if d := graphtest.MaxAbsDiff(graphtest.Flat(t, out[0]), graphtest.Flat(t, out[1])); d != 0 {
		t.Errorf("two evaluations differ by %g", d)
	}
}
