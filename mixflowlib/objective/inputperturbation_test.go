package objective

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// TestInputPerturbation checks the loss against a host computation of its formula on fixed inputs
// (affineNet: v = 0.5·x + t), γ_ip = 0 against FlowMatching, and the named errors.
func TestInputPerturbation(t *testing.T) {
	const b, d = 5, 3
	rng := rand.New(rand.NewPCG(11, 12))
	x1, x0, xi := make([]float32, b*d), make([]float32, b*d), make([]float32, b*d)
	u := make([]float32, b)
	for i := range x1 {
		x1[i], x0[i], xi[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	for i := range u {
		u[i] = float32(rng.Float64())
	}
	eval := func(fn func(scope *model.Scope, x1, x0, u, xi *Node) *Node) float64 {
		out := run(t, func(scope *model.Scope, in []*Node) []*Node {
			return []*Node{fn(scope, in[0], in[1], in[2], in[3])}
		}, tensors.FromFlatDataAndDimensions(x1, b, d), tensors.FromFlatDataAndDimensions(x0, b, d), u,
			tensors.FromFlatDataAndDimensions(xi, b, d))
		return out[0][0]
	}
	for _, c := range []struct {
		gamma       float64
		decay, step int
		effective   float64 // the scale the host formula uses
	}{
		{0, 0, 0, 0}, {DefaultInputPerturbationGamma, 0, 0, DefaultInputPerturbationGamma}, {0.5, 0, 0, 0.5},
		{0.5, 100, 30, 0.35}, {0.5, 100, 100, 0}, {0.5, 100, 250, 0},
	} {
		gamma := c.effective
		got := eval(func(scope *model.Scope, x1, x0, u, xi *Node) *Node {
			if c.decay > 0 {
				if err := optimizer.GetGlobalStepVar(scope).SetValue(tensors.FromScalar(int64(c.step))); err != nil {
					panic(err)
				}
			}
			o := InputPerturbation{Gamma: c.gamma, DecaySteps: c.decay}
			return o.LossFromDraws(scope, affineNet{}, x1, nn.Cond{}, Draws{UTime: u, X0: x0}, xi).Loss
		})
		var want float64
		for i := range b {
			tt := float64(u[i])
			for j := range d {
				k := i*d + j
				in := tt*float64(x1[k]) + (1-tt)*(float64(x0[k])+gamma*float64(xi[k]))
				r := 0.5*in + tt - (float64(x1[k]) - float64(x0[k]))
				want += r * r / float64(b*d)
			}
		}
		if math.Abs(got-want) > 1e-5*(1+want) {
			t.Errorf("%+v: loss %v, host formula with γ_ip=%g: %v", c, got, gamma, want)
		}
		if c.gamma == 0 {
			fm := eval(func(scope *model.Scope, x1, x0, u, _ *Node) *Node {
				return FlowMatching{}.LossFromDraws(scope, affineNet{}, x1, nn.Cond{}, Draws{UTime: u, X0: x0}).Loss
			})
			if fm != got {
				t.Errorf("γ_ip=0: loss %v, flow matching %v", got, fm)
			}
		}
	}
	for _, g := range []float64{-0.1, math.NaN(), math.Inf(1)} {
		if err := (InputPerturbation{Gamma: g}).Validate(); err == nil || !strings.Contains(err.Error(), "objective: input perturbation gamma") {
			t.Errorf("γ_ip=%v: error %v", g, err)
		}
	}
	if err := (InputPerturbation{Gamma: 0.1, DecaySteps: -1}).Validate(); err == nil || err.Error() != "objective: input perturbation decay steps -1 must be >= 0" {
		t.Errorf("decay steps -1: error %v", err)
	}
	if n := (InputPerturbation{Gamma: 0.1}).Name(); n != "input-perturbation(gamma=0.1,times=uniform)" {
		t.Errorf("Name() = %q", n)
	}
	if n := (InputPerturbation{Gamma: 0.1, DecaySteps: 500}).Name(); n != "input-perturbation(gamma=0.1,times=uniform,decay-steps=500)" {
		t.Errorf("Name() = %q", n)
	}
}
