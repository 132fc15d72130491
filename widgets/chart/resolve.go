package chart

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Palette is the default series colour cycle (Tableau 10: distinct, readable on white, fine for common
// colour-vision deficiencies in the first few entries).
var Palette = []string{
	"#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F",
	"#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC",
}

// ColorScale holds the evenly spaced stops of the heatmap colour scale (viridis), interpolated linearly
// in RGB by both renderers.
var ColorScale = []string{
	"#440154", "#472D7B", "#3B528B", "#2C728E", "#21918C", "#28AE80", "#5EC962", "#ADDC30", "#FDE725",
}

// Neutral is the colour of reference lines such as y = x.
const Neutral = "#7F7F7F"

func parseHex(s string) (color.NRGBA, error) {
	if len(s) != 7 || s[0] != '#' {
		return color.NRGBA{}, fmt.Errorf("colour %q is not of the form #rrggbb", s)
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return color.NRGBA{}, fmt.Errorf("colour %q is not of the form #rrggbb", s)
	}
	return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}, nil
}

func mustHex(s string) color.NRGBA {
	c, err := parseHex(s)
	if err != nil {
		panic(err)
	}
	return c
}

// scaleColor maps u ∈ [0, 1] to the colour scale.
func scaleColor(u float64) color.NRGBA {
	if math.IsNaN(u) || u < 0 {
		u = 0
	}
	if u > 1 {
		u = 1
	}
	pos := u * float64(len(ColorScale)-1)
	i := int(math.Floor(pos))
	if i >= len(ColorScale)-1 {
		return mustHex(ColorScale[len(ColorScale)-1])
	}
	f := pos - float64(i)
	a, b := mustHex(ColorScale[i]), mustHex(ColorScale[i+1])
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x)*(1-f) + float64(y)*f)) }
	return color.NRGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 255}
}

// rect is a rectangle in pixels, origin at the top-left corner of the figure.
type rect struct{ X, Y, W, H float64 }

type legendEntry struct {
	Name  string
	Color string
	Kind  Kind
	Dash  bool
}

type heatScale struct {
	Min, Max float64
	Label    string
	Capped   bool // Max is a quantile below the largest cell (Series.ZClip)
}

type rseries struct {
	Series
	Color   string
	Opacity float64
	Width   float64
}

type rpanel struct {
	Panel
	Series []rseries
	XR, YR [2]float64
	Tile   rect // the panel's whole cell
	Grid   rect // the plotting area of the interactive chart
	Heat   *heatScale
}

// resolved is a validated figure with every default filled in: colours, ranges and layout. Both renderers
// read only this, so they show the same data with the same colours on the same ranges.
type resolved struct {
	Title, Subtitle string
	W, H            int
	TitleY, SubY    float64
	LegendY         float64
	Legend          []legendEntry
	Panels          []rpanel
}

const (
	padTop       = 8.0
	titleH       = 26.0
	subtitleH    = 18.0
	legendH      = 26.0
	panelTitleH  = 24.0
	marginLeft   = 66.0
	marginRight  = 22.0
	marginTop    = 10.0
	marginBottom = 50.0
	colorBarW    = 78.0
)

func isFill(k Kind) bool { return k == KindBand || k == KindBars || k == KindPolygon }

func defaultOpacity(k Kind) float64 {
	switch k {
	case KindScatter:
		return 0.6
	case KindBand:
		return 0.22
	case KindBars:
		return 0.45
	default:
		return 1
	}
}

func defaultWidth(k Kind) float64 {
	switch k {
	case KindScatter:
		return 5
	case KindErrorBar, KindPolygon:
		return 1.5
	case KindBars, KindHeatmap:
		return 1
	default:
		return 2
	}
}

