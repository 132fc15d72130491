package t2iexp

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets/captions"
	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/mixflowlib/experiment/expview"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/widgets/chart"
	"github.com/mixflow/mixflow/widgets/figures"
	"github.com/mixflow/mixflow/widgets/grid"
	"github.com/mixflow/mixflow/widgets/table"
)

// Rate is a match rate measured on N images (pooled over seeds) with its binomial standard error
// sqrt(p(1−p)/N), the sampling noise of a fraction of N independent images.
type Rate struct {
	// P is the mean over seeds of the per-seed rates (equal to the pooled rate: seeds have equal N).
	P float64
	// SE is the binomial standard error of P.
	SE float64
	// N is the number of images behind P.
	N int
}

// String formats the rate in percent, e.g. "42.6 ± 2.2".
func (r Rate) String() string { return fmt.Sprintf("%.1f ± %.1f", 100*r.P, 100*r.SE) }

// RateOf returns the rate of metric for run and sampler setting s in cmp, with n images per seed, and
// false if cmp has no such cell.
func RateOf(cmp *imageexp.Comparison, run string, s imageexp.SamplerSpec, metric string) (Rate, bool) {
	cell, ok := cmp.Cell(run, s, metric)
	if !ok {
		return Rate{}, false
	}
	n := cell.Summary.N * nImages(cmp)
	p := cell.Summary.Estimate
	return Rate{P: p, SE: math.Sqrt(max(p*(1-p), 0) / float64(max(n, 1))), N: n}, true
}

// nImages is the number of images per (setting, seed) of a comparison.
func nImages(cmp *imageexp.Comparison) int {
	if len(cmp.Results) == 0 {
		return 0
	}
	return cmp.Results[0].Spec.N
}

// settingLabel names a sampler setting for tables, e.g. "10 steps" or "40 steps, CFG 3".
func settingLabel(s imageexp.SamplerSpec) string {
	l := fmt.Sprintf("%d steps", s.Steps)
	if s.Method != imageexp.MethodEuler {
		l = s.Method + " " + l
	}
	if s.Guided() {
		l += fmt.Sprintf(", CFG %g", s.CFG)
	}
	return l
}

// ScoreTable returns the GenEval-like table of a comparison: one row per (sampler setting, run), one
// column per metric (in percent, ± the binomial standard error over all images of the setting), the
// best run of each setting in bold.
func ScoreTable(cmp *imageexp.Comparison, title string) (*table.Table, error) {
	headers := []string{"sampling", "model"}
	for _, m := range Metrics {
		headers = append(headers, m+" %")
	}
	t := table.New(headers...)
	t.Title = title
	t.Precision = 1
	for _, s := range cmp.Samplers {
		for _, run := range cmp.Runs {
			row := []any{settingLabel(s), run}
			for _, m := range Metrics {
				r, ok := RateOf(cmp, run, s, m)
				if !ok {
					return nil, fmt.Errorf("t2iexp: no %s score for %s at %s", m, run, s.Label())
				}
				row = append(row, table.PM{Mean: 100 * r.P, Err: 100 * r.SE})
			}
			if err := t.Add(row...); err != nil {
				return nil, err
			}
		}
	}
	return t, nil
}

// Diff is the difference of a metric between two runs on the same captions and noise, in percent points,
// with the standard error of the difference of two independent binomial rates (conservative: the shared
// captions and noise make the true error smaller).
type Diff struct {
	D, SE float64
}

// String formats the difference in percent points, e.g. "+3.1 ± 2.9".
func (d Diff) String() string { return fmt.Sprintf("%+.1f ± %.1f", 100*d.D, 100*d.SE) }

// DiffOf returns metric(a) − metric(b) at setting s.
func DiffOf(cmp *imageexp.Comparison, a, b string, s imageexp.SamplerSpec, metric string) (Diff, bool) {
	ra, okA := RateOf(cmp, a, s, metric)
	rb, okB := RateOf(cmp, b, s, metric)
	if !okA || !okB {
		return Diff{}, false
	}
	return Diff{D: ra.P - rb.P, SE: math.Hypot(ra.SE, rb.SE)}, true
}

