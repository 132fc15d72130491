// Package chart is the figure specification shared by every MixFlow widget, and its two renderers.
//
// A Figure is plain data: panels of series (lines, scatters, quantile bands, error bars, histogram bars,
// heatmaps, polygons) with axes. It is rendered twice from the same resolved spec, so the two renderings
// cannot drift apart:
//
//   - an interactive ECharts chart (the option is built with go-echarts), and
//   - a static PNG drawn with gonum/plot.
//
// In a notebook, Figure.Display sends one output holding both: text/html (a div that first shows the
// PNG as an <img>, which the ECharts chart replaces once the library is loaded from the Jupyter server)
// and image/png, so a saved notebook, nbconvert, VS Code and static viewers without JavaScript still show
// the figure. Outside a notebook, SavePNG and SaveHTML write the same figure to files (the HTML is
// standalone, with ECharts inlined from the local copy that `npm ci --prefix widgets/assets` installs).
//
// Live figures (loss curves during training, the γ explorer) update one output in place: see Live.
package chart

import (
	"fmt"
	"math"
)

// Kind says how a Series is drawn and which of its fields are used.
type Kind string

const (
	// KindLine joins the points (X[i], Y[i]) with a line.
	KindLine Kind = "line"
	// KindScatter draws a marker at each (X[i], Y[i]).
	KindScatter Kind = "scatter"
	// KindBand fills the area between Lo[i] and Hi[i] over X[i] (quantile or confidence bands).
	KindBand Kind = "band"
	// KindErrorBar draws markers at (X[i], Y[i]) joined by a line, with vertical bars from Lo[i] to Hi[i].
	KindErrorBar Kind = "errorbar"
	// KindBars draws histogram bars: X holds len(Y)+1 increasing bin edges and bar i spans X[i]..X[i+1]
	// with height Y[i].
	KindBars Kind = "bars"
	// KindHeatmap colours the cells of a grid: X holds nx+1 increasing edges, Y holds ny+1 increasing
	// edges and Z[j][i] is the value of the cell X[i]..X[i+1] × Y[j]..Y[j+1] (Z has ny rows of nx values).
	KindHeatmap Kind = "heatmap"
	// KindPolygon draws the closed outline through (X[i], Y[i]), filled when Fill > 0.
	KindPolygon Kind = "polygon"
)

// Series is one data series of a panel. Build it with the constructors (Line, Scatter, Band, ErrorBars,
// Bars, Heatmap, Polygon) and adjust it with the With* methods.
type Series struct {
	// Name is the legend entry. Series of a figure that share a name share a colour and a legend entry
	// (clicking it in the interactive chart hides all of them). Empty: no legend entry.
	Name string
	// Kind says how the series is drawn.
	Kind Kind
	// X, Y are the coordinates (or bin edges, see Kind).
	X, Y []float64
	// Lo, Hi are the lower and upper bounds of KindBand and KindErrorBar, in data units.
	Lo, Hi []float64
	// Z holds the cell values of KindHeatmap, Z[row j][column i].
	Z [][]float64
	// Color is a "#rrggbb" colour; empty picks the next colour of the palette.
	Color string
	// Width is the line width in pixels (lines, outlines, error bars); for scatters, the marker diameter.
	// Zero picks a default.
	Width float64
	// Opacity of lines, markers and fills, in (0, 1]; zero picks a default for the kind.
	Opacity float64
	// Fill is the fill opacity of KindPolygon (0: outline only).
	Fill float64
	// Dash draws lines dashed.
	Dash bool
	// ZLabel names the heatmap's colour scale (e.g. "density").
	ZLabel string
	// ZClip, in [0.5, 1), caps the heatmap's colour scale at this quantile of its non-zero cells
	// (0.99: the 99th percentile): cells above it get the top colour and the scale's label says
	// "capped at p99", so that a few extreme cells (a density spike) do not leave the rest of the map
	// in one colour. Zero uses the full range.
	ZClip float64
}

// Line returns a line series through (x[i], y[i]).
func Line(name string, x, y []float64) Series {
	return Series{Name: name, Kind: KindLine, X: x, Y: y}
}

