package chart

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mixflow/mixflow/widgets/assets"
	"github.com/mixflow/mixflow/widgets/internal/nb"

	"github.com/mixflow/mixflow/widgets/internal/jscheck"
)

func linspace(a, b float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = a + (b-a)*float64(i)/float64(n-1)
	}
	return out
}

func scale(v []float64, k float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = k * x
	}
	return out
}

// testFigure uses every series kind.
func testFigure() Figure {
	t := linspace(0, 1, 21)
	return Figure{Title: "all kinds", Subtitle: "unit test", Panels: []Panel{
		{Title: "band", X: Axis{Label: "t"}, Y: Axis{Label: "m"}, Series: []Series{
			Line("y = x", t, t).Dashed().WithColor(Neutral),
			Band("model", t, scale(t, 0.6), scale(t, 0.95)),
			Line("model", t, scale(t, 0.8)),
		}},
		{Title: "hist", X: Axis{Label: "t"}, Y: Axis{Label: "density"}, Series: []Series{
			Bars("beta", []float64{0, 0.5, 1}, []float64{0.5, 1.5}),
			ErrorBars("ablation", []float64{0.2, 0.8}, []float64{1, 1.2}, []float64{0.9, 1.1}, []float64{1.1, 1.3}),
		}},
		{Title: "joint", X: Axis{Label: "t"}, Y: Axis{Label: "m"}, Series: []Series{
			Heatmap("", []float64{0, 0.5, 1}, []float64{0, 0.5, 1}, [][]float64{{1, 2}, {3, 4}}),
			Polygon("region", []float64{0, 1, 1}, []float64{0, 1, 0.2}).WithFill(0.1),
			Scatter("pairs", []float64{0.3, 0.9}, []float64{0.2, 0.5}),
		}},
	}}
}

func TestValidateErrors(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name string
		f    Figure
		want string
	}{
		{"no panels", Figure{Title: "x"}, "has no panels"},
		{"nan", Single("f", Panel{Series: []Series{Line("loss", []float64{1, 2}, []float64{1, nan})}}), `series 0 ("loss"): Y[1] is NaN`},
		{"inf x", Single("f", Panel{Series: []Series{Scatter("s", []float64{math.Inf(1)}, []float64{1})}}), "X[0] is +Inf"},
		{"lengths", Single("f", Panel{Series: []Series{Line("a", []float64{1, 2, 3}, []float64{1, 2})}}), "X has 3 values but Y has 2"},
		{"band order", Single("f", Panel{Series: []Series{Band("b", []float64{1}, []float64{2}, []float64{1})}}), "Lo[0] = 2 > Hi[0] = 1"},
		{"bars edges", Single("f", Panel{Series: []Series{Bars("h", []float64{0, 1}, []float64{1, 2})}}), "len(X) = len(Y)+1"},
		{"bars increasing", Single("f", Panel{Series: []Series{Bars("h", []float64{0, 1, 1}, []float64{1, 2})}}), "edges must increase"},
		{"negative bar", Single("f", Panel{Series: []Series{Bars("h", []float64{0, 1}, []float64{-1})}}), "negative"},
		{"heat rows", Single("f", Panel{Series: []Series{Heatmap("z", []float64{0, 1}, []float64{0, 1, 2}, [][]float64{{1}})}}), "Z has 1 rows"},
		{"heat nan", Single("f", Panel{Series: []Series{Heatmap("z", []float64{0, 1}, []float64{0, 1}, [][]float64{{nan}})}}), "Z[0][0] is NaN"},
		{"log", Single("f", Panel{Y: Axis{Log: true}, Series: []Series{Line("a", []float64{1, 2}, []float64{0, 1})}}), "log axis"},
		{"log range", Single("f", Panel{X: Axis{Log: true, Range: [2]float64{0, 10}}}), "log scale with range"},
		{"reversed", Single("f", Panel{X: Axis{Range: [2]float64{2, 1}}}), "reversed"},
		{"kind", Single("f", Panel{Series: []Series{{Name: "k", X: []float64{1}, Y: []float64{1}}}}), "no Kind"},
		{"unknown kind", Single("f", Panel{Series: []Series{{Name: "k", Kind: "pie"}}}), `unknown series kind "pie"`},
		{"color", Single("f", Panel{Series: []Series{Line("a", nil, nil).WithColor("red")}}), `colour "red"`},
		{"opacity", Single("f", Panel{Series: []Series{Scatter("a", nil, nil).WithOpacity(2)}}), "opacity 2"},
		{"size", Figure{Width: 10, Panels: []Panel{{}}}, "Width 10"},
		{"polygon", Single("f", Panel{Series: []Series{Polygon("p", []float64{0, 1}, []float64{0, 1})}}), "at least 3 points"},
	}
	for _, c := range cases {
		err := c.f.Validate()
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "chart: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not contain %q", c.name, err, c.want)
		}
		// Every renderer refuses the same input.
		if _, err := c.f.PNG(); err == nil {
			t.Errorf("%s: PNG accepted bad input", c.name)
		}
		if _, err := c.f.EChartsOption(); err == nil {
			t.Errorf("%s: EChartsOption accepted bad input", c.name)
		}
	}
	if err := testFigure().Validate(); err != nil {
		t.Fatalf("valid figure rejected: %v", err)
	}
}

