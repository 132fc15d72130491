package sampler

import (
	"strings"
	"testing"
)

// TestParseMethod checks that ParseMethod inverts String and rejects unknown names.
func TestParseMethod(t *testing.T) {
	for _, m := range []Method{Euler, Heun, EulerMaruyama, HeunSDE} {
		got, err := ParseMethod(" " + strings.ToUpper(m.String()) + " ")
		if err != nil || got != m {
			t.Errorf("ParseMethod(%q) = %v, %v; want %v", m.String(), got, err, m)
		}
	}
	for _, alias := range []string{"sde", "em"} {
		if got, err := ParseMethod(alias); err != nil || got != EulerMaruyama {
			t.Errorf("ParseMethod(%q) = %v, %v; want euler-maruyama", alias, got, err)
		}
	}
	if _, err := ParseMethod("rk4"); err == nil || !strings.Contains(err.Error(), `"rk4"`) {
		t.Errorf("ParseMethod(rk4): error %v, want one naming the method", err)
	}
}
