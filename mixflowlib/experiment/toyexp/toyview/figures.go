package toyview

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mixflow/mixflow/mixflowlib/experiment/expview"
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
	return expview.RunsLoss("toyview: loss", runs, false, figures.LossOptions{Title: title, LogY: true, Smooth: 0.8})
}

func metricShort(metric string) string {
	return strings.TrimSuffix(strings.TrimSuffix(MetricLabel(metric), " ↓"), " to true samples")
}

// Progress bars and Slow Flow figures are the experiment core's views (experiment/expview), shared by
// every lab; these names keep toyview's API.
type (
	// Progress is a notebook observer of a Lab (expview.Progress).
	Progress = expview.Progress
)

var (
	// NewProgress returns a notebook observer showing stages up to maxLevel (expview.NewProgress).
	NewProgress = expview.NewProgress
	// SlowFlow draws the Slow Flow bands of several runs at one step count (expview.SlowFlow).
	SlowFlow = expview.SlowFlow
	// SlowFlowPanels lays out SlowFlow figures for several step counts (expview.SlowFlowPanels).
	SlowFlowPanels = expview.SlowFlowPanels
	// SlowFlowByRun draws one Slow Flow panel per run against a reference (expview.SlowFlowByRun).
	SlowFlowByRun = expview.SlowFlowByRun
	// SlowFlowTable summarises Slow Flow measurements (expview.SlowFlowTable).
	SlowFlowTable = expview.SlowFlowTable
)
