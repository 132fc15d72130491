package controls_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/mixflow/mixflow/widgets/chart"
	"github.com/mixflow/mixflow/widgets/controls"
	"github.com/mixflow/mixflow/widgets/figures"
)

// A γ explorer over the joint (t, m_t) of MixFlow. In a notebook the slider redraws the figure live;
// headless (nbconvert, CI) it shows γ = 0.8 and returns within the handshake time. Outside a notebook
// it only draws the default figure.
func ExampleExplorer() {
	draw := func(gamma float64, dist string) chart.Figure {
		r := rand.New(rand.NewPCG(1, 2))
		t, m := make([]float64, 5000), make([]float64, 5000)
		for i := range t {
			t[i] = math.Sqrt(r.Float64()) // Beta(2,1); use mixflowlib/timesteps for the other dists
			m[i] = t[i] * (1 - gamma*r.Float64())
		}
		fig, err := figures.JointTM(t, m, figures.JointOptions{Gamma: gamma})
		if err != nil {
			panic(err) // shown in the figure's output
		}
		return fig
	}
	e := controls.NewExplorer("MixFlow slowed mixture", draw)
	e.Dists = nil // only the γ slider
	e.Dist = ""
	res, err := e.Run()
	fmt.Println(res.Gamma, res.Live, res.Reason, err)
	// Output: 0.8 false static <nil>
}
