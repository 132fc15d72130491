package repaexp

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/backbone/repa"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/widgets/chart"
)

// Workflow turns a SiT workflow (e.g. imageexp.DefaultWorkflow, the one of notebook 03) into its REPA
// counterpart: the same data, training, post-training and evaluation settings, with the base model a
// REPA-SiT (the workflow's SiT configured by configure, the shipped encoder) and every objective, the
// base's and each post-training variant's, Aligned (RunWorkflow validates the rest). configure receives repa.DefaultConfig of the
// workflow's SiT and may change it (nil keeps the defaults). The Slow Flow measurement is kept as is.
func Workflow(w imageexp.Workflow, configure func(*repa.Config)) (imageexp.Workflow, error) {
	if w.Base.Model.Kind != imageexp.BackboneSiT {
		return w, fmt.Errorf("repaexp: workflow base model is %q, want %q", w.Base.Model.Kind, imageexp.BackboneSiT)
	}
	var s sit.Config
	if err := json.Unmarshal(w.Base.Model.Params, &s); err != nil {
		return w, fmt.Errorf("repaexp: workflow SiT params: %w", err)
	}
	cfg := repa.DefaultConfig(s)
	if configure != nil {
		configure(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		return w, err
	}
	out := w
	out.Base.Model = Model(cfg)
	out.Base.Objective = Aligned(w.Base.Objective)
	out.Variants = AlignedAll(w.Variants...)
	for _, o := range append([]imageexp.ObjectiveSpec{out.Base.Objective}, out.Variants...) {
		if err := o.Validate(); err != nil {
			return w, err
		}
	}
	return out, nil
}

// Config returns the REPA configuration of a run trained with a "repa" backbone.
func Config(run *imageexp.Run) (repa.Config, error) {
	if run == nil || run.Base == nil {
		return repa.Config{}, errors.New("repaexp: run without a base spec")
	}
	if run.Base.Model.Kind != Kind {
		return repa.Config{}, fmt.Errorf("repaexp: run %q has backbone %q, not %q", run.Label, run.Base.Model.Kind, Kind)
	}
	p, err := decode(run.Base.Model.Params)
	if err != nil {
		return repa.Config{}, err
	}
	return p.REPA, nil
}

// TrainingCurves draws two panels for REPA runs: the flow-matching (velocity) part of the loss on a log
// scale, and the alignment, the mean cosine similarity between the projected hidden tokens and the
// encoder's tokens (−(logged "repa" term)/λ). Post-training runs are drawn after their base, with their
// steps offset by the base's, so that each curve continues where the base stopped.
func TrainingCurves(title string, runs ...*imageexp.Run) (chart.Figure, error) {
	loss := chart.Panel{Title: "flow-matching loss", X: chart.Axis{Label: "training step"}, Y: chart.Axis{Label: "loss", Log: true}}
	align := chart.Panel{Title: "alignment (mean cosine similarity)", X: chart.Axis{Label: "training step"},
		Y: chart.Axis{Label: "cos(projected hidden token, encoder token)"}}
	baseSteps := map[string]float64{}
	for _, r := range runs {
		if r.Kind == imageexp.RunBase && r.Base != nil {
			baseSteps[r.Key] = float64(r.Base.Train.Steps)
		}
	}
	for _, r := range runs {
		if r == nil || r.History == nil || r.History.Len() == 0 {
			return chart.Figure{}, errors.New("repaexp: training curves: run without history")
		}
		cfg, err := Config(r)
		if err != nil {
			return chart.Figure{}, err
		}
		off := 0.0
		if r.Kind == imageexp.RunPost {
			off = baseSteps[r.BaseKey]
		}
		h := r.History
		steps := make([]float64, h.Len())
		for i, s := range h.Step {
			steps[i] = float64(s) + off
		}
		loss.Series = append(loss.Series, chart.Line(r.Label, steps, h.ObjectiveLoss))
		if cos := Alignment(h, cfg.Lambda); len(cos) == len(steps) {
			align.Series = append(align.Series, chart.Line(r.Label, steps, cos))
		}
	}
	if title == "" {
		title = "REPA training"
	}
	return chart.Figure{Title: title, Panels: []chart.Panel{loss, align}, Cols: 2}, nil
}
