package progress

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/mixflow/mixflow/widgets/chart"
	"github.com/mixflow/mixflow/widgets/figures"
)

// MaxDrawnPoints is the number of points per curve above which LossPlot draws bucket means instead of
// every value (the recorded values are kept in full).
const MaxDrawnPoints = 1500

// LossPlot records loss values during training and shows them as live curves, redrawn in place at most
// once per Every (default chart.DefaultEvery). Call Flush after the loop so the final curves are drawn.
// It is safe for concurrent use.
type LossPlot struct {
	// Title of the figure (default "Training loss").
	Title string
	// LogY uses a logarithmic loss axis.
	LogY bool
	// Smooth in [0, 1) overlays an EMA with this decay on faint raw curves (see figures.LossCurves).
	Smooth float64
	// Every is the minimum time between redraws.
	Every time.Duration

	mu     sync.Mutex
	live   *chart.Live
	curves map[string]*figures.Curve
	order  []string
	last   time.Time
	dirty  bool
	now    func() time.Time
}

// NewLossPlot returns an empty live loss plot.
func NewLossPlot(title string) *LossPlot {
	live := chart.NewLive()
	live.Every = time.Nanosecond // LossPlot throttles itself
	return &LossPlot{Title: title, live: live, curves: map[string]*figures.Curve{}, now: time.Now}
}

// Add records value of the named curve at step and redraws if it is time. A NaN or infinite value is
// not recorded and is returned as an error (a diverged run should stop, and the plot cannot draw it).
func (l *LossPlot) Add(step int, name string, value float64) error {
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return fmt.Errorf("progress: loss %q is %v at step %d", name, value, step)
	}
	if l.LogY && value <= 0 {
		return fmt.Errorf("progress: loss %q is %g at step %d: a log axis needs values > 0", name, value, step)
	}
	l.mu.Lock()
	c, ok := l.curves[name]
	if !ok {
		c = &figures.Curve{Name: name}
		l.curves[name] = c
		l.order = append(l.order, name)
	}
	c.Step = append(c.Step, float64(step))
	c.Value = append(c.Value, value)
	l.dirty = true
	l.mu.Unlock()
	return l.update(false)
}

// AddAll records several named values at step (e.g. the loss and its terms); names are sorted for a
// stable legend order.
func (l *LossPlot) AddAll(step int, values map[string]float64) error {
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if err := l.Add(step, k, values[k]); err != nil {
			return err
		}
	}
	return nil
}

// Curves returns a copy of everything recorded so far.
func (l *LossPlot) Curves() []figures.Curve {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]figures.Curve, 0, len(l.order))
	for _, k := range l.order {
		c := l.curves[k]
		out = append(out, figures.Curve{Name: c.Name, Step: append([]float64(nil), c.Step...), Value: append([]float64(nil), c.Value...)})
	}
	return out
}

// Figure returns the figure of the current curves (bucket means beyond MaxDrawnPoints points).
func (l *LossPlot) Figure() (chart.Figure, error) {
	cs := l.Curves()
	for i := range cs {
		cs[i].Step, cs[i].Value = downsample(cs[i].Step, cs[i].Value, MaxDrawnPoints)
	}
	title := l.Title
	if title == "" {
		title = "Training loss"
	}
	return figures.LossCurves(cs, figures.LossOptions{Title: title, LogY: l.LogY, Smooth: l.Smooth})
}

// Flush draws the latest curves now (if anything changed since the last drawing).
func (l *LossPlot) Flush() error { return l.update(true) }

// Draws returns how many times the plot was redrawn.
func (l *LossPlot) Draws() int { return l.live.Draws() }

func (l *LossPlot) update(force bool) error {
	l.mu.Lock()
	every := l.Every
	if every == 0 {
		every = chart.DefaultEvery
	}
	now := l.now()
	if !force && !l.last.IsZero() && now.Sub(l.last) < every {
		l.mu.Unlock()
		return nil // building the figure is O(points): only do it when it is drawn
	}
	if !l.dirty {
		l.mu.Unlock()
		return nil
	}
	l.last, l.dirty = now, false
	l.mu.Unlock()
	f, err := l.Figure()
	if err != nil {
		return err
	}
	if err := l.live.Update(f); err != nil {
		return err
	}
	return l.live.Flush()
}

// downsample returns at most n points: the means of consecutive equal-size buckets.
func downsample(x, y []float64, n int) ([]float64, []float64) {
	if len(x) <= n {
		return x, y
	}
	ox, oy := make([]float64, 0, n), make([]float64, 0, n)
	for b := 0; b < n; b++ {
		i0, i1 := b*len(x)/n, (b+1)*len(x)/n
		if i1 <= i0 {
			continue
		}
		var sx, sy float64
		for i := i0; i < i1; i++ {
			sx += x[i]
			sy += y[i]
		}
		k := float64(i1 - i0)
		ox, oy = append(ox, sx/k), append(oy, sy/k)
	}
	return ox, oy
}
