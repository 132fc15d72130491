package t2i_test

import (
	"math"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/mixflow/mixflow/datasets/captions"
	"github.com/mixflow/mixflow/mixflowlib/backbone/t2i"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

func testBackend(tb testing.TB) compute.Backend {
	tb.Helper()
	b, err := backend.New()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustModel(tb testing.TB, cfg t2i.Config) *t2i.Model {
	tb.Helper()
	m, err := t2i.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func tokenizer(tb testing.TB) *captions.Tokenizer {
	tb.Helper()
	tok, err := captions.NewTokenizer(captions.DefaultMaxLen)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// smallConfig is a fast configuration on 16×16 RGB images with the captions vocabulary.
func smallConfig(tb testing.TB, cond t2i.Conditioning) t2i.Config {
	return t2i.Config{ImageSize: 16, PatchSize: 4, Depth: 2, Hidden: 32, Heads: 2, TimeFreqDim: 32,
		Conditioning: cond, Text: t2i.TextConfig{VocabSize: tokenizer(tb).VocabSize(), MaxLen: 16, Width: 24, Depth: 1, Heads: 2}}
}

func newStore(seed int64) *model.Store {
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, seed)
	return store
}

func randImages(rng *rand.Rand, cfg t2i.Config, b int) *tensors.Tensor {
	c := cfg.WithDefaults()
	data := make([]float32, b*c.ImageSize*c.ImageSize*c.Channels)
	for i := range data {
		data[i] = float32(2*rng.Float64() - 1)
	}
	return tensors.FromFlatDataAndDimensions(data, b, c.ImageSize, c.ImageSize, c.Channels)
}

func randTimes(rng *rand.Rand, b int) *tensors.Tensor {
	ts := make([]float32, b)
	for i := range ts {
		ts[i] = float32(rng.Float64())
	}
	return tensors.FromFlatDataAndDimensions(ts, b)
}

// encode tokenizes prompts with the model's checks, padded to length l (≥ the tokenizer's 12).
func encode(tb testing.TB, m *t2i.Model, l int, prompts ...string) *tensors.Tensor {
	tb.Helper()
	tok := tokenizer(tb)
	tok.MaxLen = l
	tokens, err := m.EncodePrompts(tok, prompts)
	if err != nil {
		tb.Fatal(err)
	}
	return tokens
}

func flat(tb testing.TB, t *tensors.Tensor) []float32 {
	tb.Helper()
	v, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func maxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(float64(x)))
	}
	return m
}

func maxAbsDiff(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

// modelVars returns the variables under /model, by path, as flat float32 copies.
func modelVars(tb testing.TB, store *model.Store) map[string][]float32 {
	tb.Helper()
	out := map[string][]float32{}
	for v := range store.IterVariables() {
		if !strings.HasPrefix(v.Path(), "/model/") {
			continue
		}
		val, err := v.Value()
		if err != nil {
			tb.Fatal(err)
		}
		out[v.Path()] = flat(tb, val)
	}
	return out
}

// changedVars lists the variables whose value differs from before.
func changedVars(before, after map[string][]float32) []string {
	var out []string
	for k, a := range after {
		b := before[k]
		for i := range a {
			if a[i] != b[i] {
				out = append(out, k)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// forwardExec compiles Forward: inputs x, t, tokens; outputs velocity, Hidden..., Cond, text tokens,
// pooled text.
func forwardExec(tb testing.TB, be compute.Backend, store *model.Store, m *t2i.Model) *model.Exec {
	tb.Helper()
	exec, err := model.NewExec(be, store, func(scope *model.Scope, in []*Node) []*Node {
		o := m.Forward(scope.In("model"), in[0], in[1], nn.Cond{Tokens: in[2]})
		out := append([]*Node{o.Velocity}, o.Hidden...)
		return append(out, o.Cond, o.Text.Tokens, o.Text.Pooled)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return exec
}

// velocity runs the model once and returns the flat velocity.
func velocity(tb testing.TB, be compute.Backend, store *model.Store, m *t2i.Model, x, t, tokens *tensors.Tensor) []float32 {
	tb.Helper()
	out, err := forwardExec(tb, be, store, m).Call(x, t, tokens)
	if err != nil {
		tb.Fatal(err)
	}
	return flat(tb, out[0])
}

// flowLoss is a plain flow-matching loss on the linear path with t ~ U[0, 1].
func flowLoss(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond) *Node {
	g := x1.Graph()
	b := x1.Shape().Dimensions[0]
	x0 := scope.RandomNormal(g, x1.Shape())
	t := scope.RandomUniform(g, shapes.Make(dtypes.Float32, b))
	tb := Reshape(t, b, 1, 1, 1)
	xt := Add(Mul(tb, x1), Mul(OneMinus(tb), x0))
	v := net.Velocity(scope.In("model"), xt, t, cond)
	return ReduceAllMean(Square(Sub(v, Sub(x1, x0))))
}

// adamStep is one compiled Adam step of flowLoss on (x1, tokens).
type adamStep struct{ exec *model.Exec }

func newAdamStep(tb testing.TB, be compute.Backend, store *model.Store, net nn.Backbone, lr float64) *adamStep {
	tb.Helper()
	opt := optimizer.Adam().LearningRate(lr).Done()
	exec, err := model.NewExec(be, store, func(scope *model.Scope, in []*Node) []*Node {
		g := in[0].Graph()
		scope.SetTraining(g, true)
		loss := flowLoss(scope, net, in[0], nn.Cond{Tokens: in[1]})
		opt.UpdateGraph(scope, g, loss)
		return []*Node{loss}
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &adamStep{exec: exec}
}

func (s *adamStep) step(tb testing.TB, x1, tokens *tensors.Tensor) float64 {
	tb.Helper()
	out, err := s.exec.Call(x1, tokens)
	if err != nil {
		tb.Fatal(err)
	}
	return float64(flat(tb, out[0])[0])
}
