package exposure

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// TestVarianceGapOracle: sampling the exact velocity of a 64-D mixture with 200 Euler steps has no
// exposure bias, so the norm gap stays within sampling error at every step; with 3 Euler steps the
// discretisation error shows as a gap of many standard errors. The reference column is checked against
// t²·E‖x1‖²/D + (1 − t)² computed here from the data.
func TestVarianceGapOracle(t *testing.T) {
	const n, d = 512, 64
	mix, err := oracle.NewRotated(oracle.RotatedConfig{Dim: d, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := mix.Sample(rand.New(rand.NewPCG(5, 6)), n)
	var sq float64
	for _, v := range x {
		sq += float64(v) * float64(v)
	}
	sq /= float64(n * d)
	x1 := tensors.FromFlatDataAndDimensions(x, n, d)
	worst := func(steps int) (float64, []GapPoint) {
		pts, err := VarianceGap(nil, model.NewStore(), mix, x1, datasets.Cond{}, GapConfig{Sampler: sampler.Config{Steps: steps}, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		if len(pts) != steps+1 {
			t.Fatalf("%d steps: %d points, want %d", steps, len(pts), steps+1)
		}
		var z float64
		for i, p := range pts {
			if want := p.T*p.T*sq + (1-p.T)*(1-p.T); math.Abs(p.Reference-want) > 1e-9 {
				t.Errorf("step %d: reference %v, want %v", i, p.Reference, want)
			}
			if math.Abs(p.Gap-(p.Generated-p.Reference)) > 1e-12 || !(p.StdErr > 0) {
				t.Errorf("step %d: gap %v, std err %v inconsistent with %+v", i, p.Gap, p.StdErr, p)
			}
			z = math.Max(z, math.Abs(p.Gap)/p.StdErr)
		}
		return z, pts
	}
	if z, pts := worst(200); z > 4 {
		t.Errorf("200 Euler steps: worst |gap| = %.2f standard errors, want ≤ 4 (final gap %v)", z, pts[len(pts)-1].Gap)
	} else {
		t.Logf("200 Euler steps: worst |gap| %.2f standard errors, final gap %.4f ± %.4f", z, pts[len(pts)-1].Gap, pts[len(pts)-1].StdErr)
	}
	if z, pts := worst(3); z < 10 {
		t.Errorf("3 Euler steps: worst |gap| = %.2f standard errors, want ≥ 10", z)
	} else {
		t.Logf("3 Euler steps: worst |gap| %.1f standard errors, final gap %.4f ± %.4f", z, pts[len(pts)-1].Gap, pts[len(pts)-1].StdErr)
	}
	if _, err := VarianceGap(nil, model.NewStore(), mix, nil, datasets.Cond{}, GapConfig{Sampler: sampler.Config{Steps: 2}}); err == nil {
		t.Error("nil x1: no error")
	}
	if _, err := VarianceGap(nil, model.NewStore(), mix, x1, datasets.Cond{}, GapConfig{}); err == nil {
		t.Error("Steps 0: no error")
	}
}
