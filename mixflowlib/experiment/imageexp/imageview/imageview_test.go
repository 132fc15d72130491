package imageview

import (
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/internal/errtest"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
	"github.com/mixflow/mixflow/widgets/table"
)

// fakeComparison builds a comparison of two runs at 5 and 10 steps, with and without guidance, two seeds.
func fakeComparison() *imageexp.Comparison {
	samplers := imageexp.SamplerGrid([]string{"euler"}, []int{5, 10}, []imageexp.Guidance{imageexp.NoGuidance, {Scale: 1.5}})
	for i := range samplers {
		samplers[i], _ = samplers[i].Canonical()
	}
	cmp := &imageexp.Comparison{Runs: []string{"base", "MixFlow"}, Samplers: samplers, Metrics: []string{"fid"},
		Results: []*imageexp.EvalResult{{Spec: imageexp.EvalSpec{N: 500, Seeds: []uint64{0, 1}}}}}
	for ri, run := range cmp.Runs {
		for _, s := range samplers {
			v := 100/float64(s.Steps) + float64(ri)
			if s.Guided() {
				v -= 3
			}
			c := imageexp.Cell{Run: run, Sampler: s, Metric: "fid", Summary: metrics.Summary{Estimate: v, Std: 0.5, N: 2}}
			if ri > 0 {
				c.Diff = &metrics.Summary{Estimate: 1, Std: 0.1, N: 2}
			}
			cmp.Cells = append(cmp.Cells, c)
		}
	}
	cmp.Floor = []imageexp.EvalRow{{Run: imageexp.FloorRun, Seed: 0, Metric: "fid", Value: 2}, {Run: imageexp.FloorRun, Seed: 1, Metric: "fid", Value: 3}}
	return cmp
}

func TestStepsTable(t *testing.T) {
	tb, err := StepsTable(fakeComparison(), "fid")
	if err != nil {
		t.Fatal(err)
	}
	md := tb.Markdown()
	for _, want := range []string{"5 steps", "10 steps", "| base | euler |", "| MixFlow | euler cfg=1.5 |", "20.00 ± 0.50",
		"real data (noise floor)", "2.50 ± 0.71", "mean ± std over 2 seeds"} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
	if tb.Rows() != 5 {
		t.Errorf("%d rows, want 2 runs × 2 families + floor", tb.Rows())
	}
	if _, err := StepsTable(&imageexp.Comparison{}, "fid"); err == nil {
		t.Error("empty comparison: no error")
	}
}

func TestDiffAndFigure(t *testing.T) {
	cmp := fakeComparison()
	dt, err := DiffTable(cmp, "fid")
	if err != nil {
		t.Fatal(err)
	}
	if dt.Rows() != 4 || !strings.Contains(dt.Markdown(), "euler 10 cfg=1.5") {
		t.Errorf("diff table:\n%s", dt.Markdown())
	}
	fig, err := MetricVsSteps(cmp, "fid", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(fig.Panels) != 2 || fig.Panels[0].Title != "euler" || fig.Panels[1].Title != "euler cfg=1.5" {
		t.Fatalf("%d panels, want one per sampler family", len(fig.Panels))
	}
	names := map[string]bool{}
	for _, s := range fig.Panels[1].Series {
		names[s.Name] = true
	}
	for _, want := range []string{"base", "MixFlow"} {
		if !names[want] {
			t.Errorf("panel lacks series %q (has %v)", want, names)
		}
	}
	if !strings.Contains(fig.Subtitle, "noise floor): 2.5 ± 0.71") {
		t.Errorf("subtitle %q lacks the noise floor", fig.Subtitle)
	}
}

func TestSideBySideAndLoss(t *testing.T) {
	mk := func(run string, v float32) *imageexp.Samples {
		data := make([]float32, 4*28*28)
		for i := range data {
			data[i] = v
		}
		return &imageexp.Samples{Run: run, Sampler: imageexp.SamplerSpec{Method: "euler", Steps: 10},
			Images: tensors.FromFlatDataAndDimensions(data, 4, 28, 28, 1),
			Cond:   datasets.Cond{Labels: tensors.FromFlatDataAndDimensions([]int32{0, 1, 2, 3}, 4)}}
	}
	g, err := SideBySide([]*imageexp.Samples{mk("a", -1), mk("b", 1)}, 3, []string{"zero", "one", "two", "three"}, "t")
	if err != nil {
		t.Fatal(err)
	}
	b := g.Image().Bounds()
	if b.Dx() < 3*28 || b.Dy() < 2*28 {
		t.Errorf("grid image %v too small for 2 rows of 3 images", b)
	}
	_, err = SideBySide([]*imageexp.Samples{mk("a", 0)}, 5, nil, "")
	errtest.Contains(t, "too few images", err, "at least 5 images")
	run := &imageexp.Run{Label: "r", History: &trainer.History{Step: []int64{1, 2}, Loss: []float64{1, 0.5},
		Aux: map[string][]float64{"align": {0.3, 0.2}}}}
	fig, err := Loss("loss", run)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(fig.Panels[0].Series); n < 2 {
		t.Errorf("%d series, want the loss and the auxiliary term", n)
	}
	if _, err := Loss("loss", &imageexp.Run{Label: "x"}); err == nil {
		t.Error("run without history: no error")
	}
}

func TestMetricLabelAndGoal(t *testing.T) {
	if got := MetricLabel(imageexp.MetricFID); got != "FID ↓" || Goal(imageexp.MetricFID) != table.Lower {
		t.Errorf("FID: %q, %v", got, Goal(imageexp.MetricFID))
	}
	if got := MetricLabel(imageexp.MetricAccuracy); got != "class accuracy ↑" {
		t.Errorf("accuracy: %q", got)
	}
	higher := []string{imageexp.MetricPrecision, imageexp.MetricRecall, imageexp.MetricAccuracy, imageexp.MetricIS}
	for _, m := range higher {
		if Goal(m) != table.Higher || !strings.HasSuffix(MetricLabel(m), " ↑") {
			t.Errorf("%s: goal %v, label %q; want higher, ↑", m, Goal(m), MetricLabel(m))
		}
	}
	if got := MetricLabel("mean pixel"); got != "mean pixel" || Goal("mean pixel") != table.Lower {
		t.Errorf("unknown metric: %q, %v", got, Goal("mean pixel"))
	}
}
