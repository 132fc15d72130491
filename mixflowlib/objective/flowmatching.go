package objective

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/path"
	"github.com/mixflow/mixflow/mixflowlib/timesteps"
)

// FlowMatching is the standard flow-matching loss (SiT's velocity objective):
//
//	t = Times.Quantile(U),  x_t = α_t·x1 + σ_t·x0,  loss = mean ‖v_θ(x_t, t | cond) − (α̇_t·x1 + σ̇_t·x0)‖².
//
// The zero value is SiT's setting: Linear path, t ~ U[0, 1], no label dropout. On paths singular at t = 1
// (VP) the times are clipped to 1 − 1e-5, SiT's train_eps.
type FlowMatching struct {
	// Path is the interpolation path; nil means path.Linear.
	Path path.Path
	// Times is the training-time distribution; nil means timesteps.Uniform{} (U[0, 1]).
	Times timesteps.Dist
	// LabelDropout is the probability, in [0, 1], of replacing a sample's label by nn.NullLabel (and its
	// caption by the null caption) during training, for classifier-free guidance (SiT: 0.1).
	LabelDropout float64
}

// NewFlowMatching returns a validated FlowMatching; nil p and times mean the defaults.
func NewFlowMatching(p path.Path, times timesteps.Dist, labelDropout float64) (FlowMatching, error) {
	o := FlowMatching{Path: p, Times: times, LabelDropout: labelDropout}
	return o, o.Validate()
}

func (o FlowMatching) path() path.Path { return path.OrLinear(o.Path) }

func (o FlowMatching) times() timesteps.Dist {
	if o.Times == nil {
		return timesteps.Uniform{}
	}
	return o.Times
}

// Validate checks the path, the time distribution and the dropout probability.
func (o FlowMatching) Validate() error {
	if err := checkPath(o.path()); err != nil {
		return err
	}
	if err := checkTimes(o.times()); err != nil {
		return err
	}
	return checkDropout(o.LabelDropout)
}

// Name implements Objective, e.g. "flow-matching(path=linear,times=uniform)".
func (o FlowMatching) Name() string {
	s := "flow-matching(path=" + o.path().Name() + ",times=" + o.times().Name()
	if o.LabelDropout > 0 {
		s += ",label-dropout=" + formatFloat(o.LabelDropout)
	}
	return s + ")"
}

// LossFromDraws is the deterministic core: the loss terms for the given draws (USlow is ignored).
// It panics on an invalid configuration or mismatched shapes.
func (o FlowMatching) LossFromDraws(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond, d Draws) Terms {
	if err := o.Validate(); err != nil {
		panic(err)
	}
	t := clampTime(o.path(), drawTimes(o.times(), d.UTime, batchSize(x1)))
	return loss(scope, net, o.path(), x1, cond, d, o.LabelDropout, t, t, false)
}

// TermsGraph implements Detailed: DrawGraph (UTime, X0, then UDrop while training with dropout) and
// LossFromDraws.
func (o FlowMatching) TermsGraph(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond) Terms {
	d := DrawGraph(scope, x1, false, dropoutWanted(scope, x1.Graph(), o.LabelDropout, cond))
	return o.LossFromDraws(scope, net, x1, cond, d)
}

// LossGraph implements Objective.
func (o FlowMatching) LossGraph(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond) *Node {
	return o.TermsGraph(scope, net, x1, cond).Loss
}
