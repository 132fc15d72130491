package chart

import (
	"sync"
	"time"

	"github.com/mixflow/mixflow/widgets/internal/nb"
)

// DefaultEvery is the default minimum time between two redraws of a Live figure.
const DefaultEvery = time.Second

// Live is one notebook output that shows a changing figure in place (update_display_data), e.g. loss
// curves during training. Updates are throttled: Update redraws at most once per Every and otherwise keeps
// the latest figure pending; Flush draws the pending one. The saved notebook keeps the last drawn state,
// with its PNG, so call Flush when the loop ends.
type Live struct {
	// Every is the minimum time between redraws (DefaultEvery when zero).
	Every time.Duration

	mu      sync.Mutex
	id      string
	last    time.Time
	pending *Figure
	attrs   map[string]string
	draws   int
	now     func() time.Time
}

// NewLive returns a Live output; nothing is shown until the first Update.
func NewLive() *Live {
	return &Live{id: "mixflow-live-" + nb.UniqueID(), now: time.Now}
}

// DisplayID returns the notebook display id of the output.
func (l *Live) DisplayID() string { return l.id }

// Draws returns how many times the figure was redrawn so far.
func (l *Live) Draws() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.draws
}

// Update shows f, now if the last redraw is at least Every old, else at the next Update or Flush.
// An invalid figure is reported at once (in the output and as the error).
func (l *Live) Update(f Figure) error {
	return l.UpdateAttrs(f, nil)
}

// UpdateAttrs is Update with data-* attributes for the HTML container (see Figure.Render).
func (l *Live) UpdateAttrs(f Figure, attrs map[string]string) error {
	if err := f.Validate(); err != nil {
		l.showError(err)
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	every := l.Every
	if every == 0 {
		every = DefaultEvery
	}
	l.pending, l.attrs = &f, attrs
	if !l.last.IsZero() && l.now().Sub(l.last) < every {
		return nil
	}
	return l.drawLocked()
}

// Flush draws the pending figure, if any, and waits until the notebook received it.
func (l *Live) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	err := l.drawLocked()
	nb.Flush(nb.FlushTimeout)
	return err
}

func (l *Live) drawLocked() error {
	if l.pending == nil {
		return nil
	}
	f := *l.pending
	l.pending = nil
	l.last = l.now()
	r, err := f.Render(l.attrs)
	if err != nil {
		l.showErrorLocked(err)
		return err
	}
	l.draws++
	nb.Update(l.id, r.output())
	return nil
}

func (l *Live) showError(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.showErrorLocked(err)
}

func (l *Live) showErrorLocked(err error) {
	nb.Update(l.id, nb.Output{HTML: `<div class="mixflow-error" style="color:#a40000">` + escape(err.Error()) + `</div>`, Text: err.Error()})
}
