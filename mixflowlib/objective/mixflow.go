package objective

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/model"
	"github.com/mixflow/mixflow/internal/textenum"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/path"
	"github.com/mixflow/mixflow/mixflowlib/timesteps"
)

// Target selects the time at which MixFlow's regression target u* is taken.
type Target int

const (
	// TargetAtM is the paper's target u*(x_m, m) = α̇_m·x1 + σ̇_m·x0, the path velocity at the slowed time.
	TargetAtM Target = iota
	// TargetAtT is the official RAE code's target, the path velocity at the original t with the same
	// (x0, x1). Identical to TargetAtM for the Linear path (u* = x1 − x0); the paper reports it converges
	// faster for GVP.
	TargetAtT
)

// String returns "m" or "t".
func (x Target) String() string {
	switch x {
	case TargetAtM:
		return "m"
	case TargetAtT:
		return "t"
	}
	return fmt.Sprintf("Target(%d)", int(x))
}

// MixFlow is the MixFlow training loss (arXiv 2512.19311, Algorithm 1): the network, conditioned on the
// training time t, sees the interpolation at a slowed (noisier) time m ∈ [(1 − γ)t, t] and regresses the path
// velocity. Per sample, in this order:
//
//	U ~ U[0,1)                        (Draws.UTime)
//	t = Times.Quantile(U)             (Beta(2,1): t = √U)
//	t = ShiftTime(t, Shift)           (if Shift > 0; before slowing, as in the official RAE code and SimpleTuner)
//	m = t·(1 − Gamma·U'), U' ~ U[0,1) (Draws.USlow; Absolute mixture: m = U')
//	loss = ‖v_θ(α_m·x1 + σ_m·x0, t | cond) − u*‖²,  u* at m (TargetAtM) or at t (TargetAtT)
//
// Use NewMixFlow for the paper's defaults; γ = 0 reduces to flow matching with t ~ Times. On paths singular
// at t = 1 (VP) t and m are clipped to 1 − 1e-5, SiT's train_eps.
type MixFlow struct {
	// Path is the interpolation path; nil means path.Linear.
	Path path.Path
	// Times is the distribution of t before the shift; nil means timesteps.Beta21.
	Times timesteps.Dist
	// Shift is the time shift s ≥ 1 applied to t before slowing (RAE: timesteps.ResolutionShift); 0 means none.
	Shift float64
	// Gamma is the slowing range γ ∈ [0, 1]: m ~ U[(1 − γ)t, t]. Paper default timesteps.DefaultGamma (0.8)
	// for SiT; 0.4 in the official RAE code.
	Gamma float64
	// Mixture is timesteps.Relative (m ~ U[(1 − γ)t, t], default) or timesteps.Absolute (m ~ U[0, 1], the
	// paper's ablation).
	Mixture timesteps.Mixture
	// Target is TargetAtM (default, the paper's formula) or TargetAtT (the official code's option).
	Target Target
	// LabelDropout is the probability, in [0, 1], of dropping a sample's label/caption during training, for
	// classifier-free guidance (SiT: 0.1).
	LabelDropout float64
}

// NewMixFlow returns MixFlow with the paper's defaults (Linear path, t ~ Beta(2,1), no shift, relative
// mixture, target at m, no label dropout) and the given gamma, or an error for gamma outside [0, 1] or NaN.
// Set other fields on the result and call Validate.
func NewMixFlow(gamma float64) (MixFlow, error) {
	o := MixFlow{Path: path.Linear{}, Times: timesteps.Beta21{}, Gamma: gamma}
	return o, o.Validate()
}

func (o MixFlow) path() path.Path { return path.OrLinear(o.Path) }

func (o MixFlow) times() timesteps.Dist {
	if o.Times == nil {
		return timesteps.Beta21{}
	}
	return o.Times
}

// Validate checks every field: gamma ∈ [0, 1] (NaN rejected), shift 0 or finite ≥ 1, known mixture and
// target, dropout ∈ [0, 1], valid path and time distribution.
func (o MixFlow) Validate() error {
	if err := timesteps.CheckGamma("objective", o.Gamma); err != nil {
		return err
	}
	if o.Shift != 0 && !(o.Shift >= 1 && !math.IsInf(o.Shift, 1)) {
		return fmt.Errorf("objective: shift %v must be finite and ≥ 1 (0 for none)", o.Shift)
	}
	if err := o.Mixture.Validate(); err != nil {
		return fmt.Errorf("objective: %w", err)
	}
	if o.Target != TargetAtM && o.Target != TargetAtT {
		return fmt.Errorf("objective: unknown target %d (want TargetAtM or TargetAtT)", int(o.Target))
	}
	if err := checkDropout(o.LabelDropout); err != nil {
		return err
	}
	if err := checkPath(o.path()); err != nil {
		return err
	}
	return checkTimes(o.times())
}

