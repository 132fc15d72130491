// Package images holds labelled image data sets in memory and streams them as training batches.
//
// A Set keeps every image as uint8 pixels in NHWC order (Fashion-MNIST train is 60000×28×28 bytes, 47 MB);
// conversion to float32 happens per batch. A Source turns a Set into a datasets.Source: batches are a pure
// function of (seed, step), shuffled by an epoch permutation drawn from (seed, epoch), optionally flipped
// horizontally at random, padded or resized to a patch-friendly size, and normalised to [−1, 1]:
//
//	x = pixel/127.5 − 1
//
// Denormalize and ToImages invert that for display. The loaders live in sibling packages:
// datasets/fashionmnist (the default real data), datasets/idx (MNIST-format files), datasets/cifar10 and
// datasets/imagefolder (PNG/JPEG files in class sub-folders).
package images

import (
	"fmt"
	"image"
	"slices"

	"github.com/mixflow/mixflow/datasets/internal/seeded"
)

// Salts separate the random streams drawn from one seed.
const (
	permSalt  = 0x9e3779b97f4a7c15
	flipSalt  = 0xbf58476d1ce4e5b9
	splitSalt = 0x94d049bb133111eb
)

// Set is a labelled image data set held in memory as uint8 pixels.
//
// Image i occupies Pixels[i*H*W*C : (i+1)*H*W*C] in row-major (height, width, channel) order, and has class
// Labels[i] in [0, len(ClassNames)). Build Sets with New (which checks these invariants) or a loader; methods
// that return a new Set (Slice, Head) may share Pixels with the receiver, so treat Pixels as read-only.
type Set struct {
	// Name identifies the data, e.g. "fashion-mnist/train".
	Name string
	// Height, Width and Channels are the image size; Channels is 1 (grayscale) or 3 (RGB).
	Height, Width, Channels int
	// Pixels holds the images, NHWC, one byte per channel value.
	Pixels []uint8
	// Labels holds one class index per image.
	Labels []int32
	// ClassNames names the classes, indexed by label.
	ClassNames []string
}

