package controls

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mixflow/mixflow/widgets/chart"
	"github.com/mixflow/mixflow/widgets/internal/nb"

	"github.com/mixflow/mixflow/widgets/internal/jscheck"
)

// outputs records the last content of every display id.
type outputs struct {
	mu    sync.Mutex
	last  map[string]nb.Output
	order []string
	all   []nb.Output
}

func record(t *testing.T) *outputs {
	o := &outputs{last: map[string]nb.Output{}}
	nb.SetSink(func(id string, out nb.Output) {
		o.mu.Lock()
		defer o.mu.Unlock()
		if _, ok := o.last[id]; !ok {
			o.order = append(o.order, id)
		}
		o.last[id] = out
		o.all = append(o.all, out)
	})
	t.Cleanup(func() { nb.SetSink(nil) })
	return o
}

func (o *outputs) get(i int) nb.Output {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last[o.order[i]]
}

// page simulates the notebook page: it sends msgs (raw JSON) once subscribed, gap apart. When before is
// set, it is called ahead of message i, so a test can wait for the draws the earlier messages cause
// instead of hoping a loaded machine draws within the gap.
type page struct {
	msgs       []string
	gap        time.Duration
	before     func(i int)
	subscribed int
	retries    int
	addr       string
}

func (p *page) retry() { p.retries++ }

func (p *page) subscribe(addr string, fn func(string)) {
	p.subscribed++
	p.addr = addr
	go func() {
		for i, m := range p.msgs {
			if p.before != nil {
				p.before(i)
			}
			time.Sleep(p.gap)
			fn(m)
		}
	}()
}

type calls struct {
	mu sync.Mutex
	v  []string
}

// waitFor blocks until at least n draws happened, or fails the test after 10 s.
func (c *calls) waitFor(t *testing.T, n int) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		got := len(c.v)
		c.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("waited 10 s for draw %d, saw %d", n, got)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (c *calls) add(g float64, d string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.v = append(c.v, strconv.FormatFloat(g, 'g', -1, 64)+"/"+d)
}

func newTest(p *page, c *calls) *Explorer {
	e := NewExplorer("MixFlow mixture", func(gamma float64, dist string) chart.Figure {
		c.add(gamma, dist)
		return chart.Single("m_t vs t", chart.Panel{Series: []chart.Series{
			chart.Line("m = (1−γ)t", []float64{0, 1}, []float64{0, 1 - gamma}),
		}})
	})
	e.Handshake = 150 * time.Millisecond
	e.transport = p
	return e
}

func TestHeadlessFallsBackWithinHandshake(t *testing.T) {
	out := record(t)
	var c calls
	p := &page{}
	e := newTest(p, &c)
	start := time.Now()
	res, err := e.Run()
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("headless run took %v", el)
	}
	if res.Live || res.Reason != "static" || res.Gamma != 0.8 || res.Dist != "beta21" || res.Redraws != 0 {
		t.Errorf("result %+v", res)
	}
	if p.retries != 0 {
		t.Errorf("%d connection retries during a 150 ms handshake, want 0", p.retries)
	}
	panel, fig := out.get(0), out.get(1)
	if strings.Contains(panel.HTML, "<script") || !strings.Contains(panel.HTML, "disabled") || !strings.Contains(panel.HTML, "no notebook page answered within 150ms") {
		t.Errorf("final panel is not static:\n%s", panel.HTML)
	}
	if !strings.Contains(fig.HTML, `data-mixflow-gamma="0.8"`) || !strings.Contains(fig.HTML, `data-mixflow-dist="beta21"`) || len(fig.PNG) != 0 || !strings.Contains(fig.HTML, "data:image/png;base64,") {
		t.Errorf("figure output lacks the default state or the PNG")
	}
	// The first panel shown carried the live script.
	if !strings.Contains(out.all[0].HTML, "gonb_comm") {
		t.Errorf("live panel script missing")
	}
	if len(c.v) != 1 || c.v[0] != "0.8/beta21" {
		t.Errorf("draw calls %v", c.v)
	}
}

