package timesteps_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/mixflow/mixflow/mixflowlib/timesteps"
)

// Sampling a MixFlow batch of (t, m_t) pairs on the host: t ~ Beta(2,1), m_t ~ U[(1−γ)t, t].
func ExampleJoint() {
	joint, err := timesteps.NewJoint(timesteps.Beta21{}, timesteps.DefaultGamma)
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	t, m := joint.Sample(rng, 4)
	for i := range t {
		fmt.Printf("t=%.3f  m=%.3f  m/t=%.3f\n", t[i], m[i], m[i]/t[i])
	}
	fmt.Printf("E[t]=%.4f  E[m]=%.4f\n", joint.Times.Mean(), joint.MeanM())
	// Output:
	// t=0.822  m=0.298  m/t=0.362
	// t=0.679  m=0.468  m/t=0.689
	// t=0.713  m=0.246  m/t=0.345
	// t=0.656  m=0.478  m/t=0.729
	// E[t]=0.6667  E[m]=0.4000
}

// Distributions from config strings, with RAE's resolution shift composed on top of Beta(2,1).
func ExampleByName() {
	s, _ := timesteps.ResolutionShift(768*16*16, 0) // RAE, DINOv2-B latents at 256 px: √48
	for _, spec := range []string{"uniform", "logit-normal(0,1)", "beta21", fmt.Sprintf("shift(%.4f,beta21)", s)} {
		d, err := timesteps.ByName(spec)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-24s mean %.4f  density(0.5) %.4f\n", d.Name(), d.Mean(), d.Density(0.5))
	}
	_, err := timesteps.ByName("logit-normal(0,-1)")
	fmt.Println(err)
	// Output:
	// uniform                  mean 0.5000  density(0.5) 1.0000
	// logit-normal(0,1)        mean 0.5000  density(0.5) 1.5958
	// beta21                   mean 0.6667  density(0.5) 1.0000
	// shift(6.9282,beta21)     mean 0.3289  density(0.5) 0.7706
	// timesteps: "logit-normal(0,-1)": logit-normal sigma -1 must be finite and > 0
}

// The resolution/SD3 shift in our convention (0 noise, 1 data) moves times toward noise.
func ExampleShiftTime() {
	for _, t := range []float64{0.25, 0.5, 0.75} {
		fmt.Printf("t=%.2f → %.4f\n", t, timesteps.ShiftTime(t, 3))
	}
	// Output:
	// t=0.25 → 0.1000
	// t=0.50 → 0.2500
	// t=0.75 → 0.5000
}
