package studyview

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mixflow/mixflow/internal/errtest"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imagestudy"
	"github.com/mixflow/mixflow/mixflowlib/exposure"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
)

var samplers = []imageexp.SamplerSpec{{Method: imageexp.MethodEuler, Steps: 5}, {Method: imageexp.MethodEuler, Steps: 10}}

// eval is an evaluation of run with FID fid[i] at samplers[i] (one evaluation seed).
func eval(run string, fid ...float64) *imageexp.EvalResult {
	e := &imageexp.EvalResult{EvalResult: experiment.EvalResult[imageexp.EvalSpec, imageexp.EvalRow]{
		Run: run, Spec: imageexp.EvalSpec{Samplers: samplers, Seeds: []uint64{0}}}}
	for i, s := range samplers {
		e.Rows = append(e.Rows, imageexp.EvalRow{Run: run, Sampler: s.Label(), Method: s.Method, Steps: s.Steps,
			Metric: imageexp.MetricFID, Value: fid[i]})
	}
	e.Floor = []imageexp.EvalRow{{Run: imageexp.FloorRun, Metric: imageexp.MetricFID, Value: 2}}
	return e
}

// fakeStudy is a study with a base, standard post-training (3 seeds, within noise of the base), a MixFlow
// arm clearly worse (3 seeds) and a one-seed arm.
func fakeStudy() (*imagestudy.Result, imagestudy.Spec) {
	spec := imagestudy.Spec{Post: imageexp.TrainSpec{Steps: 400, LR: 1e-3}, Eval: imageexp.EvalSpec{Samplers: samplers}}
	res := &imagestudy.Result{
		Base: imagestudy.ArmResult{Label: "base", Evals: []*imageexp.EvalResult{eval("base", 50, 40)}},
		Arms: []imagestudy.ArmResult{
			{Label: "standard", Evals: []*imageexp.EvalResult{eval("s1", 50.5, 40.2), eval("s2", 49.6, 39.9), eval("s3", 50.1, 40.1)}},
			{Label: "MixFlow", Evals: []*imageexp.EvalResult{eval("m1", 60, 45), eval("m2", 61, 46), eval("m3", 60.4, 45.3)}},
			{Label: "single", Evals: []*imageexp.EvalResult{eval("x1", 48, 41)}},
		},
	}
	return res, spec
}

func TestFormatting(t *testing.T) {
	if got := CI(metrics.Summary{Estimate: 1.234, Lo: -0.5, Hi: 3}); got != "+1.23 [-0.50, +3.00]" {
		t.Errorf("CI %q", got)
	}
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{{-2, -1, "better"}, {1, 2, "worse"}, {-1, 1, "no difference shown"}} {
		if got := Verdict(metrics.Summary{Lo: c.lo, Hi: c.hi}); got != c.want {
			t.Errorf("Verdict [%g, %g] = %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
	if got, err := OverValues([]float64{0.25}, "%.2f"); err != nil || got != "0.25" {
		t.Errorf("one value: %q, %v", got, err)
	}
	s, err := metrics.Summarize([]float64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	ds := []*imagestudy.Diagnosis{{}, {}, {}}
	for i, d := range ds {
		d.Lag = []exposure.LagPoint{{Residual: float64(i + 1)}}
	}
	got, err := Over(ds, func(d *imagestudy.Diagnosis) float64 { return d.Lag[0].Residual }, "%.1f")
	if want := fmt.Sprintf("%.1f [%.1f, %.1f]", s.Estimate, s.Lo, s.Hi); err != nil || got != want || !strings.HasPrefix(got, "2.0 [") {
		t.Errorf("three values: %q, %v, want %q", got, err, want)
	}
	_, err = Value(eval("r", 1, 2), imageexp.SamplerSpec{Method: imageexp.MethodHeun, Steps: 10}, imageexp.MetricFID)
	errtest.Contains(t, "missing setting", err, "no fid at heun 10 for r")
}

func TestTables(t *testing.T) {
	res, spec := fakeStudy()
	many, one := Seeded(res)
	if len(many) != 2 || len(one) != 1 || one[0].Label != "single" {
		t.Errorf("Seeded: %d several, %d one", len(many), len(one))
	}
	conv, err := ConvergenceTable(res, spec)
	if err != nil {
		t.Fatal(err)
	}
	md := conv.Markdown()
	if conv.Rows() != 2 || !strings.Contains(md, "400 steps at lr 0.001") || !strings.Contains(md, "real-data floor 2.00") ||
		!strings.Contains(md, "| yes |") {
		t.Errorf("convergence table:\n%s", md)
	}
	tbs, err := ComparisonTables(res, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(tbs) != 1 || tbs[0].Rows() != 3 {
		t.Fatalf("%d comparison tables", len(tbs))
	}
	md = tbs[0].Markdown()
	for _, want := range []string{"MixFlow (3) | +10.4 [", "| worse |", "single (1) | -2.5 | +0.8 | one seed: no claim |", "base (1) |"} {
		if !strings.Contains(md, want) {
			t.Errorf("comparison table lacks %q:\n%s", want, md)
		}
	}
	fig, err := EulerStepsChart(res, spec, "title", "Euler steps")
	if err != nil {
		t.Fatal(err)
	}
	if len(fig.Panels) != 1 || len(fig.Panels[0].Series) != 4 {
		t.Errorf("chart: %d panels", len(fig.Panels))
	}
	spec.Eval.Samplers = append(spec.Eval.Samplers, imageexp.SamplerSpec{Method: imageexp.MethodEuler, Steps: 20})
	_, err = EulerStepsChart(res, spec, "title", "Euler steps")
	errtest.Contains(t, "sampler not evaluated", err, "no fid at euler 20 for base")
}
