package chart

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"github.com/mixflow/mixflow/widgets/compactpng"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// pngDPI makes one figure pixel one PNG pixel: vg lengths are points (1/72 in).
const pngDPI = 96

// px converts figure pixels to vg points.
func px(v float64) vg.Length { return vg.Length(v * 72 / pngDPI) }

var (
	sans     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	sansBold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: 700}
	ink      = color.NRGBA{R: 0x33, G: 0x33, B: 0x33, A: 255}
	gridInk  = color.NRGBA{R: 0xE3, G: 0xE3, B: 0xE3, A: 255}
)

func textStyle(f font.Font, sizePx float64, xa text.XAlignment, ya text.YAlignment) text.Style {
	return text.Style{
		Color:   ink,
		Font:    font.From(f, px(sizePx)),
		XAlign:  xa,
		YAlign:  ya,
		Handler: plot.DefaultTextHandler,
	}
}

func withAlpha(c color.NRGBA, a float64) color.NRGBA {
	c.A = uint8(math.Round(255 * a))
	return c
}

// PNG renders the figure with gonum/plot and returns the encoded PNG, Width×Height pixels.
func (f Figure) PNG() ([]byte, error) {
	r, err := f.resolve()
	if err != nil {
		return nil, err
	}
	return r.png()
}

