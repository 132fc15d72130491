package toyview

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mixflow/mixflow/mixflowlib/experiment/toyexp"
	"github.com/mixflow/mixflow/widgets/chart"
	"github.com/mixflow/mixflow/widgets/figures"
)

// MetricLabel returns the axis label of a toyexp metric name, e.g. "sliced W₂ ↓".
func MetricLabel(metric string) string {
	switch metric {
	case toyexp.MetricSW:
		return "sliced W₂ to true samples ↓"
	case toyexp.MetricMMD:
		return "MMD² to true samples ↓"
	}
	return metric
}

// SlowFlow draws the Slow Flow bands of several runs measured with the same number of sampling steps
// (the paper's Fig. 1): mean slowed timestep, 5–95 % band (the spec's quantiles) and min–max envelope
// against the sampling timestep. gamma > 0 adds MixFlow's lower edge m = (1−γ)t.
func SlowFlow(results []*toyexp.SlowFlowResult, steps int, gamma float64, title string) (chart.Figure, error) {
	if len(results) == 0 {
		return chart.Figure{}, errors.New("toyview: slow flow: no results")
	}
	var bands []figures.Band
	var q [2]float64
	for _, r := range results {
		res := r.ForSteps(steps)
		if res == nil {
			return chart.Figure{}, fmt.Errorf("toyview: slow flow: run %q has no measurement with %d steps", r.Run, steps)
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
func SlowFlowPanels(results []*toyexp.SlowFlowResult, steps []int, gamma float64, title string, cols int) (chart.Figure, error) {
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

// MetricVsSteps draws metric (toyexp.MetricSW or MetricMMD) against the number of sampling steps for the
// given variants of a sweep (all when none are named), with error bars of ± one standard deviation over
// seeds.
func MetricVsSteps(res *toyexp.SweepResult, metric, method string, variants ...string) (chart.Figure, error) {
	if len(variants) == 0 {
		variants = res.Variants
	}
	var ms []figures.MetricSeries
	for _, v := range variants {
		s := figures.MetricSeries{Name: v}
		for _, n := range res.Spec.Eval.Steps {
			sum, ok := res.Summary(v, method, n, metric)
			if !ok {
				return chart.Figure{}, fmt.Errorf("toyview: metric vs steps: no %s %s %d-step results for %q", metric, method, n, v)
			}
			s.Steps = append(s.Steps, float64(n))
			s.Value = append(s.Value, sum.Summary.Estimate)
			s.Err = append(s.Err, sum.Summary.Std)
		}
		ms = append(ms, s)
	}
	title := fmt.Sprintf("%s vs sampling steps (%s; bars: ± std over %d seeds)", metricShort(metric), method, len(res.Spec.Seeds))
	return figures.MetricVsSteps(ms, figures.StepsOptions{Title: title, Metric: MetricLabel(metric), LogX: true})
}

// GammaVariant reports whether a variant of a sweep is a point of the γ sweep (MixFlow with the default
// times Beta(2,1), relative mixture, target at m, no shift, linear path) and its γ.
func GammaVariant(v toyexp.Variant) (float64, bool) {
	o, err := v.Objective.Canonical()
	if err != nil || o.Kind != toyexp.KindMixFlow {
		return 0, false
	}
	if o.Times != "beta21" || o.Mixture != "relative" || o.Target != "m" || o.Shift != 0 || o.Path != "linear" {
		return 0, false
	}
	return o.Gamma, true
}

// GammaAblation draws metric against γ for the γ-sweep variants of res (see GammaVariant), one panel per
// number of sampling steps, with ± one standard deviation over seeds and horizontal reference lines for
// the named reference variants (e.g. standard post-training and no post-training).
func GammaAblation(res *toyexp.SweepResult, metric, method string, steps []int, refs []string, cols int) (chart.Figure, error) {
	var gammas []float64
	var names []string
	for _, v := range res.Spec.Variants {
		if g, ok := GammaVariant(v); ok {
			gammas, names = append(gammas, g), append(names, v.Name)
		}
	}
	if len(gammas) == 0 {
		return chart.Figure{}, errors.New("toyview: gamma ablation: the sweep has no MixFlow γ variants")
	}
	var out chart.Figure
	for _, n := range steps {
		a := figures.Ablation{Name: "MixFlow (t ~ Beta(2,1), m ~ U[(1−γ)t, t])"}
		for i, name := range names {
			s, ok := res.Summary(name, method, n, metric)
			if !ok {
				return chart.Figure{}, fmt.Errorf("toyview: gamma ablation: no %s %s %d-step results for %q", metric, method, n, name)
			}
			a.Gamma = append(a.Gamma, gammas[i])
			a.Mean = append(a.Mean, s.Summary.Estimate)
			a.Err = append(a.Err, s.Summary.Std)
		}
		var rl []figures.Reference
		for _, r := range refs {
			s, ok := res.Summary(r, method, n, metric)
			if !ok {
				return chart.Figure{}, fmt.Errorf("toyview: gamma ablation: no %s %s %d-step results for reference %q", metric, method, n, r)
			}
			rl = append(rl, figures.Reference{Label: r, Value: s.Summary.Estimate})
		}
		f, err := figures.GammaAblation([]figures.Ablation{a}, figures.AblationOptions{Metric: MetricLabel(metric), References: rl})
		if err != nil {
			return chart.Figure{}, err
		}
		p := f.Panels[0]
		p.Title = fmt.Sprintf("%s, %d steps", method, n)
		out.Panels = append(out.Panels, p)
	}
	out.Title = fmt.Sprintf("γ ablation: %s (bars: ± std over %d seeds; dashed: references)", metricShort(metric), len(res.Spec.Seeds))
	out.Cols = cols
	rows := (len(out.Panels) + max(cols, 1) - 1) / max(cols, 1)
	out.Width, out.Height = 420*min(max(cols, 1), len(out.Panels)), 120+360*rows
	return out, out.Validate()
}

// Scatter draws 2-D point sets side by side on the same ranges (e.g. true points and the samples of
// several models).
func Scatter(title string, names []string, sets [][][2]float64) (chart.Figure, error) {
	if len(names) != len(sets) {
		return chart.Figure{}, fmt.Errorf("toyview: scatter: %d names for %d point sets", len(names), len(sets))
	}
	var ps []figures.PointSet
	for i, s := range sets {
		p := figures.PointSet{Name: names[i]}
		for _, xy := range s {
			p.X, p.Y = append(p.X, xy[0]), append(p.Y, xy[1])
		}
		ps = append(ps, p)
	}
	return figures.SampleScatter(ps, figures.ScatterOptions{Title: title, PointSize: 2.5, Cols: min(len(ps), 4)})
}

// Loss draws the training loss of runs (their History) on a log scale, smoothed.
func Loss(title string, runs ...*toyexp.Run) (chart.Figure, error) {
	var cs []figures.Curve
	for _, r := range runs {
		if r.History == nil || r.History.Len() == 0 {
			return chart.Figure{}, fmt.Errorf("toyview: loss: run %q has no history", r.Label)
		}
		c := figures.Curve{Name: r.Label}
		for i, s := range r.History.Step {
			c.Step = append(c.Step, float64(s))
			c.Value = append(c.Value, r.History.Loss[i])
		}
		cs = append(cs, c)
	}
	return figures.LossCurves(cs, figures.LossOptions{Title: title, LogY: true, Smooth: 0.8})
}

func metricShort(metric string) string {
	return strings.TrimSuffix(strings.TrimSuffix(MetricLabel(metric), " ↓"), " to true samples")
}

// SlowFlowByRun draws one Slow Flow panel per run (the paper's Fig. 1 (a) and (b) side by side), all
// measured with the same number of sampling steps; reference (e.g. the oracle's measurement, may be nil)
// adds its mean slowed timestep to every panel as a line, so each model is read against the exact
// velocity under the same protocol. gamma > 0 draws MixFlow's lower edge m = (1−γ)t.
func SlowFlowByRun(results []*toyexp.SlowFlowResult, reference *toyexp.SlowFlowResult, steps int, gamma float64, title string, cols int) (chart.Figure, error) {
	if len(results) == 0 {
		return chart.Figure{}, errors.New("toyview: slow flow by run: no results")
	}
	var out chart.Figure
	for _, r := range results {
		res := r.ForSteps(steps)
		if res == nil {
			return chart.Figure{}, fmt.Errorf("toyview: slow flow by run: run %q has no measurement with %d steps", r.Run, steps)
		}
		t, mean, lo, hi, mn, mx := res.Series()
		bands := []figures.Band{{Name: r.Run, X: t, Mean: mean, Lo: lo, Hi: hi, Min: mn, Max: mx}}
		if reference != nil && reference != r {
			ref := reference.ForSteps(steps)
			if ref == nil {
				return chart.Figure{}, fmt.Errorf("toyview: slow flow by run: reference %q has no measurement with %d steps", reference.Run, steps)
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
