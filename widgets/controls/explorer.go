// Package controls provides interactive notebook controls that redraw a figure live: a γ slider and a
// timestep-distribution selector for exploring MixFlow's slowed interpolation mixture.
//
// # How it works
//
// A GoNB cell is a separate Go process; the notebook page reaches it through GoNB's comms layer (the
// same one gonbui/widgets uses): GoNB injects a script that opens a WebSocket from the page to the
// kernel, and messages sent to an address the cell subscribed to are forwarded to the cell over its
// named pipe. The explorer subscribes to one address, shows its controls with a small script that sends
// {"kind":"hello"} as soon as the page's comms object is up, then {"kind":"set", gamma, dist} on every
// change and {"kind":"done"} when the Done button is pressed. The cell redraws the figure for each new
// state (latest wins, so a fast drag never queues redraws) and replaces the figure's output in place.
//
// # Headless front-ends never block
//
// GoNB's own widgets wait forever for the page to answer, so a notebook run by nbconvert/nbclient, CI or
// VS Code (no Jupyter server for the WebSocket) never finishes. The explorer instead waits at most
// Handshake (default 5 s) for the hello; without it the controls are marked static, the figure stays at
// the default γ and distribution, and Run returns. It also returns on Done, after Idle without any
// interaction (default 5 min), or when the kernel is interrupted. Setting MIXFLOW_WIDGETS=static in the
// kernel's environment skips the handshake altogether (for batch runs).
//
// Whatever ended the session, the final outputs are static: the controls disabled at their last values
// and the figure (HTML with the interactive chart and its PNG) at those values, so the saved notebook
// shows what was last explored.
package controls

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mixflow/mixflow/widgets/chart"
	"github.com/mixflow/mixflow/widgets/internal/nb"
)

// RetryEvery is how often, during the handshake, the explorer asks GoNB to re-establish a page
// connection that failed.
const RetryEvery = 2500 * time.Millisecond

// StaticEnvVar, set to "static", makes every control skip the front-end handshake and show its default
// state at once (useful when a notebook is executed in batch).
const StaticEnvVar = "MIXFLOW_WIDGETS"

// Option is one choice of the distribution selector.
type Option struct {
	// Value is passed to the Draw callback, e.g. "beta21" (the mixflowlib/timesteps ByName form).
	Value string
	// Label is shown in the selector, e.g. "Beta(2,1)".
	Label string
}

// DefaultDists are the timestep distributions offered by NewExplorer, named as mixflowlib/timesteps'
// ByName accepts them. t = 0 is noise, t = 1 is data; the shift moves mass toward noise.
var DefaultDists = []Option{
	{Value: "beta21", Label: "Beta(2,1) — MixFlow"},
	{Value: "uniform", Label: "Uniform(0,1)"},
	{Value: "logit-normal(0,1)", Label: "Logit-normal(0,1)"},
	{Value: "shift(3.0,beta21)", Label: "Beta(2,1), time shift s = 3"},
}

// Explorer is a γ slider and a distribution selector that redraw a figure live. Create it with
// NewExplorer, adjust the fields, then call Run.
type Explorer struct {
	// Title is shown above the controls.
	Title string
	// Draw returns the figure for a γ and a distribution value (dist is "" when Dists is empty). It is
	// called once per shown state; a panic or an invalid figure is reported in the figure's output.
	Draw func(gamma float64, dist string) chart.Figure
	// Gamma is the initial (and headless) γ.
	Gamma float64
	// Min, Max and Step define the slider (γ ∈ [0, 1] by default, step 0.05).
	Min, Max, Step float64
	// Dists are the selectable distributions (none: no selector).
	Dists []Option
	// Dist is the initial distribution value (one of Dists).
	Dist string
	// Handshake is how long to wait for the page to answer before falling back to the static default.
	Handshake time.Duration
	// Idle ends a live session after this long without interaction.
	Idle time.Duration

	transport transport // nil: GoNB comms
}

// Result says how an exploration ended.
type Result struct {
	// Gamma and Dist are the last values shown (the defaults when no front-end answered).
	Gamma float64
	Dist  string
	// Live is true when a front-end answered the handshake.
	Live bool
	// Redraws counts the figures drawn after the initial one.
	Redraws int
	// Reason says why the session ended: "static" (no front-end or MIXFLOW_WIDGETS=static), "done",
	// "idle" or "interrupted".
	Reason string
}

