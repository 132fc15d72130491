package toyexp

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/objective"
	"github.com/mixflow/mixflow/mixflowlib/timesteps"
)

func TestSpecErrors(t *testing.T) {
	base := DefaultBaseSpec()
	eval := DefaultEvalSpec()
	sf := DefaultSlowFlowSpec()
	cases := []struct {
		name string
		err  error
		want []string // substrings of the error
	}{
		{"gamma too large", MixFlowObjective(1.3).Validate(), []string{"objective:", "gamma 1.3", "[0, 1]"}},
		{"gamma NaN", MixFlowObjective(math.NaN()).Validate(), []string{"gamma NaN"}},
		{"negative gamma", MixFlowObjective(-0.1).Validate(), []string{"gamma -0.1"}},
		{"unknown kind", ObjectiveSpec{Kind: "ddpm"}.Validate(), []string{`kind "ddpm"`}},
		{"fm with gamma", ObjectiveSpec{Kind: KindFM, Gamma: 0.5}.Validate(), []string{`"fm" takes no gamma`}},
		{"bad mixture", ObjectiveSpec{Kind: KindMixFlow, Gamma: 0.5, Mixture: "sideways"}.Validate(), []string{`mixture "sideways"`}},
		{"bad target", ObjectiveSpec{Kind: KindMixFlow, Gamma: 0.5, Target: "x"}.Validate(), []string{`target "x"`}},
		{"bad shift", ObjectiveSpec{Kind: KindMixFlow, Gamma: 0.5, Shift: 0.5}.Validate(), []string{"shift 0.5"}},
		{"bad times", ObjectiveSpec{Kind: KindFM, Times: "cauchy"}.Validate(), []string{`times "cauchy"`}},
		{"bad path", ObjectiveSpec{Kind: KindFM, Path: "spiral"}.Validate(), []string{`path "spiral"`}},
		{"bad toy", DataSpec{Toy: "dragon"}.Validate(), []string{`toy "dragon"`}},
		{"dim 1", DataSpec{Toy: "moons", Dim: 1}.Validate(), []string{"dim 1 outside"}},
		{"bad width", ModelSpec{Width: -3}.Validate(), []string{"experiment: model"}},
		{"zero steps", TrainSpec{}.Validate(), []string{"train steps 0"}},
		{"bad optimizer", TrainSpec{Steps: 10, Optimizer: "sgd"}.Validate(), []string{"experiment: train"}},
		{"no methods", func() error { e := eval; e.Methods = nil; return e.Validate() }(), []string{"eval methods: empty"}},
		{"unknown method", func() error { e := eval; e.Methods = []string{"rk4"}; return e.Validate() }(), []string{`method "rk4"`}},
		{"duplicate steps", func() error { e := eval; e.Steps = []int{5, 5}; return e.Validate() }(), []string{"5 appears twice"}},
		{"zero steps eval", func() error { e := eval; e.Steps = []int{0}; return e.Validate() }(), []string{"eval steps 0 outside"}},
		{"mmd > samples", func() error { e := eval; e.MMDSamples = e.Samples + 1; return e.Validate() }(), []string{"mmd_samples"}},
		{"no eval seeds", func() error { e := eval; e.Seeds = nil; return e.Validate() }(), []string{"eval seeds: empty"}},
		{"protocol", func() error { s := sf; s.Protocol = "closest"; return s.Validate() }(), []string{`protocol "closest"`}},
		{"quantiles", func() error { s := sf; s.Quantiles = [2]float64{0.9, 0.1}; return s.Validate() }(), []string{"quantiles"}},
		{"sf reference", func() error { s := sf; s.ReferenceSize = 0; return s.Validate() }(), []string{"reference_size 0"}},
		{"base bad data", func() error { b := base; b.Data.Toy = ""; return b.Validate() }(), []string{"toyexp: data toy"}},
		{"sweep no seeds", SweepSpec{Base: base, Post: DefaultPostSpec(FMObjective()), Eval: eval, Variants: []Variant{StandardVariant()}}.Validate(), []string{"no seeds"}},
		{"sweep duplicate names", SweepSpec{Base: base, Post: DefaultPostSpec(FMObjective()), Eval: eval, Seeds: []uint64{1},
			Variants: []Variant{StandardVariant(), StandardVariant()}}.Validate(), []string{`"FM (standard)" appears twice`}},
		{"sweep bad reference", SweepSpec{Base: base, Post: DefaultPostSpec(FMObjective()), Eval: eval, Seeds: []uint64{1}, Reference: "nope",
			Variants: []Variant{StandardVariant()}}.Validate(), []string{`reference "nope"`}},
		{"sweep bad variant", SweepSpec{Base: base, Post: DefaultPostSpec(FMObjective()), Eval: eval, Seeds: []uint64{1},
			Variants: []Variant{{Name: "x", Objective: MixFlowObjective(2)}}}.Validate(), []string{`variant 0 ("x")`, "gamma 2"}},
	}
	for _, c := range cases {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(c.err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", c.name, c.err, w)
			}
		}
		// The layer that validates a setting names itself once: toyexp for its own specs, experiment (the
		// core) for the sampler methods, steps and Slow Flow spec it owns, objective for the objective.Spec
		// fields.
		if msg := c.err.Error(); !strings.HasPrefix(msg, "toyexp: ") && !strings.HasPrefix(msg, "experiment: ") &&
			!strings.HasPrefix(msg, "objective: ") {
			t.Errorf("%s: error %q does not name the package", c.name, c.err)
		}
	}
}

