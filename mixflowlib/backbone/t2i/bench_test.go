package t2i_test

import (
	"math/rand"
	"testing"

	"github.com/mixflow/mixflow/datasets/captions"
	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/t2i"
)

// benchConfigs are the sizes compared for the CPU notebook.
func benchConfigs(b *testing.B) map[string]t2i.Config {
	vocab := tokenizer(b).VocabSize()
	tiny, _ := t2i.Preset("tiny", vocab, 0)
	narrow := tiny
	narrow.Hidden, narrow.Heads = 96, 4
	pooled := tiny
	pooled.Conditioning = t2i.Pooled
	return map[string]t2i.Config{"tiny": tiny, "tiny-96": narrow, "tiny-pooled": pooled}
}

// BenchmarkTrainStep measures one Adam step of flow matching at batch 64 on captioned 32×32 shapes.
func BenchmarkTrainStep(b *testing.B) {
	be := graphtest.Backend(b)
	src, err := captions.NewSource(captions.Options{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	batch, err := src.Batch(0, 64)
	if err != nil {
		b.Fatal(err)
	}
	for name, cfg := range benchConfigs(b) {
		b.Run(name, func(b *testing.B) {
			m := graphtest.Build(b, t2i.New, cfg)
			st := newAdamStep(b, be, graphtest.NewStore(1), m, 1e-4)
			st.Step(b, batch.X, batch.Cond.Tokens)
			for b.Loop() {
				st.Step(b, batch.X, batch.Cond.Tokens)
			}
		})
	}
}

// BenchmarkForward measures one velocity evaluation at batch 256 (a sampler step without guidance).
func BenchmarkForward(b *testing.B) {
	be := graphtest.Backend(b)
	src, _ := captions.NewSource(captions.Options{Seed: 1})
	batch, _ := src.Batch(0, 256)
	for name, cfg := range benchConfigs(b) {
		b.Run(name, func(b *testing.B) {
			m := graphtest.Build(b, t2i.New, cfg)
			rng := rand.New(rand.NewSource(1))
			exec := forwardExec(b, be, graphtest.NewStore(1), m)
			tm := graphtest.RandTimes(rng, 256)
			if _, err := exec.Call(batch.X, tm, batch.Cond.Tokens); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := exec.Call(batch.X, tm, batch.Cond.Tokens); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
