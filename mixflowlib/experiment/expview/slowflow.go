package expview

import (
	"errors"
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/widgets/chart"
	"github.com/mixflow/mixflow/widgets/figures"
	"github.com/mixflow/mixflow/widgets/table"
)

// SlowFlow draws the Slow Flow bands of several runs measured with the same number of sampling steps
// (the paper's Fig. 1): mean slowed timestep, 5–95 % band (the spec's quantiles) and min–max envelope
// against the sampling timestep. gamma > 0 adds MixFlow's lower edge m = (1−γ)t.
func SlowFlow(results []*experiment.SlowFlowResult, steps int, gamma float64, title string) (chart.Figure, error) {
	if len(results) == 0 {
		return chart.Figure{}, errors.New("expview: slow flow: no results")
	}
	var bands []figures.Band
	var q [2]float64
	for _, r := range results {
		res := r.ForSteps(steps)
		if res == nil {
			return chart.Figure{}, fmt.Errorf("expview: slow flow: run %q has no measurement with %d steps", r.Run, steps)
		}
		q = res.Quantiles
		t, mean, lo, hi, mn, mx := res.Series()
		bands = append(bands, figures.Band{Name: r.Run, X: t, Mean: mean, Lo: lo, Hi: hi, Min: mn, Max: mx})
	}
	if title == "" {
		title = fmt.Sprintf("Slow Flow, %s, %s %d steps", results[0].Spec.Protocol, results[0].Spec.Method, steps)
	}
	return figures.SlowFlow(bands, figures.SlowFlowOptions{
		Title: title, Gamma: gamma, BandLabel: fmt.Sprintf("%g–%g %% quantiles", 100*q[0], 100*q[1]),
	})
}

// SlowFlowPanels lays out SlowFlow figures for several step counts side by side (cols per row), one
// panel per step count.
func SlowFlowPanels(results []*experiment.SlowFlowResult, steps []int, gamma float64, title string, cols int) (chart.Figure, error) {
	var out chart.Figure
	for _, n := range steps {
		f, err := SlowFlow(results, n, gamma, "")
		if err != nil {
			return chart.Figure{}, err
		}
		p := f.Panels[0]
		p.Title = fmt.Sprintf("%s, %d steps", results[0].Spec.Method, n)
		out.Panels = append(out.Panels, p)
		out.Subtitle = f.Subtitle
	}
	out.Title, out.Cols = title, cols
	if out.Title == "" {
		out.Title = fmt.Sprintf("Slow Flow (%s protocol)", results[0].Spec.Protocol)
	}
	rows := (len(out.Panels) + max(cols, 1) - 1) / max(cols, 1)
	out.Width, out.Height = 380*min(max(cols, 1), len(out.Panels)), 120+380*rows
	return out, out.Validate()
}

// SlowFlowByRun draws one Slow Flow panel per run (the paper's Fig. 1 (a) and (b) side by side), all
// measured with the same number of sampling steps; reference (e.g. the oracle's measurement, may be nil)
// adds its mean slowed timestep to every panel as a line, so each model is read against the exact
// velocity under the same protocol. gamma > 0 draws MixFlow's lower edge m = (1−γ)t.
func SlowFlowByRun(results []*experiment.SlowFlowResult, reference *experiment.SlowFlowResult, steps int, gamma float64, title string, cols int) (chart.Figure, error) {
	if len(results) == 0 {
		return chart.Figure{}, errors.New("expview: slow flow by run: no results")
	}
	var out chart.Figure
	for _, r := range results {
		res := r.ForSteps(steps)
		if res == nil {
			return chart.Figure{}, fmt.Errorf("expview: slow flow by run: run %q has no measurement with %d steps", r.Run, steps)
		}
		t, mean, lo, hi, mn, mx := res.Series()
		bands := []figures.Band{{Name: r.Run, X: t, Mean: mean, Lo: lo, Hi: hi, Min: mn, Max: mx}}
		if reference != nil && reference != r {
			ref := reference.ForSteps(steps)
			if ref == nil {
				return chart.Figure{}, fmt.Errorf("expview: slow flow by run: reference %q has no measurement with %d steps", reference.Run, steps)
			}
			rt, rmean, _, _, _, _ := ref.Series()
			bands = append(bands, figures.Band{Name: reference.Run + " (mean)", X: rt, Mean: rmean})
		}
		f, err := figures.SlowFlow(bands, figures.SlowFlowOptions{Gamma: gamma,
			BandLabel: fmt.Sprintf("%g–%g %% quantiles", 100*res.Quantiles[0], 100*res.Quantiles[1])})
		if err != nil {
			return chart.Figure{}, err
		}
		p := f.Panels[0]
		p.Title = r.Run
		out.Panels = append(out.Panels, p)
		out.Subtitle = f.Subtitle
	}
	out.Title, out.Cols = title, cols
	if out.Title == "" {
		out.Title = fmt.Sprintf("Slow Flow (%s protocol, %s %d steps)", results[0].Spec.Protocol, results[0].Spec.Method, steps)
	}
	c := max(cols, 1)
	rows := (len(out.Panels) + c - 1) / c
	out.Width, out.Height = 380*min(c, len(out.Panels)), 120+380*rows
	return out, out.Validate()
}

