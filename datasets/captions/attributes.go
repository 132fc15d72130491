// Package captions is a procedurally generated captioned image data set for text-to-image experiments,
// with a word-level caption tokenizer.
//
// Each image shows Count (1–4) shapes of one kind and one colour, grouped in one of nine positions, on a
// black background, and its caption says so in one of a few templates:
//
//	"two red squares at the top left"
//	"there is a blue circle in the center"
//	"at the bottom right there are four white crosses"
//
// Every example carries its exact Attributes (shape, colour, position, count) and the placement of each
// object, so an evaluator can check a generated image against its caption: Analyze recovers the attributes
// of a clean image by thresholding and connected components, and Score compares a batch of generated
// images with the attributes they were asked for. Examples are a pure function of (seed, index), so a
// Source is a datasets.Source whose batches are reproducible.
package captions

import "fmt"

// Shape is the kind of object drawn.
type Shape int

const (
	// Square is an axis-aligned filled square.
	Square Shape = iota
	// Circle is a filled disc.
	Circle
	// Triangle is a filled isosceles triangle pointing up, as tall as it is wide.
	Triangle
	// Cross is a filled plus sign with arms a third as thick as it is long.
	Cross
	numShapes
)

var shapeWords = [numShapes][2]string{{"square", "squares"}, {"circle", "circles"}, {"triangle", "triangles"},
	{"cross", "crosses"}}

// String returns the shape's word, e.g. "square".
func (s Shape) String() string {
	if s < 0 || s >= numShapes {
		return fmt.Sprintf("Shape(%d)", int(s))
	}
	return shapeWords[s][0]
}

// Shapes lists every shape.
var Shapes = []Shape{Square, Circle, Triangle, Cross}

// Color is the colour of the objects.
type Color int

const (
	// Red is RGB (220, 30, 30).
	Red Color = iota
	// Green is RGB (30, 180, 30).
	Green
	// Blue is RGB (40, 80, 230).
	Blue
	// Yellow is RGB (240, 220, 30).
	Yellow
	// Purple is RGB (150, 50, 200).
	Purple
	// White is RGB (240, 240, 240).
	White
	numColors
)

var colorWords = [numColors]string{"red", "green", "blue", "yellow", "purple", "white"}

// Palette holds the RGB value of each Color; the background is black.
var Palette = [numColors][3]uint8{{220, 30, 30}, {30, 180, 30}, {40, 80, 230}, {240, 220, 30}, {150, 50, 200},
	{240, 240, 240}}

// String returns the colour's word, e.g. "red".
func (c Color) String() string {
	if c < 0 || c >= numColors {
		return fmt.Sprintf("Color(%d)", int(c))
	}
	return colorWords[c]
}

// Colors lists every colour.
var Colors = []Color{Red, Green, Blue, Yellow, Purple, White}

// Position is where the group of objects sits: one of nine overlapping half-size windows of the image,
// on a 3×3 grid of window centres at 1/4, 1/2 and 3/4 of the image side.
type Position int

const (
	// TopLeft is the window [0, S/2)×[0, S/2) (rows × columns, S the image side).
	TopLeft Position = iota
	// Top is rows [0, S/2), columns [S/4, 3S/4).
	Top
	// TopRight is rows [0, S/2), columns [S/2, S).
	TopRight
	// Left is rows [S/4, 3S/4), columns [0, S/2).
	Left
	// Center is rows and columns [S/4, 3S/4).
	Center
	// Right is rows [S/4, 3S/4), columns [S/2, S).
	Right
	// BottomLeft is rows [S/2, S), columns [0, S/2).
	BottomLeft
	// Bottom is rows [S/2, S), columns [S/4, 3S/4).
	Bottom
	// BottomRight is rows and columns [S/2, S).
	BottomRight
	numPositions
)

var positionPhrases = [numPositions]string{"at the top left", "at the top", "at the top right", "on the left",
	"in the center", "on the right", "at the bottom left", "at the bottom", "at the bottom right"}

