package objective

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// eightGaussians returns n points of the 8-Gaussians toy (radius 2, sd 0.1), flat [n, 2].
func eightGaussians(rng *rand.Rand, n int) []float32 {
	out := make([]float32, 2*n)
	for i := range n {
		a := 2 * math.Pi * float64(rng.IntN(8)) / 8
		out[2*i] = float32(2*math.Cos(a) + 0.1*rng.NormFloat64())
		out[2*i+1] = float32(2*math.Sin(a) + 0.1*rng.NormFloat64())
	}
	return out
}

// trainStep compiles one Adam training step of obj on net; the store's "/model" scope holds the weights.
func trainStep(obj Objective, net nn.Backbone, seed int64) *model.Exec {
	store := graphtest.NewStore(seed)
	opt := optimizer.Adam().LearningRate(1e-3).Done()
	return model.MustNewExec(backend.Must(), store, func(scope *model.Scope, x1 *Node) *Node {
		g := x1.Graph()
		scope.SetTraining(g, true)
		loss := obj.LossGraph(scope.In("model"), net, x1, nn.Cond{})
		opt.UpdateGraph(scope, g, loss)
		return loss
	})
}

func stepLoss(exec *model.Exec, x1 *tensors.Tensor) float64 {
	out := exec.MustCall(x1)[0]
	v := float64(out.Value().(float32))
	out.MustFinalizeAll()
	return v
}

// TestTrainingReducesLoss trains a small MLP for a few hundred steps with each objective: the loss must drop.
func TestTrainingReducesLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a small model")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	net := graphtest.MLP{Width: 64, Depth: 2}
	for _, obj := range []Objective{FlowMatching{}, MixFlow{Gamma: 0.8}} {
		exec := trainStep(obj, net, 3)
		var first, last float64
		const steps, window = 300, 30
		for i := range steps {
			x1 := tensors.FromFlatDataAndDimensions(eightGaussians(rng, 256), 256, 2)
			l := stepLoss(exec, x1)
			if i < window {
				first += l / window
			} else if i >= steps-window {
				last += l / window
			}
		}
		t.Logf("%s: mean loss of the first %d steps %.3f, last %d steps %.3f", obj.Name(), window, first, window, last)
		if !(last < 0.93*first) {
			t.Errorf("%s: loss did not drop: %.3f → %.3f", obj.Name(), first, last)
		}
	}
}

// BenchmarkTrainStep times one training step (forward, backward, Adam) of MixFlow and of plain flow
// matching on the same 3×256 SiLU MLP, batch 1024, 2-D data. The two steps are interleaved (alternating
// which runs first) so machine load affects both alike; it reports ms per step of each and their ratio.
func BenchmarkTrainStep(b *testing.B) {
	net := graphtest.MLP{Width: 256, Depth: 3}
	const batch = 1024
	x1 := tensors.FromFlatDataAndDimensions(eightGaussians(rand.New(rand.NewPCG(1, 2)), batch), batch, 2)
	fm := trainStep(FlowMatching{}, net, 1)
	mf := trainStep(MixFlow{Gamma: 0.8}, net, 1)
	for range 20 { // compile and warm up
		stepLoss(fm, x1)
		stepLoss(mf, x1)
	}
	var tFM, tMF time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		order := []*model.Exec{fm, mf}
		if i%2 == 1 {
			order = []*model.Exec{mf, fm}
		}
		for _, e := range order {
			start := time.Now()
			stepLoss(e, x1)
			if e == fm {
				tFM += time.Since(start)
			} else {
				tMF += time.Since(start)
			}
		}
	}
	n := float64(b.N)
	b.ReportMetric(tFM.Seconds()*1e3/n, "ms/fm-step")
	b.ReportMetric(tMF.Seconds()*1e3/n, "ms/mixflow-step")
	b.ReportMetric(tMF.Seconds()/tFM.Seconds(), "mixflow/fm")
}
