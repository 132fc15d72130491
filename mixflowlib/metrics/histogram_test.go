package metrics

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestHistogram(t *testing.T) {
	e, d, err := Histogram([]float64{0.1, 0.2, 0.6, 1, 1.5}, 2, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	// width ½, n = 5: cell 0 holds 2 → 0.8, cell 1 holds 2 (1 is in the last cell) → 0.8; 1.5 is outside.
	if !slices.Equal(e, []float64{0, 0.5, 1}) || !slices.Equal(d, []float64{0.8, 0.8}) {
		t.Errorf("Histogram = %v, %v", e, d)
	}
	if c := Centres(e); !slices.Equal(c, []float64{0.25, 0.75}) {
		t.Errorf("Centres(%v) = %v", e, c)
	}
	for _, bad := range []struct {
		xs     []float64
		bins   int
		lo, hi float64
		want   string
	}{
		{[]float64{0.1, math.NaN()}, 3, 0, 1, "sample 1 is NaN"},
		{[]float64{0.1}, 0, 0, 1, "1 to 100000 bins, got 0"},
		{[]float64{0.1}, MaxHistogramBins + 1, 0, 1, "got 100001"},
		{[]float64{0.1}, 3, 0, math.Inf(1), "not a finite interval"},
		{[]float64{0.1}, 3, 1, 1, "range [1, 1]"},
		{nil, 3, 0, 1, "no samples"},
	} {
		if _, _, err := Histogram(bad.xs, bad.bins, bad.lo, bad.hi); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Histogram(%v, %d, %v, %v): err = %v, want %q", bad.xs, bad.bins, bad.lo, bad.hi, err, bad.want)
		}
	}
}
