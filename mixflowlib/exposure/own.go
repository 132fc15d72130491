package exposure

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// ErrorConfig configures OwnTrajectoryError.
type ErrorConfig struct {
	// Sampler is the sampler configuration of the model's own trajectory (TStart must be 0: the run
	// starts from noise).
	Sampler sampler.Config
	// Seed seeds the noise x0 of the trajectory and of the true interpolations.
	Seed uint64
}

// ErrorPoint is the model's velocity error at one time of the sampling grid, as the per-coordinate
// mean squared error E‖v_θ(x, t) − v*(x, t)‖²/D against the exact velocity v*.
type ErrorPoint struct {
	// T is the grid time.
	T float64 `json:"t"`
	// Own is the error on the model's own states x̂_t (its sampling trajectory from noise).
	Own float64 `json:"own"`
	// True is the error on true interpolations x_t = t·x1 + (1 − t)·x0 of held-out data, the states the
	// model was trained on.
	True float64 `json:"true"`
}

// OwnTrajectoryError compares the velocity error of net (weights in store under "/model"; b nil for the
// project's backend) along its own sampling trajectory with its error on true interpolations at the
// same times, against exact, a backbone whose velocity is exact (an oracle such as oracle.Mixture or
// oracle.MixFlowOptimum; it must hold no variables). The trajectory starts from noise drawn from
// cfg.Seed with as many samples as held-out examples x1 (float32 [N, ...]); the true interpolations
// pair x1 with that same noise; cond conditions both. It reports one point per grid time at which the
// sampler evaluates the velocity (every grid time but the last). Own ≫ True means the model is
// evaluated off the states it was trained on: exposure bias.
func OwnTrajectoryError(b compute.Backend, store *model.Store, net, exact nn.Backbone, x1 *tensors.Tensor, cond datasets.Cond, cfg ErrorConfig) ([]ErrorPoint, error) {
	if exact == nil {
		return nil, fmt.Errorf("exposure: own-trajectory error: the exact backbone is nil")
	}
	if cfg.Sampler.TStart != 0 {
		return nil, fmt.Errorf("exposure: own-trajectory error: sampler TStart %v must be 0 (the trajectory starts from noise)", cfg.Sampler.TStart)
	}
	u, err := newSetup("own-trajectory error", b, store, net, x1, cfg.Sampler, cfg.Seed)
	if err != nil {
		return nil, err
	}
	defer u.finalize()
	tr, err := u.s.Trajectory(u.noise, cond)
	if err != nil {
		return nil, fmt.Errorf("exposure: own-trajectory error: %w", err)
	}
	ev, err := newErrorEval(u.s.Backend(), store, net, exact)
	if err != nil {
		return nil, err
	}
	defer ev.finalize()
	var interp []float32
	out := make([]ErrorPoint, 0, len(tr.Times)-1)
	for i, t := range tr.Times[:len(tr.Times)-1] {
		p := ErrorPoint{T: t}
		if p.Own, err = ev.mse(tr.States[i], u.dims, t, cond); err != nil {
			return nil, fmt.Errorf("exposure: own-trajectory error at t = %v: %w", t, err)
		}
		interp = u.interpolate(interp, t)
		if p.True, err = ev.mse(interp, u.dims, t, cond); err != nil {
			return nil, fmt.Errorf("exposure: own-trajectory error at t = %v: %w", t, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// errorEval evaluates mean ‖v_net(x, t) − v_exact(x, t)‖²/D in one compiled graph.
type errorEval struct {
	exec *model.Exec
}

func newErrorEval(b compute.Backend, store *model.Store, net, exact nn.Backbone) (*errorEval, error) {
	e := &errorEval{}
	exec, err := model.NewExec(b, store, func(scope *model.Scope, in []*Node) *Node {
		x, t := in[0], in[1]
		var c nn.Cond
		for _, n := range in[2:] {
			if n.Rank() == 1 {
				c.Labels = n
			} else {
				c.Tokens = n
			}
		}
		tb := BroadcastToDims(t, x.Shape().Dimensions[0])
		v := net.Velocity(scope.In("model"), x, tb, c)
		w := exact.Velocity(scope.In("exposure_exact"), x, tb, c)
		if !v.Shape().Equal(x.Shape()) || !w.Shape().Equal(x.Shape()) {
			exceptions.Panicf("velocities of shapes %s and %s for x of shape %s", v.Shape(), w.Shape(), x.Shape())
		}
		var missing []string
		for v := range store.IterVariables() {
			if !v.HasValue() {
				missing = append(missing, v.Path())
			}
		}
		for _, p := range missing {
			_ = store.DeleteVariable(p)
		}
		if len(missing) > 0 {
			exceptions.Panicf("the store has no weights for %s: load trained weights under %q (the exact backbone must hold none)", strings.Join(missing, ", "), sampler.ModelScope)
		}
		d := ConvertDType(Sub(v, w), dtypes.Float64)
		return ReduceAllMean(Mul(d, d))
	})
	if err != nil {
		return nil, fmt.Errorf("exposure: own-trajectory error: %w", err)
	}
	e.exec = exec.WithName("exposure_velocity_error")
	return e, nil
}

func (e *errorEval) finalize() { e.exec.Finalize() }

// mse returns the mean squared velocity difference at the states flat (shape dims) and time t. It
// fails, leaving the store as it was, where either backbone would create variables (no trained weights).
func (e *errorEval) mse(flat []float32, dims []int, t float64, cond datasets.Cond) (float64, error) {
	x := tensors.FromFlatDataAndDimensions(flat, dims...)
	tt := tensors.FromScalar(float32(t))
	defer func() { _ = x.FinalizeAll(); _ = tt.FinalizeAll() }()
	args := []any{x, tt}
	if cond.Labels != nil {
		args = append(args, cond.Labels)
	}
	if cond.Tokens != nil {
		args = append(args, cond.Tokens)
	}
	var out []*tensors.Tensor
	if err := exceptions.TryCatch[error](func() { out = e.exec.MustCall(args...) }); err != nil {
		return 0, err
	}
	defer func() { _ = out[0].FinalizeAll() }()
	return tensors.ToScalar[float64](out[0]), nil
}
