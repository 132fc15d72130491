package encoder

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/internal/graphtest"
)

// synthSet returns n random labelled 28×28×1 images with 10 classes: class k is a bright square at a
// position that depends on k, plus noise, so that a classifier can learn it.
func synthSet(tb testing.TB, n int, seed uint64) *images.Set {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	const s = 28
	px := make([]uint8, n*s*s)
	labels := make([]int32, n)
	names := make([]string, 10)
	for k := range names {
		names[k] = fmt.Sprintf("class%d", k)
	}
	for i := range n {
		k := rng.IntN(10)
		labels[i] = int32(k)
		img := px[i*s*s : (i+1)*s*s]
		for j := range img {
			img[j] = uint8(rng.IntN(40))
		}
		y0, x0 := 2+(k/5)*12, 2+(k%5)*5
		for y := y0; y < y0+10; y++ {
			for x := x0; x < x0+5; x++ {
				img[y*s+x] = 200 + uint8(rng.IntN(55))
			}
		}
	}
	set, err := images.New("synthetic", s, s, 1, px, labels, names)
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

// randomViT returns a ViT with random weights (normal, std 0.2; LayerNorm gains near 1) for cfg.
func randomViT(tb testing.TB, cfg ViTConfig, seed uint64) *ViT {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 2))
	w := graphtest.RandomWeights(cfg.ParamShapes(), rng, 0.2)
	v, err := NewViT(cfg, w)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// smallViT is a cheap architecture for tests: 16×16 inputs, 4×4 grid, width 16, one block.
func smallViT() ViTConfig {
	return ViTConfig{ImageSize: 16, Channels: 1, PatchSize: 4, Width: 16, Depth: 1, Heads: 2, MLPRatio: 2}
}

// randPixels returns n·h·w·c uniform values in [−1, 1].
func randPixels(n, h, w, c int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 3))
	v := make([]float32, n*h*w*c)
	for i := range v {
		v[i] = float32(2*rng.Float64() - 1)
	}
	return v
}
