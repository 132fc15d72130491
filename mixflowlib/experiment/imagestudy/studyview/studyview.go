// Package studyview draws the tables and figures of an imagestudy study (notebooks 03, 05 and 06): the
// convergence check of the base, the paired comparison of every arm against standard post-training, FID
// against the number of Euler steps, and the exposure-bias diagnostics, with the formatting they share
// (mean [95 % interval] over training seeds, a verdict only when the interval excludes 0).
package studyview

import (
	"fmt"
	"strings"

	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp/imageview"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imagestudy"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
	"github.com/mixflow/mixflow/widgets/chart"
	"github.com/mixflow/mixflow/widgets/table"
)

// CI formats a summary as "mean [lo, hi]" with signs and two decimals.
func CI(s metrics.Summary) string { return fmt.Sprintf("%+.2f [%+.2f, %+.2f]", s.Estimate, s.Lo, s.Hi) }

// Verdict says whether a paired difference arm − reference of a lower-is-better metric is shown:
// "better" or "worse" when the interval excludes 0, "no difference shown" otherwise.
func Verdict(s metrics.Summary) string {
	switch {
	case s.Hi < 0:
		return "better"
	case s.Lo > 0:
		return "worse"
	}
	return "no difference shown"
}

// OverValues formats values over training seeds with format: mean [95 % interval] with several, the value
// with one.
func OverValues(v []float64, format string) (string, error) {
	if len(v) == 1 {
		return fmt.Sprintf(format, v[0]), nil
	}
	s, err := metrics.Summarize(v)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(format+" ["+format+", "+format+"]", s.Estimate, s.Lo, s.Hi), nil
}

// Over formats f over the diagnoses of an arm as OverValues does.
func Over(ds []*imagestudy.Diagnosis, f func(*imagestudy.Diagnosis) float64, format string) (string, error) {
	v := make([]float64, len(ds))
	for i, d := range ds {
		v[i] = f(d)
	}
	return OverValues(v, format)
}

// Value is imagestudy.Mean with an error naming the missing setting.
func Value(e *imageexp.EvalResult, s imageexp.SamplerSpec, metric string) (float64, error) {
	v, ok := imagestudy.Mean(e, s, metric)
	if !ok {
		return 0, fmt.Errorf("studyview: no %s at %s for %s", metric, s.Label(), e.Run)
	}
	return v, nil
}

// Seeded splits the arms of res into those trained with more than one seed and the others.
func Seeded(res *imagestudy.Result) (many, one []imagestudy.ArmResult) {
	for _, a := range res.Arms {
		if len(a.Evals) > 1 {
			many = append(many, a)
		} else {
			one = append(one, a)
		}
	}
	return many, one
}

// SeedOneRuns returns the base's run and the seed-1 run of every arm.
func SeedOneRuns(res *imagestudy.Result) []*imageexp.Run {
	runs := []*imageexp.Run{res.Base.Runs[0]}
	for _, a := range res.Arms {
		runs = append(runs, a.Runs[0])
	}
	return runs
}

// Diagnosed returns the base and the arms with exposure-bias diagnostics, in the study's order.
func Diagnosed(res *imagestudy.Result) []imagestudy.ArmResult {
	groups := []imagestudy.ArmResult{res.Base}
	for _, a := range res.Arms {
		if len(a.Diags) > 0 {
			groups = append(groups, a)
		}
	}
	return groups
}

