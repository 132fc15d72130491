package evaluator

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets/fashionmnist"
	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/mixflowlib/checkpoint"
	"github.com/mixflow/mixflow/mixflowlib/env"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
)

// PRNeighbours is the k of the k-nearest-neighbour balls of precision and recall (Kynkäänniemi et al. 2019).
const PRNeighbours = 3

// Reference returns the FID reference statistics: the ones given in Options, else the shipped ones if they
// match the weights, else statistics computed from the Fashion-MNIST test split (once per Evaluator).
func (e *Evaluator) Reference() (*Reference, error) {
	e.lazyMu.Lock()
	ref := e.ref
	e.lazyMu.Unlock()
	if ref != nil {
		return ref, nil
	}
	if shipped, err := ShippedReference(); err == nil && shipped.check(e.weights) == nil {
		ref = shipped
	} else {
		emb, _, err := e.TestEmbedding()
		if err != nil {
			return nil, fmt.Errorf("evaluator: no reference statistics for weights %s: %w", e.weights.Source, err)
		}
		if ref, err = NewReference(emb, ReferenceSplit, e.weights); err != nil {
			return nil, err
		}
	}
	e.lazyMu.Lock()
	defer e.lazyMu.Unlock()
	if e.ref == nil {
		e.ref = ref
	}
	return e.ref, nil
}

// FID returns our FID of images x (see the package documentation): the squared Fréchet distance between
// a Gaussian fitted to their features and the reference statistics of the Fashion-MNIST test split.
// It needs at least 2 images; with fewer than a few thousand its positive bias grows (see FIDOf).
func (e *Evaluator) FID(x *tensors.Tensor) (float64, error) {
	emb, err := e.Embed(x)
	if err != nil {
		return 0, err
	}
	return e.FIDOf(emb)
}

// FIDOf returns the FID of an embedding computed by Embed. Like every FID it is biased upwards for finite
// samples, more so for fewer images: compare models at the same number of images.
func (e *Evaluator) FIDOf(emb *Embedding) (float64, error) {
	ref, err := e.Reference()
	if err != nil {
		return 0, err
	}
	d, err := frechetTo(emb.Features, ref.Stats)
	if err != nil {
		return 0, fmt.Errorf("evaluator: FID: %w", err)
	}
	return d, nil
}

// frechetTo is the Fréchet distance between the Gaussian fitted to features and ref: FID against
// reference statistics.
func frechetTo(features [][]float64, ref metrics.Gaussian) (float64, error) {
	g, err := metrics.FeatureStats(features)
	if err != nil {
		return 0, err
	}
	return metrics.FrechetDistance(g, ref)
}

// PrecisionRecall returns improved precision and recall (k = 3) of images x against as many real images:
// the first min(N, 10000) images of the Fashion-MNIST test split. Precision is the fraction of generated
// images inside the real manifold estimate (fidelity), recall the fraction of real images inside the
// generated one (coverage). It needs at least 4 images.
func (e *Evaluator) PrecisionRecall(x *tensors.Tensor) (precision, recall float64, err error) {
	emb, err := e.Embed(x)
	if err != nil {
		return 0, 0, err
	}
	return e.PrecisionRecallOf(emb)
}

// PrecisionRecallOf is PrecisionRecall for an embedding computed by Embed.
func (e *Evaluator) PrecisionRecallOf(emb *Embedding) (precision, recall float64, err error) {
	if emb.Len() <= PRNeighbours {
		return 0, 0, fmt.Errorf("evaluator: precision/recall: %d images, need at least %d", emb.Len(), PRNeighbours+1)
	}
	test, _, err := e.TestEmbedding()
	if err != nil {
		return 0, 0, fmt.Errorf("evaluator: precision/recall needs the real test images: %w", err)
	}
	real, err := test.Slice(0, min(emb.Len(), test.Len()))
	if err != nil {
		return 0, 0, err
	}
	p, r, err := metrics.PrecisionRecall(real.Features, emb.Features, PRNeighbours)
	if err != nil {
		return 0, 0, fmt.Errorf("evaluator: precision/recall: %w", err)
	}
	return p, r, nil
}

