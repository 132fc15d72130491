package images

import (
	"fmt"
	"image"
	"math"
	"sync"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/datasets/internal/seeded"
)

// Options configures a Source. The zero value streams shuffled images at their own size, without flips,
// with seed 0.
type Options struct {
	// Seed selects the epoch permutations and the flips.
	Seed uint64
	// Sequential streams the images in set order instead of shuffling each epoch (for evaluation).
	Sequential bool
	// Flip mirrors each image left–right with probability 1/2, drawn from (Seed, step).
	Flip bool
	// Height and Width are the output size; 0 keeps the set's size. Patch-based models want sizes divisible
	// by the patch size, e.g. 28×28 Fashion-MNIST padded to 32×32.
	Height, Width int
	// Fit says how images reach Height×Width: Pad (the default), PadEdge or Resize.
	Fit Fit
	// PadValue is the pixel value Pad fills with (0: black, −1 after normalisation).
	PadValue uint8
}

// Source streams a Set as training batches. It implements datasets.Source: Batch(step, size) is a pure
// function of (Options, step, size), so a run resumed at step k sees the batches an uninterrupted run would.
//
// The stream is the concatenation of epochs; epoch e visits every image once in the order of a permutation
// drawn from (Seed, e), and batch k of size B holds stream positions [k·B, (k+1)·B) (a batch may straddle two
// epochs). Images are flipped (if asked), fitted to the output size and normalised to [−1, 1]; X is float32
// [B, H, W, C] and Cond.Labels int32 [B]. A Source is safe for concurrent use.
type Source struct {
	set  *Set
	opt  Options
	geom *geometry

	mu    sync.Mutex
	perms [2]cachedPerm // the two most recently used epoch permutations
	next  int
}

type cachedPerm struct {
	epoch int64
	perm  []int
}

// NewSource returns a Source over set. The set must stay unchanged while the Source is used.
func NewSource(set *Set, opt Options) (*Source, error) {
	if err := set.Validate(); err != nil {
		return nil, err
	}
	if set.Len() == 0 {
		return nil, fmt.Errorf("images: set %q is empty", set.Name)
	}
	if opt.Height < 0 || opt.Width < 0 {
		return nil, fmt.Errorf("images: output size %d×%d must not be negative", opt.Height, opt.Width)
	}
	if opt.Height == 0 {
		opt.Height = set.Height
	}
	if opt.Width == 0 {
		opt.Width = set.Width
	}
	g, err := newGeometry(set.Height, set.Width, set.Channels, opt.Height, opt.Width, opt.Fit, opt.PadValue)
	if err != nil {
		return nil, err
	}
	return &Source{set: set, opt: opt, geom: g}, nil
}

// Set returns the data the Source streams.
func (s *Source) Set() *Set { return s.set }

// Options returns the Source's options with the output size filled in.
func (s *Source) Options() Options { return s.opt }

// Shape returns the shape of one output image, [H, W, C].
func (s *Source) Shape() []int { return []int{s.opt.Height, s.opt.Width, s.set.Channels} }

// NumClasses returns the number of classes of the underlying set.
func (s *Source) NumClasses() int { return s.set.NumClasses() }

// Name describes the source and every setting that changes its batches, e.g.
// "images(fashion-mnist/train,n=60000,32x32x1,fit=pad,seed=1,flip)".
func (s *Source) Name() string {
	o := s.opt
	name := fmt.Sprintf("images(%s,n=%d,%dx%dx%d", s.set.Name, s.set.Len(), o.Height, o.Width, s.set.Channels)
	if o.Height != s.set.Height || o.Width != s.set.Width {
		name += ",fit=" + o.Fit.String()
		if o.Fit == Pad && o.PadValue != 0 {
			name += fmt.Sprintf(",pad=%d", o.PadValue)
		}
	}
	if o.Sequential {
		name += ",sequential"
	} else {
		name += fmt.Sprintf(",seed=%d", o.Seed)
	}
	if o.Flip {
		name += ",flip"
	}
	return name + ")"
}

// StepsPerEpoch returns how many batches of the given size make one pass over the data (rounded up).
func (s *Source) StepsPerEpoch(size int) int {
	if size <= 0 {
		return 0
	}
	return (s.set.Len() + size - 1) / size
}

// Indices returns the set indices of the images of batch step (before flipping), and whether each is flipped.
func (s *Source) Indices(step int64, size int) (indices []int, flips []bool, err error) {
	if step < 0 {
		return nil, nil, fmt.Errorf("images: %s: step %d must not be negative", s.Name(), step)
	}
	if size <= 0 {
		return nil, nil, fmt.Errorf("images: %s: batch size %d must be positive", s.Name(), size)
	}
	if step > (math.MaxInt64-int64(size))/int64(size) {
		return nil, nil, fmt.Errorf("images: %s: step %d × batch size %d overflows", s.Name(), step, size)
	}
	n := int64(s.set.Len())
	indices = make([]int, size)
	pos := step * int64(size)
	epoch, perm := int64(-1), []int(nil)
	for k := range indices {
		e, i := (pos+int64(k))/n, (pos+int64(k))%n
		if s.opt.Sequential {
			indices[k] = int(i)
			continue
		}
		if e != epoch {
			epoch, perm = e, s.permutation(e)
		}
		indices[k] = perm[i]
	}
	flips = make([]bool, size)
	if s.opt.Flip {
		r := seeded.New(s.opt.Seed, flipSalt, uint64(step))
		for k := range flips {
			flips[k] = r.Uint64()&1 == 1
		}
	}
	return indices, flips, nil
}

