package objective

import (
	"fmt"
	"math"
	"strconv"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/path"
	"github.com/mixflow/mixflow/mixflowlib/timesteps"
)

// DefaultInputPerturbationGamma is Ning et al.'s γ_ip for ImageNet-32, LSUN, CelebA and FFHQ (0.15 for
// CIFAR-10).
const DefaultInputPerturbationGamma = 0.1

// InputPerturbation is Input Perturbation (Ning et al., ICML 2023) in flow-matching form (SimpleTuner's
// --input_perturbation), a training-time exposure-bias baseline, on the linear path:
//
//	t = Times.Quantile(U),  input = t·x1 + (1 − t)·(x0 + γ_ip·ξ),  ξ ~ N(0, I),
//	loss = mean ‖v_θ(input, t | cond) − (x1 − x0)‖²,
//
// the target staying the unperturbed velocity. Gamma 0 is flow matching exactly. Use
// DefaultInputPerturbationGamma for the published default. With DecaySteps = N > 0 the scale decays
// linearly to 0 over the first N training steps (SimpleTuner's --input_perturbation_steps):
// γ_ip·max(0, 1 − step/N), step being the trainer's global step counter ("/global_step").
type InputPerturbation struct {
	// Gamma is γ_ip ≥ 0, the scale of the extra noise.
	Gamma float64
	// DecaySteps is the number N ≥ 0 of training steps over which γ_ip decays linearly to 0; 0 means
	// no decay.
	DecaySteps int
	// Times is the training-time distribution; nil means timesteps.Uniform{}.
	Times timesteps.Dist
	// LabelDropout is the label-dropout probability in [0, 1], as in FlowMatching.
	LabelDropout float64
}

// Validate checks γ_ip, the time distribution and the dropout probability.
func (o InputPerturbation) Validate() error {
	if math.IsNaN(o.Gamma) || math.IsInf(o.Gamma, 0) || o.Gamma < 0 {
		return fmt.Errorf("objective: input perturbation gamma %v must be finite and >= 0", o.Gamma)
	}
	if o.DecaySteps < 0 {
		return fmt.Errorf("objective: input perturbation decay steps %d must be >= 0", o.DecaySteps)
	}
	return o.fm().Validate()
}

func (o InputPerturbation) fm() FlowMatching {
	return FlowMatching{Path: path.Linear{}, Times: o.Times, LabelDropout: o.LabelDropout}
}

// Name implements Objective, e.g. "input-perturbation(gamma=0.1,times=uniform)".
func (o InputPerturbation) Name() string {
	s := "input-perturbation(gamma=" + formatFloat(o.Gamma) + ",times=" + o.fm().times().Name()
	if o.DecaySteps > 0 {
		s += ",decay-steps=" + strconv.Itoa(o.DecaySteps)
	}
	if o.LabelDropout > 0 {
		s += ",label-dropout=" + formatFloat(o.LabelDropout)
	}
	return s + ")"
}

// LossFromDraws is the deterministic core: the loss terms for the draws d (USlow ignored) and the
// extra noise xi (shaped like x1; ignored when Gamma is 0). Terms.Input is the perturbed input, Target
// the unperturbed x1 − x0. With DecaySteps it reads (and, if missing, creates at 0) the store's global
// step counter. It panics on an invalid configuration or mismatched shapes.
func (o InputPerturbation) LossFromDraws(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond, d Draws, xi *Node) Terms {
	if err := o.Validate(); err != nil {
		panic(err)
	}
	fm := o.fm()
	t := clampTime(fm.path(), drawTimes(fm.times(), d.UTime, batchSize(x1)))
	if o.Gamma == 0 {
		return loss(scope, net, fm.path(), x1, cond, d, o.LabelDropout, t, t, false)
	}
	checkDraw("xi", xi, x1.Shape())
	// t·x1 + (1 − t)(x0 + γξ) is the linear interpolation of x1 and the perturbed noise x0 + γξ; the
	// target x1 − x0 is the velocity of the unperturbed pair, so the loss core gets both.
	perturbed := d
	perturbed.X0 = Add(d.X0, Mul(xi, o.gammaNode(scope, x1)))
	terms := loss(scope, net, fm.path(), x1, cond, perturbed, o.LabelDropout, t, t, false)
	target := StopGradient(Sub(x1, d.X0))
	perSample := perSampleMean(Square(Sub(terms.Output, target)))
	terms.Target, terms.PerSample, terms.Loss = target, perSample, ReduceAllMean(perSample)
	return terms
}

// gammaNode returns the scale of the extra noise as a scalar in x1's dtype: γ_ip, or γ_ip·max(0, 1 −
// step/N) with DecaySteps = N.
func (o InputPerturbation) gammaNode(scope *model.Scope, x1 *Node) *Node {
	g := x1.Graph()
	if o.DecaySteps == 0 {
		return Scalar(g, x1.DType(), o.Gamma)
	}
	step := ConvertDType(optimizer.GetGlobalStepVar(scope).ValueGraph(g), x1.DType())
	frac := Max(OneMinus(DivScalar(step, float64(o.DecaySteps))), ScalarZero(g, x1.DType()))
	return MulScalar(frac, o.Gamma)
}

// TermsGraph implements Detailed: DrawGraph (UTime, X0, then UDrop while training with dropout), then ξ
// from the Store's RNG, and LossFromDraws.
func (o InputPerturbation) TermsGraph(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond) Terms {
	d := DrawGraph(scope, x1, false, dropoutWanted(scope, x1.Graph(), o.LabelDropout, cond))
	var xi *Node
	if o.Gamma != 0 {
		xi = scope.RandomNormal(x1.Graph(), x1.Shape())
	}
	return o.LossFromDraws(scope, net, x1, cond, d, xi)
}

// LossGraph implements Objective.
func (o InputPerturbation) LossGraph(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond) *Node {
	return o.TermsGraph(scope, net, x1, cond).Loss
}
