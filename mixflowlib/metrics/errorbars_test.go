package metrics

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	s, err := Summarize([]float64{1, 2, 3, 4, 5})
	if err != nil {
		t.Fatal(err)
	}
	// t₀.₉₇₅ with 4 degrees of freedom is 2.776445.
	half := 2.776445105 * math.Sqrt(2.5) / math.Sqrt(5)
	if s.Estimate != 3 || !near(s.Std, math.Sqrt(2.5), 1e-15) || !near(s.Lo, 3-half, 1e-8) || !near(s.Hi, 3+half, 1e-8) || s.N != 5 {
		t.Errorf("Summarize: %+v, want mean 3, std %.4f, CI ±%.4f", s, math.Sqrt(2.5), half)
	}
	if got := s.String(); !strings.HasPrefix(got, "3 (95% CI 1.037–4.963, std 1.6, n=5)") {
		t.Errorf("String: %q", got)
	}
	for _, c := range []struct {
		v    []float64
		want string
	}{
		{[]float64{1}, "1 values, need at least 2"},
		{[]float64{1, math.NaN()}, "values[1] is NaN"},
	} {
		if _, err := Summarize(c.v); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Summarize(%v): %v", c.v, err)
		}
	}
	// Coverage: the 95 % interval of the mean of 5 normal draws contains the true mean about 95 % of the time.
	rng := rand.New(rand.NewPCG(1, 1))
	hits := 0
	const trials = 2000
	for range trials {
		v := make([]float64, 5)
		for i := range v {
			v[i] = 10 + rng.NormFloat64()
		}
		s, _ := Summarize(v)
		if s.Lo <= 10 && 10 <= s.Hi {
			hits++
		}
	}
	if f := float64(hits) / trials; math.Abs(f-0.95) > 0.025 {
		t.Errorf("95%% CI covered the true mean in %.3f of trials", f)
	}
}

func TestOverSeeds(t *testing.T) {
	var seen []uint64
	s, err := OverSeeds(4, func(seed uint64) (float64, error) {
		seen = append(seen, seed)
		return float64(seed), nil
	})
	if err != nil || len(seen) != 4 || seen[3] != 3 || s.Estimate != 1.5 {
		t.Errorf("OverSeeds: %+v, %v, seeds %v", s, err, seen)
	}
	boom := errors.New("boom")
	_, err = OverSeeds(3, func(seed uint64) (float64, error) {
		if seed == 1 {
			return 0, boom
		}
		return 0, nil
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "seed 1") {
		t.Errorf("OverSeeds error: %v", err)
	}
	if _, err := OverSeeds(1, nil); err == nil {
		t.Error("OverSeeds(1) gave no error")
	}
}

func TestBootstrap(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	x := randRows(rng, 400, 1)
	mean := func(x, _ [][]float64) (float64, error) {
		s := 0.0
		for _, r := range x {
			s += r[0]
		}
		return s / float64(len(x)), nil
	}
	s, err := Bootstrap(x, nil, mean, 500, 7)
	if err != nil {
		t.Fatal(err)
	}
	full, _ := mean(x, nil)
	// The bootstrap standard error of a mean of 400 unit-variance values is about 1/20.
	if s.Estimate != full || !near(s.Std, 0.05, 0.01) || !(s.Lo < full && full < s.Hi) || !near(s.Hi-s.Lo, 2*1.96*0.05, 0.04) {
		t.Errorf("Bootstrap of a mean: %+v (full-sample mean %v)", s, full)
	}
	again, _ := Bootstrap(x, nil, mean, 500, 7)
	if again != s {
		t.Error("Bootstrap is not deterministic for a seed")
	}
	// With a two-sample metric both sets are resampled.
	y := shifted(randRows(rng, 300, 1), 1)
	diff := func(x, y [][]float64) (float64, error) {
		a, _ := mean(x, nil)
		b, _ := mean(y, nil)
		return b - a, nil
	}
	s2, _ := Bootstrap(x, y, diff, 400, 1)
	want := math.Sqrt(1.0/400 + 1.0/300)
	if !near(s2.Std, want, 0.25*want) {
		t.Errorf("Bootstrap of a difference of means: std %v, want ≈ %v", s2.Std, want)
	}
	sw := func(x, y [][]float64) (float64, error) { return SlicedWasserstein(x, y, SWOptions{Projections: 16}) }
	if _, err := Bootstrap(x, [][]float64{{1, 2}}, sw, 10, 1); err == nil || !strings.Contains(err.Error(), "full sample") {
		t.Errorf("Bootstrap with a failing metric: %v", err)
	}
	if _, err := Bootstrap(x, nil, mean, 1, 1); err == nil {
		t.Error("Bootstrap with 1 resample gave no error")
	}
	if _, err := Bootstrap(nil, nil, mean, 10, 1); err == nil {
		t.Error("Bootstrap with empty x gave no error")
	}
}

func TestConverters(t *testing.T) {
	rows := Points2D([][2]float64{{1, 2}, {3, 4}})
	if len(rows) != 2 || rows[1][0] != 3 || rows[1][1] != 4 || len(rows[0]) != 2 {
		t.Errorf("Points2D: %v", rows)
	}
	if grown := append(rows[0], 9); grown[2] != 9 || rows[1][0] != 3 { // appending to a row must not overwrite the next
		t.Errorf("append to a Points2D row overwrote the next row: %v", rows)
	}
	if r, _ := Float32Rows([]float32{1, 2, 3, 4, 5, 6}, 3); len(r) != 2 || r[1][2] != 6 {
		t.Errorf("Float32Rows: %v", r)
	}
	if _, err := Float32Rows([]float32{1, 2, 3}, 2); err == nil || !strings.Contains(err.Error(), "not a multiple") {
		t.Errorf("Float32Rows ragged: %v", err)
	}
	if _, err := Float32Rows(nil, 0); err == nil {
		t.Error("Float32Rows dim 0 gave no error")
	}
}
