package imageview

import (
	"strings"
	"testing"

	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/slowflow"
)

func fakeSlowFlow(run, protocol string, shift float64) *imageexp.SlowFlowResult {
	r := &imageexp.SlowFlowResult{Run: run, Spec: imageexp.DefaultSlowFlowSpec()}
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

func TestSlowFlowWithReference(t *testing.T) {
	nd := slowflow.ProtocolNearestData
	runs := []*imageexp.SlowFlowResult{fakeSlowFlow("base", nd, 0.3), fakeSlowFlow("MixFlow γ=0.8", nd, 0.2)}
	ref := fakeSlowFlow(imageexp.ReferenceRun, nd, 0.1)
	f, err := SlowFlowWithReference(runs, ref, []int{5, 10}, 0.8, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	d := f.Describe()
	if len(f.Panels) != 2 || !strings.Contains(d, imageexp.ReferenceRun) || !strings.Contains(d, "MixFlow γ=0.8") || !strings.Contains(f.Title, "forward-process reference") {
		t.Errorf("figure %q: %s", f.Title, d)
	}
	for _, c := range []struct {
		runs []*imageexp.SlowFlowResult
		ref  *imageexp.SlowFlowResult
		want string
	}{
		{runs, nil, "the reference is nil"},
		{nil, ref, "no results"},
		{[]*imageexp.SlowFlowResult{fakeSlowFlow("base", slowflow.ProtocolNearestFinal, 0.3)}, ref, `protocol "nearest-final", the reference with "nearest-data"`},
		{runs, fakeSlowFlow(imageexp.ReferenceRun, nd, 0.1), ""},
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
