// Package t2iexp plugs text-to-image experiments into mixflowlib/experiment/imageexp: the text-conditioned
// DiT of mixflowlib/backbone/t2i as backbone kind "t2i", the captioned shapes of datasets/captions as data
// kind "captions", and a GenEval-like evaluator, kind "captions", that reads shape, colour, position and
// count back from every generated image (captions.Analyze) and compares them with what its caption asked
// for. Importing the package registers the three kinds; then imageexp's Lab trains, post-trains (standard
// flow matching or MixFlow) and evaluates text-to-image models like any other image model:
//
//	lab := &imageexp.Lab{}
//	base, err := lab.TrainBase(ctx, imageexp.BaseSpec{Data: t2iexp.Data(t2iexp.DataParams{}, 1),
//		Model: t2iexp.Model(cfg), Objective: imageexp.FM("logit-normal(0,1)", 0.1), Train: train})
//	mix, err := lab.PostTrain(ctx, base, imageexp.PostSpec{Objective: imageexp.MixFlow(0.8, 0.1), Train: post})
//	cmp, err := lab.Compare(ctx, []*imageexp.Run{base, std, mix}, imageexp.EvalSpec{Evaluator: t2iexp.Evaluator(), …})
//
// The evaluation captions of seed s are the first N examples of the held-out stream of a captions source
// seeded by s: the same for every model, separate from the training stream. The caption space is small
// (4 shapes × 6 colours × 9 positions × 4 counts × 3 templates), so evaluation captions are not new
// combinations; what is held out are the layouts, and what is measured is whether the model draws what
// the caption says, as GenEval does with its fixed prompt set.
package t2iexp

import (
	"cmp"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/datasets/captions"
	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/mixflowlib/backbone/t2i"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
)

// Kind names registered with imageexp.
const (
	// BackboneKind is the text-conditioned DiT; its params are a t2i.Config.
	BackboneKind = "t2i"
	// DataKind is the captioned shapes data set; its params are DataParams.
	DataKind = "captions"
	// EvaluatorKind is the attribute checker; it takes no params.
	EvaluatorKind = "captions"
)

// Metric names of the "captions" evaluator: fractions of generated images in [0, 1], higher is better.
const (
	// MetricAll is the fraction of images whose shape, colour, position and count all match the caption
	// (GenEval's overall score is the analogous mean of per-prompt successes).
	MetricAll = "all"
	// MetricShape, MetricColor, MetricPosition and MetricCount are the per-attribute match rates
	// (GenEval's object, colour, position and counting categories).
	MetricShape    = "shape"
	MetricColor    = "color"
	MetricPosition = "position"
	MetricCount    = "count"
	// MetricFound is the fraction of images in which any object was found at all.
	MetricFound = "found"
)

// Metrics lists the evaluator's metrics in display order.
var Metrics = []string{MetricAll, MetricShape, MetricColor, MetricPosition, MetricCount, MetricFound}

func init() {
	for _, err := range []error{
		imageexp.RegisterBackbone(BackboneKind, imageexp.ConfigBackbone("t2iexp: t2i", t2i.New)),
		imageexp.RegisterData(DataKind, imageexp.DataKind{Load: loadData, Canonical: canonicalData}),
		imageexp.RegisterEvaluator(EvaluatorKind, imageexp.EvaluatorKind{New: newEvaluator, Canonical: noParams}),
	} {
		if err != nil {
			panic(err)
		}
	}
}

// Model returns the imageexp.ModelSpec of a text-conditioned DiT with configuration cfg.
func Model(cfg t2i.Config) imageexp.ModelSpec {
	return imageexp.ModelSpec{Kind: BackboneKind, Params: imageexp.MustJSON(cfg)}
}

// DataParams are the parameters of the "captions" data kind.
type DataParams struct {
	// Size is the image side (a multiple of 8, at least 32); 0 means 32.
	Size int `json:"size"`
	// MaxCount is the largest number of objects per image (1 to captions.MaxCount); 0 means
	// captions.MaxCount.
	MaxCount int `json:"max_count"`
	// MaxLen is the caption length in tokens; 0 means captions.DefaultMaxLen.
	MaxLen int `json:"max_len"`
	// HeldOut is the number of held-out examples in Data.HeldOut (the Slow Flow reference); 0 means 1000.
	HeldOut int `json:"held_out"`
}