// DiffTable returns, per sampler setting, metric(a) − metric(b) in percent points ± its standard error.
func DiffTable(cmp *imageexp.Comparison, a, b, title string) (*table.Table, error) {
	headers := []string{"sampling"}
	for _, m := range Metrics {
		headers = append(headers, m)
	}
	t := table.New(headers...)
	t.Title = title
	for _, s := range cmp.Samplers {
		row := []any{settingLabel(s)}
		for _, m := range Metrics {
			d, ok := DiffOf(cmp, a, b, s, m)
			if !ok {
				return nil, fmt.Errorf("t2iexp: no %s score for %s or %s at %s", m, a, b, s.Label())
			}
			row = append(row, d.String())
		}
		if err := t.Add(row...); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// FormatComparison renders the score table of cmp (and, with at least two runs, the difference of the
// last run to the second-to-last) as Markdown text for terminals and logs.
func FormatComparison(cmp *imageexp.Comparison) string {
	var b strings.Builder
	t, err := ScoreTable(cmp, fmt.Sprintf("Attribute scores (%d images per setting and seed, %d seeds)", nImages(cmp), len(cmp.Results[0].Spec.Seeds)))
	if err != nil {
		return err.Error() + "\n"
	}
	b.WriteString(t.Markdown())
	if n := len(cmp.Runs); n >= 2 {
		a, c := cmp.Runs[n-1], cmp.Runs[n-2]
		d, err := DiffTable(cmp, a, c, fmt.Sprintf("%s − %s (percent points)", a, c))
		if err != nil {
			return b.String() + err.Error() + "\n"
		}
		b.WriteString("\n")
		b.WriteString(d.Markdown())
	}
	return b.String()
}

// LossFigure draws the training loss of runs against their own step counter (smoothed), e.g. the base
// run, or the two post-trainings together (their losses are different objectives: compare shapes, not
// levels).
func LossFigure(title string, runs ...*imageexp.Run) (chart.Figure, error) {
	return expview.RunsLoss("t2iexp: loss figure", runs, false, figures.LossOptions{Title: title, Smooth: 0.8})
}

// ExamplesGrid shows n training examples of data (a "captions" DataSpec) with their captions listed under
// the grid by number.
func ExamplesGrid(data imageexp.DataSpec, n, cols int) (*grid.Grid, []string, error) {
	d, err := data.Load()
	if err != nil {
		return nil, nil, err
	}
	src, ok := d.Train.(*captions.Source)
	if !ok {
		return nil, nil, fmt.Errorf("t2iexp: examples grid: data %s is not captioned shapes", d.Name)
	}
	ex, err := src.Examples(0, n)
	if err != nil {
		return nil, nil, err
	}
	b, err := src.ToBatch(ex)
	if err != nil {
		return nil, nil, err
	}
	texts := make([]string, n)
	labels := make([]string, n)
	for i, e := range ex {
		labels[i] = fmt.Sprint(i + 1)
		texts[i] = fmt.Sprintf("%d. %s", i+1, e.Caption)
	}
	g, err := gridOf(b.X, grid.Options{Title: "Training examples (captions below)", Cols: cols, Captions: labels, Scale: 3})
	return g, texts, err
}

func gridOf(x *tensors.Tensor, o grid.Options) (*grid.Grid, error) {
	flat, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		return nil, err
	}
	d := x.Shape().Dimensions
	return grid.FromFloats(flat, d[0], d[1], d[2], d[3], o)
}

// Verdicts returns, for each generated image, "OK" when captions.Analyze reads back exactly what its
// caption asks for, "no object" when it finds none, and otherwise what it found for each wrong attribute
// (e.g. "n=3 circle @top": three objects, circles, at the top). Plain ASCII, so that every grid font has
// the glyphs.
func Verdicts(x, tokens *tensors.Tensor) ([]string, error) {
	want, err := AttributesOf(tokens)
	if err != nil {
		return nil, err
	}
	d := x.Shape().Dimensions
	if len(d) != 4 || d[0] != len(want) || d[1] != d[2] || d[3] != 3 {
		return nil, fmt.Errorf("t2iexp: verdicts: images %s for %d captions", x.Shape(), len(want))
	}
	flat, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		return nil, err
	}
	size, per := d[1], d[1]*d[2]*3
	px := make([]uint8, per)
	out := make([]string, len(want))
	for k, w := range want {
		for i, v := range flat[k*per : (k+1)*per] {
			px[i] = images.Denormalize(v)
		}
		got, err := captions.Analyze(px, size)
		switch {
		case err != nil:
			out[k] = "no object"
		case got == w:
			out[k] = "OK"
		default:
			var v []string
			if got.Count != w.Count {
				v = append(v, fmt.Sprintf("n=%d", got.Count))
			}
			if got.Shape != w.Shape {
				v = append(v, got.Shape.String())
			}
			if got.Color != w.Color {
				v = append(v, got.Color.String())
			}
			if got.Position != w.Position {
				p := got.Position.String()
				for _, prefix := range []string{"at the ", "on the ", "in the "} {
					p = strings.TrimPrefix(p, prefix)
				}
				v = append(v, "@"+strings.ReplaceAll(p, " ", "-"))
			}
			out[k] = strings.Join(v, " ")
		}
	}
	return out, nil
}

