package nn

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
)

// NormalWeightsZeroBias returns a variable initializer that draws weights (rank ≥ 2) from N(0, std²)
// with the Store's RNG and sets biases (rank ≤ 1) to zero: PyTorch's nn.init.normal_(weight, std) on a
// Linear whose bias was zeroed, as DiT/SiT initialise the timestep MLP (std 0.02).
func NormalWeightsZeroBias(scope *model.Scope, std float64) model.VariableInitializer {
	store := scope.Store()
	return func(g *Graph, shape shapes.Shape) *Node {
		if shape.Rank() <= 1 || !shape.DType.IsFloat() {
			return Zeros(g, shape)
		}
		return MulScalar(store.RandomNormal(g, shape), std)
	}
}

// TimestepMLP is SiT's TimestepEmbedder: the sinusoidal embedding of t (TimestepEmbedding with freqDim
// features, i.e. freqDim/2 frequencies, max period 10000 and the given scale; SiT uses freqDim 256 and
// scale 1 on raw t ∈ [0, 1])
// followed by Dense(freqDim → dim), SiLU, Dense(dim → dim). t has shape [B]; the result is [B, dim] in
// t's dtype. Weights start from N(0, 0.02²) and biases from zero, as in SiT. Variables live under
// scope/mlp_0 and scope/mlp_2 (the indices of the PyTorch nn.Sequential).
func TimestepMLP(scope *model.Scope, t *Node, freqDim, dim int, scale float64) *Node {
	if t.Rank() != 1 {
		panic(fmt.Errorf("nn: TimestepMLP: t must have shape [B], got %s", t.Shape()))
	}
	scope = scope.WithInitializer(NormalWeightsZeroBias(scope, 0.02))
	h := TimestepEmbedding(t, freqDim, 10000, scale)
	h = Dense(scope.In("mlp_0"), h, true, dim)
	h = activation.Swish(h)
	return Dense(scope.In("mlp_2"), h, true, dim)
}

// LabelEmbedding is SiT's LabelEmbedder with its classifier-free-guidance row: a table of
// (numClasses + 1) × dim vectors (variable scope/embedding_table, initialised from N(0, 0.02²)) where
// row numClasses embeds NullLabel. labels is int32 [B]; the result is [B, dim] in dtype.
//
// An in-graph computation cannot return an error, so a label outside [NullLabel, numClasses) yields a
// row of NaNs: the loss turns NaN and the trainer stops at that step instead of silently training on a
// wrong class. Check labels on the host with CheckLabels to get a proper error first.
func LabelEmbedding(scope *model.Scope, labels *Node, numClasses, dim int, dtype dtypes.DType) *Node {
	if numClasses <= 0 || dim <= 0 {
		panic(fmt.Errorf("nn: LabelEmbedding: numClasses %d and dim %d must be positive", numClasses, dim))
	}
	if labels.Rank() != 1 || !labels.DType().IsInt() {
		panic(fmt.Errorf("nn: LabelEmbedding: labels must be integer [B], got %s", labels.Shape()))
	}
	g := labels.Graph()
	labels = ConvertDType(labels, dtypes.Int32)
	table := scope.WithInitializer(NormalWeightsZeroBias(scope, 0.02)).
		VariableWithShape("embedding_table", shapes.Make(dtype, numClasses+1, dim)).NodeValue(g)
	isNull := Equal(labels, Const(g, int32(NullLabel)))
	invalid := LogicalOr(LessThan(labels, Const(g, int32(NullLabel))),
		GreaterOrEqual(labels, Const(g, int32(numClasses))))
	zero := ZerosLike(labels)
	idx := Where(isNull, AddScalar(zero, float64(numClasses)), labels)
	idx = Where(invalid, zero, idx)
	emb := Gather(table, InsertAxes(idx, -1)) // [B, dim]
	nan := AddScalar(ZerosLike(emb), math.NaN())
	return Where(BroadcastToDims(InsertAxes(invalid, -1), emb.Shape().Dimensions...), nan, emb)
}

// NullLabels returns a tensor of NullLabel with the shape of labels (int32 [B]): the unconditional
// counterpart used by classifier-free guidance.
func NullLabels(labels *Node) *Node {
	return AddScalar(ZerosLike(ConvertDType(labels, dtypes.Int32)), float64(NullLabel))
}

// CheckLabels returns an error naming the first label outside [NullLabel, numClasses) in an int32
// label tensor of shape [B], or nil. Use it on host batches before training a class-conditional model.
func CheckLabels(labels *tensors.Tensor, numClasses int) error {
	if labels == nil {
		return nil
	}
	if labels.DType() != dtypes.Int32 || labels.Rank() != 1 {
		return fmt.Errorf("nn: labels must be int32 [B], got %s", labels.Shape())
	}
	flat, err := tensors.CopyFlatData[int32](labels)
	if err != nil {
		return fmt.Errorf("nn: reading labels: %w", err)
	}
	for i, l := range flat {
		if l < NullLabel || int(l) >= numClasses {
			return fmt.Errorf("nn: label %d at index %d is outside [%d, %d) (NullLabel = %d means no class)",
				l, i, NullLabel, numClasses, NullLabel)
		}
	}
	return nil
}
