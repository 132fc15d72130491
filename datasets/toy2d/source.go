package toy2d

import (
	"fmt"
	"strconv"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/mixflow/mixflow/datasets"
)

// maxBatch bounds Source.Batch's size (a batch of 2²⁴ points is already 128 MiB).
const maxBatch = 1 << 24

// Source is a datasets.Source of fresh samples of a toy: an infinite stream with no epochs. Batch(step, size)
// draws its points from a generator derived from (seed, step) alone, so it is a pure function of them.
type Source struct {
	toy      *Toy
	seed     uint64
	noLabels bool
}

var _ datasets.Source = (*Source)(nil)

// NewSource returns a Source of toy samples with the given seed. Batches carry class labels when the toy is
// labelled (see WithoutLabels).
func NewSource(toy *Toy, seed uint64) (*Source, error) {
	if toy == nil {
		return nil, fmt.Errorf("toy2d: NewSource: nil toy")
	}
	return &Source{toy: toy, seed: seed}, nil
}

// WithoutLabels returns a copy of the source whose batches have no labels (Cond.Labels nil), for unconditional
// training on a labelled toy. The points are the same as the original's.
func (s *Source) WithoutLabels() *Source {
	c := *s
	c.noLabels = true
	return &c
}

// Toy returns the source's distribution.
func (s *Source) Toy() *Toy { return s.toy }

// Seed returns the source's seed.
func (s *Source) Seed() uint64 { return s.seed }

// Labelled reports whether the source's batches carry labels.
func (s *Source) Labelled() bool { return s.toy.classes > 0 && !s.noLabels }

// Name returns the toy, its parameters and the seed, e.g. "moons(noise=0.05,seed=1)"; unlabelled batches of a
// labelled toy add ",labels=false".
func (s *Source) Name() string {
	args := s.toy.paramString()
	if args != "" {
		args += ","
	}
	args += "seed=" + strconv.FormatUint(s.seed, 10)
	if s.toy.classes > 0 && s.noLabels {
		args += ",labels=false"
	}
	return s.toy.kind + "(" + args + ")"
}

// Batch returns the batch of the given step: X float32 [size, 2] and, when labelled, Cond.Labels int32 [size].
// The first k points of a batch are the same for every size ≥ k.
func (s *Source) Batch(step int64, size int) (datasets.Batch, error) {
	xy, labels, err := s.Arrays(step, size)
	if err != nil {
		return datasets.Batch{}, err
	}
	b := datasets.Batch{X: tensors.FromFlatDataAndDimensions(xy, size, 2)}
	if labels != nil {
		b.Cond.Labels = tensors.FromFlatDataAndDimensions(labels, size)
	}
	return b, nil
}

// Arrays returns the data of Batch(step, size) as host slices: xy row-major [size, 2] and labels [size]
// (nil when the source is unlabelled).
func (s *Source) Arrays(step int64, size int) (xy []float32, labels []int32, err error) {
	if step < 0 {
		return nil, nil, fmt.Errorf("toy2d: %s: negative step %d", s.Name(), step)
	}
	if size <= 0 || size > maxBatch {
		return nil, nil, fmt.Errorf("toy2d: %s: batch size %d outside [1, %d]", s.Name(), size, maxBatch)
	}
	rng := newRNG(s.seed, streamBatch, uint64(step))
	xy = make([]float32, 2*size)
	labels = make([]int32, size)
	if err := s.toy.Fill(rng, xy, labels); err != nil {
		return nil, nil, err
	}
	if !s.Labelled() {
		labels = nil
	}
	return xy, labels, nil
}