// New returns a Set over the given pixels and labels after checking that the sizes agree and that every label
// is a valid class index. It does not copy pixels or labels.
func New(name string, height, width, channels int, pixels []uint8, labels []int32, classNames []string) (*Set, error) {
	s := &Set{Name: name, Height: height, Width: width, Channels: channels, Pixels: pixels, Labels: labels,
		ClassNames: classNames}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// Validate checks the Set's invariants: positive sizes, 1 or 3 channels, len(Pixels) = N·H·W·C for
// N = len(Labels), at least one class, and every label in [0, len(ClassNames)).
func (s *Set) Validate() error {
	if s == nil {
		return fmt.Errorf("images: nil Set")
	}
	if s.Height <= 0 || s.Width <= 0 {
		return fmt.Errorf("images: set %q: image size %d×%d must be positive", s.Name, s.Height, s.Width)
	}
	if s.Channels != 1 && s.Channels != 3 {
		return fmt.Errorf("images: set %q: %d channels, want 1 (grayscale) or 3 (RGB)", s.Name, s.Channels)
	}
	if len(s.ClassNames) == 0 {
		return fmt.Errorf("images: set %q: no class names", s.Name)
	}
	per := s.Height * s.Width * s.Channels
	if len(s.Pixels) != len(s.Labels)*per {
		return fmt.Errorf("images: set %q: %d pixel values for %d labels of %d×%d×%d images (want %d)",
			s.Name, len(s.Pixels), len(s.Labels), s.Height, s.Width, s.Channels, len(s.Labels)*per)
	}
	for i, l := range s.Labels {
		if l < 0 || int(l) >= len(s.ClassNames) {
			return fmt.Errorf("images: set %q: label %d of image %d outside [0, %d)", s.Name, l, i, len(s.ClassNames))
		}
	}
	return nil
}

// Len returns the number of images.
func (s *Set) Len() int { return len(s.Labels) }

// NumClasses returns the number of classes (len(ClassNames)); labels lie in [0, NumClasses()).
func (s *Set) NumClasses() int { return len(s.ClassNames) }

// ImageSize returns the number of bytes of one image, Height·Width·Channels.
func (s *Set) ImageSize() int { return s.Height * s.Width * s.Channels }

// ImagePixels returns the pixels of image i (HWC order) without copying, or nil if i is out of range.
func (s *Set) ImagePixels(i int) []uint8 {
	if i < 0 || i >= s.Len() {
		return nil
	}
	per := s.ImageSize()
	return s.Pixels[i*per : (i+1)*per : (i+1)*per]
}

// Image returns image i as an *image.Gray (1 channel) or *image.RGBA (3 channels), for display.
// It returns nil if i is out of range.
func (s *Set) Image(i int) image.Image {
	px := s.ImagePixels(i)
	if px == nil {
		return nil
	}
	img, _ := pixelsToImage(px, s.Height, s.Width, s.Channels)
	return img
}

// pixelsToImage wraps HWC uint8 pixels (copied) in a standard library image.
func pixelsToImage(px []uint8, h, w, c int) (image.Image, error) {
	switch c {
	case 1:
		g := image.NewGray(image.Rect(0, 0, w, h))
		copy(g.Pix, px)
		return g, nil
	case 3:
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := 0; i < h*w; i++ {
			m.Pix[4*i], m.Pix[4*i+1], m.Pix[4*i+2], m.Pix[4*i+3] = px[3*i], px[3*i+1], px[3*i+2], 255
		}
		return m, nil
	}
	return nil, fmt.Errorf("images: %d channels cannot be shown as an image, want 1 or 3", c)
}

// String describes the set, e.g. "fashion-mnist/train: 60000 images 28×28×1, 10 classes".
func (s *Set) String() string {
	return fmt.Sprintf("%s: %d images %d×%d×%d, %d classes", s.Name, s.Len(), s.Height, s.Width, s.Channels,
		s.NumClasses())
}

// Slice returns images [lo, hi) as a new Set sharing the receiver's memory.
func (s *Set) Slice(lo, hi int) (*Set, error) {
	if lo < 0 || hi > s.Len() || lo > hi {
		return nil, fmt.Errorf("images: set %q: slice [%d, %d) outside [0, %d]", s.Name, lo, hi, s.Len())
	}
	per := s.ImageSize()
	out := *s
	out.Name = fmt.Sprintf("%s[%d:%d]", s.Name, lo, hi)
	out.Pixels = s.Pixels[lo*per : hi*per : hi*per]
	out.Labels = s.Labels[lo:hi:hi]
	return &out, nil
}

// Head returns the first n images (all of them if n ≥ Len()) sharing the receiver's memory: the fixed
// held-out set for evaluation is Head of a test split.
func (s *Set) Head(n int) (*Set, error) {
	if n < 0 {
		return nil, fmt.Errorf("images: set %q: head of %d images, want ≥ 0", s.Name, n)
	}
	if n >= s.Len() {
		return s, nil
	}
	out, err := s.Slice(0, n)
	if err != nil {
		return nil, err
	}
	out.Name = fmt.Sprintf("%s[:%d]", s.Name, n)
	return out, nil
}

// Select returns a new Set (a copy) holding the given images in the given order.
func (s *Set) Select(indices []int) (*Set, error) {
	per := s.ImageSize()
	pixels := make([]uint8, 0, len(indices)*per)
	labels := make([]int32, 0, len(indices))
	for _, i := range indices {
		if i < 0 || i >= s.Len() {
			return nil, fmt.Errorf("images: set %q: index %d outside [0, %d)", s.Name, i, s.Len())
		}
		pixels = append(pixels, s.ImagePixels(i)...)
		labels = append(labels, s.Labels[i])
	}
	out := *s
	out.Pixels, out.Labels = pixels, labels
	return &out, nil
}

// Classes returns a new Set (a copy) with only the images of the given classes, in their original order.
// With relabel, labels are renumbered 0..len(classes)−1 in the order given and ClassNames shrinks to match
// (what a class-conditional model trained on the subset wants); without it, labels and ClassNames are kept.
func (s *Set) Classes(classes []int, relabel bool) (*Set, error) {
	if len(classes) == 0 {
		return nil, fmt.Errorf("images: set %q: empty class subset", s.Name)
	}
	newLabel := make([]int32, s.NumClasses())
	for i := range newLabel {
		newLabel[i] = -1
	}
	names := make([]string, 0, len(classes))
	for i, c := range classes {
		if c < 0 || c >= s.NumClasses() {
			return nil, fmt.Errorf("images: set %q: class %d outside [0, %d)", s.Name, c, s.NumClasses())
		}
		if newLabel[c] >= 0 {
			return nil, fmt.Errorf("images: set %q: class %d listed twice in the subset", s.Name, c)
		}
		newLabel[c] = int32(i)
		names = append(names, s.ClassNames[c])
	}
	var indices []int
	for i, l := range s.Labels {
		if newLabel[l] >= 0 {
			indices = append(indices, i)
		}
	}
	out, err := s.Select(indices)
	if err != nil {
		return nil, err
	}
	out.Name = fmt.Sprintf("%s{classes=%v}", s.Name, classes)
	if relabel {
		for i, l := range out.Labels {
			out.Labels[i] = newLabel[l]
		}
		out.ClassNames = names
	}
	return out, nil
}

// ClassCounts returns the number of images of each class.
func (s *Set) ClassCounts() []int {
	counts := make([]int, s.NumClasses())
	for _, l := range s.Labels {
		if l >= 0 && int(l) < len(counts) {
			counts[l]++
		}
	}
	return counts
}

// Split moves n images chosen at random (seeded) into a second Set and returns (rest, heldOut). Both keep
// the original order of their images. Use it to carve a validation split out of data that has no test split
// (e.g. an image folder); Fashion-MNIST and CIFAR-10 have their own test splits.
func (s *Set) Split(n int, seed uint64) (rest, heldOut *Set, err error) {
	if n < 0 || n > s.Len() {
		return nil, nil, fmt.Errorf("images: set %q: split of %d images outside [0, %d]", s.Name, n, s.Len())
	}
	perm := seeded.Permutation(s.Len(), seeded.New(seed, splitSalt, 0))
	held := slices.Clone(perm[:n])
	kept := slices.Clone(perm[n:])
	slices.Sort(held)
	slices.Sort(kept)
	if rest, err = s.Select(kept); err != nil {
		return nil, nil, err
	}
	if heldOut, err = s.Select(held); err != nil {
		return nil, nil, err
	}
	rest.Name = fmt.Sprintf("%s{split=%d,seed=%d,rest}", s.Name, n, seed)
	heldOut.Name = fmt.Sprintf("%s{split=%d,seed=%d,held}", s.Name, n, seed)
	return rest, heldOut, nil
}