func TestNiceRange(t *testing.T) {
	cases := []struct {
		lo, hi float64
		log    bool
		want   [2]float64
	}{
		{0, 1, false, [2]float64{0, 1}},
		{0.31, 1.2, false, [2]float64{0.2, 1.2}},
		{-3.7, 12.1, false, [2]float64{-5, 15}},
		{5, 5, false, [2]float64{4.4, 5.6}},
		{0, 0, false, [2]float64{-0.6, 0.6}},
		// Log axes: bounds from the data (the loss of a training run, 5 to 50 sampling steps), not
		// whole decades of empty space.
		{3, 870, true, [2]float64{3, 1000}},
		{1.2, 3, true, [2]float64{1, 3}},
		{1.23, 2.9, true, [2]float64{1, 3}},
		{5, 50, true, [2]float64{5, 50}},
		{0.013, 0.4, true, [2]float64{0.01, 0.5}},
		{10, 10, true, [2]float64{7, 15}},
	}
	for _, c := range cases {
		got := niceRange(c.lo, c.hi, c.log)
		if math.Abs(got[0]-c.want[0]) > 1e-12 || math.Abs(got[1]-c.want[1]) > 1e-12 {
			t.Errorf("niceRange(%g, %g, %v) = %v, want %v", c.lo, c.hi, c.log, got, c.want)
		}
	}
}

func TestLogTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (logTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		lo, hi float64
		want   []string
	}{
		{1, 3, []string{"1", "2", "3"}},
		{1.5, 3, []string{"1.5", "2", "3"}},
		{5, 50, []string{"10", "20", "5", "50"}},
		{1, 1e6, []string{"1", "10", "100", "1000", "10000", "100000", "1e+06"}},
	} {
		if got := labels(c.lo, c.hi); !slices.Equal(got, c.want) {
			t.Errorf("log ticks of [%g, %g] label %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
}

// TestHeatmapZClip: one spike cell must not set the top of the colour scale when ZClip is set; the
// scale's label says it is capped, and the tooltip still shows the true value.
func TestHeatmapZClip(t *testing.T) {
	const n = 20
	edges := make([]float64, n+1)
	for i := range edges {
		edges[i] = float64(i)
	}
	z := make([][]float64, n)
	for j := range z {
		z[j] = make([]float64, n)
		for i := range z[j] {
			z[j][i] = 1 + float64((i+j)%10)
		}
	}
	z[0][0] = 1000 // the spike
	h := Heatmap("", edges, edges, z)
	h.ZLabel = "density"
	f := Single("spike", Panel{Series: []Series{h}})
	r, err := f.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if r.Panels[0].Heat.Max != 1000 || r.Panels[0].Heat.Capped {
		t.Fatalf("without ZClip the scale is %+v, want the full range to 1000", *r.Panels[0].Heat)
	}
	f.Panels[0].Series[0].ZClip = 0.99
	if r, err = f.resolve(); err != nil {
		t.Fatal(err)
	}
	heat := r.Panels[0].Heat
	if heat.Max != 10 || !heat.Capped || !strings.Contains(heat.Label, "capped at p99") {
		t.Errorf("ZClip 0.99: scale %+v, want the top at 10 (the 99th percentile) and a label saying it is capped", *heat)
	}
	b, err := f.EChartsOption()
	if err != nil {
		t.Fatal(err)
	}
	var opt struct {
		Series []struct {
			Data   [][]float64 `json:"data"`
			Encode struct {
				Tooltip int `json:"tooltip"`
			} `json:"encode"`
		} `json:"series"`
		VisualMap []struct {
			Max       float64
			Dimension int
		} `json:"visualMap"`
	}
	if err := json.Unmarshal(b, &opt); err != nil {
		t.Fatal(err)
	}
	vm, d := opt.VisualMap[0], opt.Series[0].Data[0]
	if vm.Max != 10 || d[vm.Dimension] != 10 || d[opt.Series[0].Encode.Tooltip] != 1000 {
		t.Errorf("interactive chart: scale max %g, spike coloured as %g, tooltip %g; want 10, 10, 1000", vm.Max, d[vm.Dimension], d[opt.Series[0].Encode.Tooltip])
	}
	if _, err := f.PNG(); err != nil {
		t.Fatal(err)
	}
	f.Panels[0].Series[0].ZClip = 1
	if err := f.Validate(); err == nil || !strings.Contains(err.Error(), "ZClip") {
		t.Errorf("ZClip 1: %v", err)
	}
}

func TestShareY(t *testing.T) {
	low := Panel{Title: "a", Series: []Series{Line("m", []float64{1, 2}, []float64{10, 20})}}
	high := Panel{Title: "b", Series: []Series{Line("m", []float64{1, 2}, []float64{40, 70})}}
	fixed := high
	fixed.Y.Range = [2]float64{0, 1000}
	f := Figure{Title: "shared", Panels: []Panel{low, high, fixed}}
	r, err := f.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if r.Panels[0].YR == r.Panels[1].YR {
		t.Fatalf("without ShareY both panels got %v: the test shows nothing", r.Panels[0].YR)
	}
	f.ShareY = true
	if r, err = f.resolve(); err != nil {
		t.Fatal(err)
	}
	if a, b := r.Panels[0].YR, r.Panels[1].YR; a != b || a[0] > 10 || a[1] < 70 {
		t.Errorf("ShareY ranges %v and %v: want one range covering 10–70", a, b)
	}
	if r.Panels[2].YR != fixed.Y.Range {
		t.Errorf("a fixed range became %v", r.Panels[2].YR)
	}
	logPanel := high
	logPanel.Y.Log = true
	f.Panels = []Panel{low, logPanel}
	if err := f.Validate(); err == nil || !strings.Contains(err.Error(), "ShareY") {
		t.Errorf("ShareY over log and linear axes: %v", err)
	}
}

// TestToolboxClearOfTitles: the toolbox icons sit beside the top-right plotting area, below the
// titles and the legend, so a long title never runs under them.
func TestToolboxClearOfTitles(t *testing.T) {
	f := testFigure()
	f.Title = strings.Repeat("a long title that spans the whole width of the figure ", 3)
	b, err := f.EChartsOption()
	if err != nil {
		t.Fatal(err)
	}
	var opt struct {
		Toolbox struct {
			Orient string
			Top    string
			Right  string
		}
	}
	if err := json.Unmarshal(b, &opt); err != nil {
		t.Fatal(err)
	}
	r, _ := f.resolve()
	top, _ := strconv.ParseFloat(opt.Toolbox.Top, 64)
	header := r.Panels[0].Tile.Y
	if opt.Toolbox.Orient != "vertical" || top < header {
		t.Errorf("toolbox %+v starts at y=%g, inside the header (titles and legend end at %g)", opt.Toolbox, top, header)
	}
}

func TestResolveColorsAndLegend(t *testing.T) {
	r, err := testFigure().resolve()
	if err != nil {
		t.Fatal(err)
	}
	// "model" band and line share one colour and one legend entry, shown as a line.
	band, line := r.Panels[0].Series[1], r.Panels[0].Series[2]
	if band.Color != line.Color {
		t.Errorf("band colour %s != line colour %s", band.Color, line.Color)
	}
	var names []string
	for _, e := range r.Legend {
		names = append(names, e.Name)
		if e.Name == "model" && e.Kind != KindLine {
			t.Errorf("legend shows model as %s, want line", e.Kind)
		}
	}
	if got := strings.Join(names, ","); got != "y = x,model,beta,ablation,region,pairs" {
		t.Errorf("legend = %s", got)
	}
	if r.Panels[0].Series[0].Color != Neutral {
		t.Errorf("explicit colour lost: %s", r.Panels[0].Series[0].Color)
	}
	// Heatmap-only axes use the exact edges; mixed panels round outwards.
	if p := r.Panels[2]; p.Heat == nil || p.Heat.Min != 1 || p.Heat.Max != 4 {
		t.Errorf("heat scale = %+v", p.Heat)
	}
	if p := r.Panels[1]; p.YR[0] != 0 {
		t.Errorf("bars panel y range %v does not start at 0", p.YR)
	}
}

func TestEqualAxes(t *testing.T) {
	x := []float64{-1, 1, 0}
	y := []float64{-4, 4, 0}
	f := Figure{Width: 900, Panels: []Panel{{Equal: true, Series: []Series{Scatter("a", x, y)}}, {Equal: true, Series: []Series{Scatter("b", x, y)}}}}
	r, err := f.resolve()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Panels {
		ux := (p.XR[1] - p.XR[0]) / p.Grid.W
		uy := (p.YR[1] - p.YR[0]) / p.Grid.H
		if math.Abs(ux-uy) > 1e-9*ux {
			t.Errorf("units per pixel differ: x %g, y %g", ux, uy)
		}
		if p.XR[0] > -1 || p.XR[1] < 1 || p.YR[0] > -4 || p.YR[1] < 4 {
			t.Errorf("equal ranges %v %v do not contain the data", p.XR, p.YR)
		}
	}
}

func TestPNGSize(t *testing.T) {
	for _, c := range []struct {
		f    Figure
		w, h int
	}{
		{testFigure(), 760, 0},
		{Figure{Width: 400, Height: 300, Panels: []Panel{{Series: []Series{Line("a", []float64{0, 1}, []float64{0, 1})}}}}, 400, 300},
	} {
		b, err := c.f.PNG()
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("PNG does not decode: %v", err)
		}
		r, _ := c.f.resolve()
		if img.Bounds().Dx() != c.w || img.Bounds().Dy() != r.H || (c.h != 0 && r.H != c.h) {
			t.Errorf("PNG is %v, want %d×%d (resolved height %d)", img.Bounds(), c.w, c.h, r.H)
		}
		// Something was drawn: not every pixel is white.
		nonWhite := 0
		for y := 0; y < img.Bounds().Dy(); y += 3 {
			for x := 0; x < img.Bounds().Dx(); x += 3 {
				if r, g, b, _ := img.At(x, y).RGBA(); r < 0xf000 || g < 0xf000 || b < 0xf000 {
					nonWhite++
				}
			}
		}
		if nonWhite < 100 {
			t.Errorf("PNG is almost blank: %d non-white samples", nonWhite)
		}
	}
}

func TestEChartsOption(t *testing.T) {
	b, err := testFigure().EChartsOption()
	if err != nil {
		t.Fatal(err)
	}
	var opt struct {
		Series []struct {
			Name       string      `json:"name"`
			Type       string      `json:"type"`
			Data       [][]float64 `json:"data"`
			RenderItem string      `json:"renderItem"`
			XAxisIndex int         `json:"xAxisIndex"`
			Color      string      `json:"color"`
		} `json:"series"`
		XAxis []struct {
			Min, Max  float64
			Name      string
			GridIndex int `json:"gridIndex"`
		} `json:"xAxis"`
		Grid      []map[string]any `json:"grid"`
		VisualMap []struct {
			Min, Max    float64
			SeriesIndex int `json:"seriesIndex"`
			Dimension   int `json:"dimension"`
		} `json:"visualMap"`
		Legend struct{ Data []string } `json:"legend"`
		Title  []struct{ Text string } `json:"title"`
	}
	if err := json.Unmarshal(b, &opt); err != nil {
		t.Fatalf("option is not JSON: %v\n%s", err, b)
	}
	var kinds []string
	for _, s := range opt.Series {
		k := s.Type
		if s.RenderItem != "" {
			k += "/" + s.RenderItem
		}
		kinds = append(kinds, k)
	}
	want := "line,custom/mixflow:band,line,custom/mixflow:bars,line,custom/mixflow:errorbar,custom/mixflow:heatmap,custom/mixflow:fill,line,scatter"
	if got := strings.Join(kinds, ","); got != want {
		t.Errorf("series = %s\nwant     %s", got, want)
	}
	// Data in → series out.
	band := opt.Series[1]
	if len(band.Data) != 21 || band.Data[20][0] != 1 || math.Abs(band.Data[20][1]-0.6) > 1e-9 || math.Abs(band.Data[20][2]-0.95) > 1e-9 {
		t.Errorf("band data = %v", band.Data)
	}
	if h := opt.Series[6]; len(h.Data) != 4 || h.Data[3][4] != 4 || h.XAxisIndex != 2 {
		t.Errorf("heatmap data = %v (axis %d)", h.Data, h.XAxisIndex)
	}
	if poly := opt.Series[8]; len(poly.Data) != 4 || poly.Data[3][0] != 0 {
		t.Errorf("polygon outline not closed: %v", poly.Data)
	}
	if len(opt.VisualMap) != 1 || opt.VisualMap[0].SeriesIndex != 6 || opt.VisualMap[0].Dimension != 4 || opt.VisualMap[0].Max != 4 {
		t.Errorf("visualMap = %+v", opt.VisualMap)
	}
	if len(opt.XAxis) != 3 || len(opt.Grid) != 3 || opt.XAxis[2].GridIndex != 2 || opt.XAxis[0].Max != 1 || opt.XAxis[0].Name != "t" {
		t.Errorf("axes = %+v, grids = %d", opt.XAxis, len(opt.Grid))
	}
	if strings.Join(opt.Legend.Data, ",") != "y = x,model,beta,ablation,region,pairs" {
		t.Errorf("legend = %v", opt.Legend.Data)
	}
	if len(opt.Title) != 4 || opt.Title[0].Text != "all kinds" || opt.Title[3].Text != "joint" {
		t.Errorf("titles = %+v", opt.Title)
	}
	// Both renderers use the same colours.
	r, _ := testFigure().resolve()
	if opt.Series[2].Color != r.Panels[0].Series[2].Color {
		t.Errorf("line colour %s, PNG uses %s", opt.Series[2].Color, r.Panels[0].Series[2].Color)
	}
}

var (
	imgSrc = regexp.MustCompile(`<img class="mixflow-static" src="data:image/png;base64,([^"]+)"`)
	optTag = regexp.MustCompile(`<script type="application/json" class="mixflow-option">(.*?)</script>`)
)

func TestHTMLHasFallbackAndOption(t *testing.T) {
	f := testFigure()
	f.Title = `a <b>"quoted"</b> title</script>`
	r, err := f.Render(map[string]string{"mixflow-gamma": `0.8"><script>`})
	if err != nil {
		t.Fatal(err)
	}
	m := imgSrc.FindStringSubmatch(r.HTML)
	if m == nil {
		t.Fatal("no fallback <img>")
	}
	raw, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil || !bytes.Equal(raw, r.PNG) {
		t.Fatalf("<img> is not the PNG (%v)", err)
	}
	o := optTag.FindStringSubmatch(r.HTML)
	if o == nil || o[1] != string(r.Option) {
		t.Fatal("option JSON missing from the HTML")
	}
	if !json.Valid([]byte(o[1])) {
		t.Fatal("embedded option is not valid JSON")
	}
	if strings.Count(r.HTML, "</script>") != 2 {
		t.Errorf("the title or attributes closed a script element:\n%s", r.HTML[:300])
	}
	if !strings.Contains(r.HTML, `data-mixflow-gamma="0.8&#34;&gt;&lt;script&gt;"`) {
		t.Errorf("attribute not escaped")
	}
	if !strings.Contains(r.HTML, `"kernelspecs/`+assets.KernelName()+`/echarts.min.js"`) {
		t.Errorf("loader does not load echarts from the kernelspec URL")
	}
	if _, err := f.Render(map[string]string{"Bad Name": "x"}); err == nil {
		t.Error("bad attribute name accepted")
	}
}

func TestDisplayStoresPNGOnce(t *testing.T) {
	var got []nb.Output
	nb.SetSink(func(id string, o nb.Output) { got = append(got, o) })
	defer nb.SetSink(nil)
	if err := testFigure().Display(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !strings.Contains(got[0].HTML, "data:image/png;base64,") || len(got[0].PNG) != 0 || !strings.Contains(got[0].HTML, "trust the notebook") || !strings.HasPrefix(got[0].Text, "Figure") {
		t.Fatalf("Display sent %d outputs: %+v", len(got), got)
	}
	bad := Single("broken", Panel{Series: []Series{Line("a", []float64{1}, []float64{math.NaN()})}})
	if err := bad.Display(); err == nil {
		t.Fatal("Display accepted NaN")
	}
	if len(got) != 2 || !strings.Contains(got[1].HTML, "mixflow-error") || !strings.Contains(got[1].Text, "NaN") {
		t.Errorf("error not shown in the cell: %+v", got[1])
	}
}

func TestLiveThrottles(t *testing.T) {
	type upd struct {
		id   string
		html string
	}
	var got []upd
	nb.SetSink(func(id string, o nb.Output) { got = append(got, upd{id, o.HTML}) })
	defer nb.SetSink(nil)
	now := time.Unix(0, 0)
	l := NewLive()
	l.now = func() time.Time { return now }
	fig := func(v float64) Figure {
		return Single("loss", Panel{Series: []Series{Line("loss", []float64{0, 1}, []float64{1, v})}})
	}
	for i := 0; i < 10; i++ {
		if err := l.Update(fig(float64(i))); err != nil {
			t.Fatal(err)
		}
		now = now.Add(300 * time.Millisecond)
	}
	// t = 0 draws; then every ≥ 1 s: 1.2 s, 2.4 s => 3 draws for 10 updates over 2.7 s.
	if l.Draws() != 3 {
		t.Errorf("draws = %d, want 3", l.Draws())
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if l.Draws() != 4 || len(got) != 4 {
		t.Fatalf("after Flush: draws = %d, outputs = %d", l.Draws(), len(got))
	}
	for _, u := range got {
		if u.id != l.DisplayID() {
			t.Errorf("update went to %q, want the one display id %q", u.id, l.DisplayID())
		}
	}
	if !strings.Contains(got[3].html, `[1,9]`) {
		t.Errorf("flush did not draw the latest figure")
	}
	if err := l.Flush(); err != nil || l.Draws() != 4 {
		t.Errorf("second Flush redrew: %d", l.Draws())
	}
	if err := l.Update(Single("x", Panel{Series: []Series{Line("a", []float64{1}, []float64{math.NaN()})}})); err == nil {
		t.Error("Live accepted NaN")
	}
}

func TestSaveFiles(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "mixflow", assets.EChartsFile)
	if err := os.MkdirAll(filepath.Dir(js), 0o755); err != nil {
		t.Fatal(err)
	}
	fake := "/*fake echarts*/window.echarts={init:function(){}};" + strings.Repeat(" ", 1000)
	if err := os.WriteFile(js, []byte(fake), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(assets.EnvVar, js)
	f := testFigure()
	if err := f.Save(filepath.Join(dir, "f.png")); err != nil {
		t.Fatal(err)
	}
	if err := f.Save(filepath.Join(dir, "f.html")); err != nil {
		t.Fatal(err)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "f.html"))
	if !strings.Contains(string(page), "/*fake echarts*/") || !strings.Contains(string(page), "mixflow-static") {
		t.Error("standalone HTML does not inline echarts or lacks the fallback image")
	}
	t.Setenv(assets.EnvVar, filepath.Join(dir, "missing.js"))
	s, err := f.StandaloneHTML()
	if err != nil || !strings.Contains(s, "Static image") {
		t.Errorf("without echarts: %v", err)
	}
	if err := f.Save(filepath.Join(dir, "f.svg")); err == nil || !strings.Contains(err.Error(), "unknown extension") {
		t.Errorf("Save(.svg) = %v", err)
	}
}

// TestLoaderSyntax checks the page script parses, with node when it is installed.
func TestLoaderSyntax(t *testing.T) {
	jscheck.Parse(t, "loader.js", loaderJS+"('x','y');", "the browser test")
}

func TestThinOption(t *testing.T) {
	var xs, ys []float64
	for i := 0; i < 5000; i++ {
		xs = append(xs, float64(i))
		ys = append(ys, 2+math.Sin(float64(i))/3+float64(i%97)/1000)
	}
	ys[1234] = 9 // one spike must survive the thinning
	fig := Single("thin", Panel{Series: []Series{Line("loss", xs, ys), Scatter("pts", xs[:3000], ys[:3000])}})
	raw, err := fig.EChartsOption()
	if err != nil {
		t.Fatal(err)
	}
	var opt struct {
		Series []struct {
			Type string       `json:"type"`
			Data [][2]float64 `json:"data"`
		} `json:"series"`
		YAxis []struct {
			Min, Max float64
		} `json:"yAxis"`
	}
	if err := json.Unmarshal(raw, &opt); err != nil {
		t.Fatal(err)
	}
	line, pts := opt.Series[0].Data, opt.Series[1].Data
	if len(line) > 2*lineBuckets+1 || len(line) < lineBuckets {
		t.Errorf("a 5000-point line keeps %d points, want about %d", len(line), 2*lineBuckets)
	}
	hasSpike, last := false, line[len(line)-1]
	for _, p := range line {
		hasSpike = hasSpike || p == [2]float64{1234, 9}
	}
	if !hasSpike || last[0] != 4999 {
		t.Errorf("thinned line lost the spike (%v) or its end (%v)", hasSpike, last)
	}
	if len(pts) != maxScatter {
		t.Errorf("scatter keeps %d of 3000 points, want %d", len(pts), maxScatter)
	}
	step := (opt.YAxis[0].Max - opt.YAxis[0].Min) / axisSteps
	for i, p := range pts[:50] {
		j := i * 3000 / maxScatter
		if d := math.Abs(p[1] - ys[j]); p[0] != xs[j] || d > step {
			t.Errorf("point %d = %v, want (%g, %g ± %g)", i, p, xs[j], ys[j], step)
		}
	}
	// Thinning what is already thin changes nothing; garbage is an error.
	again, err := ThinOption(raw)
	if err != nil || string(again) != string(raw) {
		t.Errorf("ThinOption is not idempotent (%v)", err)
	}
	if _, err := ThinOption([]byte("[1")); err == nil {
		t.Error("ThinOption accepted garbage")
	}
}
