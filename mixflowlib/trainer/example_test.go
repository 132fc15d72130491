package trainer_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// mlp, flowMatching and ring stand in for mixflowlib/backbone/mlp, mixflowlib/objective and
// datasets/toy2d, to keep the example self-contained.
type mlp struct{}

func (mlp) Velocity(scope *model.Scope, x, t *Node, _ nn.Cond) *Node {
	scope = scope.ResetVisited()
	h := Concatenate([]*Node{x, InsertAxes(t, -1)}, -1)
	h = activation.Swish(layers.Dense(scope.In("hidden"), h, true, 64))
	return layers.Dense(scope.In("out"), h, true, 2)
}

type flowMatching struct{}

func (flowMatching) Name() string { return "flow-matching" }

func (flowMatching) LossGraph(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond) *Node {
	g := x1.Graph()
	x0 := scope.RandomNormal(g, x1.Shape())
	t := scope.RandomUniform(g, shapes.Make(dtypes.Float32, x1.Shape().Dim(0)))
	tb := InsertAxes(t, -1)
	xt := Add(Mul(tb, x1), Mul(OneMinus(tb), x0)) // t = 0 noise, t = 1 data
	return ReduceAllMean(Square(Sub(net.Velocity(scope, xt, t, cond), Sub(x1, x0))))
}

type ring struct{ seed uint64 }

func (r ring) Name() string { return fmt.Sprintf("ring(seed=%d)", r.seed) }

func (r ring) Batch(step int64, size int) (datasets.Batch, error) {
	rng := rand.New(rand.NewPCG(r.seed, uint64(step))) // a pure function of (seed, step)
	x := make([]float32, 2*size)
	for i := range size {
		a := 2 * math.Pi * rng.Float64()
		x[2*i], x[2*i+1] = float32(2*math.Cos(a)), float32(2*math.Sin(a))
	}
	return datasets.Batch{X: tensors.FromFlatDataAndDimensions(x, size, 2)}, nil
}

// Train a small flow-matching model for 200 steps with EMA and checkpoints, then get the EMA weights
// for sampling.
func Example() {
	dir, _ := os.MkdirTemp("", "trainer-example")
	defer os.RemoveAll(dir)

	cfg := trainer.DefaultConfig()
	cfg.LR, cfg.BatchSize, cfg.Steps = 2e-3, 128, 200
	cfg.EMADecay = 0.99
	cfg.ClipGradNorm = 1
	cfg.CheckpointDir = filepath.Join(dir, "ckpt")
	cfg.CheckpointEvery = 100

	tr, err := trainer.New(cfg, mlp{}, flowMatching{}, ring{seed: 1})
	if err != nil {
		panic(err)
	}
	tr.SetLog(nil) // in a notebook, keep the default (a line every LogEvery steps)
	hist, err := tr.Train(context.Background())
	if err != nil {
		panic(err)
	}
	store, err := tr.SamplingStore(true) // EMA weights under /model, for mixflowlib/sampler
	if err != nil {
		panic(err)
	}
	first, last := hist.Loss[0], hist.Loss[hist.Len()-1]
	fmt.Println("steps:", tr.Step(), "history entries:", hist.Len())
	fmt.Println("loss decreased:", last < first)
	fmt.Println("checkpoint:", filepath.Base(tr.LastCheckpoint()))
	fmt.Println("sampling variables:", store.NumVariables())
	// Output:
	// steps: 200 history entries: 2
	// loss decreased: true
	// checkpoint: ckpt-000000000200.mfckpt
	// sampling variables: 4
}

// Post-train a trained checkpoint with another objective (here the same loss under another name),
// as MixFlow post-trains a pretrained model: fresh optimiser, own step counter, base recorded.
func ExamplePostTrain() {
	dir, _ := os.MkdirTemp("", "posttrain-example")
	defer os.RemoveAll(dir)

	cfg := trainer.DefaultConfig()
	cfg.LR, cfg.BatchSize, cfg.Steps = 2e-3, 64, 50
	cfg.CheckpointDir = filepath.Join(dir, "base")
	base, _ := trainer.New(cfg, mlp{}, flowMatching{}, ring{seed: 1})
	base.SetLog(nil)
	if _, err := base.Train(context.Background()); err != nil {
		panic(err)
	}

	post := cfg
	post.Steps = 20
	post.CheckpointDir = filepath.Join(dir, "post")
	tr, err := trainer.PostTrain(post, mlp{}, flowMatching{}, ring{seed: 2}, trainer.PostTrainOptions{Base: cfg.CheckpointDir})
	if err != nil {
		panic(err)
	}
	tr.SetLog(nil)
	if _, err := tr.Train(context.Background()); err != nil {
		panic(err)
	}
	info, _ := trainer.ReadRunInfo(post.CheckpointDir)
	fmt.Println("post-training steps:", info.Step, "base step:", info.Base.Step, "base source:", info.Base.Source)
	// Output:
	// post-training steps: 20 base step: 50 base source: ring(seed=1)
}
