package toy2d_test

import (
	"fmt"
	"math"

	"github.com/mixflow/mixflow/datasets/toy2d"
)

// A Source gives the training batches of a toy as a pure function of (seed, step).
func ExampleSource() {
	toy, err := toy2d.ByName("8gaussians(std=0.1)")
	if err != nil {
		panic(err)
	}
	src, _ := toy2d.NewSource(toy, 1)
	batch, err := src.Batch(0, 256)
	if err != nil {
		panic(err)
	}
	fmt.Println(src.Name())
	fmt.Println("X:", batch.X.Shape(), "labels:", batch.Cond.Labels.Shape(), "classes:", toy.NumClasses())
	// Output:
	// 8gaussians(std=0.1,seed=1)
	// X: (Float32)[256, 2] labels: (Int32)[256] classes: 8
}

// Points draws fresh host-side samples for metrics and plots; every toy has mean 0 and E‖x‖² = 2.
func ExampleToy_Points() {
	toy := toy2d.MustByName("moons")
	pts, labels, _ := toy.Points(50_000, 3)
	var m2 float64
	for _, p := range pts {
		m2 += (p[0]*p[0] + p[1]*p[1]) / float64(len(pts))
	}
	fmt.Printf("%s: %d points, %d labels, E|x|^2 ≈ %.1f\n", toy.Name(), len(pts), len(labels), m2)
	// Output:
	// moons(noise=0.05): 50000 points, 50000 labels, E|x|^2 ≈ 2.0
}

// LogDensity evaluates the exact density of the toys that have one in closed form.
func ExampleToy_LogDensity() {
	toy := toy2d.MustByName("checkerboard")
	logp, err := toy.LogDensity()
	if err != nil {
		panic(err)
	}
	fmt.Printf("p(dark cell) = %.4f, p(light cell) = %v\n", math.Exp(logp(-0.5, -0.5)), math.Exp(logp(0.1, -0.1)))
	_, err = toy2d.MustByName("moons").LogDensity()
	fmt.Println(err)
	// Output:
	// p(dark cell) = 0.1667, p(light cell) = 0
	// toy2d: moons(noise=0.05) has no closed-form density (only 8gaussians, checkerboard and gaussian do)
}
