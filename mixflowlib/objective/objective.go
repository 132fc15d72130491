// Package objective holds the training losses of MixFlow experiments, written against nn.Backbone:
// standard flow matching and MixFlow (arXiv 2512.19311), both with optional label dropout for
// classifier-free guidance.
//
// Each objective has a deterministic core, LossFromDraws, that takes its random draws (the uniforms that
// become t and m, the noise x0, the label-dropout uniforms) as graph inputs, so tests can compare it with a
// host computation; LossGraph and TermsGraph draw those from the Store's RNG (DrawGraph) and call the core.
//
// MixFlow's sampling order, per sample, in paper time (0 noise, 1 data):
//
//	U ~ U[0,1)  →  t = Times.Quantile(U)  →  t = ShiftTime(t, Shift)  →  m = t·(1 − γ·U')   (U' ~ U[0,1))
//	x_m = α_m·x1 + σ_m·x0,   loss = ‖v_θ(x_m, t | cond) − u*‖²,   u* = α̇_m·x1 + σ̇_m·x0  (or at t)
//
// The network is always conditioned on t, never on m; inference is unchanged.
package objective

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/path"
	"github.com/mixflow/mixflow/mixflowlib/timesteps"
)

// Objective is a training loss over a backbone.
type Objective interface {
	// Name describes the objective and its settings, e.g. "mixflow(gamma=0.8,path=linear,times=beta21)".
	Name() string
	// LossGraph builds the scalar mean loss of one batch x1 (shape [B, …]) with conditioning cond.
	// It panics (GoMLX style) on an invalid configuration or mismatched shapes.
	LossGraph(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond) *Node
}

// Detailed is implemented by objectives that can also return the per-sample terms of the loss (per-sample
// loss, the drawn t and m) for diagnostics such as loss-versus-t plots. Both objectives of this package
// implement it.
type Detailed interface {
	Objective
	// TermsGraph is LossGraph returning every term.
	TermsGraph(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond) Terms
}

// Draws are the random inputs of one loss evaluation, all per sample of a batch of B.
type Draws struct {
	// UTime holds B uniforms in [0, 1) that become t through Times.Quantile. Shape [B].
	UTime *Node
	// USlow holds B uniforms in [0, 1) that become m (MixFlow only; ignored by FlowMatching). Shape [B].
	USlow *Node
	// X0 is the standard normal noise, shaped like x1.
	X0 *Node
	// UDrop holds B uniforms for label dropout (sample i is dropped when UDrop[i] < the dropout
	// probability), or nil for no dropout. Shape [B].
	UDrop *Node
}

// DrawGraph draws the random inputs for x1 from the Store's RNG, in this order: UTime [B] (float32), then
// USlow [B] if slow, then X0 (x1's shape and dtype), then UDrop [B] if dropout. The order fixes which random
// numbers each quantity gets for a given seed.
func DrawGraph(scope *model.Scope, x1 *Node, slow, dropout bool) Draws {
	g := x1.Graph()
	b := batchSize(x1)
	var d Draws
	d.UTime = scope.RandomUniform(g, shapes.Make(dtypes.Float32, b))
	if slow {
		d.USlow = scope.RandomUniform(g, shapes.Make(dtypes.Float32, b))
	}
	d.X0 = scope.RandomNormal(g, x1.Shape())
	if dropout {
		d.UDrop = scope.RandomUniform(g, shapes.Make(dtypes.Float32, b))
	}
	return d
}

// Terms are the pieces of one loss evaluation.
type Terms struct {
	// Loss is the scalar mean of PerSample.
	Loss *Node
	// PerSample is the squared error averaged over each sample's values, shape [B].
	PerSample *Node
	// T is the time the network is conditioned on (after the shift), float32 [B].
	T *Node
	// M is the time of the network's input interpolation (MixFlow's slowed time; equal to T for flow
	// matching), float32 [B].
	M *Node
	// Input is the network input x_m = α_m·x1 + σ_m·x0.
	Input *Node
	// Target is the regression target u*.
	Target *Node
	// Output is the network's prediction v_θ(x_m, t | cond).
	Output *Node
	// Cond is the conditioning the network received, after label dropout.
	Cond nn.Cond
}

// DropLabels returns cond with the samples where drop (bool [B]) is true made unconditional: labels set to
// nn.NullLabel and token rows set to 0 (the null caption). Nil fields stay nil.
func DropLabels(cond nn.Cond, drop *Node) nn.Cond {
	out := cond
	if cond.Labels != nil {
		null := Scalar(drop.Graph(), cond.Labels.DType(), nn.NullLabel)
		out.Labels = Where(drop, null, cond.Labels)
	}
	if cond.Tokens != nil {
		out.Tokens = Where(drop, ZerosLike(cond.Tokens), cond.Tokens) // drop [B] broadcasts over [B, L]
	}
	return out
}

