package trainer

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// StepReport describes one optimiser update; the trainer passes one to the OnStep hook after every step.
type StepReport struct {
	// Step is the step counter after this update (1 for the first update of a run).
	Step int64 `json:"step"`
	// Loss is the total loss that was minimised: ObjectiveLoss plus every auxiliary term.
	Loss float64 `json:"loss"`
	// ObjectiveLoss is the objective's own loss.
	ObjectiveLoss float64 `json:"objective_loss"`
	// Aux holds the auxiliary loss terms registered with nn.AddAuxLoss, by name (nil when there are none).
	Aux map[string]float64 `json:"aux,omitempty"`
	// GradNorm is the global L2 norm of the gradient before clipping.
	GradNorm float64 `json:"grad_norm"`
	// LR is the learning rate used by this update.
	LR float64 `json:"lr"`
	// Duration is the wall time of the step: fetching the batch and running the compiled step.
	Duration time.Duration `json:"duration"`
}

// String formats the report as one log line.
func (r StepReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %d  loss %.5g  grad %.4g  lr %.3g  %.1f ms/step", r.Step, r.Loss, r.GradNorm, r.LR,
		float64(r.Duration.Microseconds())/1000)
	for _, name := range slices.Sorted(maps.Keys(r.Aux)) {
		fmt.Fprintf(&b, "  %s %.5g", name, r.Aux[name])
	}
	return b.String()
}

// Note is a remark recorded in a History at a step, e.g. that the run resumed from a checkpoint.
type Note struct {
	// Step is the step counter when the note was made.
	Step int64 `json:"step"`
	// Text is the remark.
	Text string `json:"text"`
}

// History is the logged trace of a run, in columns ready for plotting. It gets one entry every
// Config.LogEvery steps (and at the end of Train); each entry averages the steps since the previous
// entry. It is saved in every checkpoint, so a resumed run continues its history.
type History struct {
	// Objective and Source name what was trained on what.
	Objective string `json:"objective"`
	Source    string `json:"source"`
	// Step is the step counter at each entry.
	Step []int64 `json:"step"`
	// Loss is the mean total loss over the entry's window.
	Loss []float64 `json:"loss"`
	// ObjectiveLoss is the mean objective loss over the window.
	ObjectiveLoss []float64 `json:"objective_loss"`
	// Aux holds the mean of each auxiliary loss term over the window, by name.
	Aux map[string][]float64 `json:"aux,omitempty"`
	// GradNorm is the mean pre-clipping gradient norm over the window.
	GradNorm []float64 `json:"grad_norm"`
	// LR is the learning rate of the last step of the window.
	LR []float64 `json:"lr"`
	// StepSeconds is the mean wall time per step over the window, in seconds.
	StepSeconds []float64 `json:"step_seconds"`
	// Notes records events such as resumes and post-training starts.
	Notes []Note `json:"notes,omitempty"`
}

// Len returns the number of entries.
func (h *History) Len() int { return len(h.Step) }

// window accumulates step reports between two History entries.
type window struct {
	n                         int
	loss, objLoss, grad, secs float64
	aux                       map[string]float64
	lastLR                    float64
}

func (w *window) add(r StepReport) {
	w.n++
	w.loss += r.Loss
	w.objLoss += r.ObjectiveLoss
	w.grad += r.GradNorm
	w.secs += r.Duration.Seconds()
	w.lastLR = r.LR
	for k, v := range r.Aux {
		if w.aux == nil {
			w.aux = map[string]float64{}
		}
		w.aux[k] += v
	}
}

// flush appends the window's means to h as the entry for step and resets the window.
func (w *window) flush(h *History, step int64) {
	if w.n == 0 {
		return
	}
	n := float64(w.n)
	prev := h.Len()
	h.Step = append(h.Step, step)
	h.Loss = append(h.Loss, w.loss/n)
	h.ObjectiveLoss = append(h.ObjectiveLoss, w.objLoss/n)
	h.GradNorm = append(h.GradNorm, w.grad/n)
	h.LR = append(h.LR, w.lastLR)
	h.StepSeconds = append(h.StepSeconds, w.secs/n)
	for k, v := range w.aux {
		if h.Aux == nil {
			h.Aux = map[string][]float64{}
		}
		col := h.Aux[k]
		for len(col) < prev { // a term that appeared later (another model after a resume): pad with zeros
			col = append(col, 0)
		}
		h.Aux[k] = append(col, v/n)
	}
	*w = window{}
}