// Scatter returns a scatter series of the points (x[i], y[i]).
func Scatter(name string, x, y []float64) Series {
	return Series{Name: name, Kind: KindScatter, X: x, Y: y}
}

// Band returns a filled band between lo[i] and hi[i] over x[i].
func Band(name string, x, lo, hi []float64) Series {
	return Series{Name: name, Kind: KindBand, X: x, Lo: lo, Hi: hi}
}

// ErrorBars returns markers at (x[i], y[i]) joined by a line, with vertical bars from lo[i] to hi[i]
// (absolute values, e.g. mean ± std already added).
func ErrorBars(name string, x, y, lo, hi []float64) Series {
	return Series{Name: name, Kind: KindErrorBar, X: x, Y: y, Lo: lo, Hi: hi}
}

// Bars returns histogram bars: edges has len(heights)+1 increasing values.
func Bars(name string, edges, heights []float64) Series {
	return Series{Name: name, Kind: KindBars, X: edges, Y: heights}
}

// Heatmap returns a heatmap on the grid given by increasing xEdges (nx+1) and yEdges (ny+1), with
// z[j][i] the value of cell (i, j).
func Heatmap(name string, xEdges, yEdges []float64, z [][]float64) Series {
	return Series{Name: name, Kind: KindHeatmap, X: xEdges, Y: yEdges, Z: z}
}

// Polygon returns the closed outline through (x[i], y[i]).
func Polygon(name string, x, y []float64) Series {
	return Series{Name: name, Kind: KindPolygon, X: x, Y: y}
}

// WithColor returns s drawn in the "#rrggbb" colour c.
func (s Series) WithColor(c string) Series { s.Color = c; return s }

// WithWidth returns s with line width (or marker diameter) w pixels.
func (s Series) WithWidth(w float64) Series { s.Width = w; return s }

// WithOpacity returns s with marker/fill opacity o.
func (s Series) WithOpacity(o float64) Series { s.Opacity = o; return s }

// WithFill returns the polygon s filled with opacity f.
func (s Series) WithFill(f float64) Series { s.Fill = f; return s }

// Dashed returns s drawn with a dashed line.
func (s Series) Dashed() Series { s.Dash = true; return s }

// Axis describes one axis of a panel.
type Axis struct {
	// Label is the axis title, e.g. "sampling timestep t".
	Label string
	// Range fixes the axis to [Range[0], Range[1]] when Range[0] < Range[1]; otherwise the range is
	// computed from the data and rounded outwards to tick multiples.
	Range [2]float64
	// Log uses a base-10 logarithmic scale (all values on this axis must be > 0).
	Log bool
}

// Panel is one plotting area with its axes and series.
type Panel struct {
	// Title is shown above the panel.
	Title string
	// X and Y are the axes.
	X, Y Axis
	// Series are drawn in order (later ones on top).
	Series []Series
	// Equal gives both axes the same scale (one data unit is as long on x as on y): 2-D sample clouds.
	Equal bool
}

// Figure is a chart: a title and one or more panels laid out in a grid.
type Figure struct {
	// Title and Subtitle are shown above all panels.
	Title, Subtitle string
	// Panels are laid out left to right, top to bottom.
	Panels []Panel
	// Cols is the number of panels per row; zero means all in one row, up to 3.
	Cols int
	// ShareY gives the panels one y range, the union of their automatic ranges, so that panels side
	// by side compare at a glance. Panels with a fixed Y.Range or Equal axes keep theirs; the shared
	// panels must all be log or all linear.
	ShareY bool
	// Width and Height are the size in pixels of both the PNG and the interactive chart; zero picks
	// a default (760 wide, height from the number of rows).
	Width, Height int
}

// Single returns a figure with one panel.
func Single(title string, p Panel) Figure {
	return Figure{Title: title, Panels: []Panel{p}}
}

const (
	maxPixels   = 4096
	maxPanels   = 64
	defaultW    = 760
	minDim      = 120
	maxSeries   = 256
	maxHeatCell = 250_000
)

