// Package imageview shows the results of package imageexp with the project's widgets: results tables of
// a metric against sampling steps (the analogue of the MixFlow paper's Table 4) with the noise floor,
// paired-difference tables, metric-vs-steps charts with error bars, loss curves, and image grids of
// several models' samples from the same noise and labels side by side. Progress bars and Slow Flow
// figures are the experiment core's (experiment/expview: expview.NewProgress, expview.SlowFlow), whose
// types imageexp shares.
//
// Figures are chart.Figure values, tables table.Table values and grids grid.Grid values: Display them
// in a notebook, or render them to Markdown/PNG elsewhere (the mixflow-images command does).
package imageview

import (
	"errors"
	"fmt"
	"sort"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/mixflowlib/experiment/expview"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
	"github.com/mixflow/mixflow/widgets/chart"
	"github.com/mixflow/mixflow/widgets/figures"
	"github.com/mixflow/mixflow/widgets/grid"
	"github.com/mixflow/mixflow/widgets/table"
)

// metricInfo holds the readable name and the direction of every imageexp metric, for MetricLabel and Goal.
var metricInfo = map[string]struct {
	name string
	goal table.Goal
}{
	imageexp.MetricFID:       {"FID", table.Lower},
	imageexp.MetricPrecision: {"precision", table.Higher},
	imageexp.MetricRecall:    {"recall", table.Higher},
	imageexp.MetricAccuracy:  {"class accuracy", table.Higher},
	imageexp.MetricIS:        {"IS", table.Higher},
}

// MetricLabel returns a readable name of an imageexp metric with its direction, e.g. "FID ↓" (unknown
// metrics as they are).
func MetricLabel(metric string) string {
	m, ok := metricInfo[metric]
	if !ok {
		return metric
	}
	if m.goal == table.Higher {
		return m.name + " ↑"
	}
	return m.name + " ↓"
}

// Goal returns whether lower or higher values of metric are better (lower for unknown metrics).
func Goal(metric string) table.Goal {
	if m, ok := metricInfo[metric]; ok {
		return m.goal
	}
	return table.Lower
}

// families groups the samplers of a comparison by Family, in order of first appearance, and returns the
// sorted union of their step counts.
func families(samplers []imageexp.SamplerSpec) (names []string, steps []int) {
	seenF, seenS := map[string]bool{}, map[int]bool{}
	for _, s := range samplers {
		if f := s.Family(); !seenF[f] {
			seenF[f] = true
			names = append(names, f)
		}
		if !seenS[s.Steps] {
			seenS[s.Steps] = true
			steps = append(steps, s.Steps)
		}
	}
	sort.Ints(steps)
	return names, steps
}

func cellFor(cmp *imageexp.Comparison, run, family string, steps int, metric string) (imageexp.Cell, bool) {
	for _, c := range cmp.Cells {
		if c.Run == run && c.Metric == metric && c.Sampler.Steps == steps && c.Sampler.Family() == family {
			return c, true
		}
	}
	return imageexp.Cell{}, false
}

// StepsTable returns the table of metric for every model (rows, grouped by sampler family: without and
// with guidance) and number of sampling steps (columns): mean ± standard deviation over the evaluation
// seeds, the best model of each column and family in bold. When the comparison has a noise floor, a row
// "real data" gives it (the same in every column: it does not depend on sampling).
func StepsTable(cmp *imageexp.Comparison, metric string) (*table.Table, error) {
	if cmp == nil || len(cmp.Cells) == 0 {
		return nil, errors.New("imageview: steps table: empty comparison")
	}
	fams, steps := families(cmp.Samplers)
	headers := []string{"model", "sampler"}
	for _, n := range steps {
		headers = append(headers, fmt.Sprintf("%d steps", n))
	}
	seeds := len(cmp.Results[0].Spec.Seeds)
	t := table.New(headers...)
	t.Title = fmt.Sprintf("%s vs sampling steps (%d images per setting; mean ± std over %d seeds)",
		MetricLabel(metric), cmp.Results[0].Spec.N, seeds)
	if seeds == 1 {
		t.Title = fmt.Sprintf("%s vs sampling steps (%d images per setting, one seed)", MetricLabel(metric), cmp.Results[0].Spec.N)
	}
	t.Precision = precision(metric)
	for _, f := range fams {
		for _, run := range cmp.Runs {
			row := []any{run, f}
			for _, n := range steps {
				if c, ok := cellFor(cmp, run, f, n, metric); ok {
					row = append(row, pm(c.Summary))
				} else {
					row = append(row, "–")
				}
			}
			if err := t.Add(row...); err != nil {
				return nil, err
			}
		}
	}
	if fs, ok := cmp.FloorSummary(metric); ok {
		row := []any{imageexp.FloorRun + " (noise floor)", "–"}
		for range steps {
			row = append(row, pm(fs))
		}
		if err := t.Add(row...); err != nil {
			return nil, err
		}
	}
	if len(fams) == 1 {
		for i := range steps {
			_ = t.Best(2+i, Goal(metric))
		}
	}
	return t, nil
}