func (r *resolved) png() (out []byte, err error) {
	defer func() {
		// gonum/plot panics on a few degenerate inputs (e.g. fonts it cannot find); report them as errors.
		if e := recover(); e != nil {
			out, err = nil, fmt.Errorf("chart: rendering PNG of %q: %v", r.Title, e)
		}
	}()
	H := float64(r.H)
	img := vgimg.NewWith(vgimg.UseWH(px(float64(r.W)), px(H)), vgimg.UseDPI(pngDPI), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	// at converts a point given in figure pixels (origin top-left) to canvas coordinates.
	at := func(x, y float64) vg.Point { return vg.Point{X: px(x), Y: px(H - y)} }

	if r.Title != "" {
		dc.FillText(textStyle(sansBold, 16, draw.XCenter, draw.YTop), at(float64(r.W)/2, r.TitleY+4), r.Title)
	}
	if r.Subtitle != "" {
		dc.FillText(textStyle(sans, 12, draw.XCenter, draw.YTop), at(float64(r.W)/2, r.SubY+2), r.Subtitle)
	}
	if len(r.Legend) > 0 {
		r.drawLegend(dc, at)
	}
	for i := range r.Panels {
		if err := r.Panels[i].draw(dc, H); err != nil {
			return nil, err
		}
	}
	b, err := compactpng.Encode(img.Image())
	if err != nil {
		return nil, fmt.Errorf("chart: encoding PNG of %q: %w", r.Title, err)
	}
	return b, nil
}

// drawLegend draws one centred row of legend entries under the titles, like the interactive chart.
func (r *resolved) drawLegend(dc draw.Canvas, at func(x, y float64) vg.Point) {
	st := textStyle(sans, 12, draw.XLeft, draw.YCenter)
	const thumb, gap, after = 24.0, 6.0, 16.0
	total := 0.0
	widths := make([]float64, len(r.Legend))
	for i, e := range r.Legend {
		widths[i] = float64(st.Width(e.Name)) * pngDPI / 72
		total += thumb + gap + widths[i] + after
	}
	total -= after
	x := math.Max(8, (float64(r.W)-total)/2)
	y := r.LegendY + legendH/2
	for i, e := range r.Legend {
		c := mustHex(e.Color)
		switch {
		case isFill(e.Kind):
			pts := []vg.Point{at(x, y-6), at(x+thumb, y-6), at(x+thumb, y+6), at(x, y+6)}
			dc.FillPolygon(withAlpha(c, 0.45), pts)
		case e.Kind == KindScatter:
			dc.DrawGlyph(draw.GlyphStyle{Color: c, Radius: px(4), Shape: draw.CircleGlyph{}}, at(x+thumb/2, y))
		default:
			ls := draw.LineStyle{Color: c, Width: px(2.5)}
			if e.Dash {
				ls.Dashes = []vg.Length{px(5), px(3)}
			}
			dc.StrokeLine2(ls, px(x), px(float64(r.H)-y), px(x+thumb), px(float64(r.H)-y))
			if e.Kind == KindErrorBar {
				dc.DrawGlyph(draw.GlyphStyle{Color: c, Radius: px(3.5), Shape: draw.CircleGlyph{}}, at(x+thumb/2, y))
			}
		}
		dc.FillText(st, at(x+thumb+gap, y), e.Name)
		x += thumb + gap + widths[i] + after
	}
}

func styleAxis(a *plot.Axis, label string, r [2]float64, log bool) {
	a.Label.Text = label
	a.Label.TextStyle.Font = font.From(sans, px(13))
	a.Label.TextStyle.Color = ink
	a.Tick.Label.Font = font.From(sans, px(11))
	a.Tick.Label.Color = ink
	a.Min, a.Max = r[0], r[1]
	a.Padding = 0
	a.Color = ink
	a.Tick.Color = ink
	if log {
		a.Scale = plot.LogScale{}
		a.Tick.Marker = logTicks{}
	} else {
		a.Tick.Marker = niceTicks{}
	}
}

// logTicks labels powers of ten, and also 2 and 5 times them when the axis spans less than three
// decades (so an axis from 1 to 3 has labels), and the axis ends when it spans less than a decade,
// with unlabelled minor ticks at the other integer multiples.
type logTicks struct{}

// Ticks implements plot.Ticker.
func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || lo <= 0 {
		return nil
	}
	labelled := map[int]bool{1: true}
	if hi/lo < 1000 {
		labelled[2], labelled[5] = true, true
	}
	var ts []plot.Tick
	labels := 0
	for e := math.Floor(math.Log10(lo) + 1e-9); math.Pow(10, e) <= hi*(1+1e-9); e++ {
		p := math.Pow(10, e)
		for m := 1; m <= 9; m++ {
			v := cleanFloat(float64(m) * p)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if labelled[m] {
				t.Label = strconv.FormatFloat(v, 'g', 6, 64)
				labels++
			}
			ts = append(ts, t)
		}
	}
	if labels < 2 || hi/lo < 10 { // less than a decade (1.5–3): label the ends, as the interactive chart does
		for _, v := range []float64{lo, hi} {
			i := slices.IndexFunc(ts, func(t plot.Tick) bool { return math.Abs(t.Value-v) <= 1e-9*v })
			if i < 0 {
				ts = append(ts, plot.Tick{Value: v})
				i = len(ts) - 1
			}
			ts[i].Label = strconv.FormatFloat(roundSig(v, 3), 'g', 6, 64)
		}
	}
	return ts
}

// niceTicks puts about five labelled ticks at multiples of a 1-2-2.5-5 step (as the interactive chart
// does), with unlabelled minor ticks halfway.
type niceTicks struct{}

// Ticks implements plot.Ticker.
func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return nil
	}
	step := niceStep((hi - lo) / 5)
	var ts []plot.Tick
	for k := math.Ceil(lo/step - 1e-9); k*step <= hi+step*1e-9; k++ {
		v := cleanFloat(k*step) + 0 // no "-0" label
		ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 6, 64)})
		if m := v + step/2; m < hi {
			ts = append(ts, plot.Tick{Value: m})
		}
	}
	return ts
}

