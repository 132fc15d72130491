package experiment

import (
	"bytes"
	"strings"
	"testing"
)

func TestLogObserver(t *testing.T) {
	var buf bytes.Buffer
	obs := LogObserver(&buf, 1, 1e9)
	obs.Observe(Event{Kind: StageStart, Stage: "train base", Level: 1, Unit: "step", Total: 100})
	for i := 1; i <= 100; i++ {
		obs.Observe(Event{Kind: StageProgress, Stage: "train base", Level: 1, Unit: "step", Done: i, Total: 100,
			Values: map[string]float64{"loss": 1 / float64(i)}})
	}
	obs.Observe(Event{Kind: StageEnd, Stage: "train base", Level: 1, Unit: "step", Done: 100, Total: 100, Cached: true})
	obs.Observe(Event{Kind: StageStart, Stage: "hidden", Level: 2})
	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	// start, one line per tenth, end.
	if len(lines) != 12 {
		t.Errorf("%d lines:\n%s", len(lines), out)
	}
	for _, want := range []string{"[train base] start: 100 steps", "step 50/100 (50%) loss=0.02", "[train base] cached in"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hidden") {
		t.Errorf("level-2 stage shown:\n%s", out)
	}
}
