package path_test

import (
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/path"
)

// Interpolating a batch of two 2-D samples and computing the flow-matching target on the host.
func ExampleInterpolateFlat() {
	p, err := path.ByName("linear")
	if err != nil {
		panic(err)
	}
	t := []float64{0.25, 0.75}   // one time per sample
	x0 := []float32{1, -1, 0, 2} // noise, flat [2, 2]
	x1 := []float32{3, 3, -2, 2} // data, flat [2, 2]
	xt, _ := path.InterpolateFlat(p, t, x0, x1)
	ut, _ := path.TargetVelocityFlat(p, t, x0, x1)
	fmt.Println("x_t:", xt)
	fmt.Println("u_t:", ut)
	// Output:
	// x_t: [1.5 0 -1.5 2]
	// u_t: [2 4 -2 0]
}

// Turning a velocity prediction into the score and the denoised estimate, and spotting a singular point.
func ExampleConvertCoeffs() {
	p := path.Linear{}
	a, b, _ := path.ConvertCoeffs(p, path.Velocity, path.Score, 0.5) // score = a·x + b·v
	fmt.Printf("score at t=0.5: %.0f·x + %.0f·v\n", a, b)
	a, b, _ = path.ConvertCoeffs(p, path.Velocity, path.Data, 0.5) // x̂1 = a·x + b·v
	fmt.Printf("x1 at t=0.5: %.1f·x + %.1f·v\n", a, b)
	_, _, ok := path.ConvertCoeffs(p, path.Velocity, path.Score, 1)
	fmt.Println("score at t=1 regular:", ok)
	// Output:
	// score at t=0.5: -2·x + 1·v
	// x1 at t=0.5: 1.0·x + 0.5·v
	// score at t=1 regular: false
}

// The SDE drift of SiT's default sampler (sigma diffusion) for a Linear-path velocity model.
func ExampleSDE() {
	sde, err := path.NewSDE(path.Linear{}, path.DiffusionSigma, 1)
	if err != nil {
		panic(err)
	}
	a, b := sde.DriftCoeffs(0.5) // f(x, t) = a·x + b·v
	fmt.Printf("w(0.5) = %.2f, drift = %.0f·x + %.1f·v, noise std for dt=0.01: %.3f\n", sde.Diffusion(0.5), a, b, sde.NoiseStd(0.5, 0.01))
	// Output:
	// w(0.5) = 0.50, drift = -1·x + 1.5·v, noise std for dt=0.01: 0.100
}