// Data returns the imageexp.DataSpec of captioned shapes with parameters p and training-stream seed.
//
// Its Data: Train streams captioned images (X [B, Size, Size, 3] in [−1, 1], Cond.Tokens [B, MaxLen]);
// HeldOut holds p.HeldOut examples of the source's held-out stream; Conds(n, s) gives the tokens of the
// first n held-out captions of a source seeded by s (the same for every model and training seed); Real(n,
// s) gives those examples' own images, which the evaluator scores 1 on every metric (it is exact on real
// renders): the ceiling of the scores.
func Data(p DataParams, seed uint64) imageexp.DataSpec {
	return imageexp.DataSpec{Kind: DataKind, Params: imageexp.MustJSON(p), Seed: seed}
}

func dataParams(params json.RawMessage) (DataParams, captions.Options, error) {
	var p DataParams
	if err := imageexp.DecodeParams("t2iexp: captions", params, &p); err != nil {
		return p, captions.Options{}, err
	}
	p.Size = cmp.Or(p.Size, captions.DefaultSize)
	p.MaxCount = cmp.Or(p.MaxCount, captions.MaxCount)
	p.MaxLen = cmp.Or(p.MaxLen, captions.DefaultMaxLen)
	p.HeldOut = cmp.Or(p.HeldOut, 1000)
	if p.HeldOut < 1 || p.HeldOut > imageexp.MaxImages {
		return p, captions.Options{}, fmt.Errorf("t2iexp: captions held_out %d outside [1, %d]", p.HeldOut, imageexp.MaxImages)
	}
	opt := captions.Options{Size: p.Size, MaxCount: p.MaxCount, MaxLen: p.MaxLen}
	if _, err := captions.NewSource(opt); err != nil { // validates size, count and length
		return p, opt, fmt.Errorf("t2iexp: %w", err)
	}
	return p, opt, nil
}

func canonicalData(params json.RawMessage) (json.RawMessage, error) {
	p, _, err := dataParams(params)
	if err != nil {
		return nil, err
	}
	return imageexp.MustJSON(p), nil
}

// evalSeedSalt separates the evaluation sources' seeds from small training seeds.
const evalSeedSalt = 0x7e57_ca9e_0000_0000

// evalSource returns the source whose held-out stream gives the captions of evaluation seed s.
func evalSource(opt captions.Options, s uint64) (*captions.Source, error) {
	opt.Seed = evalSeedSalt ^ s
	return captions.NewSource(opt)
}

func loadData(params json.RawMessage, seed uint64) (*imageexp.Data, error) {
	p, opt, err := dataParams(params)
	if err != nil {
		return nil, err
	}
	opt.Seed = seed
	src, err := captions.NewSource(opt)
	if err != nil {
		return nil, err
	}
	_, held, err := src.HeldOut(p.HeldOut)
	if err != nil {
		return nil, err
	}
	heldOut := func(n int, s uint64) (datasets.Batch, error) {
		if n < 1 || n > imageexp.MaxImages {
			return datasets.Batch{}, fmt.Errorf("t2iexp: %d evaluation captions outside [1, %d]", n, imageexp.MaxImages)
		}
		es, err := evalSource(opt, s)
		if err != nil {
			return datasets.Batch{}, err
		}
		_, b, err := es.HeldOut(n)
		return b, err
	}
	return &imageexp.Data{
		Name:    src.Name(),
		Train:   src,
		Shape:   []int{p.Size, p.Size, 3},
		HeldOut: held,
		Conds: func(n int, s uint64) (datasets.Cond, error) {
			b, err := heldOut(n, s)
			return b.Cond, err
		},
		Real: heldOut,
	}, nil
}

// Evaluator returns the spec of the "captions" evaluator (see EvaluatorKind and the Metric constants).
func Evaluator() imageexp.EvaluatorSpec { return imageexp.EvaluatorSpec{Kind: EvaluatorKind} }

func newEvaluator(json.RawMessage) (imageexp.Evaluator, error) {
	return func(x *tensors.Tensor, cond datasets.Cond) (map[string]float64, error) {
		s, err := Score(x, cond.Tokens)
		if err != nil {
			return nil, err
		}
		return s.Metrics(), nil
	}, nil
}

func noParams(p json.RawMessage) (json.RawMessage, error) {
	if len(p) != 0 && string(p) != "{}" {
		return nil, fmt.Errorf("t2iexp: evaluator %s takes no params, got %s", EvaluatorKind, p)
	}
	return nil, nil
}

