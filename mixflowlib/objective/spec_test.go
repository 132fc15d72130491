package objective

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/mixflow/mixflow/mixflowlib/timesteps"
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
		{Spec{Kind: "ddpm"}, `objective: kind "ddpm": want "fm", "mixflow" or "input-perturbation"`},
		{InputPerturbationSpec(-0.1, 0), "objective: input perturbation gamma -0.1 must be finite and >= 0"},
		{InputPerturbationSpec(math.NaN(), 0), "objective: input perturbation gamma NaN must be finite and >= 0"},
		{Spec{Kind: KindInputPerturbation, IPDecaySteps: -5}, "objective: input perturbation decay steps -5 must be >= 0"},
		{Spec{Kind: KindInputPerturbation, Path: "gvp"}, `objective: kind "input-perturbation" is defined on the linear path only, not "gvp"`},
		{Spec{Kind: KindInputPerturbation, Gamma: 0.5}, `objective: kind "input-perturbation" takes no gamma, mixture, target or shift (got gamma=0.5 mixture="" target="" shift=0)`},
		{Spec{Kind: KindFM, IPGamma: 0.1}, `objective: kind "fm" takes no ip_gamma or ip_decay_steps (got ip_gamma=0.1 ip_decay_steps=0)`},
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
	if l := MixFlowSpec(0, 0).Label(); ControlLabel != "MixFlow γ=0 control" || l != ControlLabel {
		t.Errorf("γ=0 label %q", l)
	}
	ip, err := InputPerturbationSpec(0, 0.1).Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if want := (Spec{Kind: KindInputPerturbation, Path: "linear", Times: "uniform", IPGamma: DefaultInputPerturbationGamma, LabelDropout: 0.1}); ip != want {
		t.Errorf("canonical %+v, want %+v", ip, want)
	}
	if raw, _ := json.Marshal(ip); string(raw) != `{"kind":"input-perturbation","path":"linear","times":"uniform","gamma":0,"label_dropout":0.1,"ip_gamma":0.1}` {
		t.Errorf("JSON %s", raw)
	}
	// The new fields are omitted when zero, so the JSON (and the cache keys) of fm and mixflow specs are unchanged.
	if raw, _ := json.Marshal(MixFlowSpec(0.8, 0)); string(raw) != `{"kind":"mixflow","gamma":0.8}` {
		t.Errorf("JSON %s", raw)
	}
	ipo, err := Spec{Kind: KindInputPerturbation, IPGamma: 0.15, IPDecaySteps: 1000, Times: "beta21"}.Build()
	if err != nil || ipo.Name() != (InputPerturbation{Gamma: 0.15, DecaySteps: 1000, Times: timesteps.Beta21{}}).Name() {
		t.Errorf("input perturbation %v %v", ipo, err)
	}
	if l := (Spec{Kind: KindInputPerturbation, IPGamma: 0.15, IPDecaySteps: 1000}).Label(); l != "IP γ=0.15 decay=1000" {
		t.Errorf("label %q", l)
	}
	if fm, err := FMSpec("", 0.1).Build(); err != nil || fm.Name() != (FlowMatching{LabelDropout: 0.1}).Name() {
		t.Errorf("fm %v %v", fm, err)
	}
}
