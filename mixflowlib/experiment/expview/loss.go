package expview

import (
	"fmt"
	"sort"

	"github.com/mixflow/mixflow/mixflowlib/trainer"
	"github.com/mixflow/mixflow/widgets/chart"
	"github.com/mixflow/mixflow/widgets/figures"
)

// LossRun is one run of a loss figure: its label and its training history.
type LossRun struct {
	Label   string
	History *trainer.History
}

// TrainedRun is a lab's run as a loss figure reads it: every lab's *Run is one (a label from
// experiment.RunInfo, a history from experiment.Trained).
type TrainedRun interface {
	RunLabel() string
	TrainHistory() *trainer.History
}

// RunsLoss is Loss over lab runs (PR: a lab's *Run); a nil run is an error in the words of what.
func RunsLoss[R any, PR interface {
	*R
	TrainedRun
}](what string, runs []PR, aux bool, o figures.LossOptions) (chart.Figure, error) {
	ls := make([]LossRun, len(runs))
	for i, r := range runs {
		if r == nil {
			return chart.Figure{}, fmt.Errorf("%s: nil run", what)
		}
		ls[i] = LossRun{Label: r.RunLabel(), History: r.TrainHistory()}
	}
	return Loss(what, ls, aux, o)
}

// Loss draws the training loss of runs against their own step counter with figures.LossCurves and o;
// with aux, each auxiliary loss term too, named "<run>: <term>" (terms in name order). A run without a
// history (nil or empty) is an error in the words of what (e.g. "toyview: loss").
func Loss(what string, runs []LossRun, aux bool, o figures.LossOptions) (chart.Figure, error) {
	var cs []figures.Curve
	for _, r := range runs {
		h := r.History
		if h == nil || h.Len() == 0 {
			return chart.Figure{}, fmt.Errorf("%s: run %q has no history", what, r.Label)
		}
		c := figures.Curve{Name: r.Label}
		for i, s := range h.Step {
			c.Step = append(c.Step, float64(s))
			c.Value = append(c.Value, h.Loss[i])
		}
		cs = append(cs, c)
		if !aux {
			continue
		}
		names := make([]string, 0, len(h.Aux))
		for k := range h.Aux {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			a := figures.Curve{Name: r.Label + ": " + k}
			for i, s := range h.Step {
				if i < len(h.Aux[k]) {
					a.Step, a.Value = append(a.Step, float64(s)), append(a.Value, h.Aux[k][i])
				}
			}
			cs = append(cs, a)
		}
	}
	return figures.LossCurves(cs, o)
}