// Validate checks the figure: sizes, matching lengths, finite values, increasing edges, positive values
// on log axes. The error names the figure, panel and series at fault.
func (f Figure) Validate() error {
	if len(f.Panels) == 0 {
		return fmt.Errorf("chart: figure %q has no panels", f.Title)
	}
	if len(f.Panels) > maxPanels {
		return fmt.Errorf("chart: figure %q has %d panels, more than %d", f.Title, len(f.Panels), maxPanels)
	}
	if f.Cols < 0 {
		return fmt.Errorf("chart: figure %q: Cols %d is negative", f.Title, f.Cols)
	}
	if f.Width != 0 && (f.Width < minDim || f.Width > maxPixels) {
		return fmt.Errorf("chart: figure %q: Width %d outside [%d, %d] pixels", f.Title, f.Width, minDim, maxPixels)
	}
	if f.Height != 0 && (f.Height < minDim || f.Height > maxPixels) {
		return fmt.Errorf("chart: figure %q: Height %d outside [%d, %d] pixels", f.Title, f.Height, minDim, maxPixels)
	}
	if f.ShareY {
		logs := map[bool]bool{}
		for _, p := range f.Panels {
			if sharesY(p) {
				logs[p.Y.Log] = true
			}
		}
		if len(logs) > 1 {
			return fmt.Errorf("chart: figure %q: ShareY over log and linear y axes", f.Title)
		}
	}
	for i, p := range f.Panels {
		if err := p.validate(); err != nil {
			return fmt.Errorf("chart: figure %q: panel %d (%q): %w", f.Title, i, p.Title, err)
		}
	}
	return nil
}

// sharesY reports whether the panel takes part in Figure.ShareY.
func sharesY(p Panel) bool { return !p.Equal && !(p.Y.Range[0] < p.Y.Range[1]) }

func (a Axis) validate(which string) error {
	r := a.Range
	if math.IsNaN(r[0]) || math.IsNaN(r[1]) || math.IsInf(r[0], 0) || math.IsInf(r[1], 0) {
		return fmt.Errorf("%s axis: range %v is not finite", which, r)
	}
	if r[0] > r[1] {
		return fmt.Errorf("%s axis: range %v is reversed", which, r)
	}
	if a.Log && r[0] < r[1] && r[0] <= 0 {
		return fmt.Errorf("%s axis: log scale with range %v including values ≤ 0", which, r)
	}
	return nil
}

func (p Panel) validate() error {
	if err := p.X.validate("x"); err != nil {
		return err
	}
	if err := p.Y.validate("y"); err != nil {
		return err
	}
	if len(p.Series) > maxSeries {
		return fmt.Errorf("%d series, more than %d", len(p.Series), maxSeries)
	}
	for i, s := range p.Series {
		if err := s.validate(p.X.Log, p.Y.Log); err != nil {
			return fmt.Errorf("series %d (%q): %w", i, s.Name, err)
		}
	}
	return nil
}

// checkOrdered checks lo[i] ≤ hi[i] (a band's or an error bar's edges).
func checkOrdered(lo, hi []float64) error {
	for i := range lo {
		if lo[i] > hi[i] {
			return fmt.Errorf("Lo[%d] = %g > Hi[%d] = %g", i, lo[i], i, hi[i])
		}
	}
	return nil
}

func checkFinite(name string, v []float64, positive bool) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%s[%d] is %v", name, i, x)
		}
		if positive && x <= 0 {
			return fmt.Errorf("%s[%d] = %g on a log axis (must be > 0)", name, i, x)
		}
	}
	return nil
}

func checkIncreasing(name string, v []float64) error {
	for i := 1; i < len(v); i++ {
		if !(v[i] > v[i-1]) {
			return fmt.Errorf("%s edges must increase: %s[%d] = %g ≥ %s[%d] = %g", name, name, i-1, v[i-1], name, i, v[i])
		}
	}
	return nil
}