// NewExplorer returns an explorer with γ = 0.8 (the paper's default for SiT) on a [0, 1] slider with
// step 0.05, the DefaultDists selector starting at Beta(2,1), a 5 s handshake and a 5 min idle limit.
func NewExplorer(title string, draw func(gamma float64, dist string) chart.Figure) *Explorer {
	return &Explorer{
		Title: title, Draw: draw,
		Gamma: 0.8, Min: 0, Max: 1, Step: 0.05,
		Dists: DefaultDists, Dist: DefaultDists[0].Value,
		Handshake: 5 * time.Second, Idle: 5 * time.Minute,
	}
}

// Validate checks the configuration; errors name the field and the problem.
func (e *Explorer) Validate() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	switch {
	case e.Draw == nil:
		return fmt.Errorf("controls: explorer %q has no Draw function", e.Title)
	case bad(e.Min) || bad(e.Max) || !(e.Min < e.Max):
		return fmt.Errorf("controls: explorer %q: slider range [%v, %v] is empty or not finite", e.Title, e.Min, e.Max)
	case bad(e.Step) || e.Step <= 0 || e.Step > e.Max-e.Min:
		return fmt.Errorf("controls: explorer %q: step %v must be in (0, %v]", e.Title, e.Step, e.Max-e.Min)
	case bad(e.Gamma) || e.Gamma < e.Min || e.Gamma > e.Max:
		return fmt.Errorf("controls: explorer %q: gamma %v outside [%v, %v]", e.Title, e.Gamma, e.Min, e.Max)
	case e.Handshake < 0 || e.Idle < 0:
		return fmt.Errorf("controls: explorer %q: negative Handshake or Idle", e.Title)
	}
	if len(e.Dists) > 0 {
		found := false
		seen := map[string]bool{}
		for _, o := range e.Dists {
			if o.Value == "" || seen[o.Value] {
				return fmt.Errorf("controls: explorer %q: distribution values must be non-empty and distinct, got %q", e.Title, o.Value)
			}
			seen[o.Value] = true
			found = found || o.Value == e.Dist
		}
		if !found {
			return fmt.Errorf("controls: explorer %q: initial distribution %q is not among the options", e.Title, e.Dist)
		}
	} else if e.Dist != "" {
		return fmt.Errorf("controls: explorer %q: distribution %q given but there are no options", e.Title, e.Dist)
	}
	return nil
}

// snap rounds v to the slider grid and clamps it to [Min, Max].
func (e *Explorer) snap(v float64) float64 {
	k := math.Round((v - e.Min) / e.Step)
	g := e.Min + k*e.Step
	g = math.Max(e.Min, math.Min(e.Max, g))
	f, _ := strconv.ParseFloat(strconv.FormatFloat(g, 'f', 10, 64), 64)
	return f
}

// message is what the page script sends. Seq increases with every message of a page: GoNB delivers
// each message to the cell in its own goroutine, so they can arrive out of order and only the
// highest Seq says where the controls are now.
type message struct {
	Kind  string  `json:"kind"`
	Gamma float64 `json:"gamma"`
	Dist  string  `json:"dist"`
	Seq   int64   `json:"seq"`
}

type state struct {
	gamma float64
	dist  string
}

