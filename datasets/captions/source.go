package captions

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/datasets/internal/seeded"
)

// Salts separate the training stream from the held-out stream of one seed.
const (
	trainSalt   = 0x2545f4914f6cdd1d
	heldOutSalt = 0x5851f42d4c957f2d
)

// DefaultSize is the image side used when Options.Size is 0.
const DefaultSize = 32

// Options configures a Source. The zero value draws every shape, colour, position, count and template
// uniformly at DefaultSize with seed 0.
type Options struct {
	// Size is the image side in pixels: a multiple of 8, at least 32; 0 means DefaultSize.
	Size int
	// Seed selects the examples.
	Seed uint64
	// MaxCount is the largest count drawn (1 to MaxCount); 0 means MaxCount.
	MaxCount int
	// Shapes, Colors and Positions restrict the attributes drawn; nil means all.
	Shapes    []Shape
	Colors    []Color
	Positions []Position
	// Templates restricts the caption templates (indices into Templates); nil means all.
	Templates []int
	// MaxLen is the token length of a caption; 0 means DefaultMaxLen.
	MaxLen int
}

// Example is one generated image with its caption and the exact attributes behind both.
type Example struct {
	Attributes
	// Template is the caption template used (an index into Templates).
	Template int
	// Caption is the image's caption.
	Caption string
	// Objects are the drawn shapes.
	Objects []Object
	// Pixels is the Size×Size RGB image, HWC uint8 on a black background.
	Pixels []uint8
}

// Source generates captioned examples; it is a datasets.Source whose batches carry images X float32
// [B, Size, Size, 3] in [−1, 1] and caption tokens Cond.Tokens int32 [B, MaxLen] (Cond.Labels is nil).
// Example i of the training stream is a pure function of (Seed, i), and batch k of size B holds examples
// [k·B, (k+1)·B). The data is unlimited: there are no epochs. HeldOut draws from a separate stream.
type Source struct {
	opt Options
	tok *Tokenizer
}

// NewSource checks the options and returns a Source.
func NewSource(opt Options) (*Source, error) {
	if opt.Size == 0 {
		opt.Size = DefaultSize
	}
	if err := checkSize(opt.Size); err != nil {
		return nil, err
	}
	if opt.MaxCount == 0 {
		opt.MaxCount = MaxCount
	}
	if opt.MaxCount < 1 || opt.MaxCount > MaxCount {
		return nil, fmt.Errorf("captions: MaxCount %d outside [1, %d]", opt.MaxCount, MaxCount)
	}
	if opt.Shapes == nil {
		opt.Shapes = Shapes
	}
	if opt.Colors == nil {
		opt.Colors = Colors
	}
	if opt.Positions == nil {
		opt.Positions = Positions
	}
	if opt.Templates == nil {
		opt.Templates = []int{0, 1, 2}
	}
	if len(opt.Shapes) == 0 || len(opt.Colors) == 0 || len(opt.Positions) == 0 || len(opt.Templates) == 0 {
		return nil, fmt.Errorf("captions: empty list of shapes, colours, positions or templates")
	}
	for _, s := range opt.Shapes {
		if err := (Attributes{Shape: s, Count: 1}).validate(); err != nil {
			return nil, err
		}
	}
	for _, c := range opt.Colors {
		if err := (Attributes{Color: c, Count: 1}).validate(); err != nil {
			return nil, err
		}
	}
	for _, p := range opt.Positions {
		if err := (Attributes{Position: p, Count: 1}).validate(); err != nil {
			return nil, err
		}
	}
	for _, t := range opt.Templates {
		if t < 0 || t >= len(Templates) {
			return nil, fmt.Errorf("captions: template %d outside [0, %d)", t, len(Templates))
		}
	}
	if opt.MaxLen == 0 {
		opt.MaxLen = DefaultMaxLen
	}
	tok, err := NewTokenizer(opt.MaxLen)
	if err != nil {
		return nil, err
	}
	opt.Shapes, opt.Colors = slices.Clone(opt.Shapes), slices.Clone(opt.Colors)
	opt.Positions, opt.Templates = slices.Clone(opt.Positions), slices.Clone(opt.Templates)
	return &Source{opt: opt, tok: tok}, nil
}

// Options returns the Source's options with defaults filled in.
func (s *Source) Options() Options { return s.opt }

// Tokenizer returns the tokenizer the batches are encoded with.
func (s *Source) Tokenizer() *Tokenizer { return s.tok }

