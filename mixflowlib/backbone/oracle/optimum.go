package oracle

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// DefaultOptimumNodes is the number of quadrature nodes over m of a MixFlowOptimum built with nodes 0.
const DefaultOptimumNodes = 32

// MixFlowOptimum is the exact minimiser of the MixFlow loss with slowing range γ (relative mixture,
// linear path, target x1 − x0) for a Gaussian mixture, in any dimension: what a network of unlimited
// capacity trained to convergence with MixFlow computes. Given the conditioning time t, MixFlow's input
// is x_m with m ~ U[(1−γ)t, t], so
//
//	v*(x, t) = E[x1 − x0 | x_m = x, t] = ∫ p_m(x) v_m(x) dm / ∫ p_m(x) dm   over m ∈ [(1−γ)t, t],
//
// with p_m the mixture's marginal density at time m and v_m its exact velocity there (Mixture). The
// integrals use the midpoint rule with Nodes() nodes. It does not depend on the distribution of t;
// γ = 0 is the exact velocity. It implements nn.Backbone and creates no variables; conditioning is
// ignored (the unconditional optimum).
type MixFlowOptimum struct {
	mix   *Mixture
	gamma float64
	nodes int
}

var _ nn.Backbone = (*MixFlowOptimum)(nil)

// NewMixFlowOptimum returns the MixFlow optimum of mix for slowing range gamma ∈ [0, 1] with nodes
// quadrature nodes (0 means DefaultOptimumNodes).
func NewMixFlowOptimum(mix *Mixture, gamma float64, nodes int) (*MixFlowOptimum, error) {
	if mix == nil {
		return nil, fmt.Errorf("oracle: MixFlowOptimum: mixture is nil")
	}
	if math.IsNaN(gamma) || gamma < 0 || gamma > 1 {
		return nil, fmt.Errorf("oracle: MixFlowOptimum: gamma %v outside [0, 1]", gamma)
	}
	if nodes == 0 {
		nodes = DefaultOptimumNodes
	}
	if nodes < 1 {
		return nil, fmt.Errorf("oracle: MixFlowOptimum: nodes %d must be >= 1 (0 = %d)", nodes, DefaultOptimumNodes)
	}
	return &MixFlowOptimum{mix: mix, gamma: gamma, nodes: nodes}, nil
}

// Mixture returns the data distribution whose optimum this is.
func (o *MixFlowOptimum) Mixture() *Mixture { return o.mix }

// Gamma returns the slowing range γ.
func (o *MixFlowOptimum) Gamma() float64 { return o.gamma }

// Nodes returns the number of quadrature nodes over m.
func (o *MixFlowOptimum) Nodes() int { return o.nodes }

// nodeTime returns the j-th quadrature node m_j = t·(1 − γ·(j + ½)/nodes).
func (o *MixFlowOptimum) nodeScale(j int) float64 {
	return 1 - o.gamma*(float64(j)+0.5)/float64(o.nodes)
}

