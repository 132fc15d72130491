package toy2d

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// allToys returns every kind with its defaults plus a few non-default parameterisations.
func allToys(t *testing.T) []*Toy {
	t.Helper()
	specs := []string{}
	specs = append(specs, Kinds()...)
	specs = append(specs, "moons(noise=0.2)", "8gaussians(std=0.5)", "checkerboard(cells=6)",
		"spirals(arms=3,turns=2.5,noise=0)", "rings(rings=1,noise=0.1)", "swissroll(noise=0)")
	var toys []*Toy
	for _, s := range specs {
		toy, err := ByName(s)
		if err != nil {
			t.Fatalf("ByName(%q): %v", s, err)
		}
		toys = append(toys, toy)
	}
	return toys
}

// TestMoments checks the closed-form normalisation: mean 0 and E‖x‖² = 2, within 5 standard errors.
func TestMoments(t *testing.T) {
	const n = 100_000
	for _, toy := range allToys(t) {
		pts, _, err := toy.Points(n, 7)
		if err != nil {
			t.Fatal(err)
		}
		var sx, sy, sr, sr2 float64
		for _, p := range pts {
			r := p[0]*p[0] + p[1]*p[1]
			sx += p[0]
			sy += p[1]
			sr += r
			sr2 += r * r
		}
		mx, my, mr := sx/n, sy/n, sr/n
		// Per-axis variances are at most E‖x‖² = 2, so the mean's standard error is at most √(2/n).
		seMean := math.Sqrt(2.0 / n)
		seR := math.Sqrt((sr2/n - mr*mr) / n)
		if math.Abs(mx) > 5*seMean || math.Abs(my) > 5*seMean {
			t.Errorf("%s: mean (%.4f, %.4f), want 0 ± %.4f", toy.Name(), mx, my, 5*seMean)
		}
		if math.Abs(mr-2) > 5*seR {
			t.Errorf("%s: E‖x‖² = %.4f, want 2 ± %.4f", toy.Name(), mr, 5*seR)
		}
	}
}

// TestLabelFrequencies checks that every class is drawn with probability 1/K (within 5 standard errors) and that
// unlabelled toys return nil labels.
func TestLabelFrequencies(t *testing.T) {
	const n = 40_000
	for _, toy := range allToys(t) {
		_, labels, err := toy.Points(n, 3)
		if err != nil {
			t.Fatal(err)
		}
		k := toy.NumClasses()
		if k == 0 {
			if labels != nil {
				t.Errorf("%s: unlabelled toy returned labels", toy.Name())
			}
			continue
		}
		if len(labels) != n {
			t.Fatalf("%s: %d labels for %d points", toy.Name(), len(labels), n)
		}
		counts := make([]int, k)
		for _, l := range labels {
			if l < 0 || int(l) >= k {
				t.Fatalf("%s: label %d outside [0, %d)", toy.Name(), l, k)
			}
			counts[l]++
		}
		p := 1 / float64(k)
		se := math.Sqrt(p * (1 - p) / n)
		for c, cnt := range counts {
			if f := float64(cnt) / n; math.Abs(f-p) > 5*se+1e-12 {
				t.Errorf("%s: class %d frequency %.4f, want %.4f", toy.Name(), c, f, p)
			}
		}
	}
}

// raw maps an output point back to the toy's raw coordinates.
func raw(toy *Toy, p [2]float64) (float64, float64) {
	return p[0]/toy.scale + toy.mean[0], p[1]/toy.scale + toy.mean[1]
}

