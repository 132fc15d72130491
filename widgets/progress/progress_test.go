package progress

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/mixflow/mixflow/widgets/internal/nb"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *fakeClock               { return &fakeClock{t: time.Unix(1000, 0)} }
func capture() (*[]nb.Output, *[]string, func()) {
	var outs []nb.Output
	var ids []string
	nb.SetSink(func(id string, o nb.Output) { outs = append(outs, o); ids = append(ids, id) })
	return &outs, &ids, func() { nb.SetSink(nil) }
}

// clockedBar returns a bar on a fake clock started now.
func clockedBar(title string, total int) (*Bar, *fakeClock) {
	clk := newClock()
	b := New(title, total)
	b.now, b.start = clk.now, clk.now()
	return b, clk
}

func TestBarRateETAAndThrottle(t *testing.T) {
	outs, ids, stop := capture()
	defer stop()
	b, clk := clockedBar("training", 1000)
	b.Unit = "step"
	for i := 0; i < 400; i++ {
		clk.add(10 * time.Millisecond) // 100 steps/s
		b.Add(1)
		b.Metric("loss", 0.5)
	}
	// 4 s at one redraw per 250 ms: 16 draws, not 400.
	if d := b.Draws(); d < 15 || d > 17 {
		t.Errorf("draws = %d, want about 16", d)
	}
	b.Flush()
	last := (*outs)[len(*outs)-1]
	for _, want := range []string{"training", "40%", "400/1000", "0:04 < 0:06 left", "100 step/s", "loss=0.5"} {
		if !strings.Contains(last.Text, want) {
			t.Errorf("text %q lacks %q", last.Text, want)
		}
	}
	if !strings.Contains(last.HTML, `width:40.0%`) || !strings.Contains(last.HTML, `data-done="400"`) {
		t.Errorf("html = %s", last.HTML)
	}
	for _, id := range *ids {
		if id != (*ids)[0] || id == "" {
			t.Fatalf("updates went to several outputs: %v", *ids)
		}
	}
	// Reaching the total draws immediately; Done draws the summary once.
	clk.add(time.Second)
	b.Set(1000)
	b.Done()
	b.Done()
	b.Add(5)
	final := (*outs)[len(*outs)-1]
	if !strings.Contains(final.Text, "100%") || !strings.Contains(final.Text, "total") || !strings.Contains(final.HTML, `data-finished="true"`) {
		t.Errorf("final = %q", final.Text)
	}
	// Mean rate over the whole loop: 1000 steps in 5 s.
	if !strings.Contains(final.Text, "200 step/s") {
		t.Errorf("final rate in %q", final.Text)
	}
}

func TestBarSlowAndUnknownTotal(t *testing.T) {
	outs, _, stop := capture()
	defer stop()
	b, clk := clockedBar("sampling", 0)
	clk.add(4 * time.Second)
	b.Metric("nfe", math.NaN())
	b.Add(2)
	got := (*outs)[len(*outs)-1].Text
	for _, want := range []string{"2 it", "2 s/it", "nfe=NaN"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
	if strings.Contains(got, "%") || strings.Contains(got, "left") {
		t.Errorf("unknown total shows a percentage or ETA: %q", got)
	}
}

func TestBarTextOutsideNotebook(t *testing.T) {
	var buf bytes.Buffer
	b, clk := clockedBar("eval", 10)
	b.Writer = &buf
	for i := 0; i < 10; i++ {
		clk.add(100 * time.Millisecond)
		b.Add(1)
	}
	b.Done()
	s := buf.String()
	if !strings.HasPrefix(s, "\reval:") || !strings.HasSuffix(s, "\n") || !strings.Contains(s, "10/10") {
		t.Errorf("text output %q", s)
	}
}

func TestClock(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0:00", 59 * time.Second: "0:59", 61 * time.Second: "1:01", 3725 * time.Second: "1:02:05"} {
		if got := clock(d); got != want {
			t.Errorf("clock(%v) = %s, want %s", d, got, want)
		}
	}
}

func TestLossPlot(t *testing.T) {
	outs, ids, stop := capture()
	defer stop()
	clk := newClock()
	l := NewLossPlot("loss")
	l.now = clk.now
	for step := 0; step < 3000; step++ {
		clk.add(2 * time.Millisecond)
		if err := l.AddAll(step, map[string]float64{"loss": 1 / float64(step+1), "align": 0.5}); err != nil {
			t.Fatal(err)
		}
	}
	// 6 s of training at one redraw per second.
	if d := l.Draws(); d < 6 || d > 8 {
		t.Errorf("draws = %d, want about 7", d)
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	n := l.Draws()
	if err := l.Flush(); err != nil || l.Draws() != n {
		t.Errorf("Flush without new values redrew")
	}
	for _, id := range *ids {
		if id != (*ids)[0] {
			t.Fatal("loss plot used several outputs")
		}
	}
	last := (*outs)[len(*outs)-1]
	if len(last.PNG) != 0 || !strings.Contains(last.HTML, "data:image/png;base64,") || !strings.Contains(last.HTML, "mixflow-option") {
		t.Error("live loss output lacks the chart or its fallback image, or stores the PNG twice")
	}
	cs := l.Curves()
	if len(cs) != 2 || cs[0].Name != "align" || len(cs[1].Value) != 3000 {
		t.Fatalf("curves = %d", len(cs))
	}
	f, err := l.Figure()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Panels[0].Series[1].X); n != MaxDrawnPoints {
		t.Errorf("drawn points = %d, want %d", n, MaxDrawnPoints)
	}
	if err := l.Add(3000, "loss", math.NaN()); err == nil || !strings.Contains(err.Error(), `progress: loss "loss" is NaN at step 3000`) {
		t.Errorf("NaN: %v", err)
	}
	if len(l.Curves()[1].Value) != 3000 {
		t.Error("NaN was recorded")
	}
}

func TestDownsampleKeepsMeans(t *testing.T) {
	x := []float64{0, 1, 2, 3, 4, 5}
	y := []float64{1, 3, 5, 7, 9, 11}
	ox, oy := downsample(x, y, 3)
	if len(ox) != 3 || ox[0] != 0.5 || oy[2] != 10 {
		t.Errorf("downsample = %v %v", ox, oy)
	}
}
