package evaluator

import (
	"fmt"
	"math"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/checkpoint"
)

// DefaultBatchSize is the number of images per network call when Options.BatchSize is 0.
const DefaultBatchSize = 256

// Options configures an Evaluator. The zero value uses the shipped weights and reference statistics.
type Options struct {
	// Weights are the feature network's parameters; nil means ShippedWeights().
	Weights *Weights
	// Reference holds the FID reference statistics. nil means the shipped ones when they were computed with
	// Weights (same fingerprint); otherwise they are computed from the Fashion-MNIST test split on first use.
	Reference *Reference
	// BatchSize is the number of images per network call (0: DefaultBatchSize). Every call runs one compiled
	// graph of this batch size; a short last batch is padded.
	BatchSize int
	// Fit says how images that are not 28×28 reach the network (FitAuto: 28×28 as is, 32×32 centre-cropped).
	Fit Fit
	// MaxAbs bounds the pixel values accepted: values in [−MaxAbs, MaxAbs] are clipped to [−1, 1] (samplers
	// overshoot a little, as when saving a PNG), values beyond are an error, since they point at images that
	// are not normalised to [−1, 1] (e.g. [0, 255] pixels) or a diverged sampler. 0 means DefaultMaxAbs (2);
	// a negative value accepts any finite value.
	MaxAbs float64
	// CacheDir is where the features of the test split are cached between processes (GoNB runs every cell
	// as a new process); "" means env.CacheDir()/evaluator, "-" turns the disk cache off.
	CacheDir string
	// Backend is the compute backend the network runs on, asked once from mixflowlib/backend by the
	// caller at the top; nil means the process-wide one (backend.New).
	Backend compute.Backend
}

// Evaluator computes features, class probabilities and the metrics built on them (FID, precision/recall,
// conditional accuracy, Inception Score) with one frozen feature network. It is safe for concurrent use;
// network calls are serialised.
type Evaluator struct {
	opt         Options
	weights     *Weights
	fingerprint string // of weights
	batchSize   int
	exec        *model.Exec

	mu      sync.Mutex // serialises exec calls
	lazyMu  sync.Mutex // guards the lazily computed fields below
	ref     *Reference
	testEmb *Embedding
	testLab []int32
}

// New returns an Evaluator with the given options: it loads the weights and compiles nothing until the
// first call.
func New(opt Options) (*Evaluator, error) {
	w := opt.Weights
	if w == nil {
		var err error
		if w, err = ShippedWeights(); err != nil {
			return nil, err
		}
	} else if _, err := newWeights(w.Source, w.Variables, w.Meta); err != nil {
		return nil, err
	}
	switch {
	case opt.BatchSize == 0:
		opt.BatchSize = DefaultBatchSize
	case opt.BatchSize < 0:
		return nil, fmt.Errorf("evaluator: Options.BatchSize %d must not be negative", opt.BatchSize)
	}
	if opt.Fit != FitAuto && opt.Fit != FitCrop && opt.Fit != FitResize {
		return nil, fmt.Errorf("evaluator: unknown Options.Fit %d, want FitAuto, FitCrop or FitResize", int(opt.Fit))
	}
	if math.IsNaN(opt.MaxAbs) {
		return nil, fmt.Errorf("evaluator: Options.MaxAbs is NaN")
	}
	if opt.MaxAbs == 0 {
		opt.MaxAbs = DefaultMaxAbs
	} else if opt.MaxAbs > 0 && opt.MaxAbs < 1 {
		return nil, fmt.Errorf("evaluator: Options.MaxAbs %g must be at least 1 (images lie in [−1, 1]), or negative to accept any value", opt.MaxAbs)
	}
	if opt.Reference != nil {
		if err := opt.Reference.check(w); err != nil {
			return nil, err
		}
	}
	be, err := backend.Or(opt.Backend)
	if err != nil {
		return nil, err // the backend names itself and the fix
	}
	store := model.NewStore()
	if _, err := checkpoint.Restore(store, w.Variables, Scope, Scope); err != nil {
		return nil, fmt.Errorf("evaluator: loading weights %s: %w", w.Source, err)
	}
	for v := range store.IterVariables() {
		v.SetTrainable(false)
	}
	exec, err := model.NewExec(be, store, func(scope *model.Scope, x *Node) (features, probs *Node) {
		f, logits := Network(scope.In("%s", Scope[1:]), x)
		return f, Softmax(logits, -1)
	})
	if err != nil {
		return nil, fmt.Errorf("evaluator: %w", err)
	}
	exec.SetMaxCache(1)
	return &Evaluator{opt: opt, weights: w, fingerprint: w.Fingerprint(), batchSize: opt.BatchSize, exec: exec,
		ref: opt.Reference}, nil
}