// permutation returns the image order of an epoch, caching the two most recent.
func (s *Source) permutation(epoch int64) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.perms {
		if c.perm != nil && c.epoch == epoch {
			return c.perm
		}
	}
	p := seeded.Permutation(s.set.Len(), seeded.New(s.opt.Seed, permSalt, uint64(epoch)))
	s.perms[s.next] = cachedPerm{epoch, p}
	s.next = 1 - s.next
	return p
}

// Batch returns the batch of the given training step: X float32 [size, H, W, C] in [−1, 1] and
// Cond.Labels int32 [size].
func (s *Source) Batch(step int64, size int) (datasets.Batch, error) {
	indices, flips, err := s.Indices(step, size)
	if err != nil {
		return datasets.Batch{}, err
	}
	return s.Gather(indices, flips)
}

// Range returns images [start, start+n) in set order, unflipped, fitted and normalised like the batches:
// for evaluation (a fixed held-out set, or a whole test split in chunks).
func (s *Source) Range(start, n int) (datasets.Batch, error) {
	if start < 0 || n <= 0 || start > s.set.Len()-n {
		return datasets.Batch{}, fmt.Errorf("images: %s: range [%d, %d) outside [0, %d] or empty",
			s.Name(), start, start+n, s.set.Len())
	}
	indices := make([]int, n)
	for k := range indices {
		indices[k] = start + k
	}
	return s.Gather(indices, nil)
}

// Gather returns the batch holding the given images, each mirrored where flips says so (flips may be nil).
func (s *Source) Gather(indices []int, flips []bool) (datasets.Batch, error) {
	if len(indices) == 0 {
		return datasets.Batch{}, fmt.Errorf("images: %s: empty batch", s.Name())
	}
	if flips != nil && len(flips) != len(indices) {
		return datasets.Batch{}, fmt.Errorf("images: %s: %d flips for %d images", s.Name(), len(flips), len(indices))
	}
	for _, i := range indices {
		if i < 0 || i >= s.set.Len() {
			return datasets.Batch{}, fmt.Errorf("images: %s: image index %d outside [0, %d)", s.Name(), i, s.set.Len())
		}
	}
	b, h, w, c := len(indices), s.opt.Height, s.opt.Width, s.set.Channels
	x := tensors.FromShape(shapes.Make(dtypes.Float32, b, h, w, c))
	labels := tensors.FromShape(shapes.Make(dtypes.Int32, b))
	per := h * w * c
	tmp := make([]float32, s.geom.tmpSize())
	tensors.MustMutableFlatData(x, func(flat []float32) {
		for k, i := range indices {
			s.geom.render(flat[k*per:(k+1)*per], s.set.ImagePixels(i), flips != nil && flips[k], tmp)
		}
	})
	tensors.MustMutableFlatData(labels, func(flat []int32) {
		for k, i := range indices {
			flat[k] = s.set.Labels[i]
		}
	})
	return datasets.Batch{X: x, Cond: datasets.Cond{Labels: labels}}, nil
}

// HeldOut returns the first n images of set (all of them if n ≤ 0 or n ≥ Len()) fitted and normalised as
// opt says, unflipped: the fixed evaluation set (Fashion-MNIST's is the head of its test split).
func HeldOut(set *Set, n int, opt Options) (datasets.Batch, error) {
	if err := set.Validate(); err != nil {
		return datasets.Batch{}, err
	}
	if n <= 0 || n > set.Len() {
		n = set.Len()
	}
	opt.Flip = false
	src, err := NewSource(set, opt)
	if err != nil {
		return datasets.Batch{}, err
	}
	return src.Range(0, n)
}

// ToImages converts a batch of normalised images, float32 [B, H, W, C] in [−1, 1] with C = 1 or 3, into
// displayable images (*image.Gray or *image.RGBA), inverting the normalisation with Denormalize.
func ToImages(x *tensors.Tensor) ([]image.Image, error) {
	if x == nil {
		return nil, fmt.Errorf("images: ToImages: nil tensor")
	}
	sh := x.Shape()
	if sh.DType != dtypes.Float32 || sh.Rank() != 4 || (sh.Dimensions[3] != 1 && sh.Dimensions[3] != 3) {
		return nil, fmt.Errorf("images: ToImages: tensor %s, want float32 [B, H, W, C] with C = 1 or 3", sh)
	}
	b, h, w, c := sh.Dimensions[0], sh.Dimensions[1], sh.Dimensions[2], sh.Dimensions[3]
	out := make([]image.Image, b)
	err := tensors.ConstFlatData(x, func(flat []float32) {
		px := make([]uint8, h*w*c)
		for k := range out {
			for i, v := range flat[k*h*w*c : (k+1)*h*w*c] {
				px[i] = Denormalize(v)
			}
			out[k], _ = pixelsToImage(px, h, w, c)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("images: ToImages: %w", err)
	}
	return out, nil
}
