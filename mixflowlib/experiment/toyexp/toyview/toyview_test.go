package toyview

import (
	"strings"
	"testing"

	"github.com/mixflow/mixflow/mixflowlib/experiment/toyexp"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
)

// fakeSweep builds a sweep result by hand: base, standard, MixFlow γ = 0.3 and 0.8, one timestep cell.
func fakeSweep(t *testing.T) *toyexp.SweepResult {
	t.Helper()
	spec := toyexp.SweepSpec{
		Base: toyexp.DefaultBaseSpec(), Post: toyexp.DefaultPostSpec(toyexp.FMObjective()), Eval: toyexp.DefaultEvalSpec(),
		Seeds: []uint64{1, 2, 3}, IncludeBase: true, Reference: toyexp.StandardVariant().Name,
		Variants: append(append([]toyexp.Variant{toyexp.StandardVariant()}, toyexp.GammaVariants(0.3, 0.8)...), toyexp.TimestepVariants()[0]),
	}
	spec.Eval.Methods, spec.Eval.Steps = []string{"euler"}, []int{5, 50}
	c, err := spec.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	res := &toyexp.SweepResult{Spec: c, Reference: c.Reference, Floor: map[string]float64{toyexp.MetricSW: 0.03}}
	res.Variants = []string{toyexp.BaseVariant}
	for _, v := range c.Variants {
		res.Variants = append(res.Variants, v.Name)
	}
	for i, v := range res.Variants {
		for _, n := range c.Eval.Steps {
			s := toyexp.SweepSummary{Variant: v, Method: "euler", Steps: n, Metric: toyexp.MetricSW,
				Summary: metrics.Summary{Estimate: 0.1 + 0.01*float64(i) + 1/float64(n), Std: 0.005, Lo: 0.09, Hi: 0.2, N: 3}}
			if v != c.Reference {
				s.Diff = &metrics.Summary{Estimate: 0.01 * float64(i-1), Lo: 0.01*float64(i-1) - 0.004, Hi: 0.01*float64(i-1) + 0.004, N: 3}
			}
			res.Summaries = append(res.Summaries, s)
		}
	}
	return res
}

func TestSweepViews(t *testing.T) {
	res := fakeSweep(t)
	tab, err := SweepTable(res, toyexp.MetricSW, "euler")
	if err != nil {
		t.Fatal(err)
	}
	md := tab.Markdown()
	for _, want := range []string{"| variant | 5 steps | 50 steps |", "MixFlow γ=0.8", "± 0.0050", "noise floor 0.0300", "**0.3000 ± 0.0050**"} {
		if !strings.Contains(md, want) {
			t.Errorf("sweep table lacks %q:\n%s", want, md)
		}
	}
	sub, err := SweepTable(res, toyexp.MetricSW, "euler", toyexp.BaseVariant, "MixFlow γ=0.3")
	if err != nil || sub.Rows() != 2 {
		t.Errorf("sub-table: %v, %d rows", err, sub.Rows())
	}
	diff, err := DiffTable(res, toyexp.MetricSW, "euler")
	if err != nil {
		t.Fatal(err)
	}
	md = diff.Markdown()
	if strings.Contains(md, "| FM (standard) |") || !strings.Contains(md, "+0.0200 [+0.0160, +0.0240]\\*") || !strings.Contains(md, "-0.0100 [-0.0140, -0.0060]\\*") {
		t.Errorf("difference table:\n%s", md)
	}
	if _, err := SweepTable(res, toyexp.MetricMMD, "euler"); err == nil {
		t.Error("table of a metric without results: no error")
	}
	f, err := MetricVsSteps(res, toyexp.MetricSW, "euler")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != 1 || f.Validate() != nil {
		t.Errorf("metric vs steps figure %s", f.Describe())
	}
	g, err := GammaAblation(res, toyexp.MetricSW, "euler", []int{5, 50}, []string{toyexp.StandardVariant().Name, toyexp.BaseVariant}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Panels) != 2 || !strings.Contains(g.Describe(), "FM (standard)") {
		t.Errorf("gamma ablation figure %s", g.Describe())
	}
	if _, ok := GammaVariant(toyexp.TimestepVariants()[0]); ok {
		t.Error("the absolute-mixture variant counted as a γ point")
	}
	if g, ok := GammaVariant(toyexp.GammaVariants(0.7)[0]); !ok || g != 0.7 {
		t.Errorf("GammaVariant(0.7) = %v, %v", g, ok)
	}
}