var (
	defaultMu sync.Mutex
	defaultEv *Evaluator
)

// Default returns the process-wide Evaluator with the shipped weights and default options, creating it on
// first use.
func Default() (*Evaluator, error) {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	if defaultEv != nil {
		return defaultEv, nil
	}
	ev, err := New(Options{})
	if err != nil {
		return nil, err
	}
	defaultEv = ev
	return ev, nil
}

// FID returns our FID of images x with the Default evaluator: see Evaluator.FID.
func FID(x *tensors.Tensor) (float64, error) {
	ev, err := Default()
	if err != nil {
		return 0, err
	}
	return ev.FID(x)
}

// Evaluate returns every metric of images x (and of their requested classes, labels, or nil) with the
// Default evaluator: see Evaluator.Evaluate.
func Evaluate(x, labels *tensors.Tensor) (*Report, error) {
	ev, err := Default()
	if err != nil {
		return nil, err
	}
	return ev.Evaluate(x, labels)
}

// Weights returns the evaluator's weights.
func (e *Evaluator) Weights() *Weights { return e.weights }

// Options returns the evaluator's options with defaults filled in.
func (e *Evaluator) Options() Options { return e.opt }

// Embedding holds what the feature network says about a set of images.
type Embedding struct {
	// Features are the penultimate-layer features, N × FeatureDim.
	Features [][]float64
	// Probs are the class probabilities (softmax of the logits), N × NumClasses.
	Probs [][]float64
}

// Len returns the number of images.
func (m *Embedding) Len() int { return len(m.Features) }

// Slice returns the embeddings of images [lo, hi), sharing memory with m.
func (m *Embedding) Slice(lo, hi int) (*Embedding, error) {
	if lo < 0 || hi > m.Len() || lo > hi {
		return nil, fmt.Errorf("evaluator: Embedding.Slice: [%d, %d) outside [0, %d]", lo, hi, m.Len())
	}
	return &Embedding{Features: m.Features[lo:hi:hi], Probs: m.Probs[lo:hi:hi]}, nil
}

// Predictions returns the most probable class of each image.
func (m *Embedding) Predictions() []int {
	out := make([]int, m.Len())
	for i, p := range m.Probs {
		best := 0
		for c, v := range p {
			if v > p[best] {
				best = c
			}
		}
		out[i] = best
	}
	return out
}

// Embed runs the feature network on images x, float32 [N, H, W, 1] in [−1, 1] (NHWC, as generated or as
// datasets/images produces them), after fitting them to 28×28 as Options.Fit says and clipping to [−1, 1].
// Bad input (another dtype or rank, C ≠ 1, a size Fit does not take, NaN, ±Inf, values beyond ±MaxAbs)
// is an error naming the image and pixel.
func (e *Evaluator) Embed(x *tensors.Tensor) (*Embedding, error) {
	if x == nil {
		return nil, fmt.Errorf("evaluator: images: nil tensor")
	}
	if x.DType() != dtypes.Float32 {
		return nil, fmt.Errorf("evaluator: images: dtype %s, want float32 [N, H, W, 1] in [−1, 1]", x.DType())
	}
	var out *Embedding
	var err error
	if aerr := tensors.ConstFlatData(x, func(flat []float32) {
		out, err = e.EmbedFlat(flat, x.Shape().Dimensions...)
	}); aerr != nil {
		return nil, fmt.Errorf("evaluator: images: %w", aerr)
	}
	return out, err
}