func (f Figure) resolve() (*resolved, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	r := &resolved{Title: f.Title, Subtitle: f.Subtitle}

	// Colours: one per name across the figure, in order of first appearance.
	byName := map[string]string{}
	next := 0
	pick := func() string {
		c := Palette[next%len(Palette)]
		next++
		return c
	}
	seen := map[string]int{}
	for _, p := range f.Panels {
		for _, s := range p.Series {
			if s.Name == "" || s.Color != "" {
				continue
			}
			if _, ok := byName[s.Name]; !ok {
				byName[s.Name] = pick()
			}
		}
	}
	// Layout.
	n := len(f.Panels)
	cols := f.Cols
	if cols == 0 {
		cols = min(n, 3)
	}
	cols = min(cols, n)
	rows := (n + cols - 1) / cols
	r.W = f.Width
	if r.W == 0 {
		r.W = defaultW
	}
	header := padTop
	if f.Title != "" {
		r.TitleY = header
		header += titleH
	}
	if f.Subtitle != "" {
		r.SubY = header
		header += subtitleH
	}
	anyEqual := false
	for _, p := range f.Panels {
		anyEqual = anyEqual || p.Equal
	}
	tileW := float64(r.W) / float64(cols)
	var tileH float64
	if f.Height != 0 {
		r.H = f.Height
	} else {
		switch {
		case anyEqual:
			tileH = math.Min(math.Max(tileW-marginLeft-marginRight, 200), 560) + marginTop + marginBottom + panelTitleH
		case cols == 1:
			tileH = 420
		default:
			tileH = math.Max(280, math.Min(400, tileW*0.85))
		}
	}

	for pi, p := range f.Panels {
		rp := rpanel{Panel: p}
		for _, s := range p.Series {
			rs := rseries{Series: s, Color: s.Color, Opacity: s.Opacity, Width: s.Width}
			if rs.Color == "" {
				if s.Name != "" {
					rs.Color = byName[s.Name]
				} else {
					rs.Color = pick()
				}
			}
			if rs.Opacity == 0 {
				rs.Opacity = defaultOpacity(s.Kind)
			}
			if rs.Width == 0 {
				rs.Width = defaultWidth(s.Kind)
			}
			if s.Name != "" && s.Kind != KindHeatmap {
				if i, ok := seen[s.Name]; !ok {
					seen[s.Name] = len(r.Legend)
					r.Legend = append(r.Legend, legendEntry{Name: s.Name, Color: rs.Color, Kind: s.Kind, Dash: s.Dash})
				} else if isFill(r.Legend[i].Kind) && !isFill(s.Kind) {
					// A band drawn under its mean line: the legend shows the line.
					r.Legend[i].Kind, r.Legend[i].Dash = s.Kind, s.Dash
				}
			}
			if s.Kind == KindHeatmap {
				lo, hi := math.Inf(1), math.Inf(-1)
				for _, row := range s.Z {
					for _, z := range row {
						lo, hi = math.Min(lo, z), math.Max(hi, z)
					}
				}
				capped := false
				if q := nonZeroQuantile(s.Z, s.ZClip); s.ZClip > 0 && q < hi && q > lo {
					hi, capped = q, true
				}
				if rp.Heat == nil {
					rp.Heat = &heatScale{Min: lo, Max: hi, Label: s.ZLabel}
				} else {
					rp.Heat.Min, rp.Heat.Max = math.Min(rp.Heat.Min, lo), math.Max(rp.Heat.Max, hi)
				}
				if capped && !rp.Heat.Capped {
					rp.Heat.Capped = true
					rp.Heat.Label = strings.TrimSpace(rp.Heat.Label + "\n(capped at p" + strconv.FormatFloat(100*s.ZClip, 'g', 4, 64) + ")")
				}
			}
			rp.Series = append(rp.Series, rs)
		}
		if rp.Heat != nil && rp.Heat.Max <= rp.Heat.Min {
			rp.Heat.Max = rp.Heat.Min + 1
		}
		r.Panels = append(r.Panels, rp)
		_ = pi
	}
	if len(r.Legend) > 0 {
		r.LegendY = header
		header += legendH
	}
	if f.Height != 0 {
		tileH = (float64(r.H) - header) / float64(rows)
	} else {
		r.H = int(math.Ceil(header + tileH*float64(rows)))
		if r.H > maxPixels {
			return nil, fmt.Errorf("chart: figure %q: %d rows of panels need %d pixels of height, more than %d", f.Title, rows, r.H, maxPixels)
		}
	}
	for i := range r.Panels {
		rp := &r.Panels[i]
		col, row := i%cols, i/cols
		rp.Tile = rect{X: float64(col) * tileW, Y: header + float64(row)*tileH, W: tileW, H: tileH}
		top := marginTop
		if rp.Title != "" {
			top += panelTitleH
		}
		right := marginRight
		if rp.Heat != nil {
			right += colorBarW
		}
		rp.Grid = rect{X: rp.Tile.X + marginLeft, Y: rp.Tile.Y + top, W: tileW - marginLeft - right, H: tileH - top - marginBottom}
		if rp.Grid.W < 40 || rp.Grid.H < 40 {
			return nil, fmt.Errorf("chart: figure %q: %d×%d pixels is too small for %d panel(s) in %d column(s)", f.Title, r.W, r.H, n, cols)
		}
		rp.XR, rp.YR = rp.ranges()
		if rp.Equal && !rp.X.Log && !rp.Y.Log && rp.X.Range[0] >= rp.X.Range[1] && rp.Y.Range[0] >= rp.Y.Range[1] {
			rp.XR, rp.YR = equalize(rp.XR, rp.YR, rp.Grid.W, rp.Grid.H)
		}
	}
	if f.ShareY {
		lo, hi, log, n := math.Inf(1), math.Inf(-1), false, 0
		for _, rp := range r.Panels {
			if sharesY(rp.Panel) {
				lo, hi, log, n = math.Min(lo, rp.YR[0]), math.Max(hi, rp.YR[1]), rp.Y.Log, n+1
			}
		}
		if n > 1 {
			shared := [2]float64{lo, hi}
			if !log && (!onGrid(lo, lo, hi) || !onGrid(hi, lo, hi)) { // log bounds are nice already
				shared = niceRange(lo, hi, log)
			}
			for i := range r.Panels {
				if sharesY(r.Panels[i].Panel) {
					r.Panels[i].YR = shared
				}
			}
		}
	}
	return r, nil
}

