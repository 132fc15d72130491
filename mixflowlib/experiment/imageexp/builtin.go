package imageexp

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/datasets/fashionmnist"
	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/evaluator"
)

// Built-in kinds.
const (
	// BackboneSiT is the SiT/DiT transformer of mixflowlib/backbone/sit; its params are a sit.Config.
	BackboneSiT = "sit"
	// DataFashionMNIST is Fashion-MNIST (datasets/fashionmnist); its params are FashionMNISTParams.
	DataFashionMNIST = "fashion-mnist"
	// EvaluatorFMNIST is mixflowlib/evaluator's frozen Fashion-MNIST classifier; it takes no params.
	EvaluatorFMNIST = "fmnist"
)

// Metric names of the "fmnist" evaluator.
const (
	// MetricFID is our FID analogue against the Fashion-MNIST test split (lower is better). Not comparable
	// with Inception FIDs; biased upwards for few images, so compare at equal N (see mixflowlib/evaluator).
	MetricFID = "fid"
	// MetricPrecision and MetricRecall are improved precision/recall (k = 3) in the classifier's feature
	// space (higher is better).
	MetricPrecision = "precision"
	MetricRecall    = "recall"
	// MetricAccuracy is the fraction of images the classifier assigns to their requested class (higher is
	// better); only for class-conditional generation.
	MetricAccuracy = "accuracy"
	// MetricIS is the Inception-Score analogue of the classifier, in [1, 10] (higher is better).
	MetricIS = "is"
)

func init() {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	must(RegisterBackbone(BackboneSiT, ConfigBackbone("imageexp: sit", sit.New)))
	must(RegisterData(DataFashionMNIST, TypedData("imageexp: fashion-mnist", fillFashionMNIST, loadFashionMNIST)))
	must(RegisterEvaluator(EvaluatorFMNIST, EvaluatorKind{New: newFMNISTEvaluator, Canonical: canonicalFMNISTEval}))
}

// SiT returns the ModelSpec of a SiT backbone with configuration cfg (see sit.Preset; zero fields take
// sit's defaults).
func SiT(cfg sit.Config) ModelSpec {
	return ModelSpec{Kind: BackboneSiT, Params: MustJSON(cfg)}
}

// FashionMNISTParams are the parameters of the "fashion-mnist" data kind.
type FashionMNISTParams struct {
	// Size is the side of the images in model space: 28 (as stored) or 32 (padded with black, so that
	// patch sizes 2, 4 and 8 divide it). 0 means 32.
	Size int `json:"size"`
	// Flip mirrors training images left–right at random.
	Flip bool `json:"flip"`
	// HeldOut is the number of test images (the first ones) in Data.HeldOut, the Slow Flow reference set.
	// 0 means 2000.
	HeldOut int `json:"held_out"`
}

// FashionMNIST returns the DataSpec of Fashion-MNIST with the given parameters and training-stream seed.
//
// Its Data: Train streams the 60 000 training images (shuffled per epoch by seed), HeldOut holds the
// first p.HeldOut test images, Conds gives balanced labels (sample i gets class i mod 10, so rows of a
// 10-column grid are classes), and Real draws training images (seeded, without replacement): the
// evaluator's reference statistics are those of the test split, so real training images scored like
// generated ones give the noise floor of the metrics.
func FashionMNIST(p FashionMNISTParams, seed uint64) DataSpec {
	return DataSpec{Kind: DataFashionMNIST, Params: MustJSON(p), Seed: seed}
}

// fillFashionMNIST fills and checks the parameters of the "fashion-mnist" data kind.
func fillFashionMNIST(p FashionMNISTParams) (FashionMNISTParams, error) {
	if p.Size == 0 {
		p.Size = 32
	}
	if p.Size != 28 && p.Size != 32 {
		return p, fmt.Errorf("imageexp: fashion-mnist size %d: want 28 or 32", p.Size)
	}
	var err error
	p.HeldOut, err = FashionMNISTHeldOut("imageexp: fashion-mnist", p.HeldOut)
	return p, err
}

