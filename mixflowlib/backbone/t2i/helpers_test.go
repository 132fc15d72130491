package t2i_test

import (
	"math/rand"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets/captions"
	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/t2i"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

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
	return t2i.Config{DiTConfig: nn.DiTConfig{ImageSize: 16, PatchSize: 4, Depth: 2, Hidden: 32, Heads: 2, TimeFreqDim: 32},
		Conditioning: cond, Text: t2i.TextConfig{VocabSize: tokenizer(tb).VocabSize(), MaxLen: 16, Width: 24, Depth: 1, Heads: 2}}
}

// randImages returns b random images in [-1, 1] for cfg, flat NHWC.
func randImages(rng *rand.Rand, cfg t2i.Config, b int) *tensors.Tensor {
	c := cfg.WithDefaults()
	return graphtest.RandImages(rng, b, c.ImageSize, c.Channels)
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
	return graphtest.Flat(tb, out[0])
}

// newAdamStep compiles one Adam step of graphtest.FlowLoss for net on (x1, tokens).
func newAdamStep(tb testing.TB, be compute.Backend, store *model.Store, net nn.Backbone, lr float64) *graphtest.AdamStep {
	tb.Helper()
	return graphtest.NewAdamStep(tb, be, store, net, lr, graphtest.Tokens)
}
