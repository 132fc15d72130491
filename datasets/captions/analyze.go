package captions

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets/images"
)

// foreground is the brightness (largest channel value) above which a pixel belongs to an object.
const foreground = 100

// component is a 4-connected set of foreground pixels.
type component struct {
	pixels                 []int // y·size + x
	minX, maxX, minY, maxY int
}

// Analyze reads the attributes back from a size×size RGB image (HWC uint8, objects on a dark background):
// the count is the number of 4-connected bright blobs (blobs smaller than max(4, size²/256) pixels are
// noise and ignored), the colour the palette colour nearest the blobs' mean colour, the shape a majority
// vote of per-blob classifications from their fill ratio and top and bottom rows, and the position the
// window whose centre is nearest the centre of the blobs' joint bounding box. On the images Render draws it
// recovers every attribute exactly (tests check thousands); on generated images it measures how well they
// follow their captions. An image without any blob is an error.
func Analyze(px []uint8, size int) (Attributes, error) {
	if size <= 0 || len(px) != size*size*3 {
		return Attributes{}, fmt.Errorf("captions: Analyze: %d pixel values for a %d×%d RGB image", len(px), size, size)
	}
	fg := make([]bool, size*size)
	for i := range fg {
		fg[i] = max(px[3*i], px[3*i+1], px[3*i+2]) > foreground
	}
	minPixels := max(4, size*size/256)
	var comps []component
	seen := make([]bool, size*size)
	var stack []int
	for start := range fg {
		if !fg[start] || seen[start] {
			continue
		}
		c := component{minX: size, minY: size, maxX: -1, maxY: -1}
		seen[start] = true
		stack = append(stack[:0], start)
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			c.pixels = append(c.pixels, p)
			x, y := p%size, p/size
			c.minX, c.maxX, c.minY, c.maxY = min(c.minX, x), max(c.maxX, x), min(c.minY, y), max(c.maxY, y)
			for _, q := range [4]int{p - 1, p + 1, p - size, p + size} {
				if q < 0 || q >= len(fg) || (q == p-1 && x == 0) || (q == p+1 && x == size-1) || !fg[q] || seen[q] {
					continue
				}
				seen[q] = true
				stack = append(stack, q)
			}
		}
		if len(c.pixels) >= minPixels {
			comps = append(comps, c)
		}
	}
	if len(comps) == 0 {
		return Attributes{}, fmt.Errorf("captions: Analyze: no object found (no bright blob of %d or more pixels)", minPixels)
	}
	a := Attributes{Count: len(comps)}
	// Colour: nearest palette entry to the mean colour of all object pixels.
	var sum [3]float64
	var n float64
	minX, maxX, minY, maxY := size, -1, size, -1
	votes := make([]int, numShapes)
	for _, c := range comps {
		for _, p := range c.pixels {
			for k := range 3 {
				sum[k] += float64(px[3*p+k])
			}
		}
		n += float64(len(c.pixels))
		minX, maxX, minY, maxY = min(minX, c.minX), max(maxX, c.maxX), min(minY, c.minY), max(maxY, c.maxY)
		votes[classify(c, size)]++
	}
	best := math.Inf(1)
	for col, rgb := range Palette {
		var d float64
		for k := range 3 {
			d += math.Pow(sum[k]/n-float64(rgb[k]), 2)
		}
		if d < best {
			best, a.Color = d, Color(col)
		}
	}
	for s, v := range votes {
		if v > votes[a.Shape] {
			a.Shape = Shape(s)
		}
	}
	// Position: window centres lie at 1/4, 1/2, 3/4 of the side; pixel centres at integer + 0.5.
	cx, cy := float64(minX+maxX+1)/2, float64(minY+maxY+1)/2
	nearest := func(v float64) int {
		return min(2, max(0, int(math.Round(v/(float64(size)/4)))-1))
	}
	a.Position = Position(3*nearest(cy) + nearest(cx))
	return a, nil
}

// classify names the shape of one blob from its bounding box: squares fill it, triangles have a bottom row
// much wider than their top row, crosses fill little of it, circles the rest.
func classify(c component, size int) Shape {
	w, h := c.maxX-c.minX+1, c.maxY-c.minY+1
	fill := float64(len(c.pixels)) / float64(w*h)
	var top, bottom int
	for _, p := range c.pixels {
		switch p / size {
		case c.minY:
			top++
		case c.maxY:
			bottom++
		}
	}
	switch {
	case fill > 0.9:
		return Square
	case float64(bottom-top) > 0.4*float64(w):
		return Triangle
	case fill < 0.7:
		return Cross
	}
	return Circle
}

// Scores are the fractions of images whose analysed attributes match the requested ones.
type Scores struct {
	// N is the number of images scored.
	N int
	// Shape, Color, Position and Count are the per-attribute match rates; All requires all four.
	Shape, Color, Position, Count, All float64
}

// Score analyses generated images x, float32 [B, S, S, 3] in [−1, 1], against the attributes their
// captions asked for. An image in which Analyze finds no object matches nothing.
func Score(x *tensors.Tensor, want []Attributes) (Scores, error) {
	if x == nil {
		return Scores{}, fmt.Errorf("captions: Score: nil tensor")
	}
	sh := x.Shape()
	if sh.DType != dtypes.Float32 || sh.Rank() != 4 || sh.Dimensions[1] != sh.Dimensions[2] || sh.Dimensions[3] != 3 {
		return Scores{}, fmt.Errorf("captions: Score: images %s, want float32 [B, S, S, 3]", sh)
	}
	b, size := sh.Dimensions[0], sh.Dimensions[1]
	if len(want) != b {
		return Scores{}, fmt.Errorf("captions: Score: %d images but %d attribute sets", b, len(want))
	}
	flat, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		return Scores{}, fmt.Errorf("captions: Score: %w", err)
	}
	s := Scores{N: b}
	per := size * size * 3
	px := make([]uint8, per)
	for k, w := range want {
		for i, v := range flat[k*per : (k+1)*per] {
			px[i] = images.Denormalize(v)
		}
		got, err := Analyze(px, size)
		if err != nil {
			continue
		}
		s.Shape += b2f(got.Shape == w.Shape)
		s.Color += b2f(got.Color == w.Color)
		s.Position += b2f(got.Position == w.Position)
		s.Count += b2f(got.Count == w.Count)
		s.All += b2f(got == w)
	}
	for _, f := range []*float64{&s.Shape, &s.Color, &s.Position, &s.Count, &s.All} {
		*f /= float64(b)
	}
	return s, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
