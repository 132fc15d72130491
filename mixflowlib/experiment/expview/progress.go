// Package expview shows what the experiment core (mixflowlib/experiment) reports, for every lab: a
// notebook progress observer (progress bars and live loss curves) and the Slow Flow figures and table of
// experiment.SlowFlowResult values. The labs' own views (toyexp/toyview, imageexp/imageview) build on it.
//
// Figures are chart.Figure values (Display them in a notebook, Save them elsewhere) and tables are
// table.Table values (Display, Markdown, HTML), so the command-line tools use the same builders.
package expview

import (
	"fmt"
	"sync"

	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/widgets/progress"
)

// Progress is an experiment.Observer for notebooks: a progress bar per stage (with the current loss or
// metric) and, for training stages, a live loss curve, each updated in place. Outside a notebook the
// bars print one-line progress to standard error.
type Progress struct {
	// MaxLevel is the deepest stage level shown: 0 shows only sweeps (one bar for a whole grid), 1 also
	// every training and evaluation.
	MaxLevel int
	// LossCurves adds a live loss plot to every training stage shown.
	LossCurves bool

	mu    sync.Mutex
	bars  map[string]*progress.Bar
	plots map[string]*progress.LossPlot
}

// NewProgress returns a notebook observer showing stages up to maxLevel, with live loss curves for
// training stages when lossCurves is set.
func NewProgress(maxLevel int, lossCurves bool) *Progress {
	return &Progress{MaxLevel: maxLevel, LossCurves: lossCurves}
}

// Observe implements experiment.Observer.
func (p *Progress) Observe(e experiment.Event) {
	if e.Level > p.MaxLevel {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bars == nil {
		p.bars, p.plots = map[string]*progress.Bar{}, map[string]*progress.LossPlot{}
	}
	switch e.Kind {
	case experiment.StageStart:
		// Bars are created on the first progress report, so a cached stage shows one final line only.
	case experiment.StageProgress:
		bar := p.bars[e.Stage]
		if bar == nil {
			bar = progress.New(e.Stage, e.Total)
			bar.Unit = e.Unit
			p.bars[e.Stage] = bar
		}
		for k, v := range e.Values {
			bar.Metric(k, v)
		}
		bar.Set(e.Done)
		if loss, ok := e.Values["loss"]; ok && p.LossCurves && e.Unit == "step" {
			plot := p.plots[e.Stage]
			if plot == nil {
				plot = progress.NewLossPlot("training loss: " + e.Stage)
				plot.LogY, plot.Smooth = true, 0.98
				p.plots[e.Stage] = plot
			}
			_ = plot.Add(e.Done, "loss", loss) // a NaN loss stops the trainer itself
		}
	case experiment.StageEnd:
		bar := p.bars[e.Stage]
		if bar == nil && e.Cached {
			// Nothing was computed: one plain line instead of a bar with a meaningless rate.
			fmt.Printf("%s: from the cache (%.2f s)\n", e.Stage, e.Elapsed.Seconds())
			return
		}
		if bar == nil {
			bar = progress.New(e.Stage, e.Total)
			bar.Unit = e.Unit
		}
		if e.Info != "" {
			bar.Label = fmt.Sprintf("%s: %s", e.Stage, e.Info)
		}
		bar.Set(e.Total)
		bar.Done()
		if plot := p.plots[e.Stage]; plot != nil {
			_ = plot.Flush()
		}
		delete(p.bars, e.Stage)
		delete(p.plots, e.Stage)
	}
}