// TestShapes checks, for noiseless toys, that every point lies exactly on the geometric object its label names.
func TestShapes(t *testing.T) {
	const n = 2000
	const tol = 1e-9
	check := func(spec string, fn func(x, y float64, label int32) bool) {
		t.Helper()
		toy := MustByName(spec)
		pts, labels, err := toy.Points(n, 11)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range pts {
			x, y := raw(toy, p)
			l := int32(0)
			if labels != nil {
				l = labels[i]
			}
			if !fn(x, y, l) {
				t.Fatalf("%s: point %d raw (%.6f, %.6f) label %d is off its shape", spec, i, x, y, l)
			}
		}
	}
	check("moons(noise=0)", func(x, y float64, l int32) bool {
		if l == 1 { // inner moon: (1 − cos θ, 1/2 − sin θ)
			x, y = 1-x, 0.5-y
		}
		return math.Abs(math.Hypot(x, y)-1) < tol && y >= -tol
	})
	check("spirals(arms=3,turns=2,noise=0)", func(x, y float64, l int32) bool {
		r := math.Hypot(x, y)
		want := 2*math.Pi*2*r + 2*math.Pi*float64(l)/3
		d := math.Remainder(math.Atan2(y, x)-want, 2*math.Pi)
		return r <= 1+tol && math.Abs(d) < 1e-6
	})
	check("rings(rings=5,noise=0)", func(x, y float64, l int32) bool {
		return math.Abs(math.Hypot(x, y)-float64(l+1)/5) < tol
	})
	check("swissroll(noise=0)", func(x, y float64, _ int32) bool {
		s := math.Hypot(x, y) * 4.5 * math.Pi
		d := math.Remainder(math.Atan2(y, x)-s, 2*math.Pi)
		return s >= 1.5*math.Pi-1e-7 && s <= 4.5*math.Pi+1e-7 && math.Abs(d) < 1e-6
	})
	check("checkerboard(cells=6)", func(x, y float64, _ int32) bool {
		i, j := math.Floor(x+3), math.Floor(y+3)
		return i >= 0 && i < 6 && j >= 0 && j < 6 && int(i+j)%2 == 0
	})
	// 8 Gaussians with a small std: every point is nearest to its own component's centre.
	check("8gaussians(std=0.05)", func(x, y float64, l int32) bool {
		a := 2 * math.Pi * float64(l) / 8
		d := math.Hypot(x-math.Cos(a), y-math.Sin(a))
		return d < 0.38 // half the distance between neighbouring centres is 0.383; 7.6 std
	})
}

// TestCheckerboardCoverage checks that every dark cell is hit and no light cell is.
func TestCheckerboardCoverage(t *testing.T) {
	toy := MustByName("checkerboard")
	pts, _, _ := toy.Points(20_000, 1)
	var counts [4][4]int
	for _, p := range pts {
		x, y := raw(toy, p)
		counts[int(math.Floor(x+2))][int(math.Floor(y+2))]++
	}
	for i := range 4 {
		for j := range 4 {
			dark := (i+j)%2 == 0
			if dark && math.Abs(float64(counts[i][j])-2500) > 5*math.Sqrt(2500) {
				t.Errorf("dark cell (%d,%d) has %d points, want about 2500", i, j, counts[i][j])
			}
			if !dark && counts[i][j] != 0 {
				t.Errorf("light cell (%d,%d) has %d points", i, j, counts[i][j])
			}
		}
	}
}

