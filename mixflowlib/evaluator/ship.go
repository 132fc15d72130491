package evaluator

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/mixflow/mixflow/datasets/fashionmnist"
	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
)

// ShipReport is what TrainAndWrite did and measured.
type ShipReport struct {
	// WeightsPath and ReferencePath are the files written.
	WeightsPath, ReferencePath string
	// Weights and Reference are their contents.
	Weights   *Weights
	Reference *Reference
	// TestAccuracy is the classifier's accuracy on the 10000 Fashion-MNIST test images.
	TestAccuracy float64
	// TestInceptionScore is the Inception-Score-like score of the test images.
	TestInceptionScore float64
	// TrainTime is the wall time of the training loop.
	TrainTime time.Duration
	// Sanity lists the FID of perturbed real images: the first half of the test split (5000 images),
	// clean or perturbed, against the statistics of the second half.
	Sanity []SanityRow
}

// SanityRow is one line of ShipReport.Sanity.
type SanityRow struct {
	// Perturbation describes what was done to the images, e.g. "noise σ=0.1".
	Perturbation string
	// FID is the FID of the perturbed first half against the clean second half.
	FID float64
}

// TrainAndWrite trains the feature network with cfg on the Fashion-MNIST training split, measures its test
// accuracy, computes the reference statistics of the test split and writes both files (WeightsFile and
// ReferenceFile) into dir. It logs progress to log. This is what `go run ./mixflowlib/cmd/train-classifier`
// runs; with the default configuration and dir = mixflowlib/evaluator/weights it reproduces the shipped files.
func TrainAndWrite(cfg TrainConfig, dir string, log io.Writer) (*ShipReport, error) {
	if log == nil {
		log = io.Discard
	}
	train, err := fashionmnist.Load(fashionmnist.Train)
	if err != nil {
		return nil, err
	}
	settings, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("evaluator: %w", err)
	}
	fmt.Fprintf(log, "training %s on %s with %s\n", Architecture, train, settings)
	start := time.Now()
	w, err := Train(train, cfg, 100, func(p TrainProgress) {
		fmt.Fprintf(log, "step %5d/%d  loss %.4f (mean since last %.4f)  lr %.2e  %s\n", p.Step, p.Steps, p.Loss,
			p.AvgLoss, p.LR, p.Elapsed.Round(time.Second))
	})
	if err != nil {
		return nil, err
	}
	rep := &ShipReport{Weights: w, TrainTime: time.Since(start)}

	ev, err := New(Options{Weights: w, CacheDir: "-", Backend: cfg.Backend})
	if err != nil {
		return nil, err
	}
	test, err := fashionmnist.Load(fashionmnist.Test)
	if err != nil {
		return nil, err
	}
	emb, labels, err := ev.embedSet(test)
	if err != nil {
		return nil, err
	}
	cs, err := ClassScoresOf(emb, labels)
	if err != nil {
		return nil, err
	}
	rep.TestAccuracy, rep.TestInceptionScore = cs.Accuracy, cs.InceptionScore
	fmt.Fprintf(log, "test accuracy %.4f (%d images), Inception Score of the test images %.3f\n", cs.Accuracy, emb.Len(), cs.InceptionScore)
	w.Meta[metaTestAccuracy] = cs.Accuracy
	w.Meta["test_inception_score"] = cs.InceptionScore
	w.Meta["train_seconds"] = math.Round(rep.TrainTime.Seconds())
	if rep.Reference, err = NewReference(emb, ReferenceSplit, w); err != nil {
		return nil, err
	}

	if rep.Sanity, err = ev.sanityTable(test.Pixels, emb); err != nil {
		return nil, err
	}
	for _, r := range rep.Sanity {
		fmt.Fprintf(log, "FID(first half of test, %s vs second half) = %.3f\n", r.Perturbation, r.FID)
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("evaluator: %w", err)
	}
	rep.WeightsPath = filepath.Join(dir, WeightsFile)
	rep.ReferencePath = filepath.Join(dir, ReferenceFile)
	if err := w.Save(rep.WeightsPath); err != nil {
		return nil, err
	}
	if err := rep.Reference.Save(rep.ReferencePath); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "wrote %s and %s (weights fingerprint %.16s)\n", rep.WeightsPath, rep.ReferencePath, w.Fingerprint())
	return rep, nil
}