func (p *rpanel) draw(dc draw.Canvas, H float64) error {
	pl := plot.New()
	pl.BackgroundColor = nil
	pl.Title.Text = p.Title
	pl.Title.TextStyle.Font = font.From(sansBold, px(13))
	pl.Title.TextStyle.Color = ink
	pl.Title.Padding = px(8)
	styleAxis(&pl.X, p.X.Label, p.XR, p.X.Log)
	styleAxis(&pl.Y, p.Y.Label, p.YR, p.Y.Log)

	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = gridInk, gridInk
	grid.Vertical.Width, grid.Horizontal.Width = px(1), px(1)
	pl.Add(grid)
	for _, s := range p.Series {
		pl.Add(seriesPlotter{s: s, heat: p.Heat})
	}

	// The panel's cell, leaving room for the colour bar of a heatmap.
	right := p.Tile.X + p.Tile.W - 8
	if p.Heat != nil {
		right -= colorBarW
	}
	cell := draw.Canvas{Canvas: dc.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: px(p.Tile.X + 6), Y: px(H - (p.Tile.Y + p.Tile.H) + 6)},
		Max: vg.Point{X: px(right), Y: px(H - p.Tile.Y - 4)},
	}}
	if p.Equal && !p.X.Log && !p.Y.Log && p.X.Range[0] >= p.X.Range[1] && p.Y.Range[0] >= p.Y.Range[1] {
		// Match the scales to the PNG's own data area, which differs slightly from the HTML chart's grid.
		da := pl.DataCanvas(cell)
		xr, yr := equalize(p.XR, p.YR, float64(da.Max.X-da.Min.X), float64(da.Max.Y-da.Min.Y))
		pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max = xr[0], xr[1], yr[0], yr[1]
	}
	pl.Draw(cell)
	if p.Heat != nil {
		p.drawColorBar(dc, pl.DataCanvas(cell))
	}
	return nil
}