// ClassScores are classifier-based scores of a set of images.
type ClassScores struct {
	// Accuracy is the fraction of images the network assigns to their requested class (the conditional
	// accuracy of class-conditional generation); 0 when no labels were given.
	Accuracy float64 `json:"accuracy"`
	// PerClassAccuracy is Accuracy per requested class; a class never requested has accuracy 0 and count 0.
	PerClassAccuracy []float64 `json:"per_class_accuracy,omitempty"`
	// PerClassCount is how many images requested each class.
	PerClassCount []int `json:"per_class_count,omitempty"`
	// InceptionScore is exp(E_x KL(p(y|x) ‖ p(y))) with p(y) the mean of p(y|x) over the set, computed on the
	// whole set (no splits): 1 for uninformative or single-class sets, at most NumClasses = 10 for confident
	// predictions spread evenly over the classes.
	InceptionScore float64 `json:"inception_score"`
	// Predicted counts the images predicted as each class (mode coverage).
	Predicted []int `json:"predicted"`
}

// ClassScores returns the classifier-based scores of images x; labels (int32 [N], or nil for unconditional
// generation) are the classes the images were generated for.
func (e *Evaluator) ClassScores(x, labels *tensors.Tensor) (ClassScores, error) {
	lab, err := labelsOf(labels)
	if err != nil {
		return ClassScores{}, err
	}
	emb, err := e.Embed(x)
	if err != nil {
		return ClassScores{}, err
	}
	return ClassScoresOf(emb, lab)
}

// labelsOf copies an int32 [N] label tensor (nil gives nil).
func labelsOf(labels *tensors.Tensor) ([]int32, error) {
	if labels == nil {
		return nil, nil
	}
	sh := labels.Shape()
	if sh.Rank() != 1 {
		return nil, fmt.Errorf("evaluator: labels: shape %s, want int32 [N]", sh)
	}
	lab, err := tensors.CopyFlatData[int32](labels)
	if err != nil {
		return nil, fmt.Errorf("evaluator: labels: %s, want int32 [N]: %w", sh, err)
	}
	return lab, nil
}

// ClassScoresOf returns the classifier-based scores of an embedding; labels (nil for none) are the
// requested classes, one per image, in [0, NumClasses).
func ClassScoresOf(emb *Embedding, labels []int32) (ClassScores, error) {
	n := emb.Len()
	if n == 0 {
		return ClassScores{}, fmt.Errorf("evaluator: class scores of an empty set")
	}
	if labels != nil && len(labels) != n {
		return ClassScores{}, fmt.Errorf("evaluator: %d labels for %d images", len(labels), n)
	}
	for i, l := range labels {
		if l < 0 || l >= NumClasses {
			return ClassScores{}, fmt.Errorf("evaluator: label %d of image %d outside [0, %d)", l, i, NumClasses)
		}
	}
	s := ClassScores{Predicted: make([]int, NumClasses)}
	pred := emb.Predictions()
	for _, c := range pred {
		s.Predicted[c]++
	}
	if labels != nil {
		s.PerClassAccuracy = make([]float64, NumClasses)
		s.PerClassCount = make([]int, NumClasses)
		hits := 0
		for i, l := range labels {
			s.PerClassCount[l]++
			if pred[i] == int(l) {
				hits++
				s.PerClassAccuracy[l]++
			}
		}
		s.Accuracy = float64(hits) / float64(n)
		for c := range s.PerClassAccuracy {
			if s.PerClassCount[c] > 0 {
				s.PerClassAccuracy[c] /= float64(s.PerClassCount[c])
			}
		}
	}
	s.InceptionScore = inceptionScore(emb.Probs)
	return s, nil
}

