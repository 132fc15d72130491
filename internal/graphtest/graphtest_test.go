package graphtest

import (
	"errors"
	"fmt"
	"math/rand"
	randv2 "math/rand/v2"
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
	if got := UnchangedVars(before, after); !slices.Equal(got, []string{"/c"}) {
		t.Errorf("UnchangedVars = %v, want [/c]", got)
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

func TestRandomWeights(t *testing.T) {
	w := RandomWeights(map[string][]int{"/ln/gain": {64}, "/fc/weights": {8, 8}}, randv2.New(randv2.NewPCG(1, 1)), 0.1)
	gain, fc := Flat(t, w["/ln/gain"]), Flat(t, w["/fc/weights"])
	if len(gain) != 64 || len(fc) != 64 {
		t.Fatalf("sizes %d, %d; want 64, 64", len(gain), len(fc))
	}
	mean := func(v []float32) float64 {
		s := 0.0
		for _, x := range v {
			s += float64(x)
		}
		return s / float64(len(v))
	}
	if m := mean(gain); m < 0.9 || m > 1.1 {
		t.Errorf("gain mean %v, want about 1", m)
	}
	if m := mean(fc); m < -0.1 || m > 0.1 || MaxAbs(fc) > 0.6 || MaxAbs(fc) == 0 {
		t.Errorf("weights mean %v, max |w| %v: want about N(0, 0.01)", m, MaxAbs(fc))
	}
}

// failTB records the failures of the helpers under test instead of failing the real test.
type failTB struct {
	testing.TB
	failures []string
}

func (f *failTB) Helper()           {}
func (f *failTB) Fatal(args ...any) { f.failures = append(f.failures, fmt.Sprint(args...)) }
func (f *failTB) Errorf(format string, a ...any) {
	f.failures = append(f.failures, fmt.Sprintf(format, a...))
}

func TestCheckNumParamsAndBuild(t *testing.T) {
	store := NewStore(1)
	store.RootScope().In("model").VariableWithValue("w", []float32{1, 2, 3})
	store.RootScope().In("other").VariableWithValue("w", []float32{4})
	for _, c := range []struct {
		want  int
		err   error
		fails bool
	}{{3, nil, false}, {4, nil, true}, {3, errors.New("bad config"), true}} {
		f := &failTB{TB: t}
		CheckNumParams(f, store, "/model/", c.want, c.err)
		if got := len(f.failures) > 0; got != c.fails {
			t.Errorf("CheckNumParams(want %d, err %v): failures %q, want failing %v", c.want, c.err, f.failures, c.fails)
		}
	}
	double := func(n int) (int, error) {
		if n < 0 {
			return 0, errors.New("negative")
		}
		return 2 * n, nil
	}
	f := &failTB{TB: t}
	if got := Build(f, double, 4); got != 8 || len(f.failures) != 0 {
		t.Errorf("Build(double, 4) = %d with failures %q, want 8 and none", got, f.failures)
	}
	if Build(f, double, -1); len(f.failures) != 1 {
		t.Errorf("Build(double, -1): failures %q, want one", f.failures)
	}
}

func TestFill(t *testing.T) {
	i := 0.0
	got := Fill(func() float64 { i++; return i / 2 }, 2, 3)
	if d := got.Shape().Dimensions; !slices.Equal(d, []int{2, 3}) {
		t.Fatalf("Fill shape %v, want [2 3]", d)
	}
	if v := Flat(t, got); !slices.Equal(v, []float32{0.5, 1, 1.5, 2, 2.5, 3}) {
		t.Errorf("Fill values %v, want the draws in row-major order", v)
	}
}
