package figures_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mixflow/mixflow/widgets/figures"
)

// The joint of MixFlow's (t, m_t) for γ = 0.8, drawn with t = √U (Beta(2,1)) and m_t = t(1 − γU').
// In a notebook, call fig.Display(); elsewhere fig.Save("joint.png") or fig.Save("joint.html").
func ExampleJointTM() {
	r := rand.New(rand.NewPCG(1, 2))
	const gamma = 0.8
	t, m := make([]float64, 20000), make([]float64, 20000)
	for i := range t {
		t[i] = math.Sqrt(r.Float64())
		m[i] = t[i] * (1 - gamma*r.Float64())
	}
	fig, err := figures.JointTM(t, m, figures.JointOptions{Gamma: gamma, Marginals: true})
	if err != nil {
		panic(err)
	}
	fmt.Println(fig.Describe())
	// Output: Figure "MixFlow: joint of t and the slowed m_t, γ = 0.8": 2 panel(s); joint density [(1−γ)t ≤ m ≤ t, γ = 0.8]; marginal densities [t, m_t]
}

// A γ ablation with error bars and the baseline as a reference line.
func ExampleGammaAblation() {
	fig, err := figures.GammaAblation([]figures.Ablation{{
		Name:  "MixFlow",
		Gamma: []float64{0.3, 0.5, 0.8, 1},
		Mean:  []float64{16.1, 15.8, 15.6, 15.7},
		Err:   []float64{0.2, 0.1, 0.1, 0.2},
	}}, figures.AblationOptions{Metric: "FID ↓", References: []figures.Reference{{Label: "baseline", Value: 16.6}}})
	fmt.Println(fig.Describe(), err)
	// Output: Figure "γ ablation": 1 panel(s);  [MixFlow, baseline] <nil>
}