// inceptionScore returns exp(mean_i KL(p_i ‖ p̄)).
func inceptionScore(probs [][]float64) float64 {
	marginal := make([]float64, NumClasses)
	for _, p := range probs {
		for c, v := range p {
			marginal[c] += v
		}
	}
	for c := range marginal {
		marginal[c] /= float64(len(probs))
	}
	var kl float64
	for _, p := range probs {
		for c, v := range p {
			if v > 0 {
				kl += v * (math.Log(v) - math.Log(marginal[c]))
			}
		}
	}
	return math.Exp(kl / float64(len(probs)))
}

// Report gathers every metric of one set of generated images, as a row of a results table.
type Report struct {
	// Images is the number of generated images.
	Images int `json:"images"`
	// FID is our FID against the Fashion-MNIST test split (see the package documentation).
	FID float64 `json:"fid"`
	// Precision and Recall are improved precision/recall (k = 3) against RealImages test images.
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	// RealImages is the number of real images precision and recall used.
	RealImages int `json:"real_images"`
	// Labelled says whether labels were given (then Class.Accuracy is the conditional accuracy).
	Labelled bool `json:"labelled"`
	// Class holds the classifier-based scores.
	Class ClassScores `json:"class"`
}

// String formats the report on one line.
func (r Report) String() string {
	s := fmt.Sprintf("N=%d FID=%.3f precision=%.3f recall=%.3f IS=%.3f", r.Images, r.FID, r.Precision, r.Recall,
		r.Class.InceptionScore)
	if r.Labelled {
		s += fmt.Sprintf(" cond.acc=%.3f", r.Class.Accuracy)
	}
	return s
}

// Evaluate computes every metric of generated images x (float32 [N, H, W, 1] in [−1, 1], N ≥ 4) in one
// pass of the network: FID, precision/recall and the class scores. labels (int32 [N]) are the requested
// classes of class-conditional generation, or nil.
func (e *Evaluator) Evaluate(x, labels *tensors.Tensor) (*Report, error) {
	lab, err := labelsOf(labels)
	if err != nil {
		return nil, err
	}
	emb, err := e.Embed(x)
	if err != nil {
		return nil, err
	}
	return e.EvaluateOf(emb, lab)
}

// EvaluateOf is Evaluate for an embedding computed by Embed.
func (e *Evaluator) EvaluateOf(emb *Embedding, labels []int32) (*Report, error) {
	cs, err := ClassScoresOf(emb, labels)
	if err != nil {
		return nil, err
	}
	fid, err := e.FIDOf(emb)
	if err != nil {
		return nil, err
	}
	p, r, err := e.PrecisionRecallOf(emb)
	if err != nil {
		return nil, err
	}
	test, _, err := e.TestEmbedding()
	if err != nil {
		return nil, err
	}
	return &Report{Images: emb.Len(), FID: fid, Precision: p, Recall: r, RealImages: min(emb.Len(), test.Len()),
		Labelled: labels != nil, Class: cs}, nil
}

// TestEmbedding returns the embedding of all 10000 Fashion-MNIST test images and their labels, computed
// once per Evaluator and cached on disk (Options.CacheDir) under the weights' fingerprint, so that later
// processes read it instead of running the network. It needs the data set (see datasets/fashionmnist).
func (e *Evaluator) TestEmbedding() (*Embedding, []int32, error) {
	e.lazyMu.Lock()
	defer e.lazyMu.Unlock()
	if e.testEmb != nil {
		return e.testEmb, e.testLab, nil
	}
	path := e.testCachePath()
	if path != "" {
		if emb, lab, err := readEmbedding(path, e.fingerprint); err == nil && emb.Len() == fashionmnist.Test.Len() {
			e.testEmb, e.testLab = emb, lab
			return emb, lab, nil
		}
	}
	set, err := fashionmnist.Load(fashionmnist.Test)
	if err != nil {
		return nil, nil, err
	}
	emb, lab, err := e.embedSet(set)
	if err != nil {
		return nil, nil, err
	}
	if path != "" {
		// The cache is an optimisation: failing to write it (read-only home, full disk) is not an error.
		_ = writeEmbedding(path, e.fingerprint, emb, lab)
	}
	e.testEmb, e.testLab = emb, lab
	return emb, lab, nil
}