// TestLogDensity checks the closed-form densities: they integrate to 1 and match the probability of a box
// estimated from samples.
func TestLogDensity(t *testing.T) {
	for _, spec := range []string{"8gaussians", "8gaussians(std=0.3)", "checkerboard", "checkerboard(cells=8)", "gaussian"} {
		toy := MustByName(spec)
		if !toy.HasLogDensity() {
			t.Fatalf("%s: HasLogDensity false", spec)
		}
		logp, err := toy.LogDensity()
		if err != nil {
			t.Fatal(err)
		}
		// Midpoint rule on [−L, L]²: L = 6 holds all the mass of the smooth densities; for the checkerboard the
		// grid is aligned with the cells, where the rule is exact.
		L, m := 6.0, 1200
		if cells, ok := toy.Param("cells"); ok {
			L, m = toy.Scale()*cells/2, 150*int(cells)
		}
		h := 2 * L / float64(m)
		total, box := 0.0, 0.0
		for i := range m {
			x := -L + (float64(i)+0.5)*h
			for j := range m {
				y := -L + (float64(j)+0.5)*h
				p := math.Exp(logp(x, y)) * h * h
				total += p
				if x > 0.2 && x < 1.3 && y > -0.4 && y < 0.9 {
					box += p
				}
			}
		}
		if math.Abs(total-1) > 2e-3 {
			t.Errorf("%s: density integrates to %.5f", spec, total)
		}
		const n = 200_000
		pts, _, _ := toy.Points(n, 5)
		in := 0
		for _, p := range pts {
			if p[0] > 0.2 && p[0] < 1.3 && p[1] > -0.4 && p[1] < 0.9 {
				in++
			}
		}
		f := float64(in) / n
		se := math.Sqrt(box*(1-box)/n) + 1e-4
		if math.Abs(f-box) > 5*se+2e-3 {
			t.Errorf("%s: box probability from samples %.4f, from density %.4f", spec, f, box)
		}
	}
	// The checkerboard's density is exactly 1/6 on the support after normalisation (area 6).
	toy := MustByName("checkerboard")
	logp, _ := toy.LogDensity()
	pts, _, _ := toy.Points(1000, 2)
	for _, p := range pts {
		if v := logp(p[0], p[1]); math.Abs(v+math.Log(6)) > 1e-12 {
			t.Fatalf("checkerboard log-density at a sample = %v, want −log 6", v)
		}
	}
	if v := logp(0.01, -0.01); !math.IsInf(v, -1) { // cells (2,1) is light
		t.Errorf("checkerboard log-density in a light cell = %v, want −Inf", v)
	}
	if _, err := MustByName("moons").LogDensity(); err == nil || !strings.Contains(err.Error(), "moons") {
		t.Errorf("moons LogDensity: want an error naming moons, got %v", err)
	}
}

func TestSourceDeterminism(t *testing.T) {
	toy := MustByName("spirals(arms=3)")
	s, err := NewSource(toy, 42)
	if err != nil {
		t.Fatal(err)
	}
	a1, l1, err := s.Arrays(5, 64)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := NewSource(toy, 42)
	a2, l2, _ := s2.Arrays(5, 64)
	if !slices.Equal(a1, a2) || !slices.Equal(l1, l2) {
		t.Fatal("same (seed, step) gave different batches")
	}
	// Order of calls does not matter: step 5 after steps 9 and 0.
	_, _, _ = s.Arrays(9, 64)
	_, _, _ = s.Arrays(0, 64)
	a3, _, _ := s.Arrays(5, 64)
	if !slices.Equal(a1, a3) {
		t.Fatal("batch depends on call history")
	}
	other, _, _ := s.Arrays(6, 64)
	if slices.Equal(a1, other) {
		t.Fatal("steps 5 and 6 gave the same batch")
	}
	s3, _ := NewSource(toy, 43)
	other, _, _ = s3.Arrays(5, 64)
	if slices.Equal(a1, other) {
		t.Fatal("seeds 42 and 43 gave the same batch")
	}
	// Prefix property: the first 16 points do not depend on the batch size.
	small, smallL, _ := s.Arrays(5, 16)
	if !slices.Equal(small, a1[:32]) || !slices.Equal(smallL, l1[:16]) {
		t.Fatal("batch of 16 is not the prefix of the batch of 64")
	}
	for i := range 64 {
		if l1[i] < 0 || l1[i] > 2 {
			t.Fatalf("label %d out of range [0, 3)", l1[i])
		}
	}
}

