package t2i_test

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets/captions"
	"github.com/mixflow/mixflow/mixflowlib/backbone/t2i"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// A preset for the captions vocabulary becomes a Model; its parameters are counted without building it.
func ExampleNew() {
	tok, err := captions.NewTokenizer(captions.DefaultMaxLen)
	if err != nil {
		panic(err)
	}
	cfg, err := t2i.Preset("tiny", tok.VocabSize(), tok.MaxLen)
	if err != nil {
		panic(err)
	}
	m, err := t2i.New(cfg)
	if err != nil {
		panic(err)
	}
	fmt.Println(m)
	pc, _ := cfg.ParamCounts()
	fmt.Println("text encoder:", pc.Text, "parameters")
	// Output:
	// T2I-DiT(depth 4, hidden 128, heads 4, patch 4, 32×32×3, cross+pooled; text 2×64, vocab 32, len 12), 1608112 parameters
	// text encoder: 102400 parameters
}

// Prompts are checked and tokenized on the host; the model predicts a velocity for each (zero at
// initialisation, thanks to adaLN-Zero). NullCond gives the null caption of classifier-free guidance.
func ExampleModel_Velocity() {
	tok, _ := captions.NewTokenizer(captions.DefaultMaxLen)
	cfg, _ := t2i.Preset("micro", tok.VocabSize(), tok.MaxLen)
	m, _ := t2i.New(cfg)

	tokens, err := m.EncodePrompts(tok, []string{"two red squares at the top left", ""}) // "" is the null caption
	if err != nil {
		panic(err)
	}
	_, err = m.EncodePrompts(tok, []string{"a red zebra"})
	fmt.Println(err)

	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(1))
	velocity := func(scope *model.Scope, x, t, tokens *Node) []*Node {
		cond := nn.Cond{Tokens: tokens}
		v := m.Velocity(scope.In("model"), x, t, cond)
		return []*Node{v, m.NullCond(cond).Tokens}
	}
	x := tensors.FromFlatDataAndDimensions(make([]float32, 2*32*32*3), 2, 32, 32, 3)
	t := tensors.FromValue([]float32{0.5, 0.5})
	out, err := model.CallOnceN(backend.Must(), store, velocity, x, t, tokens)
	if err != nil {
		panic(err)
	}
	fmt.Println(out[0].Shape(), out[0].Value().([][][][]float32)[0][0][0][0])
	fmt.Println(out[1].Value())
	// Output:
	// t2i: prompt 0: captions: unknown word "zebra" in caption "a red zebra" (the vocabulary has 30 words; see Vocabulary)
	// (Float32)[2, 32, 32, 3] 0
	// [[0 0 0 0 0 0 0 0 0 0 0 0] [0 0 0 0 0 0 0 0 0 0 0 0]]
}
