// Package progress shows progress of training, sampling and evaluation loops in a notebook: a progress
// bar with rate and ETA, and live loss curves. Each updates one output in place (update_display_data),
// throttled, so a 100 000-step loop makes a handful of outputs updates per second at most and the saved
// notebook holds the final state only.
//
// Outside a notebook the bar writes a one-line text progress to Writer (standard error by default),
// and the loss plot only records values.
package progress

import (
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mixflow/mixflow/widgets/internal/nb"
)

// DefaultEvery is the default minimum time between two redraws of a Bar.
const DefaultEvery = 250 * time.Millisecond

// Bar is a progress bar with count, percentage, elapsed time, rate and ETA, and optional metrics
// (e.g. the current loss). It is safe for concurrent use.
type Bar struct {
	// Label names the loop, e.g. "training" or "sampling 50 steps".
	Label string
	// Unit names one item, e.g. "step", "batch", "img" (default "it").
	Unit string
	// Every is the minimum time between redraws (default DefaultEvery).
	Every time.Duration
	// Writer receives the text progress when the process is not a notebook cell (default os.Stderr;
	// set io.Discard to silence it).
	Writer io.Writer

	mu       sync.Mutex
	id       string
	total    int
	done     int
	start    time.Time
	lastDraw time.Time
	lastDone int
	rate     float64 // items per second, smoothed
	metrics  map[string]float64
	finished bool
	draws    int
	now      func() time.Time
}

// New returns a bar for a loop of total items (total ≤ 0: unknown, no percentage or ETA).
// The clock starts now; nothing is shown until the first update.
func New(label string, total int) *Bar {
	b := &Bar{Label: label, total: max(total, 0), id: "mixflow-progress-" + nb.UniqueID(), now: time.Now}
	b.start = b.now()
	return b
}

// Add advances the bar by n items.
func (b *Bar) Add(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	b.maybeDrawLocked()
}

// Set sets the number of items done.
func (b *Bar) Set(done int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done = done
	b.maybeDrawLocked()
}

// Metric records a named value shown after the bar (e.g. "loss"). NaN and ±Inf are shown as such: a
// diverging loss must be visible.
func (b *Bar) Metric(name string, v float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.metrics == nil {
		b.metrics = map[string]float64{}
	}
	b.metrics[name] = v
}

// Flush draws the current state now, regardless of the throttle.
func (b *Bar) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.finished {
		b.drawLocked()
	}
}

// Done draws the final state: total time and mean rate. Further updates are ignored.
func (b *Bar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	b.finished = true
	b.drawLocked()
	if !nb.Active() && b.writer() != nil {
		fmt.Fprintln(b.writer())
	}
	nb.Flush(nb.FlushTimeout)
}

// Draws returns how many times the bar was drawn.
func (b *Bar) Draws() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.draws
}

func (b *Bar) writer() io.Writer {
	if b.Writer != nil {
		return b.Writer
	}
	return os.Stderr
}

func (b *Bar) maybeDrawLocked() {
	if b.finished {
		return
	}
	every := b.Every
	if every == 0 {
		every = DefaultEvery
	}
	now := b.now()
	if !b.lastDraw.IsZero() && now.Sub(b.lastDraw) < every && !(b.total > 0 && b.done >= b.total) {
		return
	}
	b.drawLocked()
}

func (b *Bar) drawLocked() {
	now := b.now()
	if !b.lastDraw.IsZero() {
		if dt := now.Sub(b.lastDraw).Seconds(); dt > 0 {
			inst := float64(b.done-b.lastDone) / dt
			if b.rate == 0 {
				b.rate = inst
			} else {
				b.rate = 0.3*inst + 0.7*b.rate // smooth: steady ETA, still follows slowdowns
			}
		}
	} else if el := now.Sub(b.start).Seconds(); el > 0 {
		b.rate = float64(b.done) / el
	}
	b.lastDraw, b.lastDone = now, b.done
	b.draws++
	st := b.stateLocked(now)
	if nb.Active() {
		nb.Update(b.id, nb.Output{HTML: st.html(), Text: st.text()})
		return
	}
	if w := b.writer(); w != nil {
		fmt.Fprintf(w, "\r%s", st.text())
	}
}