// FashionMNISTHeldOut returns the held-out count n of a Fashion-MNIST data kind (0: 2000, the first test
// images), or an error in the words of what ("imageexp: fashion-mnist") when it exceeds the test split.
func FashionMNISTHeldOut(what string, n int) (int, error) {
	n = cmp.Or(n, 2000)
	if n < 1 || n > fashionmnist.Test.Len() {
		return n, fmt.Errorf("%s held_out %d outside [1, %d]", what, n, fashionmnist.Test.Len())
	}
	return n, nil
}

var (
	fmnistMu    sync.Mutex
	fmnistSplit = map[fashionmnist.Split]*images.Set{}
)

// FashionMNISTSplit returns a Fashion-MNIST split, read once per process and shared by every data kind
// built on it (the returned Set is read-only).
func FashionMNISTSplit(s fashionmnist.Split) (*images.Set, error) {
	fmnistMu.Lock()
	defer fmnistMu.Unlock()
	if set, ok := fmnistSplit[s]; ok {
		return set, nil
	}
	set, err := fashionmnist.Load(s)
	if err != nil {
		return nil, err
	}
	fmnistSplit[s] = set
	return set, nil
}

func loadFashionMNIST(p FashionMNISTParams, seed uint64) (*Data, error) {
	train, err := FashionMNISTSplit(fashionmnist.Train)
	if err != nil {
		return nil, err
	}
	test, err := FashionMNISTSplit(fashionmnist.Test)
	if err != nil {
		return nil, err
	}
	opt := images.Options{Seed: seed, Flip: p.Flip, Height: p.Size, Width: p.Size}
	src, err := images.NewSource(train, opt)
	if err != nil {
		return nil, err
	}
	// Unflipped, unshuffled view of the training images for the noise floor.
	real, err := RealImages("imageexp: fashion-mnist", train, images.Options{Height: p.Size, Width: p.Size})
	if err != nil {
		return nil, err
	}
	held, err := images.HeldOut(test, p.HeldOut, images.Options{Height: p.Size, Width: p.Size})
	if err != nil {
		return nil, err
	}
	return &Data{
		Name:       fmt.Sprintf("fashion-mnist %d×%d (seed %d, flip %v)", p.Size, p.Size, seed, p.Flip),
		Train:      src,
		Shape:      []int{p.Size, p.Size, 1},
		NumClasses: train.NumClasses(),
		HeldOut:    held,
		Conds:      BalancedConds(train.NumClasses()),
		Real:       real,
	}, nil
}

// BalancedConds returns a Data.Conds that gives n balanced class labels (BalancedLabels), whatever the seed.
func BalancedConds(numClasses int) func(n int, seed uint64) (datasets.Cond, error) {
	return func(n int, _ uint64) (datasets.Cond, error) {
		return datasets.Cond{Labels: BalancedLabels(n, numClasses)}, nil
	}
}

// RealImages returns a Data.Real that draws n distinct images of train (a seeded permutation) through
// opt, made sequential (no shuffling or flips), for the metrics' noise floor; an n outside
// [1, train.Len()] is an error in the words of what ("imageexp: fashion-mnist").
func RealImages(what string, train *images.Set, opt images.Options) (func(n int, seed uint64) (datasets.Batch, error), error) {
	opt.Sequential = true
	src, err := images.NewSource(train, opt)
	if err != nil {
		return nil, err
	}
	return func(n int, s uint64) (datasets.Batch, error) {
		if n < 1 || n > train.Len() {
			return datasets.Batch{}, fmt.Errorf("%s real images: n %d outside [1, %d]", what, n, train.Len())
		}
		rng := rand.New(rand.NewPCG(s, 0xf100))
		return src.Gather(rng.Perm(train.Len())[:n], nil)
	}, nil
}

