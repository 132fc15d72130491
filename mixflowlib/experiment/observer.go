package experiment

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// EventKind says what an Event reports.
type EventKind int

const (
	// StageStart opens a stage (a training run, an evaluation, a sweep); Total is its number of items.
	StageStart EventKind = iota
	// StageProgress reports Done of Total items, with current Values (e.g. "loss").
	StageProgress
	// StageEnd closes a stage; Info says how it went (time taken, or that it came from the cache).
	StageEnd
)

// Event is one progress report of a Lab.
type Event struct {
	// Kind is what happened.
	Kind EventKind
	// Stage names the stage, e.g. "train base", "post-train MixFlow γ=0.8 (seed 2)", "sweep".
	Stage string
	// Level is the nesting depth: 0 for a sweep, 1 for the runs and evaluations it is made of (also
	// 1 when they are called directly), so an observer can show only the outer progress.
	Level int
	// Unit names the items, e.g. "step" or "eval".
	Unit string
	// Done and Total count items (Total 0: unknown).
	Done, Total int
	// Values holds current numbers, e.g. {"loss": 1.37}; nil when none.
	Values map[string]float64
	// Cached is true on a StageEnd whose result came from the cache.
	Cached bool
	// Elapsed is the stage's wall time so far (StageEnd: in total).
	Elapsed time.Duration
	// Info is a one-line remark (StageEnd).
	Info string
}

// Observer receives a Lab's progress reports. Observe is called from the goroutine that runs the
// experiment; it must not block for long.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to the Observer interface.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

// LogObserver returns an observer that writes plain log lines to w: one when a stage starts and ends,
// and progress lines at most every interval (0: 10 s) and at each tenth of the stage, e.g.
//
//	[train base] step 4000/20000 (20%) loss=1.3712  14.2 s
//
// Stages deeper than maxLevel are not shown (use 1 to see every run of a sweep). It is what the
// command-line tool uses.
func LogObserver(w io.Writer, maxLevel int, interval time.Duration) Observer {
	if interval <= 0 {
		interval = 10 * time.Second
	}
	return &logObserver{w: w, maxLevel: maxLevel, every: interval, last: map[string]logState{}}
}

type logState struct {
	at    time.Time
	tenth int
}

type logObserver struct {
	mu       sync.Mutex
	w        io.Writer
	maxLevel int
	every    time.Duration
	last     map[string]logState
}

func (l *logObserver) Observe(e Event) {
	if e.Level > l.maxLevel {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch e.Kind {
	case StageStart:
		l.last[e.Stage] = logState{at: time.Now()}
		if e.Total > 0 {
			fmt.Fprintf(l.w, "[%s] start: %d %ss\n", e.Stage, e.Total, unitOr(e.Unit))
		} else {
			fmt.Fprintf(l.w, "[%s] start\n", e.Stage)
		}
	case StageProgress:
		st := l.last[e.Stage]
		tenth := 0
		if e.Total > 0 {
			tenth = 10 * e.Done / e.Total
		}
		if time.Since(st.at) < l.every && tenth == st.tenth {
			return
		}
		l.last[e.Stage] = logState{at: time.Now(), tenth: tenth}
		fmt.Fprintf(l.w, "[%s] %s %d", e.Stage, unitOr(e.Unit), e.Done)
		if e.Total > 0 {
			fmt.Fprintf(l.w, "/%d (%d%%)", e.Total, 100*e.Done/e.Total)
		}
		fmt.Fprintf(l.w, "%s  %.1f s\n", formatValues(e.Values), e.Elapsed.Seconds())
	case StageEnd:
		delete(l.last, e.Stage)
		what := "done"
		if e.Cached {
			what = "cached"
		}
		fmt.Fprintf(l.w, "[%s] %s in %.1f s", e.Stage, what, e.Elapsed.Seconds())
		if e.Info != "" {
			fmt.Fprintf(l.w, ": %s", e.Info)
		}
		fmt.Fprintln(l.w)
	}
}

func unitOr(u string) string {
	if u == "" {
		return "item"
	}
	return u
}

func formatValues(v map[string]float64) string {
	if len(v) == 0 {
		return ""
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%.4g", k, v[k])
	}
	return b.String()
}

// Stage reports the events of one stage of work (its start, progress and end) to an Observer. A nil
// Stage, or one without an Observer, reports nothing. Every experiment lab reports its stages with it.
type Stage struct {
	obs   Observer
	name  string
	level int
	unit  string
	total int
	start time.Time
}

// StartStage reports the start of a stage named name at nesting level level, counting total units
// (e.g. "step", "setting"), to obs, and returns the Stage that reports its progress and end.
func StartStage(obs Observer, name string, level int, unit string, total int) *Stage {
	s := &Stage{obs: obs, name: name, level: level, unit: unit, total: total, start: time.Now()}
	if obs != nil {
		obs.Observe(Event{Kind: StageStart, Stage: name, Level: level, Unit: unit, Total: total})
	}
	return s
}

// Progress reports that done of the stage's units are finished, with optional named values (e.g. a loss).
func (s *Stage) Progress(done int, values map[string]float64) {
	if s != nil && s.obs != nil {
		s.obs.Observe(Event{Kind: StageProgress, Stage: s.name, Level: s.level, Unit: s.unit, Done: done,
			Total: s.total, Values: values, Elapsed: time.Since(s.start)})
	}
}

// End reports the end of the stage: cached when its result came from the cache, info a one-line summary.
func (s *Stage) End(cached bool, info string) {
	if s != nil && s.obs != nil {
		s.obs.Observe(Event{Kind: StageEnd, Stage: s.name, Level: s.level, Unit: s.unit, Done: s.total,
			Total: s.total, Cached: cached, Elapsed: time.Since(s.start), Info: info})
	}
}