func TestStaticEnvSkipsHandshake(t *testing.T) {
	out := record(t)
	t.Setenv(StaticEnvVar, "static")
	p := &page{}
	var c calls
	e := newTest(p, &c)
	e.Handshake = time.Hour
	res, err := e.Run()
	if err != nil || res.Live || p.subscribed != 0 {
		t.Errorf("static: %+v %v, subscribed %d times", res, err, p.subscribed)
	}
	if panel := out.get(0); !strings.Contains(panel.HTML, "mixflow-explorer") || strings.Contains(panel.HTML, "<script") || !strings.Contains(panel.HTML, "run this cell to move the slider") || strings.Contains(panel.HTML, "MIXFLOW_WIDGETS") {
		t.Errorf("first output is not the static controls:\n%s", panel.HTML)
	}
	if fig := out.get(1); !strings.Contains(fig.HTML, "mixflow-chart") {
		t.Error("second output is not the figure")
	}
}

func TestLiveSession(t *testing.T) {
	out := record(t)
	p := &page{gap: 120 * time.Millisecond, msgs: []string{
		`{"kind":"hello","seq":1}`,
		`{"kind":"set","gamma":0.33,"dist":"uniform","seq":2}`,
		`not json`,
		`{"kind":"set","gamma":0.5,"dist":"no-such-dist","seq":3}`,
		`{"kind":"set","gamma":7,"dist":"uniform","seq":4}`,
		`{"kind":"set","gamma":0.5,"dist":"logit-normal(0,1)","seq":5}`,
		`{"kind":"done","seq":6}`,
	}}
	var c calls
	// Draws each message must have seen before it is sent: the first draw, then one per valid set.
	// Without the wait a draw slower than the gap coalesces two sets into one on a loaded machine.
	drawsBefore := []int{1, 1, 2, 2, 3, 4, 5}
	p.before = func(i int) { c.waitFor(t, drawsBefore[i]) }
	e := newTest(p, &c)
	res, err := e.Run()
	if err != nil {
		t.Fatal(err)
	}
	if !res.Live || res.Reason != "done" || res.Gamma != 0.5 || res.Dist != "logit-normal(0,1)" {
		t.Errorf("result %+v", res)
	}
	if !strings.HasPrefix(p.addr, "/mixflow/explorer/") {
		t.Errorf("address %q", p.addr)
	}
	// 0.33 snaps to 0.35; an unknown distribution keeps the current one; 7 clamps to 1.
	want := []string{"0.8/beta21", "0.35/uniform", "0.5/uniform", "1/uniform", "0.5/logit-normal(0,1)"}
	if strings.Join(c.v, " ") != strings.Join(want, " ") {
		t.Errorf("draws %v\nwant  %v", c.v, want)
	}
	if res.Redraws != 4 {
		t.Errorf("redraws %d", res.Redraws)
	}
	fig := out.get(1)
	if !strings.Contains(fig.HTML, `data-mixflow-gamma="0.5"`) || !strings.Contains(fig.HTML, `data-mixflow-dist="logit-normal(0,1)"`) || !strings.Contains(fig.HTML, `data-mixflow-seq="4"`) {
		t.Errorf("figure not at the last state")
	}
	panel := out.get(0)
	if strings.Contains(panel.HTML, "<script") || !strings.Contains(panel.HTML, "Done pressed") || !strings.Contains(panel.HTML, `value="0.5"`) ||
		!strings.Contains(panel.HTML, `<option value="logit-normal(0,1)" selected>`) {
		t.Errorf("closed panel:\n%s", panel.HTML)
	}
	if len(out.order) != 2 {
		t.Errorf("explorer used %d outputs, want 2 (controls, figure)", len(out.order))
	}
}

func TestIdleEndsSession(t *testing.T) {
	out := record(t)
	var c calls
	e := newTest(&page{msgs: []string{`{"kind":"hello"}`}}, &c)
	e.Idle = 100 * time.Millisecond
	res, err := e.Run()
	if err != nil || res.Reason != "idle" || !res.Live {
		t.Fatalf("%+v %v", res, err)
	}
	if !strings.Contains(out.get(0).HTML, "without interaction") {
		t.Error("idle note missing")
	}
}

