package toyexp

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX's graph-building style
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// RunOptimum is the kind of OptimumRun: the exact minimiser of the MixFlow loss.
const RunOptimum = "mixflow-optimum"

// OptimumNodes is the number of quadrature nodes over m of the MixFlow optimum.
const OptimumNodes = 32

// OptimumRun returns the run of the exact minimiser of the MixFlow loss with slowing range gamma
// (relative mixture, linear path, target at m) for the toys that have an exact velocity (see OracleRun):
// what a network of unlimited capacity trained to convergence with MixFlow would compute. Given the
// conditioning time t, MixFlow's input is x_m with m ~ U[(1−γ)t, t], so the optimum is
//
//	v*(x, t) = E[x1 − x0 | x_m = x, t] = ∫ p_m(x) v_m(x) dm / ∫ p_m(x) dm   over m ∈ [(1−γ)t, t],
//
// with p_m the marginal density at time m and v_m the exact velocity there (oracle.Mixture). The
// integrals use the midpoint rule with OptimumNodes nodes. It does not depend on the distribution of t.
// γ = 0 gives the exact velocity. Sampling it shows what MixFlow does to a model without any error.
func OptimumRun(data DataSpec, gamma float64) (*Run, error) {
	c, err := data.Canonical()
	if err != nil {
		return nil, err
	}
	if math.IsNaN(gamma) || gamma < 0 || gamma > 1 {
		return nil, fmt.Errorf("toyexp: mixflow optimum: gamma %v outside [0, 1]", gamma)
	}
	r := &Run{Kind: RunOptimum, Label: fmt.Sprintf("MixFlow optimum γ=%g", gamma), Data: c, Gamma: gamma,
		Key: fmt.Sprintf("mixflow-optimum:%s:gamma=%g:nodes=%d", c.Toy, gamma, OptimumNodes)}
	if _, err := optimumBackbone(r); err != nil {
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
	return &mixflowOptimum{mix: mix, gamma: r.Gamma, nodes: OptimumNodes}, nil
}

// mixflowOptimum is the MixFlow-loss minimiser for a Gaussian mixture (see OptimumRun).
type mixflowOptimum struct {
	mix   *oracle.Mixture
	gamma float64
	nodes int
}

// Velocity implements nn.Backbone.
func (o *mixflowOptimum) Velocity(scope *model.Scope, x, t *Node, cond nn.Cond) *Node {
	scope = scope.ResetVisited()
	if x.Rank() != 2 || x.Shape().Dimensions[1] != o.mix.Dim() {
		exceptions.Panicf("toyexp: mixflow optimum: x has shape %s, want [B, %d]", x.Shape(), o.mix.Dim())
	}
	g := x.Graph()
	b, d := x.Shape().Dimensions[0], o.mix.Dim()
	f64 := dtypes.Float64
	xf := ConvertDType(x, f64)                     // [B, D]
	tf := ConvertDType(Reshape(t, b), f64)         // [B]
	xx := ReduceAndKeep(Square(xf), ReduceSum, -1) // [B, 1]

	means := o.mix.Means()
	stds := o.mix.Stds()
	weights := o.mix.Weights()
	k := len(means)
	flat := make([]float64, 0, k*d)
	norms, logw, s2 := make([]float64, k), make([]float64, k), make([]float64, k)
	for i, mu := range means {
		flat = append(flat, mu...)
		for _, v := range mu {
			norms[i] += v * v
		}
		logw[i] = math.Log(weights[i])
		s2[i] = stds[i] * stds[i]
	}
	meansN := Reshape(Const(g, flat), k, d)
	xm := Einsum("bd,kd->bk", xf, meansN) // ⟨x, μ_k⟩, [B, K]
	normsN := Reshape(Const(g, norms), 1, k)
	logwN := Reshape(Const(g, logw), 1, k)
	s2N := Reshape(Const(g, s2), 1, k)

	var logps, vels []*Node
	for j := range o.nodes {
		u := (float64(j) + 0.5) / float64(o.nodes)
		m := MulScalar(tf, 1-o.gamma*u) // [B]
		mc := Reshape(m, b, 1)          // [B, 1]
		variance := Add(Mul(Square(mc), s2N), Square(OneMinus(mc)))
		dist2 := Add(Sub(xx, Mul(MulScalar(mc, 2), xm)), Mul(Square(mc), normsN)) // ‖x − m μ_k‖²
		logit := Sub(logwN, Add(MulScalar(Log(variance), float64(d)/2), Div(dist2, MulScalar(variance, 2))))
		logps = append(logps, logSumExp(logit)) // log p_m(x) up to a constant, [B]
		v := o.mix.Velocity(scope, x, ConvertDType(m, t.DType()), cond)
		vels = append(vels, InsertAxes(ConvertDType(v, f64), 1)) // [B, 1, D]
	}
	w := Softmax(Stack(logps, 1), -1)                               // [B, J]
	v := ReduceSum(Mul(InsertAxes(w, -1), Concatenate(vels, 1)), 1) // [B, D]
	return ConvertDType(v, x.DType())
}

// logSumExp reduces [B, K] logits over the last axis, stably.
func logSumExp(x *Node) *Node {
	mx := ReduceAndKeep(x, ReduceMax, -1)
	return Add(Reshape(mx, x.Shape().Dimensions[0]), Log(ReduceSum(Exp(Sub(x, mx)), -1)))
}