// ConvergenceTable is the protocol's convergence check of the base, one row per sampler of spec: base FID,
// the standard models' FID over seeds, the paired change standard − base with its interval, the seed
// standard deviation of the standard models and whether the base counts as converged
// (imagestudy.Result.CheckConvergence). The standard arm is res.Arms[0].
func ConvergenceTable(res *imagestudy.Result, spec imagestudy.Spec) (*table.Table, error) {
	floor, _ := res.Base.Evals[0].FloorSummary(imageexp.MetricFID)
	tb := table.New("sampler", "base FID", "standard FID (mean [95 % CI])", "standard − base [95 % CI]", "seed std of standard", "converged?")
	tb.Title = fmt.Sprintf("Does standard post-training (%d steps at lr %g) still move the base? (%d seeds; real-data floor %.2f)",
		spec.Post.Steps, spec.Post.LR, len(res.Arms[0].Evals), floor.Estimate)
	for _, s := range spec.Eval.Samplers {
		c, err := res.CheckConvergence(s, imageexp.MetricFID)
		if err != nil {
			if err := tb.Add(s.Label(), "", "", err.Error(), "", ""); err != nil {
				return nil, err
			}
			continue
		}
		std, err := imagestudy.OverSeeds(res.Arms[0].Evals, s, imageexp.MetricFID)
		if err != nil {
			return nil, err
		}
		base, err := Value(res.Base.Evals[0], s, imageexp.MetricFID)
		if err != nil {
			return nil, err
		}
		ok := "no"
		if c.Converged {
			ok = "yes"
		}
		if err := tb.Add(s.Label(), fmt.Sprintf("%.2f", base), fmt.Sprintf("%.2f [%.2f, %.2f]", std.Estimate, std.Lo, std.Hi),
			CI(c.Change), fmt.Sprintf("%.2f", c.SeedNoise), ok); err != nil {
			return nil, err
		}
	}
	return tb, nil
}

// ComparisonTables returns, per metric that the standard arm (res.Arms[0]) has (FID, precision, recall,
// accuracy), the table of paired differences arm − standard at every sampler of spec: mean [95 % interval]
// over training seeds, with a verdict at the first sampler. Rows: the base (base − standard, the one base
// paired with every standard seed), every other arm, then the Epsilon Scaling and Time-Shift rows where the
// study has them (each seed's standard model sampled with the correction). A one-seed arm shows its seed-1
// difference and supports no claim.
func ComparisonTables(res *imagestudy.Result, spec imagestudy.Spec) ([]*table.Table, error) {
	ref := res.Arms[0]
	var out []*table.Table
	for _, metric := range []string{imageexp.MetricFID, imageexp.MetricPrecision, imageexp.MetricRecall, imageexp.MetricAccuracy} {
		if _, ok := imagestudy.Mean(ref.Evals[0], spec.Eval.Samplers[0], metric); !ok {
			continue
		}
		tb, err := comparisonTable(res, spec, metric)
		if err != nil {
			return nil, err
		}
		out = append(out, tb)
	}
	return out, nil
}

func comparisonTable(res *imagestudy.Result, spec imagestudy.Spec, metric string) (*table.Table, error) {
	ref := res.Arms[0]
	head := []string{"arm (seeds)"}
	var std []string
	for _, s := range spec.Eval.Samplers {
		head = append(head, s.Label())
		o, err := imagestudy.OverSeeds(ref.Evals, s, metric)
		if err != nil {
			return nil, err
		}
		std = append(std, fmt.Sprintf("%.3g", o.Estimate))
	}
	tb := table.New(append(head, "verdict at "+spec.Eval.Samplers[0].Label())...)
	tb.Title = fmt.Sprintf("%s: arm − %s, mean [95 %% CI] over training seeds (standard: %s)", imageview.MetricLabel(metric), ref.Label, strings.Join(std, " / "))
	groups := append([]imagestudy.ArmResult{res.Base}, res.Arms[1:]...)
	for _, g := range append(groups, res.Epsilon, res.TimeShift) {
		if len(g.Evals) == 0 {
			continue
		}
		cells := []any{fmt.Sprintf("%s (%d)", g.Label, len(g.Evals))}
		v := "one seed: no claim"
		if g.Label == res.Epsilon.Label || g.Label == res.TimeShift.Label {
			v = "seed 1 only: sampler effect, no interval"
		}
		for i, s := range spec.Eval.Samplers {
			if len(g.Evals) == 1 && g.Label != "base" {
				a, err := Value(g.Evals[0], s, metric)
				if err != nil {
					return nil, err
				}
				r, err := Value(ref.Evals[0], s, metric)
				if err != nil {
					return nil, err
				}
				cells = append(cells, fmt.Sprintf("%+.3g", a-r))
				continue
			}
			var d metrics.Summary
			var err error
			if g.Label == "base" { // one base, paired with every standard seed: base − standard
				d, err = imagestudy.PairedDiff(ref.Evals, g.Evals, s, metric)
				d.Estimate, d.Lo, d.Hi = -d.Estimate, -d.Hi, -d.Lo
			} else {
				d, err = imagestudy.PairedDiff(g.Evals, ref.Evals, s, metric)
			}
			if err != nil {
				return nil, err
			}
			cells = append(cells, fmt.Sprintf("%+.3g [%+.3g, %+.3g]", d.Estimate, d.Lo, d.Hi))
			if i == 0 {
				v = Verdict(d)
				if metric != imageexp.MetricFID {
					v = strings.NewReplacer("better", "lower", "worse", "higher").Replace(v)
				}
			}
		}
		if err := tb.Add(append(cells, v)...); err != nil {
			return nil, err
		}
	}
	return tb, nil
}

