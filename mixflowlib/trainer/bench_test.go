package trainer

import (
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// benchMLP is the research notes' benchmark network: concat(x, t) → 3 × (Dense 256 → SiLU) → Dense 2.
var benchMLP = graphtest.MLP{Width: 256, Depth: 3}

// BenchmarkTrainStep compares the trainer's step (batch fetch and checks, loss, gradient norm, Adam,
// and optionally clipping and EMA, with the non-finite guard) against a bare GoMLX step (loss and
// GoMLX's Adam) on the same MLP, batch 1024. Run with:
//
//	go test -run '^$' -bench TrainStep -benchtime 200x ./mixflowlib/trainer/
func BenchmarkTrainStep(b *testing.B) {
	const batch = 1024
	src := gaussSource{seed: 1, mean: [2]float32{1, -1}, std: 0.5}
	b.Run("bare-gomlx", func(b *testing.B) {
		be := backend.Must()
		store := model.NewStore()
		store.SetParam(model.ParamInitialSeed, int64(1))
		opt := optimizer.Adam().LearningRate(1e-3).Done()
		exec := model.MustNewExec(be, store, func(scope *model.Scope, x1 *Node) *Node {
			scope.SetTraining(x1.Graph(), true)
			loss := testFM{}.LossGraph(scope.In("model"), benchMLP, x1, nn.Cond{})
			opt.UpdateGraph(scope, x1.Graph(), loss)
			return loss
		})
		step := func(i int64) {
			bt, _ := src.Batch(i, batch)
			out := exec.MustCall(bt.X)
			_ = out[0].FinalizeAll()
		}
		step(0)
		i := int64(1)
		for b.Loop() {
			step(i)
			i++
		}
	})
	for _, v := range []struct {
		name      string
		ema, clip float64
	}{{"trainer", 0, 0}, {"trainer-ema-clip", 0.9999, 1}} {
		b.Run(v.name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.LR, cfg.BatchSize, cfg.Steps = 1e-3, batch, 1<<40
			cfg.EMADecay, cfg.ClipGradNorm = v.ema, v.clip
			tr, err := New(cfg, benchMLP, testFM{}, src)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tr.TrainStep(); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := tr.TrainStep(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
