package evaluator

import (
	"crypto/sha256"
	_ "embed" // the shipped weights and reference statistics
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"

	"github.com/mixflow/mixflow/mixflowlib/checkpoint"
)

// WeightsFile and ReferenceFile are the names of the shipped files in the package's weights/ folder,
// written by `go run ./mixflowlib/cmd/train-classifier` and embedded in every binary that imports the package.
const (
	WeightsFile   = "classifier.mfckpt"
	ReferenceFile = "reference-fmnist-test.mfckpt"
)

//go:embed weights/classifier.mfckpt
var shippedWeights []byte

//go:embed weights/reference-fmnist-test.mfckpt
var shippedReference []byte

// Metadata keys of weight files.
const (
	metaArchitecture = "architecture"
	metaTestAccuracy = "test_accuracy"
	metaTrainConfig  = "train_config"
)

// Weights are the feature network's parameters (every variable under Scope) and the metadata of the file
// they came from (architecture, training configuration, measured test accuracy).
type Weights struct {
	// Variables holds the parameters, sorted by path.
	Variables []checkpoint.Variable
	// Meta is the file's metadata.
	Meta checkpoint.Metadata
	// Source says where the weights came from ("shipped", a file path, or "trained in memory").
	Source string
}

// expectedShapes returns the path and shape of every parameter Network creates under Scope.
func expectedShapes() map[string]shapes.Shape {
	m := map[string]shapes.Shape{}
	in := 1
	for i, c := range convChannels {
		p := fmt.Sprintf("%s/conv%d/dense/", Scope, i)
		m[p+"weights"] = shapes.Make(dtypes.Float32, 9*in, c)
		m[p+"biases"] = shapes.Make(dtypes.Float32, c)
		in = c
	}
	m[Scope+"/features/dense/weights"] = shapes.Make(dtypes.Float32, 4*4*in, FeatureDim)
	m[Scope+"/features/dense/biases"] = shapes.Make(dtypes.Float32, FeatureDim)
	m[Scope+"/logits/dense/weights"] = shapes.Make(dtypes.Float32, FeatureDim, NumClasses)
	m[Scope+"/logits/dense/biases"] = shapes.Make(dtypes.Float32, NumClasses)
	return m
}

// newWeights checks that vars hold exactly the network's parameters with the right shapes and finite
// values, and returns them as Weights (sorted by path). Variables outside Scope are dropped.
func newWeights(source string, vars []checkpoint.Variable, meta checkpoint.Metadata) (*Weights, error) {
	if arch, _ := meta[metaArchitecture].(string); arch != Architecture {
		return nil, fmt.Errorf("evaluator: weights %s are for architecture %q, this build wants %q", source, arch, Architecture)
	}
	want := expectedShapes()
	var kept []checkpoint.Variable
	for _, v := range vars {
		if !checkpoint.Under(v.Path, Scope) {
			continue
		}
		shape, ok := want[v.Path]
		if !ok {
			return nil, fmt.Errorf("evaluator: weights %s: unexpected variable %q", source, v.Path)
		}
		if v.Value == nil {
			return nil, fmt.Errorf("evaluator: weights %s: variable %q has no value", source, v.Path)
		}
		if !v.Value.Shape().Equal(shape) {
			return nil, fmt.Errorf("evaluator: weights %s: variable %q has shape %v, want %s", source, v.Path, v.Value.Shape(), shape)
		}
		var bad error
		v.Value.MustConstFlatData(func(flat any) {
			for i, x := range flat.([]float32) {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					bad = fmt.Errorf("evaluator: weights %s: variable %q[%d] is %v", source, v.Path, i, x)
					return
				}
			}
		})
		if bad != nil {
			return nil, bad
		}
		kept = append(kept, v)
		delete(want, v.Path)
	}
	if len(want) > 0 {
		missing := make([]string, 0, len(want))
		for p := range want {
			missing = append(missing, p)
		}
		slices.Sort(missing)
		return nil, fmt.Errorf("evaluator: weights %s lack variables %s", source, strings.Join(missing, ", "))
	}
	slices.SortFunc(kept, func(a, b checkpoint.Variable) int { return strings.Compare(a.Path, b.Path) })
	if meta == nil {
		meta = checkpoint.Metadata{}
	}
	return &Weights{Variables: kept, Meta: meta, Source: source}, nil
}

// ShippedWeights returns the weights embedded in the package (weights/classifier.mfckpt), verified against
// the file's SHA-256 checksum.
func ShippedWeights() (*Weights, error) {
	return DecodeWeights("shipped "+WeightsFile, shippedWeights)
}

// ReadWeights reads weights from a checkpoint file written by Weights.Save (or by the training command).
func ReadWeights(path string) (*Weights, error) {
	ck, err := checkpoint.Read(path)
	if err != nil {
		return nil, fmt.Errorf("evaluator: reading weights: %w", err)
	}
	return newWeights(path, ck.Variables, ck.Header.Metadata)
}

// DecodeWeights decodes weights from the bytes of a checkpoint file; name identifies them in errors.
// A truncated or corrupted file is an error (the checkpoint's SHA-256 checksum does not match).
func DecodeWeights(name string, data []byte) (*Weights, error) {
	ck, err := checkpoint.ReadBytes(name, data)
	if err != nil {
		return nil, fmt.Errorf("evaluator: weights %s: %w", name, err)
	}
	return newWeights(name, ck.Variables, ck.Header.Metadata)
}

// Save writes the weights and their metadata to path as a checkpoint file (atomically, with a checksum).
func (w *Weights) Save(path string) error {
	if err := checkpoint.Write(path, w.Variables, w.Meta); err != nil {
		return fmt.Errorf("evaluator: saving weights: %w", err)
	}
	return nil
}

// TestAccuracy returns the Fashion-MNIST test accuracy recorded in the weights' metadata by the training
// command, and whether it was recorded.
func (w *Weights) TestAccuracy() (float64, bool) {
	var acc float64
	if err := w.Meta.Decode(metaTestAccuracy, &acc); err != nil {
		return 0, false
	}
	return acc, true
}

// Fingerprint returns a hex SHA-256 of the parameters (paths, shapes and values, not the file's metadata
// or creation time): two trainings that produce the same parameters have the same fingerprint. Reference
// statistics record the fingerprint of the weights they were computed with.
func (w *Weights) Fingerprint() string {
	h := sha256.New()
	for _, v := range w.Variables {
		h.Write([]byte(v.Path))
		h.Write([]byte(v.Value.Shape().String()))
		v.Value.MustConstFlatData(func(flat any) {
			buf := make([]byte, 4)
			for _, x := range flat.([]float32) {
				binary.LittleEndian.PutUint32(buf, math.Float32bits(x))
				h.Write(buf)
			}
		})
	}
	return hex.EncodeToString(h.Sum(nil))
}
