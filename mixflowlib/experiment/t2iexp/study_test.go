package t2iexp_test

import (
	"testing"

	"github.com/mixflow/mixflow/mixflowlib/backbone/t2i"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/experiment/t2iexp"
)

// TestNewStudy: the study's arms continue the base's training (standard is the base's own objective,
// the same learning rate), the control and MixFlow arms are distinct, the overrides reach the model, and
// the evaluation is paired (one evaluation seed) with Euler and Heun, unguided and guided.
func TestNewStudy(t *testing.T) {
	for _, s := range []t2iexp.Sizes{t2iexp.StudySizes(), t2iexp.QuickStudySizes()} {
		st, err := t2iexp.NewStudy(s)
		if err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		if len(st.Arms) != 3 || st.Arms[0].Label() != st.Base.Objective.Label() {
			t.Errorf("arms %v: want standard (the base's %s) first, then two more", st.Arms, st.Base.Objective.Label())
		}
		if st.Arms[1].Label() == st.Arms[2].Label() || st.Arms[0].Label() == st.Arms[1].Label() {
			t.Errorf("arm labels not distinct: %s, %s, %s", st.Arms[0].Label(), st.Arms[1].Label(), st.Arms[2].Label())
		}
		if st.Post.LR != st.Base.Train.LR || st.Post.Steps != s.PostSteps || st.Seeds != s.Seeds {
			t.Errorf("post %+v, seeds %d for sizes %+v", st.Post, st.Seeds, s)
		}
		if len(st.Eval.Seeds) != 1 || st.Eval.N != s.EvalN {
			t.Errorf("eval seeds %v, n %d: want one seed of %d images", st.Eval.Seeds, st.Eval.N, s.EvalN)
		}
		methods, guided := map[string]bool{}, 0
		for _, sp := range st.Eval.Samplers {
			methods[sp.Method] = true
			if sp.Guided() {
				guided++
			}
		}
		if !methods[imageexp.MethodEuler] || !methods[imageexp.MethodHeun] || guided*2 != len(st.Eval.Samplers) {
			t.Errorf("samplers %v: want Euler and Heun, half of them guided", st.Eval.Samplers)
		}
	}
	st, _ := t2iexp.NewStudy(t2iexp.StudySizes())
	m, err := st.Base.Model.Build()
	if err != nil {
		t.Fatal(err)
	}
	if c := m.(*t2i.Model).Config(); c.Hidden != 64 || c.Depth != 2 || c.PatchSize != 4 {
		t.Errorf("model %+v: overrides of StudySizes not applied", c.DiTConfig)
	}
	bad := t2iexp.StudySizes()
	bad.Seeds = 0
	if _, err := t2iexp.NewStudy(bad); err == nil {
		t.Error("zero training seeds: no error")
	}
	bad = t2iexp.StudySizes()
	bad.Patch = 5
	if _, err := t2iexp.NewStudy(bad); err == nil {
		t.Error("patch 5 on 32×32 images: no error")
	}
}