// Scores are the attribute scores of a batch of generated images.
type Scores struct {
	captions.Scores
	// Found is the fraction of images in which captions.Analyze found at least one object.
	Found float64
}

// Metrics returns the scores by metric name (MetricAll, …).
func (s Scores) Metrics() map[string]float64 {
	return map[string]float64{MetricAll: s.All, MetricShape: s.Shape, MetricColor: s.Color,
		MetricPosition: s.Position, MetricCount: s.Count, MetricFound: s.Found}
}

// Score checks generated images x (float32 [B, S, S, 3] in [−1, 1]) against the captions they were
// generated for (tokens int32 [B, L] of the captions tokenizer): captions.Score on the attributes parsed
// back from the captions, plus the fraction of images with any object. A null or unparseable caption is
// an error: it asks for nothing that can be checked.
func Score(x, tokens *tensors.Tensor) (Scores, error) {
	want, err := AttributesOf(tokens)
	if err != nil {
		return Scores{}, err
	}
	s, err := captions.Score(x, want)
	if err != nil {
		return Scores{}, fmt.Errorf("t2iexp: %w", err)
	}
	size := x.Shape().Dimensions[1]
	flat, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		return Scores{}, fmt.Errorf("t2iexp: %w", err)
	}
	per := size * size * 3
	px := make([]uint8, per)
	found := 0
	for k := range want {
		for i, v := range flat[k*per : (k+1)*per] {
			px[i] = images.Denormalize(v)
		}
		if _, err := captions.Analyze(px, size); err == nil {
			found++
		}
	}
	return Scores{Scores: s, Found: float64(found) / float64(len(want))}, nil
}

var (
	parseOnce sync.Once
	parseTok  *captions.Tokenizer
	parseMap  map[string]captions.Attributes
)

// parser returns the tokenizer and the map from every caption the templates can write to its attributes.
func parser() (*captions.Tokenizer, map[string]captions.Attributes) {
	parseOnce.Do(func() {
		parseTok, _ = captions.NewTokenizer(captions.DefaultMaxLen) // cannot fail for a positive length
		parseMap = map[string]captions.Attributes{}
		for tmpl := range captions.Templates {
			for count := 1; count <= captions.MaxCount; count++ {
				for _, s := range captions.Shapes {
					for _, c := range captions.Colors {
						for _, p := range captions.Positions {
							a := captions.Attributes{Shape: s, Color: c, Position: p, Count: count}
							parseMap[captions.Caption(a, tmpl)] = a
						}
					}
				}
			}
		}
	})
	return parseTok, parseMap
}

// ParseCaption returns the attributes a caption states. It accepts exactly the captions the templates
// write (after captions.Words normalisation: case and punctuation do not matter); anything else is an
// error naming the caption.
func ParseCaption(text string) (captions.Attributes, error) {
	a, err := parseCaption(text)
	if err != nil {
		return a, fmt.Errorf("t2iexp: %w", err)
	}
	return a, nil
}

func parseCaption(text string) (captions.Attributes, error) {
	_, m := parser()
	words := captions.Words(text)
	key := ""
	for i, w := range words {
		if i > 0 {
			key += " "
		}
		key += w
	}
	a, ok := m[key]
	if !ok {
		if key == "" {
			return a, fmt.Errorf("the null caption states no attributes")
		}
		return a, fmt.Errorf("caption %q is not one the captions templates write", text)
	}
	return a, nil
}

// AttributesOf decodes caption tokens (int32 [B, L]) and parses each caption (see ParseCaption).
func AttributesOf(tokens *tensors.Tensor) ([]captions.Attributes, error) {
	if tokens == nil || tokens.DType() != dtypes.Int32 || tokens.Rank() != 2 {
		return nil, fmt.Errorf("t2iexp: caption tokens %v, want int32 [B, L]", shapeOf(tokens))
	}
	tok, _ := parser()
	texts, err := tok.DecodeBatch(tokens)
	if err != nil {
		return nil, fmt.Errorf("t2iexp: %w", err)
	}
	out := make([]captions.Attributes, len(texts))
	for i, text := range texts {
		if out[i], err = parseCaption(text); err != nil {
			return nil, fmt.Errorf("t2iexp: caption %d: %w", i, err)
		}
	}
	return out, nil
}

func shapeOf(t *tensors.Tensor) any {
	if t == nil {
		return "nil"
	}
	return t.Shape()
}
