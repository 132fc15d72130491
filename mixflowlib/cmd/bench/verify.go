package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/mixflowlib/evaluator"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// verifyBatch is the batch size of the forward-pass comparison.
const verifyBatch = 3

// verifyTolerance bounds |Go − PyTorch| relative to the output's largest magnitude: float32 rounding in
// different summation orders stays orders of magnitude below it, while any difference in the architecture
// (a missing layer, a wrong head split, another activation, a transposed weight) is of the order of the
// output itself.
const verifyTolerance = 1e-4

// blobEntry indexes one tensor of verify.bin.
type blobEntry struct {
	Name   string `json:"name"`
	DType  string `json:"dtype"`
	Shape  []int  `json:"shape"`
	Offset int    `json:"offset"`
}

// goForward builds the workload's network in a fresh store, sets every weight to random values (so
// that no term of the forward pass hides behind adaLN-Zero's zero initialisation), and returns the
// weights under their GoMLX names, the inputs and the Go output.
func goForward(be compute.Backend, w Workload, seed uint64) (weights map[string]*tensors.Tensor, inputs []*tensors.Tensor, out []float32, err error) {
	net, _, err := w.Network()
	if err != nil {
		return nil, nil, nil, err
	}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(seed))
	cond := w.Conditional()
	exec, err := model.NewExec(be, store, func(scope *model.Scope, in []*Node) *Node {
		var c nn.Cond
		if cond {
			c.Labels = in[2]
		}
		return net.Velocity(scope.In("model"), in[0], in[1], c)
	})
	if err != nil {
		return nil, nil, nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	inputs = verifyInputs(w, rng)
	args := make([]any, len(inputs))
	for i, t := range inputs {
		args[i] = t
	}
	if err := exceptions.TryCatch[error](func() { _ = exec.MustCall(args...) }); err != nil { // creates the variables
		return nil, nil, nil, fmt.Errorf("bench: workload %s: Go forward pass: %w", w.Name, err)
	}
	weights = map[string]*tensors.Tensor{}
	for v := range store.IterVariables() {
		if !strings.HasPrefix(v.Path(), "/model/") || !v.Trainable {
			continue
		}
		dims := v.Shape().Dimensions
		fanIn := 1
		if len(dims) >= 2 {
			fanIn = dims[0]
		}
		std := 1 / math.Sqrt(float64(fanIn))
		if len(dims) < 2 {
			std = 0.2 // biases
		}
		if strings.HasSuffix(v.Path(), "embedding_table") {
			std = 0.5
		}
		vals := make([]float32, v.Shape().Size())
		for i := range vals {
			vals[i] = float32(std * rng.NormFloat64())
		}
		t := tensors.FromFlatDataAndDimensions(vals, dims...)
		if err := v.SetValue(t); err != nil {
			return nil, nil, nil, fmt.Errorf("bench: %w", err)
		}
		weights[v.Path()] = t
	}
	var res []*tensors.Tensor
	if err := exceptions.TryCatch[error](func() { res = exec.MustCall(args...) }); err != nil {
		return nil, nil, nil, fmt.Errorf("bench: workload %s: Go forward pass: %w", w.Name, err)
	}
	out = tensors.MustCopyFlatData[float32](res[0])
	return weights, inputs, out, nil
}

// goFeatures returns the evaluator's shipped weights under their GoMLX names, verifyBatch random images
// of the workload's size in [-1.2, 1.2] (so that clipping is exercised) and their Go features, flattened.
func goFeatures(_ compute.Backend, w Workload, seed uint64) (weights map[string]*tensors.Tensor, inputs []*tensors.Tensor, out []float32, err error) {
	ws, err := evaluator.ShippedWeights()
	if err != nil {
		return nil, nil, nil, err
	}
	weights = map[string]*tensors.Tensor{}
	for _, v := range ws.Variables {
		if v.Trainable {
			weights[v.Path] = v.Value
		}
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	n := w.FeatureImageSize
	x := make([]float32, verifyBatch*n*n)
	for i := range x {
		x[i] = 2.4*rng.Float32() - 1.2
	}
	ev, err := evaluator.New(evaluator.Options{CacheDir: "-"})
	if err != nil {
		return nil, nil, nil, err
	}
	emb, err := ev.EmbedFlat(x, verifyBatch, n, n, 1)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("bench: workload %s: Go features: %w", w.Name, err)
	}
	for _, f := range emb.Features {
		for _, v := range f {
			out = append(out, float32(v))
		}
	}
	return weights, []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, verifyBatch, n, n, 1)}, out, nil
}

