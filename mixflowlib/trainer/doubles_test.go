package trainer

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// testFM is the flow-matching loss (linear path, t ~ U[0, 1)) with in-graph draws from the Store RNG.
// With auxWeight > 0 it also registers an auxiliary loss "reg" = auxWeight·mean(v²).
type testFM struct {
	auxWeight float64
	name      string
}

func (o testFM) Name() string {
	if o.name != "" {
		return o.name
	}
	return fmt.Sprintf("test-fm(aux=%g)", o.auxWeight)
}

func (o testFM) LossGraph(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond) *Node {
	g := x1.Graph()
	b := x1.Shape().Dim(0)
	x0 := scope.RandomNormal(g, x1.Shape())
	t := scope.RandomUniform(g, shapes.Make(dtypes.Float32, b))
	tb := InsertAxes(t, -1)
	xt := Add(Mul(tb, x1), Mul(OneMinus(tb), x0))
	v := net.Velocity(scope, xt, t, cond)
	if o.auxWeight > 0 {
		nn.AddAuxLoss("reg", MulScalar(ReduceAllMean(Square(v)), o.auxWeight))
	}
	return ReduceAllMean(Square(Sub(v, Sub(x1, x0))))
}

// gaussSource yields seeded 2-D Gaussian batches N(mean, std²): a pure function of (seed, step).
// From step poisonAt on (if > 0) its data is scaled by 1e30 so that the loss overflows; at step nanAt
// (if > 0) it holds a NaN; from step reshapeAt on (if > 0) it yields 3-D points.
type gaussSource struct {
	seed                       uint64
	mean                       [2]float32
	std                        float32
	poisonAt, nanAt, reshapeAt int64
	withLabels                 bool
	numClasses                 int32
}

func (s gaussSource) Name() string {
	return fmt.Sprintf("gauss(mean=%v,std=%g,seed=%d)", s.mean, s.std, s.seed)
}

func (s gaussSource) Batch(step int64, size int) (datasets.Batch, error) {
	if step < 0 {
		return datasets.Batch{}, fmt.Errorf("gauss: negative step %d", step)
	}
	rng := rand.New(rand.NewPCG(s.seed, uint64(step)))
	dim := 2
	if s.reshapeAt > 0 && step >= s.reshapeAt {
		dim = 3
	}
	x := make([]float32, size*dim)
	for i := range x {
		x[i] = s.mean[i%2] + s.std*float32(rng.NormFloat64())
		if s.poisonAt > 0 && step >= s.poisonAt {
			x[i] *= 1e30
		}
	}
	if s.nanAt > 0 && step == s.nanAt {
		x[3] = float32(math.NaN())
	}
	b := datasets.Batch{X: tensors.FromFlatDataAndDimensions(x, size, dim)}
	if s.withLabels {
		labels := make([]int32, size)
		for i := range labels {
			labels[i] = int32(rng.IntN(int(s.numClasses)))
		}
		b.Cond.Labels = tensors.FromFlatDataAndDimensions(labels, size)
	}
	return b, nil
}

// tinyTShape is the [B] float32 shape of the timesteps of batch x.
func tinyTShape(x *Node) shapes.Shape { return shapes.Make(dtypes.Float32, x.Shape().Dim(0)) }