// Name describes the source and its settings.
func (s *Source) Name() string {
	o := s.opt
	name := fmt.Sprintf("captions(size=%d,seed=%d,maxcount=%d,maxlen=%d", o.Size, o.Seed, o.MaxCount, o.MaxLen)
	if len(o.Shapes) != len(Shapes) {
		name += fmt.Sprintf(",shapes=%v", o.Shapes)
	}
	if len(o.Colors) != len(Colors) {
		name += fmt.Sprintf(",colors=%v", o.Colors)
	}
	if len(o.Positions) != len(Positions) {
		name += fmt.Sprintf(",positions=%d", o.Positions)
	}
	if len(o.Templates) != len(Templates) {
		name += fmt.Sprintf(",templates=%v", o.Templates)
	}
	return name + ")"
}

// generate returns example i of the stream salt.
func (s *Source) generate(salt uint64, i int64) Example {
	r := seeded.New(s.opt.Seed, salt, uint64(i))
	o := s.opt
	a := Attributes{
		Shape:    o.Shapes[seeded.Intn(r, len(o.Shapes))],
		Color:    o.Colors[seeded.Intn(r, len(o.Colors))],
		Position: o.Positions[seeded.Intn(r, len(o.Positions))],
		Count:    1 + seeded.Intn(r, o.MaxCount),
	}
	tmpl := o.Templates[seeded.Intn(r, len(o.Templates))]
	objs, err := Layout(a, o.Size, r)
	if err != nil { // options were checked in NewSource
		panic(err)
	}
	return Example{Attributes: a, Template: tmpl, Caption: Caption(a, tmpl), Objects: objs,
		Pixels: Render(objs, o.Size)}
}

// Example returns example i (≥ 0) of the training stream.
func (s *Source) Example(i int64) (Example, error) {
	if i < 0 {
		return Example{}, fmt.Errorf("captions: example index %d must not be negative", i)
	}
	return s.generate(trainSalt, i), nil
}

// Examples returns the examples of batch step.
func (s *Source) Examples(step int64, size int) ([]Example, error) {
	if step < 0 || size <= 0 {
		return nil, fmt.Errorf("captions: %s: step %d and batch size %d: want step ≥ 0 and size > 0", s.Name(), step, size)
	}
	if step > (math.MaxInt64-int64(size))/int64(size) {
		return nil, fmt.Errorf("captions: %s: step %d × batch size %d overflows", s.Name(), step, size)
	}
	out := make([]Example, size)
	for k := range out {
		out[k] = s.generate(trainSalt, step*int64(size)+int64(k))
	}
	return out, nil
}

// Batch returns the batch of the given training step.
func (s *Source) Batch(step int64, size int) (datasets.Batch, error) {
	ex, err := s.Examples(step, size)
	if err != nil {
		return datasets.Batch{}, err
	}
	return s.ToBatch(ex)
}

// HeldOut returns n examples from a stream separate from training (the same for every call), and their
// batch: a fixed evaluation set of captions and reference images.
func (s *Source) HeldOut(n int) ([]Example, datasets.Batch, error) {
	if n <= 0 {
		return nil, datasets.Batch{}, fmt.Errorf("captions: held-out size %d must be positive", n)
	}
	ex := make([]Example, n)
	for i := range ex {
		ex[i] = s.generate(heldOutSalt, int64(i))
	}
	b, err := s.ToBatch(ex)
	return ex, b, err
}

// ToBatch encodes examples as a batch: X float32 [B, Size, Size, 3] in [−1, 1], Cond.Tokens int32
// [B, MaxLen].
func (s *Source) ToBatch(ex []Example) (datasets.Batch, error) {
	if len(ex) == 0 {
		return datasets.Batch{}, fmt.Errorf("captions: empty batch")
	}
	n := s.opt.Size * s.opt.Size * 3
	captions := make([]string, len(ex))
	for k, e := range ex {
		if len(e.Pixels) != n {
			return datasets.Batch{}, fmt.Errorf("captions: example %d has %d pixel values, want %d", k, len(e.Pixels), n)
		}
		captions[k] = e.Caption
	}
	tokens, err := s.tok.EncodeBatch(captions)
	if err != nil {
		return datasets.Batch{}, err
	}
	x := tensors.FromShape(shapes.Make(dtypes.Float32, len(ex), s.opt.Size, s.opt.Size, 3))
	tensors.MustMutableFlatData(x, func(flat []float32) {
		for k, e := range ex {
			for i, p := range e.Pixels {
				flat[k*n+i] = images.Normalize(p)
			}
		}
	})
	return datasets.Batch{X: x, Cond: datasets.Cond{Tokens: tokens}}, nil
}
