package images

import (
	"fmt"
	"math"
)

// Fit says how an image reaches an output size that differs from its own.
type Fit int

const (
	// Pad centres the image and fills the border with a constant pixel value (0, black, by default: −1 after
	// normalisation, the background of MNIST-style data). Odd margins put the extra row/column at the
	// bottom/right. An output smaller than the image crops its centre.
	Pad Fit = iota
	// PadEdge centres the image and repeats its edge pixels into the border; smaller outputs crop the centre.
	PadEdge
	// Resize scales the image to the output size with a bilinear (triangle) filter on pixel centres, widened
	// when shrinking so that it antialiases: the same values as PyTorch's F.interpolate(mode="bilinear",
	// align_corners=False, antialias=True) and PIL's BILINEAR (checked against PyTorch 1.13 to 4e-7 on random
	// images, enlarging and shrinking). The aspect ratio is not kept.
	Resize
)

// String returns "pad", "pad-edge" or "resize".
func (f Fit) String() string {
	switch f {
	case Pad:
		return "pad"
	case PadEdge:
		return "pad-edge"
	case Resize:
		return "resize"
	}
	return fmt.Sprintf("Fit(%d)", int(f))
}

// axisPlan maps each output coordinate of one axis to weighted input coordinates: output o reads
// idx[off[o]:off[o+1]] with weights w[off[o]:off[o+1]] (weights sum to 1). No taps means "constant".
type axisPlan struct {
	off []int32
	idx []int32
	w   []float32
}

func (p *axisPlan) add(i int, w float32) { p.idx, p.w = append(p.idx, int32(i)), append(p.w, w) }
func (p *axisPlan) close()               { p.off = append(p.off, int32(len(p.idx))) }

// single reports whether every output has at most one tap of weight 1 (a copy, pad or crop).
func (p *axisPlan) single() bool {
	for o := 0; o+1 < len(p.off); o++ {
		if n := p.off[o+1] - p.off[o]; n > 1 || (n == 1 && p.w[p.off[o]] != 1) {
			return false
		}
	}
	return true
}

// reversed returns the plan for the mirrored output axis (horizontal flip).
func (p *axisPlan) reversed() axisPlan {
	var r axisPlan
	r.off = append(r.off, 0)
	for o := len(p.off) - 2; o >= 0; o-- {
		for k := p.off[o]; k < p.off[o+1]; k++ {
			r.add(int(p.idx[k]), p.w[k])
		}
		r.close()
	}
	return r
}

// ResizeWeights returns the 1-D interpolation matrix [m][n] (row-major, flat) that Resize applies along
// one axis of n pixels brought to m: the triangle filter on pixel centres, widened when shrinking, each
// row renormalised to sum to 1. Applying it along both axes of a float image is what Resample does
// before rounding; it lets a graph reproduce the resize (mixflowlib/encoder.Resize). It panics if n or m
// is not positive.
func ResizeWeights(n, m int) []float64 {
	if n <= 0 || m <= 0 {
		panic(fmt.Errorf("images: ResizeWeights(%d, %d): sizes must be positive", n, m))
	}
	p := planAxis(n, m, Resize)
	w := make([]float64, m*n)
	for o := 0; o < m; o++ {
		for k := p.off[o]; k < p.off[o+1]; k++ {
			w[o*n+int(p.idx[k])] += float64(p.w[k])
		}
	}
	return w
}

// planAxis builds the plan taking n input coordinates to m output coordinates.
func planAxis(n, m int, fit Fit) axisPlan {
	var p axisPlan
	p.off = append(p.off, 0)
	switch fit {
	case Pad, PadEdge:
		shift := (m - n) / 2 // input coordinate s lands at output s+shift
		if m < n {
			shift = -((n - m) / 2)
		}
		for o := 0; o < m; o++ {
			s := o - shift
			switch {
			case s >= 0 && s < n:
				p.add(s, 1)
			case fit == PadEdge:
				p.add(min(max(s, 0), n-1), 1)
			}
			p.close()
		}
	case Resize:
		scale := float64(n) / float64(m)
		support := max(scale, 1) // half-width of the triangle, in input pixels
		for o := 0; o < m; o++ {
			center := (float64(o) + 0.5) * scale
			lo := max(int(math.Floor(center-support)), 0)
			hi := min(int(math.Ceil(center+support)), n-1)
			var sum float64
			start := len(p.w)
			for s := lo; s <= hi; s++ {
				w := 1 - math.Abs(float64(s)+0.5-center)/support
				if w > 1e-9 {
					p.add(s, float32(w))
					sum += w
				}
			}
			for k := start; k < len(p.w); k++ { // renormalise: taps outside the image are dropped
				p.w[k] = float32(float64(p.w[k]) / sum)
			}
			if len(p.w) == start+1 {
				p.w[start] = 1
			}
			p.close()
		}
	}
	return p
}

// geometry renders uint8 HWC images of one size into normalised float32 images of another.
type geometry struct {
	inH, inW, c, outH, outW int
	fit                     Fit
	pad                     uint8
	// direct maps each output pixel to an input pixel (y·inW + x), or −1 for the pad value; set when no
	// interpolation is needed. directFlip is the same for the mirrored output.
	direct, directFlip   []int32
	rows, cols, flipCols axisPlan
}

