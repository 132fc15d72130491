package sit_test

import (
	"math/rand"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// benchTrainStep measures one Adam flow-matching training step (forward, backward, update) at batch b.
// Run with: go test -run XXX -bench TrainStep -benchtime 20x ./mixflowlib/backbone/sit/
func benchTrainStep(bm *testing.B, cfg sit.Config, b int) {
	be := graphtest.Backend(bm)
	m := graphtest.Build(bm, sit.New, cfg)
	c := m.Config()
	store := graphtest.NewStore(1)
	cond := c.NumClasses > 0
	tr := newAdamStep(bm, be, store, m, 1e-3, cond)
	rng := rand.New(rand.NewSource(1))
	x := randImages(rng, c, b)
	var labels *tensors.Tensor
	if cond {
		l := make([]int32, b)
		for i := range l {
			l[i] = int32(rng.Intn(c.NumClasses))
		}
		labels = tensors.FromFlatDataAndDimensions(l, b)
	}
	for range 3 { // compile and warm up
		tr.Step(bm, x, labels)
	}
	graphtest.BenchLoop(bm, "step", func() { tr.Step(bm, x, labels) })
}

// BenchmarkTrainStepTiny is the "tiny" preset (4 blocks, 128 wide, 4 heads, patch 4) on 32×32×1 images
// with 10 classes, batch 64.
func BenchmarkTrainStepTiny(bm *testing.B) {
	for _, impl := range []nn.AttentionImpl{nn.AttentionEinsum, nn.AttentionFused} {
		bm.Run(impl.String(), func(bm *testing.B) {
			cfg, _ := sit.Preset("tiny")
			cfg.Attention = impl
			benchTrainStep(bm, cfg, 64)
		})
	}
}

// BenchmarkTrainStepDiTNotes is the DiT shape of the GoMLX benchmark notes (gomlx-v028.md): 32×32×4
// latents, patch 4, width 128, 4 heads, one block, unconditional, batch 64, Adam; 395,840 parameters.
func BenchmarkTrainStepDiTNotes(bm *testing.B) {
	for _, impl := range []nn.AttentionImpl{nn.AttentionEinsum, nn.AttentionFused} {
		bm.Run(impl.String(), func(bm *testing.B) {
			cfg := sit.Config{ImageSize: 32, Channels: 4, PatchSize: 4, Depth: 1, Hidden: 128, Heads: 4, Attention: impl}
			benchTrainStep(bm, cfg, 64)
		})
	}
}

// BenchmarkForwardTiny measures one velocity evaluation (a sampler step) of the tiny preset at batch 64.
func BenchmarkForwardTiny(bm *testing.B) {
	for _, impl := range []nn.AttentionImpl{nn.AttentionEinsum, nn.AttentionFused} {
		bm.Run(impl.String(), func(bm *testing.B) {
			cfg, _ := sit.Preset("tiny")
			cfg.Attention = impl
			m := graphtest.Build(bm, sit.New, cfg)
			be := graphtest.Backend(bm)
			exec := forwardExec(bm, be, graphtest.NewStore(1), m, true)
			rng := rand.New(rand.NewSource(1))
			x, tt := randImages(rng, m.Config(), 64), graphtest.RandTimes(rng, 64)
			l := make([]int32, 64)
			labels := tensors.FromFlatDataAndDimensions(l, 64)
			for range 2 {
				exec.MustCall(x, tt, labels)
			}
			graphtest.BenchLoop(bm, "eval", func() { exec.MustCall(x, tt, labels) })
		})
	}
}