// loss runs the shared core: network at (x_m, t), regression onto target. UDrop applies dropout.
func loss(scope *model.Scope, net nn.Backbone, p path.Path, x1 *Node, cond nn.Cond, d Draws, dropout float64,
	t, m *Node, targetAtT bool) Terms {
	checkDraw("X0", d.X0, x1.Shape())
	if d.UDrop != nil && dropout > 0 && (cond.Labels != nil || cond.Tokens != nil) {
		checkDraw("UDrop", d.UDrop, shapes.Make(d.UDrop.DType(), batchSize(x1)))
		cond = DropLabels(cond, LessThan(d.UDrop, Scalar(d.UDrop.Graph(), d.UDrop.DType(), dropout)))
	}
	input := path.InterpolateGraph(p, m, d.X0, x1)
	targetTime := m
	if targetAtT {
		targetTime = t
	}
	target := StopGradient(path.TargetVelocityGraph(p, targetTime, d.X0, x1))
	out := net.Velocity(scope, input, t, cond)
	if out == nil || !out.Shape().Equal(x1.Shape()) {
		var got any = "nil"
		if out != nil {
			got = out.Shape()
		}
		exceptions.Panicf("objective: backbone output shape %v differs from x1 shape %s", got, x1.Shape())
	}
	perSample := perSampleMean(Square(Sub(out, target)))
	return Terms{
		Loss:      ReduceAllMean(perSample),
		PerSample: perSample,
		T:         t,
		M:         m,
		Input:     input,
		Target:    target,
		Output:    out,
		Cond:      cond,
	}
}

func batchSize(x1 *Node) int {
	if x1.Rank() < 1 || !x1.DType().IsFloat() {
		exceptions.Panicf("objective: x1 must be a float tensor of shape [B, …], got %s", x1.Shape())
	}
	return x1.Shape().Dimensions[0]
}

func checkDraw(name string, v *Node, want shapes.Shape) {
	if v == nil {
		exceptions.Panicf("objective: draw %s is missing", name)
	}
	if !v.Shape().EqualDimensions(want) {
		exceptions.Panicf("objective: draw %s has shape %s, want dimensions %v", name, v.Shape(), want.Dimensions)
	}
}

// drawTimes turns the time uniforms into float32 times through dist.
func drawTimes(dist timesteps.Dist, u *Node, b int) *Node {
	checkDraw("UTime", u, shapes.Make(dtypes.Float32, b))
	return ConvertDType(dist.QuantileGraph(ConvertDType(u, dtypes.Float32)), dtypes.Float32)
}

// vpTrainEps is SiT's train_eps for the VP path: training times are kept at or below 1 − vpTrainEps.
const vpTrainEps = 1e-5

// clampTime keeps times away from t = 1 on paths whose coefficients are singular there (VP: σ̇ = −∞), as SiT
// does with train_eps; other paths are left untouched. Beta(2,1) can return exactly 1 in float32.
func clampTime(p path.Path, t *Node) *Node {
	c := p.At(1)
	for _, v := range []float64{c.Alpha, c.Sigma, c.DAlpha, c.DSigma} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return MinScalar(t, 1-vpTrainEps)
		}
	}
	return t
}

func checkDropout(p float64) error {
	if !(p >= 0 && p <= 1) {
		return fmt.Errorf("objective: label dropout probability %v outside [0, 1]", p)
	}
	return nil
}

func checkPath(p path.Path) error {
	if v, ok := p.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("objective: %w", err)
		}
	}
	return nil
}

func checkTimes(d timesteps.Dist) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("objective: %w", err)
	}
	return nil
}

func formatFloat(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e6 {
		return fmt.Sprintf("%g", v)
	}
	return fmt.Sprintf("%.6g", v)
}

// dropoutWanted reports whether label dropout should be drawn for this graph: a positive probability,
// labels or tokens to drop, and the graph in training mode (as SiT's label embedder: evaluation losses
// use the real labels).
func dropoutWanted(scope *model.Scope, g *Graph, p float64, cond nn.Cond) bool {
	return p > 0 && (cond.Labels != nil || cond.Tokens != nil) && scope.IsTraining(g)
}

// perSampleMean is the mean of sq over every axis but the batch axis (sq itself when it is [B]): the
// per-sample loss of a squared error.
func perSampleMean(sq *Node) *Node {
	if sq.Rank() <= 1 {
		return sq
	}
	axes := make([]int, sq.Rank()-1)
	for i := range axes {
		axes[i] = i + 1
	}
	return ReduceMean(sq, axes...)
}