// String returns the position's phrase, e.g. "at the top left".
func (p Position) String() string {
	if p < 0 || p >= numPositions {
		return fmt.Sprintf("Position(%d)", int(p))
	}
	return positionPhrases[p]
}

// Positions lists every position.
var Positions = []Position{TopLeft, Top, TopRight, Left, Center, Right, BottomLeft, Bottom, BottomRight}

// row and col return the position's window on the 3×3 grid (0, 1 or 2).
func (p Position) row() int { return int(p) / 3 }
func (p Position) col() int { return int(p) % 3 }

// MaxCount is the largest number of objects in one image.
const MaxCount = 4

var countWords = [MaxCount + 1]string{"", "a", "two", "three", "four"}

// Attributes is what a caption says about its image.
type Attributes struct {
	Shape    Shape
	Color    Color
	Position Position
	// Count is the number of objects, 1 to MaxCount.
	Count int
}

// String returns the attributes as the plainest caption, e.g. "two red squares at the top left".
func (a Attributes) String() string { return Caption(a, 0) }

// Object is one drawn shape: its kind, colour, centre (in pixels, x to the right, y down, pixel centres at
// integer + 0.5) and side of its bounding box in pixels.
type Object struct {
	Shape    Shape
	Color    Color
	X, Y     float64
	Diameter float64
}

// Templates are the caption templates, filled by Caption: {n} count word, {c} colour, {s} shape word
// (plural when Count > 1), {p} position phrase, {be} "is" or "are".
var Templates = []string{
	"{n} {c} {s} {p}",
	"there {be} {n} {c} {s} {p}",
	"{p} there {be} {n} {c} {s}",
}

// Caption writes the caption of attrs with template number tmpl (an index into Templates; an index out of
// range uses template 0).
func Caption(attrs Attributes, tmpl int) string {
	if tmpl < 0 || tmpl >= len(Templates) {
		tmpl = 0
	}
	plural, be := 0, "is"
	if attrs.Count > 1 {
		plural, be = 1, "are"
	}
	n := "?"
	if attrs.Count >= 1 && attrs.Count <= MaxCount {
		n = countWords[attrs.Count]
	}
	s := attrs.Shape.String()
	if attrs.Shape >= 0 && attrs.Shape < numShapes {
		s = shapeWords[attrs.Shape][plural]
	}
	out := []byte{}
	t := Templates[tmpl]
	for len(t) > 0 {
		i := 0
		for i < len(t) && t[i] != '{' {
			i++
		}
		out, t = append(out, t[:i]...), t[i:]
		if len(t) == 0 {
			break
		}
		j := 1
		for j < len(t) && t[j] != '}' {
			j++
		}
		switch t[1:j] {
		case "n":
			out = append(out, n...)
		case "c":
			out = append(out, attrs.Color.String()...)
		case "s":
			out = append(out, s...)
		case "p":
			out = append(out, attrs.Position.String()...)
		case "be":
			out = append(out, be...)
		}
		t = t[min(j+1, len(t)):]
	}
	return string(out)
}

// validate checks that attrs names a real shape, colour, position and count.
func (a Attributes) validate() error {
	switch {
	case a.Shape < 0 || a.Shape >= numShapes:
		return fmt.Errorf("captions: shape %d outside [0, %d)", int(a.Shape), numShapes)
	case a.Color < 0 || a.Color >= numColors:
		return fmt.Errorf("captions: colour %d outside [0, %d)", int(a.Color), numColors)
	case a.Position < 0 || a.Position >= numPositions:
		return fmt.Errorf("captions: position %d outside [0, %d)", int(a.Position), numPositions)
	case a.Count < 1 || a.Count > MaxCount:
		return fmt.Errorf("captions: count %d outside [1, %d]", a.Count, MaxCount)
	}
	return nil
}