// Run shows the controls and the figure, runs the live session if a front-end answers, and returns when
// it ends (see the package documentation). Outside a notebook it only draws the default figure.
func (e *Explorer) Run() (Result, error) {
	if err := e.Validate(); err != nil {
		return Result{}, err
	}
	handshake := e.Handshake
	if handshake == 0 {
		handshake = 5 * time.Second
	}
	cur := state{gamma: e.snap(e.Gamma), dist: e.Dist}
	res := Result{Gamma: cur.gamma, Dist: cur.dist, Reason: "static"}
	if !nb.Active() {
		_, err := e.render(cur, 0)
		return res, err
	}
	id := nb.UniqueID()
	panelID, figID := "mixflow-explorer-"+id, "mixflow-explorer-fig-"+id
	addr := "/mixflow/explorer/" + id

	static := os.Getenv(StaticEnvVar) == "static"
	var inbox *mailbox
	if static {
		note := "saved view: open the notebook in Jupyter and run this cell to move the slider"
		nb.Update(panelID, nb.Output{HTML: e.panelHTML(panelID, addr, cur, note, 0), Text: e.panelText(cur, note)})
	} else {
		// Subscribe before showing the controls: GoNB forwards page messages only to addresses already
		// subscribed, and its pipe keeps our messages in order.
		inbox = newMailbox()
		e.transportOrDefault().subscribe(addr, inbox.put)
		nb.Update(panelID, nb.Output{HTML: e.panelHTML(panelID, addr, cur, "live", handshake), Text: e.panelText(cur, "waiting for the notebook page")})
	}
	fig, err := e.render(cur, 0)
	if err != nil {
		e.showFigError(figID, err)
	} else {
		nb.Update(figID, fig)
	}
	if static {
		nb.Flush(nb.FlushTimeout)
		return res, err
	}

	// GoNB's page-side connection can fail on a busy machine (it gives the kernel 500 ms to acknowledge);
	// while the page has not answered, ask GoNB every RetryEvery to check the connection (a heartbeat)
	// and reinstall it if it is gone.
	hello, deadline := false, time.Now().Add(handshake)
	for !hello {
		left := time.Until(deadline)
		if left <= 0 {
			break
		}
		hello = inbox.waitHello(min(left, RetryEvery))
		if !hello && time.Until(deadline) > 0 {
			e.transportOrDefault().retry()
		}
	}
	if !hello {
		note := fmt.Sprintf("static: no notebook page answered within %v (headless run); showing the default. Run the cell in Jupyter to move the slider", handshake)
		nb.Update(panelID, nb.Output{HTML: e.panelHTML(panelID, addr, cur, note, 0), Text: e.panelText(cur, note)})
		nb.Flush(nb.FlushTimeout)
		return res, err
	}
	res.Live = true

	interrupt := make(chan os.Signal, 1)
	if nb.InNotebook() {
		signal.Notify(interrupt, os.Interrupt)
		defer signal.Stop(interrupt)
	}
	idle := e.Idle
	if idle == 0 {
		idle = 5 * time.Minute
	}
	lastActive := time.Now()
	drawn := cur
	var lastSeq int64
	for res.Reason == "static" {
		timer := time.NewTimer(idle - time.Since(lastActive))
		select {
		case <-inbox.signal:
			timer.Stop()
			lastActive = time.Now()
			msgs := inbox.drain()
			want, done := drawn, false
			for _, m := range msgs {
				switch m.Kind {
				case "set":
					if m.Seq <= lastSeq {
						continue // overtaken by a later message that arrived first
					}
					lastSeq = m.Seq
					want.gamma = e.snap(m.Gamma)
					if e.validDist(m.Dist) {
						want.dist = m.Dist
					}
				case "done":
					done = true
				}
			}
			if want != drawn {
				fig, err := e.render(want, res.Redraws+1)
				if err != nil {
					e.showFigError(figID, err)
				} else {
					nb.Update(figID, fig)
				}
				drawn = want
				res.Redraws++
			}
			if done {
				res.Reason = "done"
			}
		case <-timer.C:
			res.Reason = "idle"
		case <-interrupt:
			timer.Stop()
			res.Reason = "interrupted"
		}
	}
	res.Gamma, res.Dist = drawn.gamma, drawn.dist
	note := map[string]string{
		"done":        "closed (Done pressed); re-run the cell to explore again",
		"idle":        fmt.Sprintf("closed after %v without interaction; re-run the cell to explore again", idle),
		"interrupted": "closed (kernel interrupted); re-run the cell to explore again",
	}[res.Reason]
	nb.Update(panelID, nb.Output{HTML: e.panelHTML(panelID, addr, drawn, note, 0), Text: e.panelText(drawn, note)})
	nb.Flush(nb.FlushTimeout)
	return res, nil
}

func (e *Explorer) validDist(d string) bool {
	for _, o := range e.Dists {
		if o.Value == d {
			return true
		}
	}
	return false
}

func (e *Explorer) transportOrDefault() transport {
	if e.transport != nil {
		return e.transport
	}
	return gonbTransport{}
}

// render calls Draw (turning a panic into an error) and renders the figure with the state in data-*
// attributes (data-mixflow-gamma, data-mixflow-dist, data-mixflow-seq).
func (e *Explorer) render(s state, seq int) (out nb.Output, err error) {
	var fig chart.Figure
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("controls: explorer %q: Draw(γ = %g, %q) panicked: %v", e.Title, s.gamma, s.dist, p)
			}
		}()
		fig = e.Draw(s.gamma, s.dist)
	}()
	if err != nil {
		return nb.Output{}, err
	}
	r, err := fig.Render(map[string]string{
		"mixflow-gamma": strconv.FormatFloat(s.gamma, 'f', -1, 64),
		"mixflow-dist":  s.dist,
		"mixflow-seq":   strconv.Itoa(seq),
	})
	if err != nil {
		return nb.Output{}, fmt.Errorf("controls: explorer %q at γ = %g, %q: %w", e.Title, s.gamma, s.dist, err)
	}
	return r.Output(), nil
}

func (e *Explorer) showFigError(figID string, err error) {
	nb.Update(figID, nb.Output{
		HTML: `<div class="mixflow-error" style="color:#a40000;font-family:monospace">` + html.EscapeString(err.Error()) + `</div>`,
		Text: err.Error(),
	})
}

func (e *Explorer) distLabel(v string) string {
	for _, o := range e.Dists {
		if o.Value == v {
			return o.Label
		}
	}
	return v
}

