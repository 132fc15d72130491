package repaexp

import (
	"fmt"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/mixflowlib/backbone/repa"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/objective"
)

// Objective wraps a training objective (flow matching, MixFlow) so that a REPA Model trained with it gets
// the clean batch x1 and adds its alignment loss; see the package documentation. It implements
// objective.Objective and objective.Detailed (the trainer's Objective too). The network passed to
// LossGraph must be a *Model (or another backbone with a WithTargets(x1) method); any other backbone is
// passed through unchanged, so the wrapper is harmless on plain SiT.
type Objective struct {
	// Inner is the wrapped objective.
	Inner objective.Objective
}

// Wrap returns inner wrapped for REPA training.
func Wrap(inner objective.Objective) Objective { return Objective{Inner: inner} }

var (
	_ objective.Detailed = Objective{}
	_ repa.Binder        = (*repa.Model)(nil)
)

// Name returns "repa+" followed by the wrapped objective's name, e.g. "repa+mixflow(gamma=0.8,…)".
func (o Objective) Name() string {
	if o.Inner == nil {
		return "repa+<nil>"
	}
	return "repa+" + o.Inner.Name()
}

// Validate returns an error if there is no wrapped objective, or the wrapped objective's own validation
// error when it has a Validate method.
func (o Objective) Validate() error {
	if o.Inner == nil {
		return fmt.Errorf("repaexp: Objective has no wrapped objective")
	}
	if v, ok := o.Inner.(interface{ Validate() error }); ok {
		return v.Validate()
	}
	return nil
}

func (o Objective) bind(net nn.Backbone, x1 *graph.Node) nn.Backbone {
	if o.Inner == nil {
		panic(fmt.Errorf("repaexp: Objective has no wrapped objective"))
	}
	if b, ok := net.(repa.Binder); ok {
		return b.WithTargets(x1)
	}
	return net
}

// LossGraph implements objective.Objective: the wrapped objective's loss with the network bound to x1
// (the alignment term is registered as an auxiliary loss, not added to the returned value).
func (o Objective) LossGraph(scope *model.Scope, net nn.Backbone, x1 *graph.Node, cond nn.Cond) *graph.Node {
	return o.Inner.LossGraph(scope, o.bind(net, x1), x1, cond)
}

// TermsGraph implements objective.Detailed when the wrapped objective does (both objectives of
// mixflowlib/objective do); it panics otherwise.
func (o Objective) TermsGraph(scope *model.Scope, net nn.Backbone, x1 *graph.Node, cond nn.Cond) objective.Terms {
	d, ok := o.Inner.(objective.Detailed)
	if !ok {
		panic(fmt.Errorf("repa: wrapped objective %q does not report its terms (not an objective.Detailed)", o.Inner.Name()))
	}
	return d.TermsGraph(scope, o.bind(net, x1), x1, cond)
}