// drawColorBar draws the heatmap's colour scale to the right of the data area da.
func (p *rpanel) drawColorBar(dc draw.Canvas, da draw.Canvas) {
	x0 := da.Max.X + px(18)
	x1 := x0 + px(14)
	const steps = 64
	h := da.Max.Y - da.Min.Y
	for i := 0; i < steps; i++ {
		y0 := da.Min.Y + h*vg.Length(i)/steps
		y1 := da.Min.Y + h*vg.Length(i+1)/steps + px(0.6) // overlap the next slice: no anti-aliasing seams
		if i == steps-1 {
			y1 = da.Max.Y
		}
		dc.FillPolygon(scaleColor((float64(i)+0.5)/steps), []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	}
	st := textStyle(sans, 11, draw.XLeft, draw.YCenter)
	for _, u := range []float64{0, 0.5, 1} {
		v := p.Heat.Min + u*(p.Heat.Max-p.Heat.Min)
		label := fmt.Sprintf("%.3g", v)
		if u == 1 && p.Heat.Capped {
			label = "≥ " + label
		}
		dc.FillText(st, vg.Point{X: x1 + px(4), Y: da.Min.Y + h*vg.Length(u)}, label)
	}
	if p.Heat.Label != "" {
		lt := textStyle(sans, 11, draw.XCenter, draw.YBottom)
		dc.FillText(lt, vg.Point{X: (x0 + x1) / 2, Y: da.Max.Y + px(12)}, p.Heat.Label)
	}
}

// seriesPlotter draws one resolved series into a gonum/plot data area, clipped to it.
type seriesPlotter struct {
	s    rseries
	heat *heatScale
}

// Plot implements plot.Plotter.
func (sp seriesPlotter) Plot(c draw.Canvas, pl *plot.Plot) {
	s := sp.s
	trX, trY := pl.Transforms(&c)
	col := mustHex(s.Color)
	pt := func(x, y float64) vg.Point { return vg.Point{X: trX(x), Y: trY(y)} }
	line := draw.LineStyle{Color: col, Width: px(s.Width)}
	if s.Kind == KindLine {
		line.Color = withAlpha(col, s.Opacity)
	}
	if s.Dash {
		line.Dashes = []vg.Length{px(6), px(4)}
	}
	switch s.Kind {
	case KindLine:
		pts := make([]vg.Point, len(s.X))
		for i := range s.X {
			pts[i] = pt(s.X[i], s.Y[i])
		}
		c.StrokeLines(line, c.ClipLinesXY(pts)...)
	case KindScatter:
		g := draw.GlyphStyle{Color: withAlpha(col, s.Opacity), Radius: px(s.Width / 2), Shape: draw.CircleGlyph{}}
		for i := range s.X {
			c.DrawGlyph(g, pt(s.X[i], s.Y[i]))
		}
	case KindBand:
		if len(s.X) == 0 {
			return
		}
		pts := make([]vg.Point, 0, 2*len(s.X))
		for i := range s.X {
			pts = append(pts, pt(s.X[i], s.Hi[i]))
		}
		for i := len(s.X) - 1; i >= 0; i-- {
			pts = append(pts, pt(s.X[i], s.Lo[i]))
		}
		c.FillPolygon(withAlpha(col, s.Opacity), c.ClipPolygonXY(pts))
	case KindErrorBar:
		bar := draw.LineStyle{Color: col, Width: px(s.Width)}
		cap := px(4)
		for i := range s.X {
			x := trX(s.X[i])
			lo, hi := trY(s.Lo[i]), trY(s.Hi[i])
			c.StrokeLines(bar, c.ClipLinesXY(
				[]vg.Point{{X: x, Y: lo}, {X: x, Y: hi}},
				[]vg.Point{{X: x - cap, Y: lo}, {X: x + cap, Y: lo}},
				[]vg.Point{{X: x - cap, Y: hi}, {X: x + cap, Y: hi}})...)
		}
		pts := make([]vg.Point, len(s.X))
		for i := range s.X {
			pts[i] = pt(s.X[i], s.Y[i])
		}
		join := draw.LineStyle{Color: col, Width: px(2)}
		if s.Dash {
			join.Dashes = []vg.Length{px(6), px(4)}
		}
		c.StrokeLines(join, c.ClipLinesXY(pts)...)
		for _, q := range pts {
			c.DrawGlyph(draw.GlyphStyle{Color: col, Radius: px(3.5), Shape: draw.CircleGlyph{}}, q)
		}
	case KindBars:
		base := math.Max(pl.Y.Min, 0)
		if _, isLog := pl.Y.Scale.(plot.LogScale); isLog {
			base = pl.Y.Min
		}
		edge := draw.LineStyle{Color: col, Width: px(s.Width)}
		for i, h := range s.Y {
			if h <= 0 {
				continue
			}
			poly := []vg.Point{pt(s.X[i], base), pt(s.X[i+1], base), pt(s.X[i+1], h), pt(s.X[i], h)}
			c.FillPolygon(withAlpha(col, s.Opacity), c.ClipPolygonXY(poly))
			c.StrokeLines(edge, c.ClipLinesXY(append(poly, poly[0]))...)
		}
	case KindHeatmap:
		for j, row := range s.Z {
			for i, z := range row {
				u := (z - sp.heat.Min) / (sp.heat.Max - sp.heat.Min)
				// Grow each cell by half a pixel so that neighbours overlap: no anti-aliasing seams.
				a, b := pt(s.X[i], s.Y[j]), pt(s.X[i+1], s.Y[j+1])
				e := px(0.5)
				poly := []vg.Point{{X: a.X - e, Y: a.Y - e}, {X: b.X + e, Y: a.Y - e}, {X: b.X + e, Y: b.Y + e}, {X: a.X - e, Y: b.Y + e}}
				c.FillPolygon(scaleColor(u), c.ClipPolygonXY(poly))
			}
		}
	case KindPolygon:
		if len(s.X) == 0 {
			return
		}
		pts := make([]vg.Point, len(s.X), len(s.X)+1)
		for i := range s.X {
			pts[i] = pt(s.X[i], s.Y[i])
		}
		if s.Fill > 0 {
			c.FillPolygon(withAlpha(col, s.Fill), c.ClipPolygonXY(pts))
		}
		c.StrokeLines(line, c.ClipLinesXY(append(pts, pts[0]))...)
	}
}