func TestSourceBatch(t *testing.T) {
	s, _ := NewSource(MustByName("8gaussians"), 1)
	b, err := s.Batch(3, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.X.Shape().Dimensions; !slices.Equal(got, []int{10, 2}) {
		t.Fatalf("X shape %v, want [10 2]", got)
	}
	if b.X.DType().String() != "Float32" {
		t.Fatalf("X dtype %s, want Float32", b.X.DType())
	}
	if b.Cond.Labels == nil || !slices.Equal(b.Cond.Labels.Shape().Dimensions, []int{10}) || b.Cond.Labels.DType().String() != "Int32" {
		t.Fatalf("labels: %v", b.Cond.Labels)
	}
	xy, labels, _ := s.Arrays(3, 10)
	if got := tensors.MustCopyFlatData[float32](b.X); !slices.Equal(got, xy) {
		t.Fatal("Batch X differs from Arrays")
	}
	if got := tensors.MustCopyFlatData[int32](b.Cond.Labels); !slices.Equal(got, labels) {
		t.Fatal("Batch labels differ from Arrays")
	}
	if b.Cond.Tokens != nil {
		t.Fatal("toy batch has tokens")
	}
	if s.Name() != "8gaussians(std=0.125,seed=1)" {
		t.Errorf("Name = %q", s.Name())
	}

	u := s.WithoutLabels()
	bu, _ := u.Batch(3, 10)
	if bu.Cond.Labels != nil {
		t.Fatal("WithoutLabels batch has labels")
	}
	if got := tensors.MustCopyFlatData[float32](bu.X); !slices.Equal(got, xy) {
		t.Fatal("WithoutLabels changed the points")
	}
	if u.Name() != "8gaussians(std=0.125,seed=1,labels=false)" || s.Labelled() == u.Labelled() {
		t.Errorf("WithoutLabels: Name %q, Labelled %v", u.Name(), u.Labelled())
	}

	g, _ := NewSource(Gaussian(), 9)
	bg, _ := g.Batch(0, 4)
	if bg.Cond.Labels != nil || g.Name() != "gaussian(seed=9)" {
		t.Fatalf("unlabelled source: labels %v, name %q", bg.Cond.Labels, g.Name())
	}
}

func TestSourceErrors(t *testing.T) {
	s, _ := NewSource(MustByName("moons"), 1)
	for _, c := range []struct {
		step int64
		size int
		want string
	}{
		{-1, 10, "negative step -1"},
		{0, 0, "batch size 0"},
		{0, -5, "batch size -5"},
		{0, maxBatch + 1, "batch size"},
	} {
		_, err := s.Batch(c.step, c.size)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "toy2d: moons(") {
			t.Errorf("Batch(%d, %d): error %v, want one containing %q", c.step, c.size, err, c.want)
		}
	}
	if _, err := NewSource(nil, 1); err == nil {
		t.Error("NewSource(nil) gave no error")
	}
}