// EulerStepsChart plots FID against the number of Euler steps (the Euler samplers of spec) for the base,
// the Epsilon Scaling and Time-Shift models where the study has them, and every arm: mean and 95 % interval
// over training seeds (one-seed arms: the value). xLabel names the step axis.
func EulerStepsChart(res *imagestudy.Result, spec imagestudy.Spec, title, xLabel string) (chart.Figure, error) {
	var steps []float64
	var ss []imageexp.SamplerSpec
	for _, s := range spec.Eval.Samplers {
		if s.Method == imageexp.MethodEuler {
			steps, ss = append(steps, float64(s.Steps)), append(ss, s)
		}
	}
	p := chart.Panel{X: chart.Axis{Label: xLabel, Log: true}, Y: chart.Axis{Label: "our FID (lower is better)", Log: true}}
	for _, g := range append([]imagestudy.ArmResult{res.Base, res.Epsilon, res.TimeShift}, res.Arms...) {
		if len(g.Evals) == 0 {
			continue
		}
		var m, lo, hi []float64
		for _, s := range ss {
			if len(g.Evals) == 1 {
				v, err := Value(g.Evals[0], s, imageexp.MetricFID)
				if err != nil {
					return chart.Figure{}, err
				}
				m, lo, hi = append(m, v), append(lo, v), append(hi, v)
				continue
			}
			o, err := imagestudy.OverSeeds(g.Evals, s, imageexp.MetricFID)
			if err != nil {
				return chart.Figure{}, err
			}
			m, lo, hi = append(m, o.Estimate), append(lo, o.Lo), append(hi, o.Hi)
		}
		p.Series = append(p.Series, chart.ErrorBars(g.Label, steps, m, lo, hi))
	}
	return chart.Figure{Title: title, Width: 900, Panels: []chart.Panel{p}}, nil
}

