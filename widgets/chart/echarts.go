package chart

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/types"
)

// The interactive chart's custom series name their drawing routine with a string "mixflow:<name>" in
// renderItem; the page script (loader.js) swaps in the function. The option therefore stays plain JSON:
// tests can parse it and no JavaScript source travels inside data.
const (
	renderBand     = "mixflow:band"
	renderFill     = "mixflow:fill"
	renderErrorBar = "mixflow:errorbar"
	renderBars     = "mixflow:bars"
	renderHeatmap  = "mixflow:heatmap"
)

// EChartsOption returns the ECharts option of the figure as JSON, built with go-echarts. It is what the
// HTML output hands to echarts.setOption.
func (f Figure) EChartsOption() ([]byte, error) {
	r, err := f.resolve()
	if err != nil {
		return nil, err
	}
	return r.option()
}

func pxs(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }

func rgba(hex string, a float64) string {
	c := mustHex(hex)
	return fmt.Sprintf("rgba(%d,%d,%d,%.3g)", c.R, c.G, c.B, a)
}

func points(cols ...[]float64) [][]float64 {
	if len(cols) == 0 {
		return nil
	}
	out := make([][]float64, len(cols[0]))
	for i := range out {
		row := make([]float64, len(cols))
		for j, c := range cols {
			row[j] = short(c[i])
		}
		out[i] = row
	}
	return out
}

func axisType(log bool) string {
	if log {
		return "log"
	}
	return "value"
}

// toolbox sizes: three icons stacked vertically in the right margin of the top-right panel.
const (
	toolboxIcon = 11
	toolboxGap  = 4
	toolboxH    = 3*toolboxIcon + 2*toolboxGap
)

// toolboxTop is where the toolbox starts: beside the plotting area of the panel at the figure's top
// right, below every title and the legend (a long title never runs under the icons), at the bottom
// of that area when a heatmap colour bar takes its top.
func (r *resolved) toolboxTop() float64 {
	var top *rpanel
	for i := range r.Panels {
		p := &r.Panels[i]
		if top == nil || p.Tile.Y < top.Tile.Y || p.Tile.Y == top.Tile.Y && p.Tile.X > top.Tile.X {
			top = p
		}
	}
	if top.Heat != nil {
		return top.Grid.Y + top.Grid.H - toolboxH
	}
	return top.Grid.Y
}

// seriesExtra holds option fields go-echarts' SingleSeries does not model; they are merged in after
// go-echarts built the option.
type seriesExtra map[string]any

