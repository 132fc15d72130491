package captions

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mixflow/mixflow/datasets/internal/seeded"
)

// slots are the object centres of a group of n objects, in units of the position window's side.
// Symmetric layouts keep the group centred on its window, so the group's position can be read back.
var slots = [MaxCount + 1][][2]float64{
	nil,
	{{0.5, 0.5}},
	{{0.25, 0.5}, {0.75, 0.5}},
	{{0.5, 0.25}, {0.25, 0.75}, {0.75, 0.75}},
	{{0.25, 0.25}, {0.75, 0.25}, {0.25, 0.75}, {0.75, 0.75}},
}

// uniform returns a uniform float64 in [lo, hi].
func uniform(r *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*seeded.Float64(r) }

// Layout places the objects of attrs in a size×size image. A single object's side is 50–80 % of its
// window (half the image side) and it is moved at random inside the window; groups put each object in its
// own quarter of the window (side from half the quarter + 1 px to the quarter − 2 px), so objects never
// touch. Sides are whole pixels and bounding boxes lie on pixel edges.
func Layout(attrs Attributes, size int, r *rand.Rand) ([]Object, error) {
	if err := attrs.validate(); err != nil {
		return nil, err
	}
	if err := checkSize(size); err != nil {
		return nil, err
	}
	win := float64(size) / 2
	ox, oy := float64(attrs.Position.col())*float64(size)/4, float64(attrs.Position.row())*float64(size)/4
	var d, cell float64
	if attrs.Count == 1 {
		cell = win
		d = uniform(r, 0.5*win, 0.8*win)
	} else {
		cell = win / 2
		d = uniform(r, cell/2+1, cell-2)
	}
	jitter := max(0, (cell-d)/2-1) // keeps a 1 px margin inside the cell
	// Snap to the pixel grid (integer side, bounding box on pixel edges): small shapes then rasterise the
	// same way wherever they are, and a 5-pixel circle cannot turn into a plus sign.
	d = math.Round(d)
	snap := func(c float64) float64 { return math.Round(c-d/2) + d/2 }
	objs := make([]Object, attrs.Count)
	for i, s := range slots[attrs.Count] {
		objs[i] = Object{Shape: attrs.Shape, Color: attrs.Color, Diameter: d,
			X: snap(ox + s[0]*win + uniform(r, -jitter, jitter)),
			Y: snap(oy + s[1]*win + uniform(r, -jitter, jitter))}
	}
	return objs, nil
}

// checkSize checks an image side: a multiple of 8, at least 32 (so that four objects fit in a window).
func checkSize(size int) error {
	if size < 32 || size%8 != 0 {
		return fmt.Errorf("captions: image size %d, want a multiple of 8 of at least 32", size)
	}
	return nil
}

// inside reports whether the point (dx, dy), relative to the object's centre, lies in the shape.
func inside(s Shape, dx, dy, h float64) bool {
	ax, ay := math.Abs(dx), math.Abs(dy)
	switch s {
	case Square:
		return ax < h && ay < h
	case Circle:
		return dx*dx+dy*dy < h*h
	case Triangle: // apex at the top (y grows downwards), base of width 2h at the bottom
		return ay < h && ax < (dy+h)/2
	case Cross:
		return (ax < h && ay < h/3) || (ay < h && ax < h/3)
	}
	return false
}

// Render draws the objects on a black size×size RGB image, HWC uint8. A pixel belongs to a shape when its
// centre does (no antialiasing: colours stay exact, which Analyze relies on).
func Render(objs []Object, size int) []uint8 {
	px := make([]uint8, size*size*3)
	for _, o := range objs {
		h := o.Diameter / 2
		col := Palette[min(max(int(o.Color), 0), int(numColors)-1)]
		y0, y1 := max(0, int(math.Floor(o.Y-h))), min(size-1, int(math.Ceil(o.Y+h)))
		x0, x1 := max(0, int(math.Floor(o.X-h))), min(size-1, int(math.Ceil(o.X+h)))
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				if inside(o.Shape, float64(x)+0.5-o.X, float64(y)+0.5-o.Y, h) {
					copy(px[(y*size+x)*3:], col[:])
				}
			}
		}
	}
	return px
}