// DiagnosticsTable is the table of exposure-bias diagnostics of the diagnosed models (Diagnosed): the
// injected-lag residual and FID at δ = 0 and at the largest δ, the FID growth per unit δ, the variance gap
// at the last step and the Slow Flow mean gap t − m*, each over training seeds. The title starts with
// what, followed by the settings and the reference band's mean gap.
func DiagnosticsTable(res *imagestudy.Result, spec imagestudy.Spec, what string) (*table.Table, error) {
	tb := table.New("model (seeds)", "residual at δ = 0", "residual at δ max", "FID at δ = 0", "FID at δ max", "FID growth per unit δ", "variance gap (last step)", "Slow Flow mean gap t − m*")
	tb.Title = fmt.Sprintf("%s (Euler %d; lag from t0 = %g, δ up to %g; Slow Flow reference band: mean gap %.4f)",
		what, spec.Diag.Sampler.Steps, spec.Diag.LagT0, spec.Diag.LagDeltas[len(spec.Diag.LagDeltas)-1], imageexp.MeanGap(res.Reference.Results[0]))
	columns := []struct {
		f      func(*imagestudy.Diagnosis) float64
		format string
	}{
		{func(d *imagestudy.Diagnosis) float64 { return d.Lag[0].Residual }, "%.4f"},
		{func(d *imagestudy.Diagnosis) float64 { return d.Lag[len(d.Lag)-1].Residual }, "%.4f"},
		{func(d *imagestudy.Diagnosis) float64 { return d.Lag[0].Metric }, "%.2f"},
		{func(d *imagestudy.Diagnosis) float64 { return d.Lag[len(d.Lag)-1].Metric }, "%.2f"},
		{(*imagestudy.Diagnosis).LagSlope, "%.1f"},
		{(*imagestudy.Diagnosis).FinalGap, "%.4f"},
	}
	for _, g := range Diagnosed(res) {
		cells := []any{fmt.Sprintf("%s (%d)", g.Label, len(g.Diags))}
		for _, c := range columns {
			s, err := Over(g.Diags, c.f, c.format)
			if err != nil {
				return nil, err
			}
			cells = append(cells, s)
		}
		gaps := make([]float64, len(g.SlowFlow))
		for i := range gaps {
			gaps[i] = imageexp.MeanGap(g.SlowFlow[i].Results[0])
		}
		s, err := OverValues(gaps, "%.4f")
		if err != nil {
			return nil, err
		}
		if err := tb.Add(append(cells, s)...); err != nil {
			return nil, err
		}
	}
	return tb, nil
}

// DiagnosticsFigure draws the injected-lag test (FID of the final images and residual noise against δ) and
// the variance gap per step for seed 1 of each diagnosed model (Diagnosed); unit names what one value of
// the gap is averaged over ("pixel", "value").
func DiagnosticsFigure(res *imagestudy.Result, title, unit string) chart.Figure {
	lagP := chart.Panel{Title: "injected lag: FID of the final images", X: chart.Axis{Label: "injected lag δ"}, Y: chart.Axis{Label: "our FID (300 images)"}}
	resP := chart.Panel{Title: "injected lag: residual noise", X: chart.Axis{Label: "injected lag δ"}, Y: chart.Axis{Label: "residual 1 − m*"}}
	gapP := chart.Panel{Title: "variance gap per step", X: chart.Axis{Label: "sampling time t"}, Y: chart.Axis{Label: "E‖x̂‖² − E‖x‖² per " + unit}}
	for _, g := range Diagnosed(res) {
		d := g.Diags[0]
		var x, f, r, t, gp []float64
		for _, l := range d.Lag {
			x, f, r = append(x, l.Delta), append(f, l.Metric), append(r, l.Residual)
		}
		for _, q := range d.Gap {
			t, gp = append(t, q.T), append(gp, q.Gap)
		}
		lagP.Series = append(lagP.Series, chart.Line(g.Label, x, f))
		resP.Series = append(resP.Series, chart.Line(g.Label, x, r))
		gapP.Series = append(gapP.Series, chart.Line(g.Label, t, gp))
	}
	return chart.Figure{Title: title, Cols: 3, Width: 1100, Panels: []chart.Panel{lagP, resP, gapP}}
}

// SlowFlowModels returns the Slow Flow measurement of the base and of each arm's seed 1 where the arm has
// one.
func SlowFlowModels(res *imagestudy.Result) []*imageexp.SlowFlowResult {
	sfs := []*imageexp.SlowFlowResult{res.Base.SlowFlow[0]}
	for _, a := range res.Arms {
		if len(a.SlowFlow) > 0 {
			sfs = append(sfs, a.SlowFlow[0])
		}
	}
	return sfs
}
