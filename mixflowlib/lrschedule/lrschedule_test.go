package lrschedule

import (
	"math"
	"testing"
)

// TestCosineToZero pins CosineToZero to the side trainers' former hand-written lrAt, bit for bit.
func TestCosineToZero(t *testing.T) {
	old := func(lr float64, w, s, n int) float64 {
		if s < w {
			return lr * float64(s+1) / float64(w)
		}
		if n <= w+1 {
			return lr
		}
		p := float64(s-w) / float64(n-w-1)
		return lr * 0.5 * (1 + math.Cos(math.Pi*p))
	}
	for _, c := range [][2]int{{0, 1}, {0, 10}, {3, 4}, {3, 5}, {100, 3000}, {10, 11}, {5, 2}} {
		w, n := c[0], c[1]
		sch := CosineToZero(int64(w), int64(n))
		for s := 0; s < n; s++ {
			if got, want := sch.LR(3e-4, int64(s), int64(n)), old(3e-4, w, s, n); got != want {
				t.Fatalf("warm-up %d, %d steps, step %d: %v, want %v", w, n, s, got, want)
			}
		}
	}
}
