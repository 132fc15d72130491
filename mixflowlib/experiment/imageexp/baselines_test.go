package imageexp

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSamplerBaselines checks the sampler spec's Epsilon Scaling and Time-Shift fields: they reach the
// sampler configuration, name themselves in the label, leave the JSON (and so the cache keys) of specs
// without them unchanged, and are validated.
func TestSamplerBaselines(t *testing.T) {
	plain := SamplerSpec{Method: MethodEuler, Steps: 10}
	b, _ := json.Marshal(plain)
	if string(b) != `{"method":"euler","steps":10}` {
		t.Errorf("plain spec JSON %s", b)
	}
	s := SamplerSpec{Method: MethodEuler, Steps: 10, EpsilonB: 1.005, TimeShiftVariance: 0.3}
	cfg, err := s.Config(0)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.EpsilonScaling.B != 1.005 || cfg.TimeShift.DataVariance != 0.3 || cfg.TimeShift.Window == 0 {
		t.Errorf("config %+v %+v", cfg.EpsilonScaling, cfg.TimeShift)
	}
	if got := s.Label(); got != "euler 10 ε-scaling λ=1.005 time-shift" {
		t.Errorf("label %q", got)
	}
	if c, _ := (SamplerSpec{Method: MethodEuler, Steps: 10, EpsilonB: 1}).Canonical(); c != plain {
		t.Errorf("λ = 1 canonical %+v, want the plain spec", c)
	}
	for _, bad := range []SamplerSpec{{Steps: 10, EpsilonB: -1}, {Steps: 10, TimeShiftVariance: -0.1}} {
		if _, err := bad.Canonical(); err == nil || !strings.HasPrefix(err.Error(), "imageexp: sampler") {
			t.Errorf("%+v: error %v, want an imageexp: sampler error", bad, err)
		}
	}
}