func TestValidate(t *testing.T) {
	draw := func(float64, string) chart.Figure { return chart.Figure{} }
	cases := []struct {
		mod  func(e *Explorer)
		want string
	}{
		{func(e *Explorer) { e.Draw = nil }, "no Draw"},
		{func(e *Explorer) { e.Gamma = 1.3 }, "gamma 1.3 outside [0, 1]"},
		{func(e *Explorer) { e.Gamma = math.NaN() }, "gamma NaN"},
		{func(e *Explorer) { e.Step = 0 }, "step 0"},
		{func(e *Explorer) { e.Min, e.Max = 1, 0 }, "slider range"},
		{func(e *Explorer) { e.Dist = "beta" }, `"beta" is not among`},
		{func(e *Explorer) { e.Dists = nil }, "no options"},
		{func(e *Explorer) { e.Dists = []Option{{"a", "A"}, {"a", "B"}}; e.Dist = "a" }, "distinct"},
	}
	for _, c := range cases {
		e := NewExplorer("x", draw)
		c.mod(e)
		err := e.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), "controls: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
		if _, err := e.Run(); err == nil {
			t.Errorf("Run accepted bad config (%q)", c.want)
		}
	}
}

func TestDrawPanicIsAnError(t *testing.T) {
	out := record(t)
	e := NewExplorer("x", func(float64, string) chart.Figure { panic("boom") })
	e.transport = &page{}
	e.Handshake = 50 * time.Millisecond
	_, err := e.Run()
	if err == nil || !strings.Contains(err.Error(), "panicked: boom") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(out.get(1).HTML, "mixflow-error") {
		t.Error("error not shown in the figure output")
	}
}

func TestOutsideNotebook(t *testing.T) {
	var c calls
	e := newTest(&page{}, &c)
	res, err := e.Run()
	if err != nil || res.Live || len(c.v) != 1 {
		t.Errorf("%+v %v %v", res, err, c.v)
	}
}

func TestSnapAndDecimals(t *testing.T) {
	e := NewExplorer("x", nil)
	for in, want := range map[float64]float64{0.33: 0.35, 0.024: 0, -3: 0, 0.975: 1, 0.7: 0.7} {
		if got := e.snap(in); got != want {
			t.Errorf("snap(%g) = %g, want %g", in, got, want)
		}
	}
	if decimals(0.05) != 2 || decimals(1) != 0 || decimals(0.1) != 1 {
		t.Error("decimals")
	}
}

func TestPanelScriptSyntax(t *testing.T) {
	jscheck.Parse(t, "panel.js", panelJS+"('x','/a',100,2);", "the browser test")
}

// GoNB hands each page message to its own goroutine, so a burst can arrive out of order: the state
// with the highest sequence number must win.
func TestOutOfOrderMessages(t *testing.T) {
	out := record(t)
	var c calls
	e := newTest(&page{}, &c)
	e.transport = transportFunc(func(addr string, fn func(string)) {
		go func() {
			fn(`{"kind":"hello","seq":1}`)
			time.Sleep(50 * time.Millisecond)
			// A burst delivered in the wrong order, then Done.
			fn(`{"kind":"set","gamma":0.3,"dist":"beta21","seq":11}`)
			fn(`{"kind":"set","gamma":0.35,"dist":"beta21","seq":10}`)
			fn(`{"kind":"set","gamma":0.4,"dist":"beta21","seq":9}`)
			time.Sleep(200 * time.Millisecond)
			fn(`{"kind":"set","gamma":0.45,"dist":"beta21","seq":8}`) // stale, arrives late
			fn(`{"kind":"done","seq":12}`)
		}()
	})
	res, err := e.Run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Gamma != 0.3 {
		t.Errorf("final γ = %g, want 0.3 (the latest state, whatever the arrival order); draws %v", res.Gamma, c.v)
	}
	if !strings.Contains(out.get(1).HTML, `data-mixflow-gamma="0.3"`) {
		t.Error("figure not at γ = 0.3")
	}
}

type transportFunc func(addr string, fn func(string))

func (f transportFunc) subscribe(addr string, fn func(string)) { f(addr, fn) }
func (f transportFunc) retry()                                 {}

func TestRetriesDuringLongHandshake(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 6 s")
	}
	record(t)
	var c calls
	p := &page{}
	e := newTest(p, &c)
	e.Handshake = 6 * time.Second
	res, err := e.Run()
	if err != nil || res.Live {
		t.Fatalf("%+v %v", res, err)
	}
	// Retries at 2.5 s and 5 s; none at the 6 s deadline.
	if p.retries != 2 {
		t.Errorf("%d retries in a 6 s handshake, want 2", p.retries)
	}
}