func (s Series) validate(logX, logY bool) error {
	if s.Opacity < 0 || s.Opacity > 1 || math.IsNaN(s.Opacity) {
		return fmt.Errorf("opacity %g outside [0, 1]", s.Opacity)
	}
	if s.Fill < 0 || s.Fill > 1 || math.IsNaN(s.Fill) {
		return fmt.Errorf("fill %g outside [0, 1]", s.Fill)
	}
	if s.Width < 0 || s.Width > 100 || math.IsNaN(s.Width) {
		return fmt.Errorf("width %g outside [0, 100] pixels", s.Width)
	}
	if s.Color != "" {
		if _, err := parseHex(s.Color); err != nil {
			return err
		}
	}
	if s.ZClip != 0 && !(s.ZClip >= 0.5 && s.ZClip < 1) {
		return fmt.Errorf("ZClip %g outside [0.5, 1) (0: no cap)", s.ZClip)
	}
	if err := checkFinite("X", s.X, logX); err != nil {
		return err
	}
	n := len(s.X)
	switch s.Kind {
	case KindLine, KindScatter, KindPolygon:
		if len(s.Y) != n {
			return fmt.Errorf("X has %d values but Y has %d", n, len(s.Y))
		}
		if s.Kind == KindPolygon && n > 0 && n < 3 {
			return fmt.Errorf("a polygon needs at least 3 points, got %d", n)
		}
		return checkFinite("Y", s.Y, logY)
	case KindBand:
		if len(s.Lo) != n || len(s.Hi) != n {
			return fmt.Errorf("X has %d values but Lo has %d and Hi has %d", n, len(s.Lo), len(s.Hi))
		}
		if err := checkFinite("Lo", s.Lo, logY); err != nil {
			return err
		}
		if err := checkFinite("Hi", s.Hi, logY); err != nil {
			return err
		}
		return checkOrdered(s.Lo, s.Hi)
	case KindErrorBar:
		if len(s.Y) != n || len(s.Lo) != n || len(s.Hi) != n {
			return fmt.Errorf("X has %d values but Y has %d, Lo %d and Hi %d", n, len(s.Y), len(s.Lo), len(s.Hi))
		}
		for _, c := range []struct {
			name string
			v    []float64
		}{{"Y", s.Y}, {"Lo", s.Lo}, {"Hi", s.Hi}} {
			if err := checkFinite(c.name, c.v, logY); err != nil {
				return err
			}
		}
		return checkOrdered(s.Lo, s.Hi)
	case KindBars:
		if n == 0 && len(s.Y) == 0 {
			return nil
		}
		if n != len(s.Y)+1 {
			return fmt.Errorf("bars need len(X) = len(Y)+1 bin edges: X has %d values, Y has %d", n, len(s.Y))
		}
		if err := checkIncreasing("X", s.X); err != nil {
			return err
		}
		if err := checkFinite("Y", s.Y, false); err != nil {
			return err
		}
		for i, y := range s.Y {
			if y < 0 {
				return fmt.Errorf("bar height Y[%d] = %g is negative", i, y)
			}
		}
		return nil
	case KindHeatmap:
		if err := checkFinite("Y", s.Y, logY); err != nil {
			return err
		}
		if n < 2 || len(s.Y) < 2 {
			return fmt.Errorf("heatmap needs at least 2 x edges and 2 y edges, got %d and %d", n, len(s.Y))
		}
		if err := checkIncreasing("X", s.X); err != nil {
			return err
		}
		if err := checkIncreasing("Y", s.Y); err != nil {
			return err
		}
		if len(s.Z) != len(s.Y)-1 {
			return fmt.Errorf("heatmap Z has %d rows, want len(Y)-1 = %d", len(s.Z), len(s.Y)-1)
		}
		if (n-1)*(len(s.Y)-1) > maxHeatCell {
			return fmt.Errorf("heatmap has %d×%d cells, more than %d", n-1, len(s.Y)-1, maxHeatCell)
		}
		for j, row := range s.Z {
			if len(row) != n-1 {
				return fmt.Errorf("heatmap Z[%d] has %d values, want len(X)-1 = %d", j, len(row), n-1)
			}
			if err := checkFinite(fmt.Sprintf("Z[%d]", j), row, false); err != nil {
				return err
			}
		}
		return nil
	case "":
		return fmt.Errorf("series has no Kind (build it with chart.Line, chart.Scatter, ...)")
	default:
		return fmt.Errorf("unknown series kind %q", s.Kind)
	}
}
