package oracle_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
)

// The Gaussian oracle's velocity and exact flow, on the host. As an nn.Backbone it is passed to a
// sampler like any trained model (it has no variables).
func ExampleNewGaussian() {
	g, err := oracle.NewGaussian([]float64{2, -1}, []float64{0.5})
	if err != nil {
		panic(err)
	}
	// At t = 0 the velocity is μ − x (x1 − x0 with x1 unknown: its mean).
	v, _ := g.VelocityAt([]float64{0.3, 0.3}, 0)
	fmt.Printf("v(x, 0) = [%.2f %.2f]\n", v[0], v[1])
	// The exact ODE solution from noise x0 ends at μ + s·x0.
	x1, _ := g.FlowMap([]float32{1, -2}, 1)
	fmt.Printf("x_1 = %v\n", x1)
	// Output:
	// v(x, 0) = [1.70 -1.30]
	// x_1 = [2.5 -2]
}

// A class-conditional 2-D target: label k restricts the posterior to component k, which is what
// classifier-free guidance amplifies.
func ExampleEightGaussians() {
	m, err := oracle.EightGaussians(2, 0.1)
	if err != nil {
		panic(err)
	}
	x, labels := m.Sample(rand.New(rand.NewPCG(1, 2)), 3)
	fmt.Println(len(x), len(labels), m.NumComponents())
	// Halfway, at the origin: unconditionally the 8 pulls cancel; given label 0 the velocity heads for
	// the mode (2, 0), which it must cover in the remaining time 0.5.
	u, _ := m.VelocityAt([]float64{0, 0}, 0.5)
	c, _ := m.ConditionalVelocityAt([]float64{0, 0}, 0.5, 0)
	fmt.Printf("unconditional |v| = %.2f, label 0 v = [%.2f %.2f]\n", math.Hypot(u[0], u[1]), c[0], c[1])
	// Output:
	// 6 3 8
	// unconditional |v| = 0.00, label 0 v = [3.96 0.00]
}

// A perturbed oracle: the velocity scaled by 0.7 makes samplers lag behind the true flow (a controlled
// "slow flow").
func ExampleNewPerturbed() {
	g, _ := oracle.NewGaussian([]float64{1}, []float64{0.2})
	slow, err := oracle.NewPerturbed(g, 0.7, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%T\n", slow)
	// Output:
	// *oracle.Perturbed
}

// A 256-D mixture of 8 Gaussians in a random rotation, with its exact velocity and the exact minimiser
// of the MixFlow loss (γ = 0.8): both are nn.Backbones that a sampler drives like a trained model.
func ExampleNewRotated() {
	mix, err := oracle.NewRotated(oracle.RotatedConfig{Dim: 256, Components: 8, Radius: 4, Std: 0.5, Seed: 1})
	if err != nil {
		panic(err)
	}
	opt, err := oracle.NewMixFlowOptimum(mix, 0.8, 0)
	if err != nil {
		panic(err)
	}
	x, _ := mix.Sample(rand.New(rand.NewPCG(1, 2)), 1)
	fmt.Printf("D = %d, K = %d, per-coordinate data variance %.4f\n", mix.Dim(), mix.NumComponents(), mix.DataVariance())
	fmt.Printf("one sample has %d values; MixFlow optimum γ = %g with %d nodes\n", len(x), opt.Gamma(), opt.Nodes())
	// Output:
	// D = 256, K = 8, per-coordinate data variance 0.3065
	// one sample has 256 values; MixFlow optimum γ = 0.8 with 32 nodes
}