// SlowFlowTable summarises Slow Flow measurements: one row per run, and per number of steps the mean
// slow-down t − m* over the sampling states and the median m* of the final state (t = 1).
func SlowFlowTable(title string, results []*experiment.SlowFlowResult) (*table.Table, error) {
	if len(results) == 0 {
		return nil, fmt.Errorf("expview: slow flow table: no results")
	}
	steps := results[0].Spec.Steps
	headers := []string{"model"}
	for _, n := range steps {
		headers = append(headers, fmt.Sprintf("mean t − m*, %d steps", n))
	}
	for _, n := range steps {
		headers = append(headers, fmt.Sprintf("median m*(1), %d steps", n))
	}
	t := table.New(headers...)
	t.Title = title
	t.Precision = 3
	for _, r := range results {
		gaps := []any{r.Run}
		var finals []any
		for _, n := range steps {
			res := r.ForSteps(n)
			if res == nil {
				return nil, fmt.Errorf("expview: slow flow table: run %q has no %d-step measurement", r.Run, n)
			}
			gaps = append(gaps, experiment.MeanGap(res))
			finals = append(finals, experiment.FinalStats(res).Median)
		}
		if err := t.Add(append(gaps, finals...)...); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// SlowFlowWithReference draws the Slow Flow bands of results (e.g. imageexp.Lab.MeasureSlowFlow, one
// per model) together with the reference band of the forward process (imageexp.Lab.MeasureReferenceSlowFlow
// with the same spec), one panel per step count of steps, cols panels per row. Under the nearest-data
// protocol even the training states stay below the diagonal, so a model's band is read against the
// reference band, not against y = x. gamma > 0 also draws MixFlow's slowed-time range (as SlowFlow).
func SlowFlowWithReference(results []*experiment.SlowFlowResult, reference *experiment.SlowFlowResult, steps []int, gamma float64, title string, cols int) (chart.Figure, error) {
	if reference == nil {
		return chart.Figure{}, errors.New("expview: slow flow with reference: the reference is nil (e.g. imageexp.Lab.MeasureReferenceSlowFlow)")
	}
	if len(results) == 0 {
		return chart.Figure{}, errors.New("expview: slow flow with reference: no results")
	}
	for _, r := range results {
		if r.Spec.Protocol != reference.Spec.Protocol {
			return chart.Figure{}, fmt.Errorf("expview: slow flow with reference: run %q was measured with protocol %q, the reference with %q",
				r.Run, r.Spec.Protocol, reference.Spec.Protocol)
		}
	}
	if title == "" {
		title = fmt.Sprintf("Slow Flow (%s protocol) against the forward-process reference", reference.Spec.Protocol)
	}
	all := append(append([]*experiment.SlowFlowResult(nil), results...), reference)
	f, err := SlowFlowPanels(all, steps, gamma, title, cols)
	if err != nil {
		return chart.Figure{}, fmt.Errorf("expview: slow flow with reference: %w", err)
	}
	return f, nil
}