// DiffTable returns, for every post-trained model and sampler setting, the paired difference of metric to
// the reference model (the comparison's first run) over seeds that share noise and labels: mean and
// standard deviation of the per-seed differences and how many seeds favour the model.
func DiffTable(cmp *imageexp.Comparison, metric string) (*table.Table, error) {
	if cmp == nil || len(cmp.Runs) < 2 {
		return nil, errors.New("imageview: diff table: need at least two runs")
	}
	t := table.New("model", "sampler", "Δ "+MetricLabel(metric)+" vs "+cmp.Runs[0], "std of Δ", "seeds")
	t.Title = fmt.Sprintf("Paired differences to %s (same noise and labels per seed)", cmp.Runs[0])
	t.Precision = precision(metric)
	for _, run := range cmp.Runs[1:] {
		for _, s := range cmp.Samplers {
			c, ok := cmp.Cell(run, s, metric)
			if !ok || c.Diff == nil {
				continue
			}
			if err := t.Add(run, s.Label(), c.Diff.Estimate, c.Diff.Std, c.Diff.N); err != nil {
				return nil, err
			}
		}
	}
	return t, nil
}

// RunsTable returns the runs of a comparison or workflow: objective, steps, parameters, training time and
// final loss.
func RunsTable(runs []*imageexp.Run) (*table.Table, error) {
	t := table.New("model", "kind", "objective", "train steps", "parameters", "train time (s)", "final loss")
	t.Precision = 4
	for _, r := range runs {
		if r == nil || r.Base == nil {
			return nil, errors.New("imageview: runs table: nil run")
		}
		obj, steps := r.Base.Objective, r.Base.Train.Steps
		if r.Post != nil {
			obj, steps = r.Post.Objective, r.Post.Train.Steps
		}
		name := obj.Kind
		if obj.Kind == imageexp.KindMixFlow {
			name = fmt.Sprintf("mixflow γ=%g t~%s", obj.Gamma, obj.Times)
		} else {
			name = fmt.Sprintf("fm t~%s", obj.Times)
		}
		if obj.LabelDropout > 0 {
			name += fmt.Sprintf(", label dropout %g", obj.LabelDropout)
		}
		if err := t.Add(r.Label, r.Kind, name, steps, r.NumParams, fmt.Sprintf("%.0f", r.TrainSeconds), r.FinalLoss); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// pm returns the table cell of a summary: mean ± std over seeds, or the bare value for one seed.
func pm(s metrics.Summary) any {
	if s.N <= 1 {
		return s.Estimate
	}
	return table.PM{Mean: s.Estimate, Err: s.Std}
}

func precision(metric string) int {
	if metric == imageexp.MetricFID || metric == imageexp.MetricIS {
		return 2
	}
	return 3
}

// MetricVsSteps draws metric against the number of sampling steps, one panel per sampler family
// (e.g. without and with guidance, side by side) and one series per model, with error bars of ± one
// standard deviation over seeds. The noise floor, when there is one, is given in the subtitle rather
// than drawn: it is usually far below the models and would flatten their differences.
func MetricVsSteps(cmp *imageexp.Comparison, metric, title string) (chart.Figure, error) {
	if cmp == nil || len(cmp.Cells) == 0 {
		return chart.Figure{}, errors.New("imageview: metric vs steps: empty comparison")
	}
	fams, steps := families(cmp.Samplers)
	if title == "" {
		title = MetricLabel(metric) + " vs sampling steps"
	}
	out := chart.Figure{Title: title, Cols: min(len(fams), 3)}
	if fs, ok := cmp.FloorSummary(metric); ok {
		out.Subtitle = fmt.Sprintf("error bars: ± 1 std over %d seeds; real data (noise floor): %.3g ± %.2g",
			len(cmp.Results[0].Spec.Seeds), fs.Estimate, fs.Std)
	}
	for _, f := range fams {
		var ms []figures.MetricSeries
		for _, run := range cmp.Runs {
			s := figures.MetricSeries{Name: run}
			for _, n := range steps {
				if c, ok := cellFor(cmp, run, f, n, metric); ok {
					s.Steps = append(s.Steps, float64(n))
					s.Value = append(s.Value, c.Summary.Estimate)
					s.Err = append(s.Err, c.Summary.Std)
				}
			}
			if len(s.Steps) > 0 {
				ms = append(ms, s)
			}
		}
		fig, err := figures.MetricVsSteps(ms, figures.StepsOptions{Title: f, Metric: MetricLabel(metric), LogX: true})
		if err != nil {
			return chart.Figure{}, fmt.Errorf("imageview: metric vs steps, %s: %w", f, err)
		}
		p := fig.Panels[0]
		p.Title = f
		out.Panels = append(out.Panels, p)
	}
	rows := (len(out.Panels) + out.Cols - 1) / out.Cols
	out.Width, out.Height = max(520, 460*out.Cols), 160+380*rows
	return out, out.Validate()
}

// Loss draws the training loss of runs (their History) on a log scale, smoothed. Auxiliary loss terms are
// drawn too, named "<run>: <term>".
func Loss(title string, runs ...*imageexp.Run) (chart.Figure, error) {
	return expview.RunsLoss("imageview: loss", runs, true, figures.LossOptions{Title: title, LogY: true, Smooth: 0.8})
}

// SideBySide lays out the first cols images of each sample set as one row per set (labelled with the
// set's run and sampler), so that samples of several models generated from the same seed (same noise
// and labels) line up in columns; columns are labelled with classNames[label] when the samples carry
// class labels and classNames is given.
func SideBySide(sets []*imageexp.Samples, cols int, classNames []string, title string) (*grid.Grid, error) {
	if len(sets) == 0 {
		return nil, errors.New("imageview: side by side: no sample sets")
	}
	if cols < 1 {
		return nil, fmt.Errorf("imageview: side by side: cols %d < 1", cols)
	}
	dims := sets[0].Images.Shape().Dimensions
	if len(dims) != 4 {
		return nil, fmt.Errorf("imageview: side by side: images have shape %v, want [N, H, W, C]", dims)
	}
	h, w, c := dims[1], dims[2], dims[3]
	per := h * w * c
	var data []float32
	var rows []string
	for _, s := range sets {
		d := s.Images.Shape().Dimensions
		if len(d) != 4 || d[1] != h || d[2] != w || d[3] != c || d[0] < cols {
			return nil, fmt.Errorf("imageview: side by side: set %q has shape %v, want at least %d images of %d×%d×%d",
				s.Run, d, cols, h, w, c)
		}
		flat, err := copyFloats(s)
		if err != nil {
			return nil, err
		}
		data = append(data, flat[:cols*per]...)
		rows = append(rows, s.Run+"\n"+s.Sampler.Label())
	}
	opt := grid.Options{Title: title, Cols: cols, RowLabels: rows}
	if labels := sets[0].Labels(); labels != nil && classNames != nil {
		for _, l := range labels[:cols] {
			name := "?"
			if l >= 0 && int(l) < len(classNames) {
				name = classNames[l]
			}
			opt.ColLabels = append(opt.ColLabels, name)
		}
	}
	return grid.FromFloats(data, len(sets)*cols, h, w, c, opt)
}

func copyFloats(s *imageexp.Samples) ([]float32, error) {
	flat, err := tensors.CopyFlatData[float32](s.Images)
	if err != nil {
		return nil, fmt.Errorf("imageview: samples of %q: %w", s.Run, err)
	}
	return flat, nil
}