// nonZeroQuantile is the q-quantile (nearest rank) of the non-zero values of z; +Inf when q is 0 or
// there are none.
func nonZeroQuantile(z [][]float64, q float64) float64 {
	var v []float64
	for _, row := range z {
		for _, x := range row {
			if x != 0 {
				v = append(v, x)
			}
		}
	}
	if q <= 0 || len(v) == 0 {
		return math.Inf(1)
	}
	slices.Sort(v)
	return v[min(len(v)-1, int(math.Ceil(q*float64(len(v))))-1)]
}

// equalize widens one of the ranges so that a data unit has the same length in pixels on both axes of a
// w×h plotting area.
func equalize(xr, yr [2]float64, w, h float64) ([2]float64, [2]float64) {
	ux := (xr[1] - xr[0]) / w
	uy := (yr[1] - yr[0]) / h
	u := math.Max(ux, uy)
	widen := func(r [2]float64, span float64) [2]float64 {
		c := (r[0] + r[1]) / 2
		return [2]float64{c - span/2, c + span/2}
	}
	return widen(xr, u*w), widen(yr, u*h)
}

// ranges returns the axis ranges of the panel: fixed ones as given, automatic ones from the data,
// rounded outwards to tick multiples.
func (p *rpanel) ranges() (xr, yr [2]float64) {
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	add := func(v []float64, lo, hi *float64) {
		for _, x := range v {
			*lo, *hi = math.Min(*lo, x), math.Max(*hi, x)
		}
	}
	zeroY := false
	for _, s := range p.Series {
		add(s.X, &xlo, &xhi)
		switch s.Kind {
		case KindBand:
			add(s.Lo, &ylo, &yhi)
			add(s.Hi, &ylo, &yhi)
		case KindErrorBar:
			add(s.Y, &ylo, &yhi)
			add(s.Lo, &ylo, &yhi)
			add(s.Hi, &ylo, &yhi)
		case KindBars:
			add(s.Y, &ylo, &yhi)
			zeroY = true
		default:
			add(s.Y, &ylo, &yhi)
		}
	}
	if zeroY && !p.Y.Log {
		ylo = math.Min(ylo, 0)
	}
	exact := func(k Kind) bool { return k == KindHeatmap }
	allExact := len(p.Series) > 0
	for _, s := range p.Series {
		allExact = allExact && exact(s.Kind)
	}
	markers := false
	for _, s := range p.Series {
		markers = markers || s.Kind == KindScatter || s.Kind == KindErrorBar
	}
	auto := func(a Axis, lo, hi float64, floor0 bool) [2]float64 {
		if a.Range[0] < a.Range[1] {
			return a.Range
		}
		if allExact && !math.IsInf(lo, 0) {
			return [2]float64{lo, hi}
		}
		r := niceRange(lo, hi, a.Log)
		if markers && !a.Log && !math.IsInf(lo, 0) {
			// Markers on the frame would be cut in half: leave a 3 % margin where data touches it.
			pad := 0.03 * (r[1] - r[0])
			if lo-r[0] < pad/2 && !(floor0 && r[0] == 0) {
				r[0] = cleanFloat(r[0] - pad)
			}
			if r[1]-hi < pad/2 {
				r[1] = cleanFloat(r[1] + pad)
			}
		}
		return r
	}
	return auto(p.X, xlo, xhi, false), auto(p.Y, ylo, yhi, zeroY)
}

