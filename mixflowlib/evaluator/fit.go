package evaluator

import (
	"fmt"
	"math"
)

// Fit says how images of another size reach the network's 28×28 input.
type Fit int

const (
	// FitAuto uses 28×28 images as they are and centre-crops 32×32 images to 28×28: the inverse of the
	// padding the SiT experiments train with (images.Options{Height: 32, Width: 32}, Fit images.Pad), so the
	// generator's 2-pixel border is ignored. Other sizes are an error: choose FitCrop or FitResize.
	FitAuto Fit = iota
	// FitCrop centre-crops any image of at least 28×28 pixels, with images.Pad's centring (an odd margin
	// leaves the extra row/column at the bottom/right).
	FitCrop
	// FitResize resizes any image to 28×28 with an antialiased bilinear (triangle) filter on pixel
	// centres, like images.Resize.
	FitResize
)

// String returns "auto", "crop" or "resize".
func (f Fit) String() string {
	switch f {
	case FitAuto:
		return "auto"
	case FitCrop:
		return "crop"
	case FitResize:
		return "resize"
	}
	return fmt.Sprintf("Fit(%d)", int(f))
}

// DefaultMaxAbs is the default of Options.MaxAbs.
const DefaultMaxAbs = 2.0

// prep converts images of one size to normalised, clipped 28×28 network inputs.
type prep struct {
	h, w   int
	fit    Fit
	maxAbs float64
	// crop offsets (FitCrop / FitAuto) or resampling plans (FitResize).
	y0, x0     int
	rows, cols []tap
}

// tap lists the weighted source coordinates of one output coordinate.
type tap struct {
	idx []int
	w   []float32
}

// newPrep checks the image size against fit and prepares the conversion.
func newPrep(h, w int, fit Fit, maxAbs float64) (*prep, error) {
	p := &prep{h: h, w: w, fit: fit, maxAbs: maxAbs}
	switch fit {
	case FitAuto:
		switch {
		case h == InputSize && w == InputSize:
		case h == 32 && w == 32:
			p.y0, p.x0 = 2, 2
		default:
			return nil, fmt.Errorf("evaluator: images of %d×%d pixels: FitAuto takes 28×28 or 32×32 (padded Fashion-MNIST); set Options.Fit to FitCrop or FitResize for other sizes", h, w)
		}
	case FitCrop:
		if h < InputSize || w < InputSize {
			return nil, fmt.Errorf("evaluator: images of %d×%d pixels are too small to crop to %d×%d; use FitResize", h, w, InputSize, InputSize)
		}
		p.y0, p.x0 = (h-InputSize)/2, (w-InputSize)/2
	case FitResize:
		p.rows, p.cols = resizeTaps(h, InputSize), resizeTaps(w, InputSize)
	default:
		return nil, fmt.Errorf("evaluator: unknown Fit %d, want FitAuto, FitCrop or FitResize", int(fit))
	}
	return p, nil
}

// resizeTaps returns the triangle-filter taps taking n input coordinates to m output coordinates; the
// filter widens by n/m when shrinking, so that it antialiases.
func resizeTaps(n, m int) []tap {
	scale := float64(n) / float64(m)
	support := max(scale, 1)
	taps := make([]tap, m)
	for o := range taps {
		center := (float64(o) + 0.5) * scale
		lo := max(int(math.Floor(center-support)), 0)
		hi := min(int(math.Ceil(center+support)), n-1)
		var sum float64
		var ws []float64
		for s := lo; s <= hi; s++ {
			if w := 1 - math.Abs(float64(s)+0.5-center)/support; w > 1e-9 {
				taps[o].idx = append(taps[o].idx, s)
				ws = append(ws, w)
				sum += w
			}
		}
		for _, w := range ws {
			taps[o].w = append(taps[o].w, float32(w/sum))
		}
	}
	return taps
}

// valueError reports a bad pixel value of image k at (y, x) in the caller's indexing.
func (p *prep) valueError(k, y, x int, v float32) error {
	if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
		return fmt.Errorf("evaluator: images: image %d has value %v at (y=%d, x=%d)", k, v, y, x)
	}
	return fmt.Errorf("evaluator: images: image %d has value %g at (y=%d, x=%d), outside [−%g, %g]: pass images normalised to [−1, 1] (x = pixel/127.5 − 1); values up to ±%g are clipped to [−1, 1] (Options.MaxAbs)",
		k, v, y, x, p.maxAbs, p.maxAbs, p.maxAbs)
}

// check returns an error for the first NaN, ±Inf or value beyond ±maxAbs (when maxAbs > 0) of image k
// (src, h·w values). Every value is checked, including those a crop discards.
func (p *prep) check(src []float32, k int) error {
	lim := float32(p.maxAbs)
	for i, v := range src {
		if v != v || math.IsInf(float64(v), 0) || (lim > 0 && (v > lim || v < -lim)) {
			return p.valueError(k, i/p.w, i%p.w, v)
		}
	}
	return nil
}

// convert writes the 28×28 network input for one checked image (src, h·w values) into dst, clipping
// values to [−1, 1].
func (p *prep) convert(dst, src []float32) {
	clip := func(v float32) float32 { return min(max(v, -1), 1) }
	if p.rows == nil {
		for y := range InputSize {
			row := src[(y+p.y0)*p.w+p.x0:]
			for x := range InputSize {
				dst[y*InputSize+x] = clip(row[x])
			}
		}
		return
	}
	// Resize: clip first (as when saving an image), then filter columns, then rows.
	tmp := make([]float32, p.h*InputSize)
	for y := range p.h {
		row := src[y*p.w : (y+1)*p.w]
		for x, t := range p.cols {
			var s float32
			for j, i := range t.idx {
				s += t.w[j] * clip(row[i])
			}
			tmp[y*InputSize+x] = s
		}
	}
	for y, t := range p.rows {
		for x := range InputSize {
			var s float32
			for j, i := range t.idx {
				s += t.w[j] * tmp[i*InputSize+x]
			}
			dst[y*InputSize+x] = s
		}
	}
}
