package objective

import (
	"encoding/json"
	"math"
	"testing"
)

// TestSpec checks Spec's one validation (each bad field named once, with the package prefix once),
// its canonical form, its JSON round trip and Build.
func TestSpec(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{MixFlowSpec(1.3, 0), "objective: gamma 1.3 outside [0, 1]"},
		{MixFlowSpec(math.NaN(), 0), "objective: gamma NaN outside [0, 1]"},
		{MixFlowSpec(0.8, 1.5), "objective: label dropout probability 1.5 outside [0, 1]"},
		{Spec{Kind: "ddpm"}, `objective: kind "ddpm": want "fm" or "mixflow"`},
		{Spec{Kind: KindFM, Gamma: 0.5}, `objective: kind "fm" takes no gamma, mixture, target or shift (got gamma=0.5 mixture="" target="" shift=0)`},
		{Spec{Kind: KindMixFlow, Gamma: 0.5, Shift: 0.5}, "objective: shift 0.5: want 0 (none) or a finite value ≥ 1"},
		{Spec{Kind: KindMixFlow, Gamma: 0.5, Mixture: "x"}, `objective: mixture "x": want "relative" or "absolute"`},
	} {
		err := tc.spec.Validate()
		if err == nil || err.Error() != tc.want {
			t.Errorf("%+v: error %v, want %q", tc.spec, err, tc.want)
		}
		if _, err := tc.spec.Build(); err == nil || err.Error() != tc.want {
			t.Errorf("%+v: Build error %v, want %q", tc.spec, err, tc.want)
		}
	}
	c, err := Spec{Kind: " MixFlow ", Gamma: 0.8, Mixture: "Absolute", LabelDropout: 0.1}.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{Kind: KindMixFlow, Path: "linear", Times: "beta21", Gamma: 0.8, Mixture: "absolute", Target: "m", LabelDropout: 0.1}
	if c != want {
		t.Errorf("canonical %+v, want %+v", c, want)
	}
	raw, _ := json.Marshal(c)
	if string(raw) != `{"kind":"mixflow","path":"linear","times":"beta21","gamma":0.8,"mixture":"absolute","target":"m","label_dropout":0.1}` {
		t.Errorf("JSON %s", raw)
	}
	var back Spec
	if err := json.Unmarshal(raw, &back); err != nil || back != c {
		t.Errorf("JSON round trip: %v %+v", err, back)
	}
	obj, err := c.Build()
	if err != nil {
		t.Fatal(err)
	}
	if got := obj.Name(); got != "mixflow(gamma=0.8,path=linear,times=beta21,mixture=absolute,label-dropout=0.1)" {
		t.Errorf("built %s", got)
	}
	if l := MixFlowSpec(0.8, 0).Label(); l != "MixFlow γ=0.8" {
		t.Errorf("label %q", l)
	}
	if fm, err := FMSpec("", 0.1).Build(); err != nil || fm.Name() != (FlowMatching{LabelDropout: 0.1}).Name() {
		t.Errorf("fm %v %v", fm, err)
	}
}
