package graphtest

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/ml/model"
)

func TestChangedVarsAndDiffs(t *testing.T) {
	before := map[string][]float32{"/b": {1, 2}, "/a": {3}, "/c": {0}}
	after := map[string][]float32{"/b": {1, 2.5}, "/a": {4}, "/c": {0}}
	if got := ChangedVars(before, after); !slices.Equal(got, []string{"/a", "/b"}) {
		t.Errorf("ChangedVars = %v, want [/a /b]", got)
	}
	if got := MaxAbsDiff([]float32{1, -2}, []float32{1.5, 1}); got != 3 {
		t.Errorf("MaxAbsDiff = %v, want 3", got)
	}
	if got := MaxAbs([]float32{0.5, -2}); got != 2 {
		t.Errorf("MaxAbs = %v, want 2", got)
	}
}

func TestRandomInputsAreSeeded(t *testing.T) {
	a := Flat(t, RandImages(rand.New(rand.NewSource(3)), 2, 4, 3))
	b := Flat(t, RandImages(rand.New(rand.NewSource(3)), 2, 4, 3))
	if len(a) != 2*4*4*3 || !slices.Equal(a, b) || MaxAbs(a) > 1 {
		t.Errorf("RandImages: %d values, equal %v, max |x| %v", len(a), slices.Equal(a, b), MaxAbs(a))
	}
	for _, x := range Flat(t, RandTimes(rand.New(rand.NewSource(4)), 16)) {
		if x < 0 || x >= 1 {
			t.Fatalf("RandTimes gave %v outside [0, 1)", x)
		}
	}
}

func TestNewStoreSeedsInitialisers(t *testing.T) {
	s := NewStore(7)
	if v, ok := s.RootScope().GetParam(model.ParamInitialSeed); !ok || v.(int64) != 7 {
		t.Errorf("initial seed param = %v, %v; want 7", v, ok)
	}
}
