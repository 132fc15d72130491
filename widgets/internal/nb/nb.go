// Package nb is the one place where the widgets talk to the notebook front-end through GoNB.
//
// A cell of the mixflow kernel is a separate Go process; GoNB gives it a named pipe over which it sends
// display_data messages (gonbui). This package wraps that pipe with three operations the widgets need:
// show an output with several MIME representations at once (so that a saved notebook keeps a static
// image next to the interactive HTML), update an output in place through a display id, and flush.
// Outside a notebook (tests, command-line tools) every call is a no-op unless a test installed a Sink.
package nb

import (
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// Output is one notebook output with up to four representations. Front-ends pick the richest one they
// can show; saved notebooks keep all of them.
type Output struct {
	// HTML is the text/html representation (interactive charts, tables, controls).
	HTML string
	// PNG is the image/png representation: what static viewers and nbconvert's exporters show.
	PNG []byte
	// Markdown is the text/markdown representation (tables).
	Markdown string
	// Text is the text/plain representation, for consoles and as a last resort.
	Text string
}

func (o Output) data() map[protocol.MIMEType]any {
	d := make(map[protocol.MIMEType]any, 4)
	if o.HTML != "" {
		d[protocol.MIMETextHTML] = o.HTML
	}
	if len(o.PNG) > 0 {
		d[protocol.MIMEImagePNG] = o.PNG
	}
	if o.Markdown != "" {
		d[protocol.MIMETextMarkdown] = o.Markdown
	}
	if o.Text != "" {
		d[protocol.MIMETextPlain] = o.Text
	}
	return d
}

var (
	sinkMu sync.Mutex
	sink   func(displayID string, o Output)
)

// SetSink routes every output to fn instead of the notebook (fn == nil restores the default). Tests use it
// to see what a widget would have shown; displayID is "" for a plain display.
func SetSink(fn func(displayID string, o Output)) {
	sinkMu.Lock()
	sink = fn
	sinkMu.Unlock()
}

func currentSink() func(string, Output) {
	sinkMu.Lock()
	defer sinkMu.Unlock()
	return sink
}

// Active reports whether outputs go anywhere: the process runs as a GoNB cell, or a test installed a sink.
func Active() bool { return gonbui.IsNotebook || currentSink() != nil }

// InNotebook reports whether this process is a GoNB cell (it has GoNB's pipe).
func InNotebook() bool { return gonbui.IsNotebook }

// Display shows o as a new output of the running cell. Final outputs should be followed by Flush.
func Display(o Output) {
	if s := currentSink(); s != nil {
		s("", o)
		return
	}
	if !gonbui.IsNotebook {
		return
	}
	gonbui.SendData(&protocol.DisplayData{Data: o.data()})
}

// Update shows o in the output identified by displayID: the first call creates it (display_data with a
// transient display_id) and later calls replace its content in place (update_display_data). Jupyter,
// JupyterLab, VS Code and nbclient all apply the update to the same output, so the saved notebook keeps
// the last state only.
func Update(displayID string, o Output) {
	if s := currentSink(); s != nil {
		s(displayID, o)
		return
	}
	if !gonbui.IsNotebook {
		return
	}
	gonbui.SendData(&protocol.DisplayData{Data: o.data(), DisplayID: displayID})
}

// UniqueID returns a fresh identifier for display ids and DOM element ids.
func UniqueID() string { return gonbui.UniqueId() }

// FlushTimeout bounds the wait of the widgets' final flushes.
const FlushTimeout = 5 * time.Second

// Flush waits (at most timeout) until GoNB has received and published everything sent so far. Without it,
// an output sent just before the cell's process exits can reach Jupyter after the cell is reported done,
// and nbclient drops it (seen with large figures). It returns false on timeout or outside a notebook.
func Flush(timeout time.Duration) bool {
	if !gonbui.IsNotebook || gonbui.Error() != nil {
		return false
	}
	done := make(chan struct{})
	go func() {
		gonbui.Sync()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}