// Velocity implements nn.Backbone for x [B, D] (or [B, ...] with D values per example) and t [B]. The
// algebra runs in float64 in the graph; the result has x's dtype.
func (o *MixFlowOptimum) Velocity(scope *model.Scope, x, t *Node, cond nn.Cond) *Node {
	d := perExample(x)
	if d != o.mix.Dim() {
		exceptions.Panicf("oracle.MixFlowOptimum: x has %d values per example (shape %s), want %d", d, x.Shape(), o.mix.Dim())
	}
	g := x.Graph()
	b := x.Shape().Dimensions[0]
	if t.Rank() != 1 || t.Shape().Dimensions[0] != b {
		exceptions.Panicf("oracle.MixFlowOptimum: t must have shape [%d], got %s", b, t.Shape())
	}
	f64 := dtypes.Float64
	x2 := Reshape(x, b, d)
	xf := ConvertDType(x2, f64)                    // [B, D]
	tf := ConvertDType(t, f64)                     // [B]
	xx := ReduceAndKeep(Square(xf), ReduceSum, -1) // [B, 1]

	k := len(o.mix.means)
	flat := make([]float64, 0, k*d)
	norms, logw := make([]float64, k), make([]float64, k)
	for i, mu := range o.mix.means {
		flat = append(flat, mu...)
		for _, v := range mu {
			norms[i] += v * v
		}
		logw[i] = math.Log(o.mix.weights[i])
	}
	meansN := Reshape(Const(g, flat), k, d)
	xm := Einsum("bd,kd->bk", xf, meansN) // ⟨x, μ_k⟩, [B, K]
	normsN := Reshape(Const(g, norms), 1, k)
	logwN := Reshape(Const(g, logw), 1, k)
	s2N := Reshape(Const(g, squares(o.mix.stds)), 1, k)

	var logps, vels []*Node
	for j := range o.nodes {
		m := MulScalar(tf, o.nodeScale(j)) // [B]
		mc := Reshape(m, b, 1)             // [B, 1]
		variance := Add(Mul(Square(mc), s2N), Square(OneMinus(mc)))
		dist2 := Add(Sub(xx, Mul(MulScalar(mc, 2), xm)), Mul(Square(mc), normsN)) // ‖x − m μ_k‖²
		logit := Sub(logwN, Add(MulScalar(Log(variance), float64(d)/2), Div(dist2, MulScalar(variance, 2))))
		logps = append(logps, logSumExp(logit)) // log p_m(x) up to a constant, [B]
		v := o.mix.Velocity(scope, x2, ConvertDType(m, t.DType()), nn.Cond{})
		vels = append(vels, InsertAxes(ConvertDType(v, f64), 1)) // [B, 1, D]
	}
	w := Softmax(Stack(logps, 1), -1)                               // [B, J]
	v := ReduceSum(Mul(InsertAxes(w, -1), Concatenate(vels, 1)), 1) // [B, D]
	return Reshape(ConvertDType(v, x.DType()), x.Shape().Dimensions...)
}

// VelocityAt returns the optimum at one point x (length Dim of the mixture) and time t, on the host in
// float64, with the same quadrature as Velocity.
func (o *MixFlowOptimum) VelocityAt(x []float64, t float64) ([]float64, error) {
	d := o.mix.Dim()
	if len(x) != d {
		return nil, fmt.Errorf("oracle: MixFlowOptimum.VelocityAt: x has %d values, want %d", len(x), d)
	}
	if err := checkTime(t); err != nil {
		return nil, err
	}
	logps := make([]float64, o.nodes)
	vels := make([][]float64, o.nodes)
	for j := range o.nodes {
		m := t * o.nodeScale(j)
		lk := make([]float64, len(o.mix.means))
		for i, mu := range o.mix.means {
			variance := m*m*o.mix.stds[i]*o.mix.stds[i] + (1-m)*(1-m)
			var dist2 float64
			for c := range x {
				r := x[c] - m*mu[c]
				dist2 += r * r
			}
			lk[i] = math.Log(o.mix.weights[i]) - float64(d)/2*math.Log(variance) - dist2/(2*variance)
		}
		logps[j] = hostLogSumExp(lk)
		v, err := o.mix.VelocityAt(x, m)
		if err != nil {
			return nil, err
		}
		vels[j] = v
	}
	z := hostLogSumExp(logps)
	out := make([]float64, d)
	for j, v := range vels {
		w := math.Exp(logps[j] - z)
		for c := range out {
			out[c] += w * v[c]
		}
	}
	return out, nil
}

// logSumExp reduces [B, K] logits over the last axis, stably.
func logSumExp(x *Node) *Node {
	mx := ReduceAndKeep(x, ReduceMax, -1)
	return Add(Reshape(mx, x.Shape().Dimensions[0]), Log(ReduceSum(Exp(Sub(x, mx)), -1)))
}

func hostLogSumExp(v []float64) float64 {
	mx := math.Inf(-1)
	for _, x := range v {
		mx = math.Max(mx, x)
	}
	var s float64
	for _, x := range v {
		s += math.Exp(x - mx)
	}
	return mx + math.Log(s)
}