// verifyInputs returns x (in the workload's shape, values in [-1, 1]), t ∈ [0, 1) and, for conditional
// workloads, labels including one null label.
func verifyInputs(w Workload, rng *rand.Rand) []*tensors.Tensor {
	b := verifyBatch
	dims := []int{b, w.mlpDim()}
	if w.sitCfg != nil {
		dims = []int{b, w.sitCfg.ImageSize, w.sitCfg.ImageSize, w.sitCfg.Channels}
	}
	n := 1
	for _, d := range dims {
		n *= d
	}
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*rng.Float32() - 1
	}
	t := make([]float32, b)
	for i := range t {
		t[i] = rng.Float32()
	}
	in := []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, dims...), tensors.FromFlatDataAndDimensions(t, b)}
	if w.Conditional() {
		l := make([]int32, b)
		for i := range l {
			l[i] = int32(rng.IntN(w.sitCfg.NumClasses))
		}
		l[b-1] = nn.NullLabel
		in = append(in, tensors.FromFlatDataAndDimensions(l, b))
	}
	return in
}

// mlpDim is the MLP's data dimension (0 for other workloads).
func (w Workload) mlpDim() int {
	if w.mlpCfg == nil {
		return 0
	}
	return w.mlpCfg.Dim
}

// writeVerifyFiles writes dir/verify.json and dir/verify.bin: the weights under their GoMLX paths, then
// the inputs "x", "t" and (conditional workloads) "labels".
func writeVerifyFiles(dir string, weights map[string]*tensors.Tensor, inputs []*tensors.Tensor) error {
	var index []blobEntry
	var blob []byte
	add := func(name string, t *tensors.Tensor) error {
		e := blobEntry{Name: name, Shape: t.Shape().Dimensions, Offset: len(blob)}
		switch t.DType().GoStr() {
		case "float32":
			e.DType = "float32"
			for _, v := range tensors.MustCopyFlatData[float32](t) {
				blob = binary.LittleEndian.AppendUint32(blob, math.Float32bits(v))
			}
		case "int32":
			e.DType = "int32"
			for _, v := range tensors.MustCopyFlatData[int32](t) {
				blob = binary.LittleEndian.AppendUint32(blob, uint32(v))
			}
		default:
			return fmt.Errorf("bench: cannot export %s of dtype %s", name, t.DType())
		}
		index = append(index, e)
		return nil
	}
	for name, t := range weights {
		if err := add(name, t); err != nil {
			return err
		}
	}
	for i, name := range []string{"x", "t", "labels"}[:len(inputs)] {
		if err := add(name, inputs[i]); err != nil {
			return err
		}
	}
	js, err := json.Marshal(index)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "verify.json"), js, 0o600); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "verify.bin"), blob, 0o600); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// readFloat32s reads a little-endian float32 file.
func readFloat32s(file string) ([]float32, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("bench: %s has %d bytes, not a whole number of float32 values", file, len(b))
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, nil
}

// compareOutputs returns the largest |a − b| and an error if it exceeds verifyTolerance times the
// largest |b| (at least 1), or if the lengths differ or a value is not finite.
func compareOutputs(workload string, goOut, torchOut []float32) (float64, error) {
	if len(goOut) != len(torchOut) {
		return math.NaN(), fmt.Errorf("bench: workload %s: Go output has %d values, PyTorch %d", workload, len(goOut), len(torchOut))
	}
	maxDiff, scale := 0.0, 1.0
	for i := range goOut {
		a, b := float64(goOut[i]), float64(torchOut[i])
		if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
			return math.NaN(), fmt.Errorf("bench: workload %s: output %d is not finite (Go %v, PyTorch %v)", workload, i, a, b)
		}
		maxDiff = math.Max(maxDiff, math.Abs(a-b))
		scale = math.Max(scale, math.Abs(b))
	}
	if maxDiff > verifyTolerance*scale {
		return maxDiff, fmt.Errorf("bench: workload %s: with the same weights the Go and PyTorch outputs differ by up to %.3g (tolerance %.3g): the two models are not the same function",
			workload, maxDiff, verifyTolerance*scale)
	}
	return maxDiff, nil
}

// verifyAgainstTorch runs the forward pass of the workload in Go with random weights, loads the same
// weights into the PyTorch worker, and compares the outputs. It returns the largest absolute difference.
func verifyAgainstTorch(be compute.Backend, w Workload, worker *torchWorker, seed uint64) (float64, error) {
	forward := goForward
	if w.Kind == KindFeatures {
		forward = goFeatures
	}
	weights, inputs, goOut, err := forward(be, w, seed)
	if err != nil {
		return math.NaN(), err
	}
	dir, err := os.MkdirTemp("", "mixflow-bench-verify-")
	if err != nil {
		return math.NaN(), fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := writeVerifyFiles(dir, weights, inputs); err != nil {
		return math.NaN(), err
	}
	if _, err := worker.Verify(dir); err != nil {
		return math.NaN(), err
	}
	torchOut, err := readFloat32s(filepath.Join(dir, "verify.out.bin"))
	if err != nil {
		return math.NaN(), err
	}
	return compareOutputs(w.Name, goOut, torchOut)
}