// state is what one drawing shows.
type state struct {
	label, unit string
	done, total int
	elapsed     time.Duration
	rate        float64
	eta         time.Duration // < 0: unknown
	metrics     []string
	finished    bool
	fraction    float64 // < 0: unknown total
}

func (b *Bar) stateLocked(now time.Time) state {
	unit := b.Unit
	if unit == "" {
		unit = "it"
	}
	st := state{label: b.Label, unit: unit, done: b.done, total: b.total, elapsed: now.Sub(b.start), rate: b.rate, eta: -1, finished: b.finished, fraction: -1}
	if b.finished {
		if el := st.elapsed.Seconds(); el > 0 {
			st.rate = float64(b.done) / el
		}
	}
	if b.total > 0 {
		st.fraction = math.Min(1, float64(b.done)/float64(b.total))
		if st.rate > 0 && !b.finished {
			st.eta = time.Duration(float64(max(b.total-b.done, 0)) / st.rate * float64(time.Second))
		}
	}
	names := make([]string, 0, len(b.metrics))
	for k := range b.metrics {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		st.metrics = append(st.metrics, fmt.Sprintf("%s=%.4g", k, b.metrics[k]))
	}
	return st
}

// clock formats a duration as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int(math.Round(d.Seconds()))
	if s < 3600 {
		return fmt.Sprintf("%d:%02d", s/60, s%60)
	}
	return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
}

func (st state) rateText() string {
	switch {
	case st.rate <= 0:
		return "? " + st.unit + "/s"
	case st.rate >= 1:
		return fmt.Sprintf("%.3g %s/s", st.rate, st.unit)
	default:
		return fmt.Sprintf("%.3g s/%s", 1/st.rate, st.unit)
	}
}

func (st state) detail() string {
	var parts []string
	if st.total > 0 {
		parts = append(parts, fmt.Sprintf("%d/%d", st.done, st.total))
	} else {
		parts = append(parts, fmt.Sprintf("%d %s", st.done, st.unit))
	}
	timing := clock(st.elapsed)
	if st.finished {
		timing += " total"
	} else if st.eta >= 0 {
		timing += " < " + clock(st.eta) + " left"
	}
	parts = append(parts, "["+timing+", "+st.rateText()+"]")
	parts = append(parts, st.metrics...)
	return strings.Join(parts, " ")
}

func (st state) text() string {
	var b strings.Builder
	if st.label != "" {
		b.WriteString(st.label + ": ")
	}
	if st.fraction >= 0 {
		const width = 24
		n := int(math.Round(st.fraction * width))
		fmt.Fprintf(&b, "%3.0f%% |%s%s| ", 100*st.fraction, strings.Repeat("█", n), strings.Repeat(" ", width-n))
	}
	b.WriteString(st.detail())
	return b.String()
}

func (st state) html() string {
	var b strings.Builder
	b.WriteString(`<div class="mixflow-progress" style="font-family:monospace;font-size:13px;display:flex;align-items:center;gap:8px"`)
	fmt.Fprintf(&b, ` data-done="%d" data-total="%d" data-finished="%t">`, st.done, st.total, st.finished)
	if st.label != "" {
		fmt.Fprintf(&b, `<span>%s</span>`, html.EscapeString(st.label))
	}
	if st.fraction >= 0 {
		color := "#4E79A7"
		if st.finished {
			color = "#59A14F"
		}
		fmt.Fprintf(&b, `<span style="min-width:3.5em;text-align:right">%.0f%%</span>`, 100*st.fraction)
		fmt.Fprintf(&b, `<span style="display:inline-block;width:240px;height:12px;background:#e6e6e6;border-radius:3px;overflow:hidden">`+
			`<span style="display:block;height:100%%;width:%.1f%%;background:%s"></span></span>`, 100*st.fraction, color)
	}
	fmt.Fprintf(&b, `<span>%s</span></div>`, html.EscapeString(st.detail()))
	return b.String()
}