// onGrid reports whether v is a multiple of the tick step of [lo, hi] (so the interactive chart may
// label it).
func onGrid(v, lo, hi float64) bool {
	step := niceStep((hi - lo) / 5)
	k := v / step
	return math.Abs(k-math.Round(k)) < 1e-6
}

// niceRange rounds [lo, hi] outwards: to multiples of a 1-2-2.5-5 step on linear axes, to the nearest
// 1, 1.5, 2, 3, 5 or 7 times a power of ten on log axes (bounds from the data, not whole decades). Empty or degenerate data gets a unit range around it.
func niceRange(lo, hi float64, log bool) [2]float64 {
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		if log {
			return [2]float64{1, 10}
		}
		return [2]float64{0, 1}
	}
	if log {
		a, b := logFloor(lo), logCeil(hi)
		if b <= a {
			a, b = logFloor(a*0.999), logCeil(b*1.001)
		}
		return [2]float64{a, b}
	}
	if hi == lo {
		d := math.Abs(lo) * 0.1
		if d == 0 {
			d = 0.5
		}
		lo, hi = lo-d, hi+d
	}
	step := niceStep((hi - lo) / 5)
	a := math.Floor(lo/step+1e-9) * step
	b := math.Ceil(hi/step-1e-9) * step
	return [2]float64{cleanFloat(a), cleanFloat(b)}
}

// logMantissas are the values, times a power of ten, that bound log axes: a loss between 1.2 and 3
// gets the axis 1–3 rather than 1–10, and 5 to 50 steps get 5–50 rather than 1–100.
var logMantissas = []float64{1, 1.5, 2, 3, 5, 7, 10}

// logFloor is the largest m·10^k ≤ v with m in logMantissas.
func logFloor(v float64) float64 {
	e := math.Floor(math.Log10(v) + 1e-9)
	p := math.Pow(10, e)
	out := p
	for _, m := range logMantissas {
		if m*p <= v*(1+1e-9) {
			out = m * p
		}
	}
	return cleanFloat(out)
}

// logCeil is the smallest m·10^k ≥ v with m in logMantissas.
func logCeil(v float64) float64 {
	e := math.Floor(math.Log10(v) + 1e-9)
	p := math.Pow(10, e)
	for _, m := range logMantissas {
		if m*p >= v*(1-1e-9) {
			return cleanFloat(m * p)
		}
	}
	return cleanFloat(10 * p)
}

func niceStep(raw float64) float64 {
	e := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*e >= raw*(1-1e-9) {
			return m * e
		}
	}
	return 10 * e
}

// cleanFloat rounds away binary noise such as 0.30000000000000004, keeping 12 significant digits
// (and turns −0 into 0).
func cleanFloat(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	return f + 0
}

// short rounds v to 6 significant digits, enough for any chart and much shorter in JSON.
func short(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	return f
}

// Describe returns a one-line text description of the figure (the text/plain representation).
func (f Figure) Describe() string {
	var b strings.Builder
	b.WriteString("Figure")
	if f.Title != "" {
		fmt.Fprintf(&b, " %q", f.Title)
	}
	fmt.Fprintf(&b, ": %d panel(s)", len(f.Panels))
	for _, p := range f.Panels {
		var names []string
		for _, s := range p.Series {
			if s.Name != "" {
				names = append(names, s.Name)
			}
		}
		if p.Title != "" || len(names) > 0 {
			fmt.Fprintf(&b, "; %s", p.Title)
			if len(names) > 0 {
				fmt.Fprintf(&b, " [%s]", strings.Join(names, ", "))
			}
		}
	}
	return b.String()
}