func (r *resolved) option() ([]byte, error) {
	c := charts.NewLine()
	var legendNames []string
	for _, e := range r.Legend {
		legendNames = append(legendNames, e.Name)
	}
	c.SetGlobalOptions(
		charts.WithInitializationOpts(opts.Initialization{Width: pxs(float64(r.W)) + "px", Height: pxs(float64(r.H)) + "px", BackgroundColor: "#FFFFFF"}),
		charts.WithTitleOpts(opts.Title{Title: r.Title, Subtitle: r.Subtitle, Left: "center", Top: pxs(r.TitleY)}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(len(legendNames) > 0), Data: legendNames, Top: pxs(r.LegendY), Left: "center"}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithToolboxOpts(opts.Toolbox{Show: opts.Bool(true), Orient: "vertical", Right: "3", Top: pxs(r.toolboxTop()), Feature: &opts.ToolBoxFeature{
			SaveAsImage: &opts.ToolBoxFeatureSaveAsImage{Show: opts.Bool(true), Type: "png", Title: "save PNG"},
			DataZoom:    &opts.ToolBoxFeatureDataZoom{Show: opts.Bool(true)},
			Restore:     &opts.ToolBoxFeatureRestore{Show: opts.Bool(true)},
		}}),
		charts.WithAnimation(false),
	)
	c.XAxisList, c.YAxisList, c.GridList = nil, nil, nil
	var extras []seriesExtra
	var visualMaps []map[string]any
	titles := []map[string]any{{"text": r.Title, "subtext": r.Subtitle, "left": "center", "top": r.TitleY,
		"textStyle": map[string]any{"fontSize": 16, "fontWeight": "normal", "color": "#333"}}}
	splitLine := &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: "#E3E3E3"}}
	for pi, p := range r.Panels {
		c.GridList = append(c.GridList, opts.Grid{Left: pxs(p.Grid.X), Top: pxs(p.Grid.Y), Width: pxs(p.Grid.W), Height: pxs(p.Grid.H)})
		c.XAxisList = append(c.XAxisList, opts.XAxis{Type: axisType(p.X.Log), Name: p.X.Label, NameLocation: "middle", NameGap: 30,
			GridIndex: pi, Min: p.XR[0], Max: p.XR[1], SplitLine: splitLine})
		c.YAxisList = append(c.YAxisList, opts.YAxis{Type: axisType(p.Y.Log), Name: p.Y.Label, NameLocation: "middle", NameGap: 48,
			GridIndex: pi, Min: p.YR[0], Max: p.YR[1], SplitLine: splitLine})
		if p.Title != "" {
			titles = append(titles, map[string]any{"text": p.Title, "left": p.Tile.X + p.Tile.W/2, "top": p.Grid.Y - panelTitleH,
				"textAlign": "center", "textStyle": map[string]any{"fontSize": 13, "color": "#333"}})
		}
		for _, s := range p.Series {
			base := charts.SingleSeries{Name: s.Name, XAxisIndex: pi, YAxisIndex: pi, Color: s.Color}
			add := func(ss charts.SingleSeries, extra seriesExtra) {
				c.MultiSeries = append(c.MultiSeries, ss)
				if extra == nil {
					extra = seriesExtra{}
				}
				extras = append(extras, extra)
			}
			dash := ""
			if s.Dash {
				dash = "dashed"
			}
			switch s.Kind {
			case KindLine:
				ss := base
				ss.Type, ss.Data, ss.ShowSymbol, ss.Symbol = types.ChartLine, points(s.X, s.Y), opts.Bool(false), "none"
				ss.LineStyle = &opts.LineStyle{Width: float32(s.Width), Type: dash, Color: s.Color, Opacity: opts.Float(float32(s.Opacity))}
				add(ss, seriesExtra{"clip": true})
			case KindScatter:
				ss := base
				ss.Type, ss.Data, ss.SymbolSize = types.ChartScatter, points(s.X, s.Y), s.Width
				ss.ItemStyle = &opts.ItemStyle{Color: s.Color, Opacity: opts.Float(float32(s.Opacity))}
				extra := seriesExtra{"clip": true}
				if len(s.X) > 2000 {
					extra["large"], extra["largeThreshold"] = true, 2000
				}
				add(ss, extra)
			case KindBand:
				ss := base
				ss.Type, ss.Data, ss.RenderItem = types.ChartCustom, points(s.X, s.Lo, s.Hi), renderBand
				ss.ItemStyle = &opts.ItemStyle{Color: rgba(s.Color, s.Opacity)}
				add(ss, seriesExtra{"encode": map[string]any{"x": 0, "y": []int{1, 2}}, "silent": true, "z": 1})
			case KindErrorBar:
				ss := base
				ss.Type, ss.Data, ss.ShowSymbol, ss.Symbol, ss.SymbolSize = types.ChartLine, points(s.X, s.Y), opts.Bool(true), "circle", 7
				ss.LineStyle = &opts.LineStyle{Width: 2, Type: dash, Color: s.Color}
				add(ss, seriesExtra{"clip": true})
				bars := base
				w := make([]float64, len(s.X))
				for i := range w {
					w[i] = s.Width
				}
				bars.Type, bars.Data, bars.RenderItem = types.ChartCustom, points(s.X, s.Lo, s.Hi, w), renderErrorBar
				add(bars, seriesExtra{"encode": map[string]any{"x": 0, "y": []int{1, 2}}})
			case KindBars:
				ss := base
				n := len(s.Y)
				x0, x1, base0 := make([]float64, n), make([]float64, n), make([]float64, n)
				for i := range s.Y {
					x0[i], x1[i] = s.X[i], s.X[i+1]
					base0[i] = max(p.YR[0], 0)
					if p.Y.Log {
						base0[i] = p.YR[0]
					}
				}
				ss.Type, ss.Data, ss.RenderItem = types.ChartCustom, points(x0, x1, s.Y, base0), renderBars
				ss.ItemStyle = &opts.ItemStyle{Color: rgba(s.Color, s.Opacity), BorderColor: s.Color}
				add(ss, seriesExtra{"encode": map[string]any{"x": []int{0, 1}, "y": 2}})
			case KindHeatmap:
				// Dimension 4 drives the colour (capped at the scale's top, see Series.ZClip), 5 is
				// the cell's value for the tooltip.
				var x0, x1, y0, y1, zc, z []float64
				for j, row := range s.Z {
					for i, v := range row {
						x0, x1 = append(x0, s.X[i]), append(x1, s.X[i+1])
						y0, y1 = append(y0, s.Y[j]), append(y1, s.Y[j+1])
						zc, z = append(zc, math.Min(v, p.Heat.Max)), append(z, v)
					}
				}
				ss := base
				ss.Type, ss.Data, ss.RenderItem = types.ChartCustom, points(x0, x1, y0, y1, zc, z), renderHeatmap
				add(ss, seriesExtra{"encode": map[string]any{"x": []int{0, 1}, "y": []int{2, 3}, "tooltip": 5}})
				barTop, barH := p.Grid.Y, max(p.Grid.H-40, 20)
				if strings.Contains(p.Heat.Label, "\n") { // a second line of label above the bar
					barTop, barH = barTop+16, max(barH-16, 20)
				}
				visualMaps = append(visualMaps, map[string]any{
					"type": "continuous", "min": short(p.Heat.Min), "max": short(p.Heat.Max), "dimension": 4,
					"seriesIndex": len(c.MultiSeries) - 1, "calculable": true, "orient": "vertical",
					"left": p.Grid.X + p.Grid.W + 14, "top": barTop, "itemHeight": barH, "itemWidth": 14,
					"precision": 3, "text": []string{p.Heat.Label, ""}, "textStyle": map[string]any{"lineHeight": 14}, "inRange": map[string]any{"color": ColorScale},
				})
			case KindPolygon:
				if len(s.X) == 0 {
					continue
				}
				if s.Fill > 0 {
					fill := base
					fill.Type, fill.Data, fill.RenderItem = types.ChartCustom, points(s.X, s.Y), renderFill
					fill.ItemStyle = &opts.ItemStyle{Color: rgba(s.Color, s.Fill)}
					add(fill, seriesExtra{"encode": map[string]any{"x": 0, "y": 1}, "silent": true})
				}
				ss := base
				xs := append(append([]float64{}, s.X...), s.X[0])
				ys := append(append([]float64{}, s.Y...), s.Y[0])
				ss.Type, ss.Data, ss.ShowSymbol, ss.Symbol = types.ChartLine, points(xs, ys), opts.Bool(false), "none"
				ss.LineStyle = &opts.LineStyle{Width: float32(s.Width), Type: dash, Color: s.Color}
				add(ss, seriesExtra{"clip": true})
			}
		}
	}

	// go-echarts builds the option; merge in what it does not model, through a JSON round trip.
	raw, err := json.Marshal(c.JSON())
	if err != nil {
		return nil, fmt.Errorf("chart: encoding the ECharts option of %q: %w", r.Title, err)
	}
	var opt map[string]any
	if err := json.Unmarshal(raw, &opt); err != nil {
		return nil, fmt.Errorf("chart: decoding the ECharts option of %q: %w", r.Title, err)
	}
	if tb, ok := opt["toolbox"].(map[string]any); ok {
		tb["itemSize"], tb["itemGap"], tb["padding"] = toolboxIcon, toolboxGap, 0
	}
	opt["title"] = titles
	opt["animation"] = false
	if len(visualMaps) > 0 {
		opt["visualMap"] = visualMaps
	}
	opt["textStyle"] = map[string]any{"fontFamily": "Liberation Sans, Arial, Helvetica, sans-serif"}
	if series, ok := opt["series"].([]any); ok {
		for i, s := range series {
			m, ok := s.(map[string]any)
			if !ok || i >= len(extras) {
				continue
			}
			for k, v := range extras[i] {
				m[k] = v
			}
		}
	}
	for _, key := range []string{"xAxis", "yAxis"} {
		axes, _ := opt[key].([]any)
		for i, a := range axes {
			m, ok := a.(map[string]any)
			if !ok || i >= len(r.Panels) {
				continue
			}
			m["axisLine"] = map[string]any{"onZero": false, "lineStyle": map[string]any{"color": "#333"}}
			m["nameTextStyle"] = map[string]any{"fontSize": 13, "color": "#333"}
			rng, log := r.Panels[i].XR, r.Panels[i].X.Log
			if key == "yAxis" {
				rng, log = r.Panels[i].YR, r.Panels[i].Y.Log
			}
			if log {
				m["logBase"] = 10
				continue
			}
			// ECharts labels the ends of a fixed range even when they are not on the tick grid
			// ("-0.03"); hide those, as the PNG does.
			m["axisLabel"] = map[string]any{"showMinLabel": onGrid(rng[0], rng[0], rng[1]), "showMaxLabel": onGrid(rng[1], rng[0], rng[1])}
		}
	}
	thinOption(opt)
	out, err := json.Marshal(opt)
	if err != nil {
		return nil, fmt.Errorf("chart: encoding the ECharts option of %q: %w", r.Title, err)
	}
	return out, nil
}