// Name implements Objective, e.g. "mixflow(gamma=0.8,path=linear,times=beta21)"; non-default settings are
// appended (",shift=6.93", ",mixture=absolute", ",target=t", ",label-dropout=0.1").
func (o MixFlow) Name() string {
	s := "mixflow(gamma=" + formatFloat(o.Gamma) + ",path=" + o.path().Name() + ",times=" + o.times().Name()
	if o.Shift != 0 && o.Shift != 1 {
		s += ",shift=" + formatFloat(o.Shift)
	}
	if o.Mixture != timesteps.Relative {
		s += ",mixture=" + o.Mixture.String()
	}
	if o.Target != TargetAtM {
		s += ",target=" + o.Target.String()
	}
	if o.LabelDropout > 0 {
		s += ",label-dropout=" + formatFloat(o.LabelDropout)
	}
	return s + ")"
}

// TimeDist returns the distribution of the conditioning time t: Times, shifted when Shift is set.
func (o MixFlow) TimeDist() timesteps.Dist {
	if o.Shift != 0 && o.Shift != 1 {
		return timesteps.Shift{S: o.Shift, Base: o.times()}
	}
	return o.times()
}

// Joint returns the joint distribution of (t, m) this objective trains on, for plots and analytic checks.
func (o MixFlow) Joint() timesteps.Joint {
	return timesteps.Joint{Times: o.TimeDist(), Gamma: o.Gamma, Mixture: o.Mixture}
}

// LossFromDraws is the deterministic core: the loss terms for the given draws (UTime and USlow required).
// It panics on an invalid configuration or mismatched shapes.
func (o MixFlow) LossFromDraws(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond, d Draws) Terms {
	if err := o.Validate(); err != nil {
		panic(err)
	}
	b := batchSize(x1)
	t := drawTimes(o.times(), d.UTime, b)
	if o.Shift != 0 && o.Shift != 1 {
		t = timesteps.ShiftTimeGraph(t, o.Shift)
	}
	t = clampTime(o.path(), t)
	checkDraw("USlow", d.USlow, shapes.Make(dtypes.Float32, b))
	u := ConvertDType(d.USlow, dtypes.Float32)
	var m *Node
	if o.Mixture == timesteps.Absolute {
		m = clampTime(o.path(), u)
	} else {
		m = timesteps.SlowGraph(t, u, o.Gamma)
	}
	return loss(scope, net, o.path(), x1, cond, d, o.LabelDropout, t, m, o.Target == TargetAtT)
}

// TermsGraph implements Detailed: DrawGraph (UTime, USlow, X0, then UDrop while training with dropout) and
// LossFromDraws.
func (o MixFlow) TermsGraph(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond) Terms {
	d := DrawGraph(scope, x1, true, dropoutWanted(scope, x1.Graph(), o.LabelDropout, cond))
	return o.LossFromDraws(scope, net, x1, cond, d)
}

// LossGraph implements Objective.
func (o MixFlow) LossGraph(scope *model.Scope, net nn.Backbone, x1 *Node, cond nn.Cond) *Node {
	return o.TermsGraph(scope, net, x1, cond).Loss
}

// ParseTarget inverts Target.String: "m" (or "") and "t", case-insensitive.
func ParseTarget(name string) (Target, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "m":
		return TargetAtM, nil
	case "t":
		return TargetAtT, nil
	}
	return 0, fmt.Errorf("objective: unknown target %q: want \"m\" or \"t\"", name)
}

// MarshalText encodes the target by name (for JSON configs).
func (x Target) MarshalText() ([]byte, error) {
	if x != TargetAtM && x != TargetAtT {
		return nil, fmt.Errorf("objective: unknown target %d", int(x))
	}
	return []byte(x.String()), nil
}

// UnmarshalText decodes a name written by MarshalText.
func (x *Target) UnmarshalText(text []byte) error { return textenum.Unmarshal(x, text, ParseTarget) }
