// Package compactpng encodes the widgets' images (charts, image grids) as small PNGs, so that notebooks
// that store them stay small.
//
// An image with at most 256 colours is stored with a palette, losslessly. A chart drawn with
// anti-aliasing has a few thousand colours, but 256 of them cover nearly all of its pixels: it is
// stored with those 256 and every other pixel takes the nearest of them, when that changes the image by
// at most MaxMeanError per channel on average (about a third of today's size, and no difference a reader
// can see). Anything else (photographs, generated samples) is stored losslessly at the best zlib level.
package compactpng

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"sort"
)

// MinCoverage is the share of pixels the 256 most frequent colours must cover for a palette image.
const MinCoverage = 0.9

// MaxMeanError is the largest mean absolute channel error (0–255 scale, over all pixels and the R, G,
// B, A channels) a palette image may have.
const MaxMeanError = 1.0

var encoder = png.Encoder{CompressionLevel: png.BestCompression}

// Encode returns img as the smallest of: a palette PNG (see the package comment) and a lossless PNG.
func Encode(img image.Image) ([]byte, error) {
	var best bytes.Buffer
	if err := encoder.Encode(&best, img); err != nil {
		return nil, fmt.Errorf("compactpng: encoding PNG: %w", err)
	}
	if pi := palettize(img); pi != nil {
		var b bytes.Buffer
		if err := encoder.Encode(&b, pi); err == nil && b.Len() < best.Len() {
			return b.Bytes(), nil
		}
	}
	return best.Bytes(), nil
}

// Recompress decodes a PNG and returns Encode's result, or the input when that is not smaller.
func Recompress(data []byte) ([]byte, error) {
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("compactpng: not a PNG: %w", err)
	}
	out, err := Encode(img)
	if err != nil {
		return nil, err
	}
	if len(out) >= len(data) {
		return data, nil
	}
	return out, nil
}

// WriteFile writes the PNG that encode returns to path; an error writing the file names it in the words
// of what (e.g. "chart" gives "chart: writing <path>: …").
func WriteFile(what, path string, encode func() ([]byte, error)) error {
	b, err := encode()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("%s: writing %s: %w", what, path, err)
	}
	return nil
}

// palettize returns img with a palette of its 256 most frequent colours, or nil when they do not cover
// MinCoverage of the pixels or the nearest-colour mapping exceeds MaxMeanError.
func palettize(img image.Image) *image.Paletted {
	if _, ok := img.(*image.Paletted); ok {
		return nil
	}
	b := img.Bounds()
	n := b.Dx() * b.Dy()
	if n == 0 {
		return nil
	}
	pix := make([]color.NRGBA, 0, n)
	counts := map[color.NRGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			pix = append(pix, c)
			counts[c]++
			if len(counts) > 1<<16 { // a photograph: no palette will do
				return nil
			}
		}
	}
	type entry struct {
		c color.NRGBA
		n int
	}
	entries := make([]entry, 0, len(counts))
	for c, k := range counts {
		entries = append(entries, entry{c, k})
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].n != entries[j].n {
			return entries[i].n > entries[j].n
		}
		a, c := entries[i].c, entries[j].c // deterministic order for equal counts
		return uint32(a.R)<<24|uint32(a.G)<<16|uint32(a.B)<<8|uint32(a.A) < uint32(c.R)<<24|uint32(c.G)<<16|uint32(c.B)<<8|uint32(c.A)
	})
	covered := 0
	pal := make(color.Palette, 0, 256)
	index := make(map[color.NRGBA]uint8, len(counts))
	for i := 0; i < len(entries) && i < 256; i++ {
		pal = append(pal, entries[i].c)
		index[entries[i].c] = uint8(i)
		covered += entries[i].n
	}
	if float64(covered) < MinCoverage*float64(n) {
		return nil
	}
	// Every other colour takes the nearest palette entry (squared distance on non-premultiplied RGBA).
	errSum := 0
	for _, e := range entries[len(pal):] {
		bestI, bestD := 0, 1<<62
		for i, p := range pal {
			q := p.(color.NRGBA)
			d := sq(int(e.c.R)-int(q.R)) + sq(int(e.c.G)-int(q.G)) + sq(int(e.c.B)-int(q.B)) + sq(int(e.c.A)-int(q.A))
			if d < bestD {
				bestI, bestD = i, d
			}
		}
		q := pal[bestI].(color.NRGBA)
		errSum += e.n * (abs(int(e.c.R)-int(q.R)) + abs(int(e.c.G)-int(q.G)) + abs(int(e.c.B)-int(q.B)) + abs(int(e.c.A)-int(q.A)))
		index[e.c] = uint8(bestI)
	}
	if float64(errSum)/float64(4*n) > MaxMeanError {
		return nil
	}
	out := image.NewPaletted(image.Rect(0, 0, b.Dx(), b.Dy()), pal)
	for i, c := range pix {
		out.Pix[i] = index[c]
	}
	return out
}

func sq(v int) int { return v * v }

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
