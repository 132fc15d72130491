package controls

import (
	_ "embed"

	"github.com/janpfeifer/gonb/gonbui/comms"
)

//go:embed panel.js
var panelJS string

// transport delivers the page's messages for an address to fn. The default goes through GoNB's comms;
// tests replace it with a simulated page.
type transport interface {
	subscribe(addr string, fn func(msg string))
	// retry asks the front-end connection to be checked and re-established if it was lost.
	retry()
}

type gonbTransport struct{}

// subscribe registers with GoNB. The subscription is deliberately never cancelled: GoNB clears it when
// the cell ends, and gonbui/comms (v0.11.5) leaves its lock held when a message reaches an address after
// Unsubscribe, which would hang the next comms call.
func (gonbTransport) subscribe(addr string, fn func(string)) {
	comms.Subscribe[string](addr, func(_ string, v string) { fn(v) })
}

// retry sends GoNB's "start comms" request: GoNB pings the page (heartbeat) and reinstalls its
// page-side connection if there is no answer.
func (gonbTransport) retry() { comms.Start() }
