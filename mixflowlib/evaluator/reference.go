package evaluator

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/mixflowlib/checkpoint"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
)

// ReferenceSplit names the images the shipped reference statistics summarise.
const ReferenceSplit = "fashion-mnist/test"

// Reference holds the statistics FID compares generated images against: the mean and covariance of the
// features of real images, with what they were computed from.
type Reference struct {
	// Stats are the feature mean (FeatureDim) and unbiased covariance (FeatureDim × FeatureDim).
	Stats metrics.Gaussian
	// Split names the real images, e.g. "fashion-mnist/test".
	Split string
	// Images is the number of real images (Stats.N).
	Images int
	// WeightsFingerprint is Weights.Fingerprint of the network that computed the features.
	WeightsFingerprint string
}

// Reference variable paths and metadata keys in a reference file.
const (
	refMeanPath = "/reference/mean"
	refCovPath  = "/reference/cov"
)

// ShippedReference returns the reference statistics embedded in the package
// (weights/reference-fmnist-test.mfckpt): the features of all 10000 Fashion-MNIST test images under the
// shipped weights.
func ShippedReference() (*Reference, error) {
	return DecodeReference("shipped "+ReferenceFile, shippedReference)
}

// ReadReference reads reference statistics written by Reference.Save.
func ReadReference(path string) (*Reference, error) {
	ck, err := checkpoint.Read(path)
	if err != nil {
		return nil, fmt.Errorf("evaluator: reading reference statistics: %w", err)
	}
	return referenceFromCheckpoint(path, ck)
}

// DecodeReference decodes reference statistics from the bytes of a file written by Reference.Save; name
// identifies them in errors. A truncated or corrupted file is an error.
func DecodeReference(name string, data []byte) (*Reference, error) {
	ck, err := checkpoint.ReadBytes(name, data)
	if err != nil {
		return nil, fmt.Errorf("evaluator: reference statistics %s: %w", name, err)
	}
	return referenceFromCheckpoint(name, ck)
}

func referenceFromCheckpoint(name string, ck *checkpoint.Checkpoint) (*Reference, error) {
	meanT, ok1 := ck.Get(refMeanPath)
	covT, ok2 := ck.Get(refCovPath)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("evaluator: reference statistics %s: missing %s or %s", name, refMeanPath, refCovPath)
	}
	if d := meanT.Shape().Dimensions; len(d) != 1 || d[0] != FeatureDim {
		return nil, fmt.Errorf("evaluator: reference statistics %s: mean has shape %s, want [%d]", name, meanT.Shape(), FeatureDim)
	}
	if d := covT.Shape().Dimensions; len(d) != 2 || d[0] != FeatureDim || d[1] != FeatureDim {
		return nil, fmt.Errorf("evaluator: reference statistics %s: covariance has shape %s, want [%d, %d]", name, covT.Shape(), FeatureDim, FeatureDim)
	}
	mean, err1 := tensors.CopyFlatData[float64](meanT)
	cov, err2 := tensors.CopyFlatData[float64](covT)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("evaluator: reference statistics %s: mean and covariance must be float64 (%v, %v)", name, err1, err2)
	}
	g, err := metrics.NewGaussian(mean, cov)
	if err != nil {
		return nil, fmt.Errorf("evaluator: reference statistics %s: %w", name, err)
	}
	r := &Reference{Stats: g}
	meta := ck.Header.Metadata
	if err := meta.Decode("split", &r.Split); err != nil {
		return nil, fmt.Errorf("evaluator: reference statistics %s: %w", name, err)
	}
	if err := meta.Decode("images", &r.Images); err != nil {
		return nil, fmt.Errorf("evaluator: reference statistics %s: %w", name, err)
	}
	if err := meta.Decode("weights_fingerprint", &r.WeightsFingerprint); err != nil {
		return nil, fmt.Errorf("evaluator: reference statistics %s: %w", name, err)
	}
	r.Stats.N = r.Images
	return r, nil
}

// Save writes the statistics to path (atomically, with a checksum).
func (r *Reference) Save(path string) error {
	d := r.Stats.Dim()
	if d != FeatureDim || r.Stats.Cov == nil {
		return fmt.Errorf("evaluator: saving reference statistics: dimension %d, want %d", d, FeatureDim)
	}
	cov := make([]float64, 0, d*d)
	for i := range d {
		for j := range d {
			cov = append(cov, r.Stats.Cov.At(i, j))
		}
	}
	vars := []checkpoint.Variable{
		{Path: refMeanPath, Value: tensors.FromFlatDataAndDimensions(append([]float64(nil), r.Stats.Mean...), d)},
		{Path: refCovPath, Value: tensors.FromFlatDataAndDimensions(cov, d, d)},
	}
	meta := checkpoint.Metadata{"split": r.Split, "images": r.Images, "weights_fingerprint": r.WeightsFingerprint,
		"architecture": Architecture}
	if err := checkpoint.Write(path, vars, meta); err != nil {
		return fmt.Errorf("evaluator: saving reference statistics: %w", err)
	}
	return nil
}

// check returns an error unless r was computed with weights w.
func (r *Reference) check(w *Weights) error {
	if r.Stats.Dim() != FeatureDim || r.Stats.Cov == nil {
		return fmt.Errorf("evaluator: reference statistics of dimension %d, want %d", r.Stats.Dim(), FeatureDim)
	}
	if fp := w.Fingerprint(); r.WeightsFingerprint != fp {
		return fmt.Errorf("evaluator: reference statistics of %s were computed with weights %.12s…, but the evaluator uses %.12s… (%s): recompute them (go run ./mixflowlib/cmd/train-classifier writes both)",
			r.Split, r.WeightsFingerprint, fp, w.Source)
	}
	return nil
}

// NewReference returns the statistics of real images' embedding (at least 2 images), labelled with split
// and the weights that computed it.
func NewReference(emb *Embedding, split string, w *Weights) (*Reference, error) {
	g, err := metrics.FeatureStats(emb.Features)
	if err != nil {
		return nil, fmt.Errorf("evaluator: reference statistics of %s: %w", split, err)
	}
	return &Reference{Stats: g, Split: split, Images: emb.Len(), WeightsFingerprint: w.Fingerprint()}, nil
}