// sanityTable computes the FID of the first half of the test split (pixels, 28×28 uint8 each), clean and
// perturbed, against the statistics of the second half. emb is the test split's embedding.
func (e *Evaluator) sanityTable(pixels []uint8, emb *Embedding) ([]SanityRow, error) {
	const per = InputSize * InputSize
	n := emb.Len()
	half := n / 2
	second, err := emb.Slice(half, n)
	if err != nil {
		return nil, err
	}
	ref, err := metrics.FeatureStats(second.Features)
	if err != nil {
		return nil, err
	}
	clean := normalizePixels(pixels[:half*per])
	fid := func(name string, x []float32) (SanityRow, error) {
		m, err := e.EmbedFlat(x, half, InputSize, InputSize, 1)
		if err != nil {
			return SanityRow{}, err
		}
		d, err := frechetTo(m.Features, ref)
		return SanityRow{Perturbation: name, FID: d}, err
	}
	var rows []SanityRow
	add := func(name string, x []float32) error {
		r, err := fid(name, x)
		rows = append(rows, r)
		return err
	}
	if err := add("clean", clean); err != nil {
		return nil, err
	}
	for _, s := range []float64{0.05, 0.1, 0.2, 0.4} {
		if err := add(fmt.Sprintf("noise σ=%g", s), addNoise(clean, s, 1)); err != nil {
			return nil, err
		}
	}
	for _, s := range []float64{0.5, 1, 1.5, 2} {
		if err := add(fmt.Sprintf("blur σ=%g px", s), blur(clean, half, s)); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// normalizePixels maps uint8 pixels to [−1, 1].
func normalizePixels(px []uint8) []float32 {
	out := make([]float32, len(px))
	for i, p := range px {
		out[i] = images.Normalize(p)
	}
	return out
}

// addNoise returns x + σ·ε, ε ~ N(0, 1) (seeded), clipped to [−1, 1] like a saved image.
func addNoise(x []float32, sigma float64, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0x6e6f697365))
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(min(max(float64(v)+sigma*rng.NormFloat64(), -1), 1))
	}
	return out
}

// blur returns n 28×28 images x blurred by a separable Gaussian of standard deviation sigma pixels
// (kernel radius ⌈3σ⌉, edges extended by the background value −1).
func blur(x []float32, n int, sigma float64) []float32 {
	r := int(math.Ceil(3 * sigma))
	k := make([]float32, 2*r+1)
	var sum float64
	for i := range k {
		d := float64(i - r)
		v := math.Exp(-d * d / (2 * sigma * sigma))
		k[i] = float32(v)
		sum += v
	}
	for i := range k {
		k[i] /= float32(sum)
	}
	const s = InputSize
	out := make([]float32, len(x))
	tmp := make([]float32, s*s)
	at := func(img []float32, y, xx int) float32 {
		if y < 0 || y >= s || xx < 0 || xx >= s {
			return -1
		}
		return img[y*s+xx]
	}
	for b := range n {
		img := x[b*s*s : (b+1)*s*s]
		for y := range s {
			for xx := range s {
				var v float32
				for i, w := range k {
					v += w * at(img, y, xx+i-r)
				}
				tmp[y*s+xx] = v
			}
		}
		dst := out[b*s*s : (b+1)*s*s]
		for y := range s {
			for xx := range s {
				var v float32
				for i, w := range k {
					v += w * at(tmp, y+i-r, xx)
				}
				dst[y*s+xx] = v
			}
		}
	}
	return out
}