func TestDefaultSpecsValid(t *testing.T) {
	for name, err := range map[string]error{
		"base": DefaultBaseSpec().Validate(), "post": DefaultPostSpec(MixFlowObjective(0.8)).Validate(),
		"eval": DefaultEvalSpec().Validate(), "slowflow": DefaultSlowFlowSpec().Validate(),
	} {
		if err != nil {
			t.Errorf("default %s spec: %v", name, err)
		}
	}
	for _, v := range append(GammaVariants(0, 0.5, 1), TimestepVariants()...) {
		if err := v.Objective.Validate(); err != nil {
			t.Errorf("variant %q: %v", v.Name, err)
		}
	}
}

// Equivalent spellings must hash alike (so a notebook and the CLI share cache entries) and a changed
// setting must not.
func TestCanonicalHashing(t *testing.T) {
	c := expcache.New(t.TempDir())
	a := DefaultBaseSpec()
	a.Data.Toy = "8Gaussians( std = 0.05 )"
	a.Model = ModelSpec{Width: 64, Depth: 3} // defaults left zero
	b := DefaultBaseSpec()
	b.Data.Dim = 2
	b.Model = ModelSpec{Width: 64, Depth: 3, Activation: "silu", TimeDim: 64, TimeScale: 100, TimeMaxPeriod: 100}
	b.Objective = ObjectiveSpec{Kind: "FM", Path: "linear", Times: "uniform"}
	ca, err := a.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ca, cb) {
		t.Fatalf("canonical specs differ:\n%+v\n%+v", ca, cb)
	}
	ka, _ := c.Key(cacheBase, ca)
	kb, _ := c.Key(cacheBase, cb)
	if ka != kb {
		t.Errorf("keys differ: %s %s", ka, kb)
	}
	cc := cb
	cc.Train.LR = 2e-3
	if kc, _ := c.Key(cacheBase, cc); kc == ka {
		t.Errorf("changing the learning rate kept the key %s", kc)
	}

	// JSON round trip of every spec keeps it equal.
	sweep := SweepSpec{Base: ca, Post: DefaultPostSpec(FMObjective()), Eval: DefaultEvalSpec(), Seeds: []uint64{1, 2},
		Variants: append([]Variant{StandardVariant()}, append(GammaVariants(0.8), TimestepVariants()...)...), IncludeBase: true}
	sc, err := sweep.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{ca, sc, DefaultSlowFlowSpec()} {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		back := reflect.New(reflect.TypeOf(v))
		if err := json.Unmarshal(raw, back.Interface()); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back.Elem().Interface(), v) {
			t.Errorf("JSON round trip changed %T:\n%s\n%+v", v, raw, back.Elem().Interface())
		}
	}
}

func TestObjectiveBuild(t *testing.T) {
	o, err := ObjectiveSpec{Kind: KindMixFlow, Gamma: 1, Times: "uniform", Mixture: "absolute", Target: "t"}.Build()
	if err != nil {
		t.Fatal(err)
	}
	mf, ok := o.(objective.MixFlow)
	if !ok {
		t.Fatalf("built %T, want objective.MixFlow", o)
	}
	if mf.Gamma != 1 || mf.Mixture != timesteps.Absolute || mf.Target != objective.TargetAtT || mf.Times.Name() != "uniform" {
		t.Errorf("built %+v", mf)
	}
	o, err = MixFlowObjective(0.8).Build()
	if err != nil {
		t.Fatal(err)
	}
	if got := o.Name(); got != "mixflow(gamma=0.8,path=linear,times=beta21)" {
		t.Errorf("MixFlow(0.8) name %q", got)
	}
	o, err = FMObjective().Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := o.(objective.FlowMatching); !ok {
		t.Errorf("fm built %T", o)
	}
	if got := (ObjectiveSpec{Kind: KindMixFlow, Gamma: 1, Times: "uniform", Mixture: "absolute"}).Label(); got != "MixFlow m~U[0,1] t~uniform" {
		t.Errorf("label %q", got)
	}
}