func newGeometry(inH, inW, c, outH, outW int, fit Fit, pad uint8) (*geometry, error) {
	if fit != Pad && fit != PadEdge && fit != Resize {
		return nil, fmt.Errorf("images: unknown fit %d, want Pad, PadEdge or Resize", int(fit))
	}
	if inH <= 0 || inW <= 0 || outH <= 0 || outW <= 0 {
		return nil, fmt.Errorf("images: cannot fit %d×%d images into %d×%d", inH, inW, outH, outW)
	}
	g := &geometry{inH: inH, inW: inW, c: c, outH: outH, outW: outW, fit: fit, pad: pad,
		rows: planAxis(inH, outH, fit), cols: planAxis(inW, outW, fit)}
	g.flipCols = g.cols.reversed()
	if g.rows.single() && g.cols.single() {
		g.direct = g.directMap(&g.cols)
		g.directFlip = g.directMap(&g.flipCols)
	}
	return g, nil
}

func (g *geometry) directMap(cols *axisPlan) []int32 {
	m := make([]int32, g.outH*g.outW)
	for y := 0; y < g.outH; y++ {
		for x := 0; x < g.outW; x++ {
			m[y*g.outW+x] = -1
			if g.rows.off[y+1] > g.rows.off[y] && cols.off[x+1] > cols.off[x] {
				m[y*g.outW+x] = g.rows.idx[g.rows.off[y]]*int32(g.inW) + cols.idx[cols.off[x]]
			}
		}
	}
	return m
}

// normLUT maps a pixel value to its normalised float32, p/127.5 − 1.
var normLUT = func() (t [256]float32) {
	for p := range t {
		t[p] = Normalize(uint8(p))
	}
	return
}()

// tmpSize is the scratch length render needs (0 on the direct path).
func (g *geometry) tmpSize() int {
	if g.direct != nil {
		return 0
	}
	return g.inH * g.outW * g.c
}

// render writes the normalised output image (outH·outW·c values) for input pixels src into dst.
func (g *geometry) render(dst []float32, src []uint8, flip bool, tmp []float32) {
	c := g.c
	if g.direct != nil {
		m := g.direct
		if flip {
			m = g.directFlip
		}
		padV := normLUT[g.pad]
		if c == 1 {
			for o, s := range m {
				if s < 0 {
					dst[o] = padV
				} else {
					dst[o] = normLUT[src[s]]
				}
			}
			return
		}
		for o, s := range m {
			d := dst[o*c : o*c+c]
			if s < 0 {
				for k := range d {
					d[k] = padV
				}
				continue
			}
			sp := src[int(s)*c : int(s)*c+c]
			for k := range d {
				d[k] = normLUT[sp[k]]
			}
		}
		return
	}
	// Separable resampling in pixel units: columns into tmp [inH, outW, c], then rows into dst.
	cols := &g.cols
	if flip {
		cols = &g.flipCols
	}
	for y := 0; y < g.inH; y++ {
		row := src[y*g.inW*c : (y+1)*g.inW*c]
		out := tmp[y*g.outW*c : (y+1)*g.outW*c]
		for x := 0; x < g.outW; x++ {
			for k := 0; k < c; k++ {
				var v float32
				for t := cols.off[x]; t < cols.off[x+1]; t++ {
					v += cols.w[t] * float32(row[int(cols.idx[t])*c+k])
				}
				out[x*c+k] = v
			}
		}
	}
	stride := g.outW * c
	for y := 0; y < g.outH; y++ {
		out := dst[y*stride : (y+1)*stride]
		clear(out)
		for t := g.rows.off[y]; t < g.rows.off[y+1]; t++ {
			w := g.rows.w[t]
			in := tmp[int(g.rows.idx[t])*stride : (int(g.rows.idx[t])+1)*stride]
			for i, v := range in {
				out[i] += w * v
			}
		}
		for i, v := range out {
			out[i] = v/127.5 - 1
		}
	}
}

// Resample converts one uint8 image (h×w×c, HWC) to outH×outW with the given fit, padding with pad where
// Pad needs it. Resized values are rounded to the nearest integer. Loaders use it to bring images of mixed
// sizes to one size; a Source does the same per batch in float32 without rounding.
func Resample(px []uint8, h, w, c, outH, outW int, fit Fit, pad uint8) ([]uint8, error) {
	if c <= 0 || len(px) != h*w*c {
		return nil, fmt.Errorf("images: resample: %d pixel values for a %d×%d×%d image", len(px), h, w, c)
	}
	g, err := newGeometry(h, w, c, outH, outW, fit, pad)
	if err != nil {
		return nil, err
	}
	f := make([]float32, outH*outW*c)
	g.render(f, px, false, make([]float32, g.tmpSize()))
	out := make([]uint8, len(f))
	for i, v := range f {
		out[i] = Denormalize(v)
	}
	return out, nil
}

// Normalize maps a pixel value in [0, 255] to [−1, 1]: p/127.5 − 1 (0 → −1, 255 → 1).
func Normalize(p uint8) float32 { return float32(p)/127.5 - 1 }

// Denormalize maps a value in [−1, 1] back to a pixel value, rounding to the nearest integer and clipping
// values outside [−1, 1] (model samples overshoot); NaN maps to 0. It inverts Normalize exactly.
func Denormalize(x float32) uint8 {
	v := (float64(x) + 1) * 127.5
	switch {
	case !(v > 0): // also NaN
		return 0
	case v >= 255:
		return 255
	}
	return uint8(math.Round(v))
}