// SamplesGrid generates the first n evaluation captions of seed with every run and sampler setting
// (same noise, same captions) and lays them out with one row per (run, setting) and one column per
// caption; each image's caption is its verdict (see Verdicts). It returns the grid and the numbered
// captions of the columns.
func SamplesGrid(lab *imageexp.Lab, runs []*imageexp.Run, settings []imageexp.SamplerSpec, n int, seed uint64) (*grid.Grid, []string, error) {
	var all []float32
	var rows, verdicts []string
	var texts []string
	var size int
	for _, s := range settings {
		for _, r := range runs {
			smp, err := lab.Generate(r, s, n, seed, true)
			if err != nil {
				return nil, nil, err
			}
			v, err := Verdicts(smp.Images, smp.Cond.Tokens)
			if err != nil {
				return nil, nil, err
			}
			flat, err := tensors.CopyFlatData[float32](smp.Images)
			if err != nil {
				return nil, nil, err
			}
			if texts == nil {
				tok, _ := parser()
				caps, err := tok.DecodeBatch(smp.Cond.Tokens)
				if err != nil {
					return nil, nil, err
				}
				for i, c := range caps {
					texts = append(texts, fmt.Sprintf("%d. %s", i+1, c))
				}
				size = smp.Images.Shape().Dimensions[1]
			}
			all = append(all, flat...)
			verdicts = append(verdicts, v...)
			rows = append(rows, fmt.Sprintf("%s · %s", r.Label, settingLabel(s)))
		}
	}
	cols := make([]string, n)
	for i := range cols {
		cols[i] = fmt.Sprint(i + 1)
	}
	g, err := grid.FromFloats(all, len(rows)*n, size, size, 3, grid.Options{Cols: n, Captions: verdicts, RowLabels: rows,
		ColLabels: cols, Scale: 3, Title: fmt.Sprintf("Same captions and noise (seed %d). OK: every attribute read back right; else what was read instead", seed)})
	return g, texts, err
}

// StepsFigure draws metric (in percent, ± binomial standard error) against the number of sampling steps
// for every run: one panel without guidance and one per guidance scale.
func StepsFigure(cmp *imageexp.Comparison, metric string) (chart.Figure, error) {
	var scales []float64
	for _, s := range cmp.Samplers {
		if !slices.Contains(scales, s.CFG) {
			scales = append(scales, s.CFG)
		}
	}
	f := chart.Figure{Title: fmt.Sprintf("Attribute score %q vs Euler steps (± binomial standard error)", metric),
		Cols: len(scales), Width: 380 * len(scales), ShareY: true}
	for _, scale := range scales {
		var ms []figures.MetricSeries
		for _, run := range cmp.Runs {
			m := figures.MetricSeries{Name: run}
			for _, s := range cmp.Samplers {
				if s.CFG != scale {
					continue
				}
				r, ok := RateOf(cmp, run, s, metric)
				if !ok {
					return chart.Figure{}, fmt.Errorf("t2iexp: no %s score for %s at %s", metric, run, s.Label())
				}
				m.Steps = append(m.Steps, float64(s.Steps))
				m.Value = append(m.Value, 100*r.P)
				m.Err = append(m.Err, 100*r.SE)
			}
			ms = append(ms, m)
		}
		title := "no guidance"
		if scale != 0 && scale != 1 {
			title = fmt.Sprintf("CFG %g", scale)
		}
		one, err := figures.MetricVsSteps(ms, figures.StepsOptions{Metric: metric + " (% of images)", StepsLabel: "Euler steps"})
		if err != nil {
			return chart.Figure{}, err
		}
		p := one.Panels[0]
		p.Title = title
		f.Panels = append(f.Panels, p)
	}
	if err := f.Validate(); err != nil {
		return chart.Figure{}, err
	}
	return f, nil
}
