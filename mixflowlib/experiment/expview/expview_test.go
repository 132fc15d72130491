package expview

import (
	"strings"
	"testing"

	"github.com/mixflow/mixflow/internal/errtest"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/slowflow"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
	"github.com/mixflow/mixflow/widgets/figures"
)

// fakeSlowFlow builds a measurement by hand at 5 and 10 steps whose mean slowed time is (1 − shift)·t.
func fakeSlowFlow(run, protocol string, shift float64) *experiment.SlowFlowResult {
	r := &experiment.SlowFlowResult{Run: run, Spec: experiment.SlowFlowSpec{}}
	r.Spec.Protocol, r.Spec.Steps = protocol, []int{5, 10}
	for _, steps := range r.Spec.Steps {
		res := &slowflow.Result{Protocol: protocol, Steps: steps, Quantiles: slowflow.DefaultQuantiles}
		for i := 0; i <= steps; i++ {
			tt := float64(i) / float64(steps)
			m := tt * (1 - shift)
			res.Stats = append(res.Stats, slowflow.Stats{Step: i, T: tt, Mean: m, Median: m, Lo: m * 0.9, Hi: m, Min: m * 0.5, Max: tt, MeanGap: tt - m})
		}
		r.Results = append(r.Results, res)
	}
	return r
}

func TestSlowFlowViews(t *testing.T) {
	nd := slowflow.ProtocolNearestData
	a, b, o := fakeSlowFlow("base", nd, 0.3), fakeSlowFlow("MixFlow", nd, 0.1), fakeSlowFlow("oracle", nd, 0.05)
	f, err := SlowFlowByRun([]*experiment.SlowFlowResult{a, b}, o, 10, 0.8, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Panels) != 2 || !strings.Contains(f.Describe(), "oracle (mean)") {
		t.Errorf("by-run figure %s", f.Describe())
	}
	if f, err := SlowFlowPanels([]*experiment.SlowFlowResult{a}, []int{5, 10}, 0, "", 2); err != nil || len(f.Panels) != 2 {
		t.Errorf("panels: %v", err)
	}
	_, err = SlowFlow([]*experiment.SlowFlowResult{a}, 20, 0, "")
	errtest.Contains(t, "missing step count", err, "20 steps")
	tab, err := SlowFlowTable("t", []*experiment.SlowFlowResult{a, b})
	if err != nil {
		t.Fatal(err)
	}
	// base: mean gap over t > 0 of 0.3·t at 5 steps = 0.3 × mean(0.2, …, 1) = 0.18.
	if md := tab.Markdown(); !strings.Contains(md, "| base | 0.180 |") {
		t.Errorf("slow flow table:\n%s", md)
	}
}

func TestProgressOutsideNotebook(t *testing.T) {
	p := NewProgress(1, true)
	p.Observe(experiment.Event{Kind: experiment.StageStart, Stage: "hidden", Level: 2})
	p.Observe(experiment.Event{Kind: experiment.StageStart, Stage: "train", Level: 1, Unit: "step", Total: 10})
	for i := 1; i <= 10; i++ {
		p.Observe(experiment.Event{Kind: experiment.StageProgress, Stage: "train", Level: 1, Unit: "step", Done: i, Total: 10, Values: map[string]float64{"loss": 1}})
	}
	p.Observe(experiment.Event{Kind: experiment.StageEnd, Stage: "train", Level: 1, Unit: "step", Done: 10, Total: 10})
	p.Observe(experiment.Event{Kind: experiment.StageEnd, Stage: "cached one", Level: 1, Cached: true})
	if len(p.bars) != 0 || len(p.plots) != 0 {
		t.Errorf("stages left open: %d bars, %d plots", len(p.bars), len(p.plots))
	}
}

func TestSlowFlowWithReference(t *testing.T) {
	nd := slowflow.ProtocolNearestData
	runs := []*experiment.SlowFlowResult{fakeSlowFlow("base", nd, 0.3), fakeSlowFlow("MixFlow γ=0.8", nd, 0.2)}
	ref := fakeSlowFlow("forward process (reference)", nd, 0.1)
	f, err := SlowFlowWithReference(runs, ref, []int{5, 10}, 0.8, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	d := f.Describe()
	if len(f.Panels) != 2 || !strings.Contains(d, "forward process (reference)") || !strings.Contains(d, "MixFlow γ=0.8") || !strings.Contains(f.Title, "forward-process reference") {
		t.Errorf("figure %q: %s", f.Title, d)
	}
	for _, c := range []struct {
		runs []*experiment.SlowFlowResult
		ref  *experiment.SlowFlowResult
		want string
	}{
		{runs, nil, "the reference is nil"},
		{nil, ref, "no results"},
		{[]*experiment.SlowFlowResult{fakeSlowFlow("base", slowflow.ProtocolNearestFinal, 0.3)}, ref, `protocol "nearest-final", the reference with "nearest-data"`},
		{runs, fakeSlowFlow("forward process (reference)", nd, 0.1), ""},
	} {
		_, err := SlowFlowWithReference(c.runs, c.ref, []int{5, 20}, 0, "", 2)
		if c.want == "" {
			c.want = "20 steps"
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}

// lossRun is a lab's Run as far as RunsLoss reads it.
type lossRun struct {
	experiment.RunInfo[struct{}, struct{}]
	experiment.Trained
}

func TestRunsLoss(t *testing.T) {
	h := &trainer.History{Step: []int64{1, 2}, Loss: []float64{1, 0.5}, Aux: map[string][]float64{"b": {0.3, 0.2}, "a": {0.1, 0.1}}}
	r := &lossRun{}
	r.Label, r.History = "run", h
	fig, err := RunsLoss("test: loss", []*lossRun{r}, true, figures.LossOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range fig.Panels[0].Series {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); !strings.Contains(got, "run,run: a,run: b") {
		t.Errorf("series %q, want the loss then the auxiliary terms in name order", got)
	}
	if _, err := RunsLoss("test: loss", []*lossRun{r, nil}, false, figures.LossOptions{}); err == nil || err.Error() != "test: loss: nil run" {
		t.Errorf("nil run: %v", err)
	}
	empty := &lossRun{}
	empty.Label = "x"
	if _, err := RunsLoss("test: loss", []*lossRun{empty}, false, figures.LossOptions{}); err == nil || err.Error() != `test: loss: run "x" has no history` {
		t.Errorf("run without history: %v", err)
	}
}
