package toyexp

import (
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// RunOptimum is the kind of OptimumRun: the exact minimiser of the MixFlow loss.
const RunOptimum = "mixflow-optimum"

// OptimumNodes is the number of quadrature nodes over m of the MixFlow optimum.
const OptimumNodes = oracle.DefaultOptimumNodes

// OptimumRun returns the run of the exact minimiser of the MixFlow loss with slowing range gamma
// (relative mixture, linear path, target at m) for the toys that have an exact velocity (see OracleRun):
// what a network of unlimited capacity trained to convergence with MixFlow would compute. Given the
// conditioning time t, MixFlow's input is x_m with m ~ U[(1−γ)t, t], so the optimum is
//
//	v*(x, t) = E[x1 − x0 | x_m = x, t] = ∫ p_m(x) v_m(x) dm / ∫ p_m(x) dm   over m ∈ [(1−γ)t, t],
//
// with p_m the marginal density at time m and v_m the exact velocity there: oracle.MixFlowOptimum with
// OptimumNodes midpoint nodes. It does not depend on the distribution of t.
// γ = 0 gives the exact velocity. Sampling it shows what MixFlow does to a model without any error.
func OptimumRun(data DataSpec, gamma float64) (*Run, error) {
	c, err := data.Canonical()
	if err != nil {
		return nil, err
	}
	r := &Run{Kind: RunOptimum, Label: fmt.Sprintf("MixFlow optimum γ=%g", gamma), Data: c, Gamma: gamma,
		Key: fmt.Sprintf("mixflow-optimum:%s:gamma=%g:nodes=%d", c.Toy, gamma, OptimumNodes)}
	if _, err := optimumBackbone(r); err != nil { // validates γ, once (oracle.NewMixFlowOptimum)
		return nil, err
	}
	return r, nil
}

func optimumBackbone(r *Run) (nn.Backbone, error) {
	net, err := oracleBackbone(r.Data)
	if err != nil {
		return nil, err
	}
	mix, ok := net.(*oracle.Mixture)
	if !ok {
		// The standard Gaussian toy: a one-component mixture.
		if mix, err = oracle.NewMixture([]float64{1}, [][]float64{{0, 0}}, []float64{1}); err != nil {
			return nil, err
		}
	}
	return oracle.NewMixFlowOptimum(mix, r.Gamma, OptimumNodes)
}
