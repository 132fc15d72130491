package objective_test

import (
	"encoding/json"
	"testing"

	"github.com/mixflow/mixflow/mixflowlib/objective"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
	"github.com/mixflow/mixflow/mixflowlib/timesteps"
)

// TestEnumText checks that the typed enums of the settings encode by name in JSON and decode back, and
// that unknown names and values are refused.
func TestEnumText(t *testing.T) {
	type cfg struct {
		Mixture timesteps.Mixture `json:"mixture"`
		Target  objective.Target  `json:"target"`
		Method  sampler.Method    `json:"method"`
	}
	in := cfg{timesteps.Absolute, objective.TargetAtT, sampler.HeunSDE}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"mixture":"absolute","target":"t","method":"heun-sde"}` {
		t.Errorf("JSON %s", raw)
	}
	var back cfg
	if err := json.Unmarshal(raw, &back); err != nil || back != in {
		t.Errorf("round trip %v %+v", err, back)
	}
	for _, bad := range []string{`{"mixture":"sideways"}`, `{"target":"x"}`, `{"method":"rk4"}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := json.Marshal(cfg{Mixture: 7}); err == nil {
		t.Error("unknown mixture 7 marshalled")
	}
	if _, err := json.Marshal(cfg{Target: 9}); err == nil {
		t.Error("unknown target 9 marshalled")
	}
	if _, err := json.Marshal(cfg{Method: -1}); err == nil {
		t.Error("unknown method -1 marshalled")
	}
}