func (e *Explorer) panelText(s state, status string) string {
	t := fmt.Sprintf("%s γ = %g", e.Title, s.gamma)
	if s.dist != "" {
		t += ", " + e.distLabel(s.dist)
	}
	return t + " [" + status + "]"
}

// panelHTML returns the controls. status "live" adds the page script that connects them to the cell;
// any other status shows the controls disabled with that note.
func (e *Explorer) panelHTML(id, addr string, s state, status string, handshake time.Duration) string {
	live := status == "live"
	dis := ""
	if !live {
		dis = " disabled"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="mixflow-explorer" id="%s" data-mixflow-live="%s" data-mixflow-gamma="%s" data-mixflow-dist="%s" `+
		`style="font-family:sans-serif;font-size:13px;display:flex;flex-wrap:wrap;align-items:center;gap:14px;padding:6px 0">`,
		id, map[bool]string{true: "waiting", false: "closed"}[live], strconv.FormatFloat(s.gamma, 'f', -1, 64), html.EscapeString(s.dist))
	if e.Title != "" {
		fmt.Fprintf(&b, `<b>%s</b>`, html.EscapeString(e.Title))
	}
	prec := decimals(e.Step)
	fmt.Fprintf(&b, `<label style="white-space:nowrap">γ <input class="mixflow-gamma" type="range" min="%g" max="%g" step="%g" value="%g" style="vertical-align:middle;width:200px"%s> `+
		`<span class="mixflow-gamma-value" style="display:inline-block;min-width:3em;font-family:monospace">%.*f</span></label>`,
		e.Min, e.Max, e.Step, s.gamma, dis, prec, s.gamma)
	if len(e.Dists) > 0 {
		fmt.Fprintf(&b, `<label style="white-space:nowrap">timestep distribution <select class="mixflow-dist"%s>`, dis)
		for _, o := range e.Dists {
			sel := ""
			if o.Value == s.dist {
				sel = " selected"
			}
			fmt.Fprintf(&b, `<option value="%s"%s>%s</option>`, html.EscapeString(o.Value), sel, html.EscapeString(o.Label))
		}
		b.WriteString(`</select></label>`)
	}
	if live {
		b.WriteString(`<button class="mixflow-done" type="button" title="end the exploration and free the kernel">Done</button>`)
		b.WriteString(`<span class="mixflow-status" style="color:#666">connecting to the kernel…</span></div>`)
		idJS, _ := json.Marshal(id)
		addrJS, _ := json.Marshal(addr)
		fmt.Fprintf(&b, "<script>\n%s(%s, %s, %d, %d);\n</script>", panelJS, idJS, addrJS, handshake.Milliseconds(), prec)
	} else {
		fmt.Fprintf(&b, `<span class="mixflow-status" style="color:#666">%s</span></div>`, html.EscapeString(status))
	}
	return b.String()
}

// decimals returns how many decimals show a multiple of step exactly (at most 6).
func decimals(step float64) int {
	for d := 0; d <= 6; d++ {
		p := math.Pow(10, float64(d))
		if math.Abs(step*p-math.Round(step*p)) < 1e-9 {
			return d
		}
	}
	return 6
}

// mailbox collects page messages: a buffer with a wake-up signal, so the session redraws only the
// latest state however fast the slider moves.
type mailbox struct {
	mu     sync.Mutex
	msgs   []message
	hello  chan struct{}
	helloO sync.Once
	signal chan struct{}
}

func newMailbox() *mailbox {
	return &mailbox{hello: make(chan struct{}), signal: make(chan struct{}, 1)}
}

// put receives one raw message from the page; malformed ones are ignored (the page is not trusted
// to send well-formed data, and a bad message must not stop the session).
func (m *mailbox) put(raw string) {
	var msg message
	if err := json.Unmarshal([]byte(raw), &msg); err != nil {
		return
	}
	if math.IsNaN(msg.Gamma) || math.IsInf(msg.Gamma, 0) {
		return
	}
	m.helloO.Do(func() { close(m.hello) }) // any message proves the page is connected
	if msg.Kind == "hello" {
		return
	}
	m.mu.Lock()
	m.msgs = append(m.msgs, msg)
	if len(m.msgs) > 1000 {
		m.msgs = m.msgs[len(m.msgs)-1000:]
	}
	m.mu.Unlock()
	select {
	case m.signal <- struct{}{}:
	default:
	}
}

// drain returns the buffered messages in page order (by Seq).
func (m *mailbox) drain() []message {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.msgs
	m.msgs = nil
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

func (m *mailbox) waitHello(d time.Duration) bool {
	select {
	case <-m.hello:
		return true
	case <-time.After(d):
		return false
	}
}