func TestByName(t *testing.T) {
	for _, toy := range allToys(t) {
		again, err := ByName(toy.Name())
		if err != nil {
			t.Fatalf("ByName(%q): %v", toy.Name(), err)
		}
		if again.Name() != toy.Name() || again.scale != toy.scale {
			t.Errorf("round trip %q -> %q", toy.Name(), again.Name())
		}
		a, _, _ := toy.Points(5, 1)
		b, _, _ := again.Points(5, 1)
		if !slices.Equal(a, b) {
			t.Errorf("%s: rebuilt toy samples differently", toy.Name())
		}
	}
	for alias, want := range map[string]string{
		"Two_Moons":                 "moons(noise=0.05)",
		" 2spirals ( noise = 0.1 )": "spirals(arms=2,turns=1.5,noise=0.1)",
		"swiss_roll":                "swissroll(noise=0.02)",
		"circles(rings=2)":          "rings(rings=2,noise=0.03)",
		"normal":                    "gaussian",
		"8gaussians()":              "8gaussians(std=0.125)",
	} {
		toy, err := ByName(alias)
		if err != nil {
			t.Errorf("ByName(%q): %v", alias, err)
			continue
		}
		if toy.Name() != want {
			t.Errorf("ByName(%q).Name() = %q, want %q", alias, toy.Name(), want)
		}
	}
	if v, ok := MustByName("rings(rings=3)").Param("rings"); !ok || v != 3 {
		t.Errorf("Param(rings) = %v, %v", v, ok)
	}
	for spec, want := range map[string]string{
		"":                       "empty toy name",
		"banana":                 `unknown toy "banana": known toys are 8gaussians, checkerboard, gaussian, moons, rings, spirals, swissroll`,
		"moons(sigma=0.1)":       `moons has no parameter "sigma": parameters are noise (default 0.05)`,
		"moons(noise=-0.1)":      "moons: noise=-0.1 must be finite and >= 0",
		"moons(noise=NaN)":       "moons: noise is NaN",
		"moons(noise=inf)":       "must be finite",
		"moons(noise=abc)":       `bad value for noise in "moons(noise=abc)"`,
		"moons(noise)":           `bad parameter "noise"`,
		"moons(noise=0.1":        "missing closing parenthesis",
		"moons(noise=1,noise=2)": "given twice",
		"spirals(arms=2.5)":      "spirals: arms=2.5 must be an integer",
		"spirals(arms=1)":        "arms=1 must be an integer in [2, 64]",
		"checkerboard(cells=5)":  "cells=5 must be an even integer",
		"8gaussians(std=0)":      "std=0 must be finite and > 0",
		"gaussian(std=1)":        "gaussian has no parameter \"std\": it takes no parameters",
	} {
		_, err := ByName(spec)
		if err == nil || !strings.HasPrefix(err.Error(), "toy2d: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("ByName(%q): error %v, want one containing %q", spec, err, want)
		}
	}
	// Typed constructors validate the same way.
	if _, err := Moons(-1); err == nil {
		t.Error("Moons(-1) gave no error")
	}
	if _, err := Spirals(1, 1, 0); err == nil {
		t.Error("Spirals(1, …) gave no error")
	}
	if _, err := Checkerboard(3); err == nil {
		t.Error("Checkerboard(3) gave no error")
	}
	if toy, err := Rings(3, 0.01); err != nil || toy.NumClasses() != 3 {
		t.Errorf("Rings(3, 0.01): %v, %v", toy, err)
	}
}

func TestPointsHelpers(t *testing.T) {
	toy := MustByName("8gaussians")
	pts, labels, err := toy.Points(100, 4)
	if err != nil {
		t.Fatal(err)
	}
	flat, flatLabels, err := toy.Float32(100, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pts {
		if flat[2*i] != float32(p[0]) || flat[2*i+1] != float32(p[1]) || flatLabels[i] != labels[i] {
			t.Fatalf("Float32 differs from Points at %d", i)
		}
	}
	other, _, _ := toy.Points(100, 5)
	if slices.Equal(pts, other) {
		t.Fatal("seeds 4 and 5 gave the same points")
	}
	cls, err := toy.PointsOfClass(500, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	cx, cy := toy.scale*math.Cos(3*math.Pi/4), toy.scale*math.Sin(3*math.Pi/4)
	var mx, my float64
	for _, p := range cls {
		mx += p[0] / 500
		my += p[1] / 500
	}
	if math.Hypot(mx-cx, my-cy) > 0.05 {
		t.Errorf("class 3 mean (%.3f, %.3f), want centre (%.3f, %.3f)", mx, my, cx, cy)
	}
	if _, err := toy.PointsOfClass(5, 8, 1); err == nil {
		t.Error("PointsOfClass(class 8 of 8) gave no error")
	}
	if _, err := MustByName("checkerboard").PointsOfClass(5, 0, 1); err == nil || !strings.Contains(err.Error(), "unlabelled") {
		t.Errorf("PointsOfClass on an unlabelled toy: %v", err)
	}
	if _, _, err := toy.Points(-1, 1); err == nil || !strings.Contains(err.Error(), "negative number of points") {
		t.Errorf("Points(-1): %v", err)
	}
	if err := toy.Fill(rand.New(rand.NewPCG(1, 2)), make([]float32, 5), make([]int32, 3)); err == nil {
		t.Error("Fill with mismatched lengths gave no error")
	}
	if empty, _, err := toy.Points(0, 1); err != nil || len(empty) != 0 {
		t.Errorf("Points(0): %v, %v", empty, err)
	}
}