// BalancedLabels returns n class labels int32 [n] cycling through 0 … numClasses−1 (sample i gets class
// i mod numClasses): every class equally often, and rows of a numClasses-wide grid are classes.
// numClasses ≤ 0 gives nil (unconditional).
func BalancedLabels(n, numClasses int) *tensors.Tensor {
	if numClasses <= 0 || n < 1 {
		return nil
	}
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(i % numClasses)
	}
	return tensors.FromFlatDataAndDimensions(labels, n)
}

// FMNISTEvalParams are the parameters of the "fmnist" evaluator.
type FMNISTEvalParams struct {
	// Weights is the fingerprint (evaluator.Weights.Fingerprint) of the classifier weights; "" means the
	// shipped weights, whose fingerprint Canonical fills in, so that cached scores are tied to the
	// weights that computed them and retrained weights invalidate them. Any other value is an error.
	Weights string `json:"weights"`
	// NoPrecisionRecall skips precision and recall, which need the Fashion-MNIST test images on disk
	// (and, once per machine, a pass of the classifier over them); FID, IS and accuracy do not.
	NoPrecisionRecall bool `json:"no_precision_recall,omitempty"`
}

func canonicalFMNISTEval(params json.RawMessage) (json.RawMessage, error) {
	var p FMNISTEvalParams
	if err := decodeStrict("fmnist evaluator", params, &p); err != nil {
		return nil, err
	}
	w, err := evaluator.ShippedWeights()
	if err != nil {
		return nil, fmt.Errorf("imageexp: fmnist evaluator: %w", err)
	}
	fp := w.Fingerprint()
	if p.Weights != "" && p.Weights != fp {
		return nil, fmt.Errorf("imageexp: fmnist evaluator: weights %s are not the shipped ones (%s)", p.Weights, fp)
	}
	p.Weights = fp
	return MustJSON(p), nil
}

// FashionMNISTEvaluator returns the spec of the built-in "fmnist" evaluator with the shipped weights:
// mixflowlib/evaluator's frozen Fashion-MNIST classifier, giving MetricFID, MetricPrecision,
// MetricRecall, MetricIS and, for class-conditional samples, MetricAccuracy.
func FashionMNISTEvaluator() EvaluatorSpec { return EvaluatorSpec{Kind: EvaluatorFMNIST} }

func newFMNISTEvaluator(params json.RawMessage) (Evaluator, error) {
	var p FMNISTEvalParams
	if err := decodeStrict("fmnist evaluator", params, &p); err != nil {
		return nil, err
	}
	ev, err := evaluator.Default()
	if err != nil {
		return nil, err
	}
	return func(x *tensors.Tensor, cond datasets.Cond) (map[string]float64, error) {
		var labels []int32
		if cond.Labels != nil {
			lab, err := tensors.CopyFlatData[int32](cond.Labels)
			if err != nil {
				return nil, fmt.Errorf("imageexp: fmnist evaluator: labels: %w", err)
			}
			labels = lab
			for _, l := range lab {
				if l < 0 { // null labels: unconditional generation, no conditional accuracy
					labels = nil
					break
				}
			}
		}
		emb, err := ev.Embed(x)
		if err != nil {
			return nil, err
		}
		cs, err := evaluator.ClassScoresOf(emb, labels)
		if err != nil {
			return nil, err
		}
		fid, err := ev.FIDOf(emb)
		if err != nil {
			return nil, err
		}
		m := map[string]float64{MetricFID: fid, MetricIS: cs.InceptionScore}
		if labels != nil {
			m[MetricAccuracy] = cs.Accuracy
		}
		if !p.NoPrecisionRecall {
			if m[MetricPrecision], m[MetricRecall], err = ev.PrecisionRecallOf(emb); err != nil {
				return nil, err
			}
		}
		return m, nil
	}, nil
}