// embedSet embeds a 28×28×1 image set in chunks and returns its embedding and labels.
func (e *Evaluator) embedSet(set *images.Set) (*Embedding, []int32, error) {
	if set.Height != InputSize || set.Width != InputSize || set.Channels != 1 {
		return nil, nil, fmt.Errorf("evaluator: set %s: want %d×%d×1 images", set, InputSize, InputSize)
	}
	n := set.Len()
	emb, err := e.EmbedFlat(normalizePixels(set.Pixels), n, InputSize, InputSize, 1)
	if err != nil {
		return nil, nil, err
	}
	return emb, append([]int32(nil), set.Labels...), nil
}

// testCachePath returns the disk-cache file of the test embedding, or "" when the cache is off.
func (e *Evaluator) testCachePath() string {
	dir := e.opt.CacheDir
	switch dir {
	case "-":
		return ""
	case "":
		dir = filepath.Join(env.CacheDir(), "evaluator")
	}
	return filepath.Join(dir, fmt.Sprintf("fmnist-test-%.16s%s", e.fingerprint, checkpoint.Ext))
}

// writeEmbedding saves an embedding and its labels as a checkpoint file (float32 values).
func writeEmbedding(path, fingerprint string, emb *Embedding, labels []int32) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	n := emb.Len()
	feats := make([]float32, 0, n*FeatureDim)
	probs := make([]float32, 0, n*NumClasses)
	for i := range n {
		for _, v := range emb.Features[i] {
			feats = append(feats, float32(v))
		}
		for _, v := range emb.Probs[i] {
			probs = append(probs, float32(v))
		}
	}
	vars := []checkpoint.Variable{
		{Path: "/features", Value: tensors.FromFlatDataAndDimensions(feats, n, FeatureDim)},
		{Path: "/probs", Value: tensors.FromFlatDataAndDimensions(probs, n, NumClasses)},
		{Path: "/labels", Value: tensors.FromFlatDataAndDimensions(append([]int32(nil), labels...), n)},
	}
	return checkpoint.Write(path, vars, checkpoint.Metadata{"weights_fingerprint": fingerprint, "split": ReferenceSplit})
}

// readEmbedding reads a file written by writeEmbedding, checking the fingerprint and the shapes.
// The features were float32 network outputs, so the values are exactly those a fresh computation gives.
func readEmbedding(path, fingerprint string) (*Embedding, []int32, error) {
	ck, err := checkpoint.Read(path)
	if err != nil {
		return nil, nil, err
	}
	var fp string
	if err := ck.Header.Metadata.Decode("weights_fingerprint", &fp); err != nil || fp != fingerprint {
		return nil, nil, fmt.Errorf("evaluator: %s: computed with other weights", path)
	}
	ft, ok1 := ck.Get("/features")
	pt, ok2 := ck.Get("/probs")
	lt, ok3 := ck.Get("/labels")
	if !ok1 || !ok2 || !ok3 {
		return nil, nil, fmt.Errorf("evaluator: %s: missing variables", path)
	}
	feats, err1 := tensors.CopyFlatData[float32](ft)
	probs, err2 := tensors.CopyFlatData[float32](pt)
	labels, err3 := tensors.CopyFlatData[int32](lt)
	n := len(labels)
	if err1 != nil || err2 != nil || err3 != nil || len(feats) != n*FeatureDim || len(probs) != n*NumClasses {
		return nil, nil, fmt.Errorf("evaluator: %s: wrong shapes", path)
	}
	emb := &Embedding{Features: make([][]float64, n), Probs: make([][]float64, n)}
	fb := make([]float64, len(feats))
	for i, v := range feats {
		fb[i] = float64(v)
	}
	pb := make([]float64, len(probs))
	for i, v := range probs {
		pb[i] = float64(v)
	}
	for i := range n {
		emb.Features[i] = fb[i*FeatureDim : (i+1)*FeatureDim : (i+1)*FeatureDim]
		emb.Probs[i] = pb[i*NumClasses : (i+1)*NumClasses : (i+1)*NumClasses]
	}
	return emb, labels, nil
}