// EmbedFlat is Embed for images given as a flat []float32 in NHWC order with their shape [N, H, W, 1].
func (e *Evaluator) EmbedFlat(data []float32, shape ...int) (*Embedding, error) {
	if len(shape) != 4 || shape[3] != 1 {
		return nil, fmt.Errorf("evaluator: images: shape %v, want [N, H, W, 1] (NHWC, one channel)", shape)
	}
	n, h, w := shape[0], shape[1], shape[2]
	if n <= 0 || h <= 0 || w <= 0 {
		return nil, fmt.Errorf("evaluator: images: shape %v has an empty axis", shape)
	}
	if len(data) != n*h*w {
		return nil, fmt.Errorf("evaluator: images: %d values for shape %v (want %d)", len(data), shape, n*h*w)
	}
	p, err := newPrep(h, w, e.opt.Fit, e.opt.MaxAbs)
	if err != nil {
		return nil, err
	}
	// Check every value before running the network, so that a bad image fails fast.
	for k := range n {
		if err := p.check(data[k*h*w:(k+1)*h*w], k); err != nil {
			return nil, err
		}
	}
	out := &Embedding{Features: make([][]float64, n), Probs: make([][]float64, n)}
	featBuf := make([]float64, n*FeatureDim)
	probBuf := make([]float64, n*NumClasses)
	const per = InputSize * InputSize
	bs := e.batchSize
	in := make([]float32, bs*per)
	for start := 0; start < n; start += bs {
		m := min(bs, n-start)
		for k := range m {
			p.convert(in[k*per:(k+1)*per], data[(start+k)*h*w:(start+k+1)*h*w])
		}
		for i := m * per; i < len(in); i++ {
			in[i] = -1 // padding of a short last batch: black images, dropped below
		}
		feats, probs, err := e.run(in)
		if err != nil {
			return nil, err
		}
		for k := range m {
			i := start + k
			f := featBuf[i*FeatureDim : (i+1)*FeatureDim : (i+1)*FeatureDim]
			for j := range f {
				f[j] = float64(feats[k*FeatureDim+j])
			}
			q := probBuf[i*NumClasses : (i+1)*NumClasses : (i+1)*NumClasses]
			for j := range q {
				q[j] = float64(probs[k*NumClasses+j])
			}
			out.Features[i], out.Probs[i] = f, q
		}
	}
	return out, nil
}

// run executes the compiled network on one full batch of 28×28 inputs.
func (e *Evaluator) run(in []float32) (feats, probs []float32, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	x := tensors.FromFlatDataAndDimensions(in, e.batchSize, InputSize, InputSize, 1)
	defer x.MustFinalizeAll()
	var outs []*tensors.Tensor
	if err := exceptions.TryCatch[error](func() { outs = e.exec.MustCall(x) }); err != nil {
		return nil, nil, fmt.Errorf("evaluator: running the feature network: %w", err)
	}
	feats, err = tensors.CopyFlatData[float32](outs[0])
	if err == nil {
		probs, err = tensors.CopyFlatData[float32](outs[1])
	}
	for _, t := range outs {
		t.MustFinalizeAll()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("evaluator: reading the feature network's output: %w", err)
	}
	return feats, probs, nil
}

// Features returns the FeatureDim-dimensional features of images x (see Embed).
func (e *Evaluator) Features(x *tensors.Tensor) ([][]float64, error) {
	m, err := e.Embed(x)
	if err != nil {
		return nil, err
	}
	return m.Features, nil
}
