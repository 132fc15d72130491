// Package sampler integrates a velocity backbone (nn.Backbone) from noise (t = 0) to data (t = 1):
// Euler and Heun ODE solvers, SiT's Euler–Maruyama and Heun SDE samplers with their diffusion forms and
// last step, classifier-free guidance with a guidance interval, and trajectories of every intermediate
// state for analysis (Slow Flow).
//
// One step is compiled once (model.Exec, per batch shape) as a function
// (x, step scalars, noise, cond) → x_next and looped in Go; GoMLX has no in-graph while loop, and the
// per-call overhead is small next to a backbone evaluation. Every per-step scalar (times, step size, SDE
// drift coefficients, noise scale, guidance scale) is computed on the host in float64 and passed in, so
// the same compiled step serves every step of the grid.
//
// The backbone's variables are read from the store's "/model" scope (DESIGN.md); the sampler never
// creates or initialises variables: a backbone that would (an untrained model, a store without
// weights) is reported as an error. SDE noise and initial noise (Noise) are drawn on the host from a
// seed, so sampling is reproducible.
//
// Time convention: t = 0 is noise, t = 1 is data (the paper's and SiT's).
package sampler

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/internal/try"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// ModelScope is the scope of the store under which the backbone's variables are read.
const ModelScope = "/model"

// Sampler integrates a backbone with a fixed Config. Create it with New. A Sampler is not safe for
// concurrent use.
type Sampler struct {
	cfg      Config
	net      nn.Backbone
	guidable nn.Guidable // non-nil when guidance is enabled
	store    *model.Store
	backend  compute.Backend
	exec     *model.Exec
	steps    []stepPlan
	grid     []float64
}

// New returns a sampler for net with the weights in store (scope "/model"). b may be nil for the
// project's backend (backend.New). It validates cfg, and that net implements nn.Guidable when guidance
// is enabled. Nothing is compiled until the first Sample, when the batch shape is known.
func New(b compute.Backend, store *model.Store, net nn.Backbone, cfg Config) (*Sampler, error) {
	if net == nil {
		return nil, fmt.Errorf("sampler: backbone is nil")
	}
	if store == nil {
		return nil, fmt.Errorf("sampler: store is nil: pass the model.Store holding the weights under %q", ModelScope)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if inf, ok := net.(nn.Inferable); ok {
		net = inf.ForInference() // the same velocities, a faster graph without gradients
	}
	s := &Sampler{cfg: cfg, net: net, store: store}
	if cfg.Guidance.Enabled() {
		g, ok := net.(nn.Guidable)
		if !ok {
			return nil, fmt.Errorf("sampler: guidance scale %v requested but the backbone %T does not implement nn.Guidable (no null conditioning)", cfg.Guidance.Scale, net)
		}
		s.guidable = g
	}
	var err error
	if s.steps, err = cfg.plan(); err != nil {
		return nil, err
	}
	if s.grid, err = cfg.Grid(); err != nil {
		return nil, err
	}
	if b, err = backend.Or(b); err != nil {
		return nil, err // the backend names itself and the fix
	}
	s.backend = b
	s.exec, err = model.NewExec(b, store, s.stepGraph)
	if err != nil {
		return nil, fmt.Errorf("sampler: creating the step executor: %w", err)
	}
	s.exec.WithName("sampler_" + cfg.Method.String())
	return s, nil
}

// Backend returns the compute backend the sampler runs on.
func (s *Sampler) Backend() compute.Backend { return s.backend }

// Config returns the sampler's configuration with the defaults filled in.
func (s *Sampler) Config() Config { return s.cfg }

// Grid returns the times of the states the sampler visits (see Config.Grid).
func (s *Sampler) Grid() []float64 { return append([]float64(nil), s.grid...) }

// Evaluations returns the number of backbone evaluations per sample run (each on the doubled batch
// when guidance is enabled).
func (s *Sampler) Evaluations() int {
	if s.cfg.Method.Stochastic() && s.cfg.LastStep != LastStepNone {
		return s.cfg.Method.evaluations() * (s.cfg.Steps + 1)
	}
	return s.cfg.Method.evaluations() * s.cfg.Steps
}

// Finalize releases the compiled graphs. The sampler must not be used afterwards.
func (s *Sampler) Finalize() {
	if s.exec != nil {
		s.exec.Finalize()
		s.exec = nil
	}
}

// Sample integrates from x0 (float32, shape [B, ...], the state at Config.TStart; usually noise from
// Noise) with conditioning cond (host tensors, nil fields when unused) and returns the state at the end
// of the grid. x0 is not modified. If the result holds a NaN or ±Inf (a diverging model or step size),
// it is returned together with an error that says so.
func (s *Sampler) Sample(x0 *tensors.Tensor, cond datasets.Cond) (*tensors.Tensor, error) {
	return s.Walk(x0, cond, nil)
}

// Walk is Sample with a visitor called on every state, in order: i = 0 is x0 at Grid()[0], i = k is the
// state after step k at Grid()[k]. x is only valid during the call (intermediate states are released
// after the next step): copy what you keep. An error from visit stops the walk and is returned.
func (s *Sampler) Walk(x0 *tensors.Tensor, cond datasets.Cond, visit func(i int, t float64, x *tensors.Tensor) error) (*tensors.Tensor, error) {
	if s.exec == nil {
		return nil, fmt.Errorf("sampler: Walk on a finalized sampler")
	}
	b, err := checkInputs(x0, cond)
	if err != nil {
		return nil, err
	}
	if s.guidable != nil && cond.Labels == nil && cond.Tokens == nil {
		return nil, fmt.Errorf("sampler: guidance scale %v needs conditioning, but cond has neither Labels nor Tokens", s.cfg.Guidance.Scale)
	}
	var rng *rand.Rand
	if s.cfg.Method.Stochastic() {
		rng = rand.New(rand.NewPCG(s.cfg.Seed, noiseStream))
	}
	x := x0
	release := func(t *tensors.Tensor) {
		if t != x0 {
			_ = t.FinalizeAll()
		}
	}
	if visit != nil {
		if err := visit(0, s.grid[0], x); err != nil {
			return nil, err
		}
	}
	for i, st := range s.steps {
		params := tensors.FromFlatDataAndDimensions(st.params[:], numParams)
		args := []any{x, params}
		var noise *tensors.Tensor
		if rng != nil {
			noise = tensors.FromShape(x0.Shape()) // zeros: the last step adds no noise
			if st.noise {
				tensors.MustMutableFlatData(noise, func(flat []float32) {
					for j := range flat {
						flat[j] = float32(rng.NormFloat64())
					}
				})
			}
			args = append(args, noise)
		}
		if cond.Labels != nil {
			args = append(args, cond.Labels)
		}
		if cond.Tokens != nil {
			args = append(args, cond.Tokens)
		}
		var out []*tensors.Tensor
		var callErr error
		err := try.Catch(func() { out, callErr = s.exec.Call(args...) })
		_ = params.FinalizeAll()
		if noise != nil {
			_ = noise.FinalizeAll()
		}
		if err == nil {
			err = callErr
		}
		if err == nil && len(out) != 1 {
			err = fmt.Errorf("step returned %d outputs, want 1", len(out))
		}
		if err != nil {
			release(x)
			return nil, fmt.Errorf("sampler: %s step %d (t %.4g → %.4g, batch %d): %w", s.cfg.Method, i, st.tCur, st.tNext, b, err)
		}
		release(x)
		x = out[0]
		if visit != nil {
			if err := visit(i+1, s.grid[i+1], x); err != nil {
				release(x)
				return nil, err
			}
		}
	}
	if x == x0 { // unreachable (Steps ≥ 1), but never hand back the caller's tensor as ours
		return nil, fmt.Errorf("sampler: no step was taken")
	}
	if idx := firstNonFinite(x); idx >= 0 {
		return x, fmt.Errorf("sampler: the sample has a non-finite value at flat index %d after %d %s steps: the model or the step size diverged", idx, len(s.steps), s.cfg.Method)
	}
	return x, nil
}

// noiseStream is the PCG stream of the SDE noise (the seed is Config.Seed); Noise uses another one so
// that initial noise and SDE noise with the same seed are independent.
const noiseStream = 0x5de_5de

// Trajectory holds every state of one sampling run: States[i] (a row-major copy of shape Shape) is the
// batch at time Times[i]. It is what Slow Flow and trajectory plots consume.
type Trajectory struct {
	// Times are the grid times, Times[0] = TStart.
	Times []float64 `json:"times"`
	// Shape is the shape of every state, [B, ...].
	Shape []int `json:"shape"`
	// States are the flat float32 states, one per time.
	States [][]float32 `json:"states"`
}

// Trajectory samples like Sample and returns every intermediate state (len(Grid()) states, x0
// included) copied to the host. Memory is len(Grid())·x0.Size()·4 bytes; use Walk to stream instead.
func (s *Sampler) Trajectory(x0 *tensors.Tensor, cond datasets.Cond) (*Trajectory, error) {
	tr := &Trajectory{}
	if x0 != nil {
		tr.Shape = append([]int(nil), x0.Shape().Dimensions...)
	}
	last, err := s.Walk(x0, cond, func(_ int, t float64, x *tensors.Tensor) error {
		flat, err := tensors.CopyFlatData[float32](x)
		if err != nil {
			return fmt.Errorf("sampler: copying the state at t = %v: %w", t, err)
		}
		tr.Times = append(tr.Times, t)
		tr.States = append(tr.States, flat)
		return nil
	})
	if last != nil {
		_ = last.FinalizeAll()
	}
	if err != nil {
		return nil, err
	}
	return tr, nil
}

// Noise returns a float32 tensor of the given dimensions filled with standard normal noise drawn from
// seed: the initial state x0 of a sampling run. The same seed and dimensions give the same tensor.
func Noise(seed uint64, dims ...int) (*tensors.Tensor, error) {
	if len(dims) == 0 {
		return nil, fmt.Errorf("sampler: Noise needs dimensions, e.g. Noise(seed, batch, 2)")
	}
	n := 1
	for i, d := range dims {
		if d < 1 {
			return nil, fmt.Errorf("sampler: Noise dimension %d is %d, want ≥ 1", i, d)
		}
		n *= d
	}
	rng := rand.New(rand.NewPCG(seed, 0x1e5))
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(data, dims...), nil
}

// checkInputs validates x0 and cond and returns the batch size.
func checkInputs(x0 *tensors.Tensor, cond datasets.Cond) (int, error) {
	if x0 == nil {
		return 0, fmt.Errorf("sampler: x0 is nil")
	}
	if x0.DType() != dtypes.Float32 {
		return 0, fmt.Errorf("sampler: x0 has dtype %s, want float32", x0.DType())
	}
	if x0.Rank() < 1 || x0.Shape().Dimensions[0] < 1 || x0.Size() == 0 {
		return 0, fmt.Errorf("sampler: x0 has shape %s, want [B, ...] with B ≥ 1", x0.Shape())
	}
	b := x0.Shape().Dimensions[0]
	if idx := firstNonFinite(x0); idx >= 0 {
		return 0, fmt.Errorf("sampler: x0 has a non-finite value at flat index %d", idx)
	}
	if l := cond.Labels; l != nil {
		if l.DType() != dtypes.Int32 || l.Rank() != 1 || l.Shape().Dimensions[0] != b {
			return 0, fmt.Errorf("sampler: cond.Labels has shape %s, want int32 [%d] (one label per example)", l.Shape(), b)
		}
	}
	if tk := cond.Tokens; tk != nil {
		if tk.DType() != dtypes.Int32 || tk.Rank() != 2 || tk.Shape().Dimensions[0] != b {
			return 0, fmt.Errorf("sampler: cond.Tokens has shape %s, want int32 [%d, L]", tk.Shape(), b)
		}
	}
	return b, nil
}

// firstNonFinite returns the flat index of the first NaN or ±Inf of a float32 tensor, or −1.
func firstNonFinite(t *tensors.Tensor) int {
	idx := -1
	_ = tensors.ConstFlatData(t, func(flat []float32) {
		for i, v := range flat {
			if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
				idx = i
				return
			}
		}
	})
	return idx
}

// stepGraph builds one sampler step. inputs: x, params [numParams], noise (SDE methods), then the
// labels [B] and tokens [B, L] present in the cond (told apart by rank).
func (s *Sampler) stepGraph(scope *model.Scope, inputs []*Node) *Node {
	x, params := inputs[0], inputs[1]
	rest := inputs[2:]
	var noise *Node
	if s.cfg.Method.Stochastic() {
		noise, rest = rest[0], rest[1:]
	}
	var cond nn.Cond
	for _, n := range rest {
		if n.Rank() == 1 {
			cond.Labels = n
		} else {
			cond.Tokens = n
		}
	}
	before := s.store.NumVariables()
	p := func(i int) *Node { return ConvertDType(Reshape(Slice(params, AxisRange(i, i+1))), x.DType()) }
	net := scope.In("model")
	slope := func(x *Node, t, g, a, b int) *Node {
		tb := BroadcastToDims(Reshape(Slice(params, AxisRange(t, t+1))), x.Shape().Dimensions[0])
		if s.cfg.TimeShift.Enabled() {
			lo, hi := pTsLoCur, pTsHiCur
			if t == pTNext {
				lo, hi = pTsLoNext, pTsHiNext
			}
			tb = s.cfg.TimeShift.tauGraph(x, p(lo), p(hi)) // the network sees each sample's τ
		}
		v := s.velocity(net, x, tb, p(g), cond)
		if s.cfg.EpsilonScaling.Enabled() {
			a, c := pEsACur, pEsCCur
			if t == pTNext {
				a, c = pEsANext, pEsCNext
			}
			v = Add(Mul(p(a), v), Mul(p(c), x)) // v' = v/λ + (1 − 1/λ)·x/t
		}
		if !s.cfg.Method.Stochastic() {
			return v
		}
		return Add(Mul(p(a), x), Mul(p(b), v)) // the SDE drift f = a·x + b·v = v + w·score
	}
	dt := p(pDT)
	var next *Node
	switch s.cfg.Method {
	case Euler, EulerMaruyama:
		next = Add(x, Mul(dt, slope(x, pTCur, pGCur, pACur, pBCur)))
		if noise != nil {
			next = Add(next, Mul(p(pNoiseStd), noise))
		}
	case Heun, HeunSDE:
		if noise != nil {
			x = Add(x, Mul(p(pNoiseStd), noise))
		}
		k1 := slope(x, pTCur, pGCur, pACur, pBCur)
		k2 := slope(Add(x, Mul(dt, k1)), pTNext, pGNext, pANext, pBNext)
		// Heun: x + dt·(k1 + k2)/2; with weight 0 (last step) it is the Euler step x + dt·k1.
		next = Add(x, Mul(dt, Add(k1, Mul(MulScalar(p(pHeunWeight), 0.5), Sub(k2, k1)))))
	default:
		exceptions.Panicf("sampler: unknown method %d", int(s.cfg.Method))
	}
	s.checkNoNewVariables(before)
	return next
}

// velocity evaluates the backbone at x and the per-example times tb (float32 [B]), with classifier-free
// guidance of scale g (a scalar in x's dtype) when enabled.
func (s *Sampler) velocity(scope *model.Scope, x, tb, g *Node, cond nn.Cond) *Node {
	b := x.Shape().Dimensions[0]
	var v *Node
	if s.guidable == nil {
		v = s.net.Velocity(scope, x, tb, cond)
	} else {
		null := s.guidable.NullCond(cond)
		both := nn.Cond{Labels: concat(cond.Labels, null.Labels), Tokens: concat(cond.Tokens, null.Tokens)}
		v2 := s.net.Velocity(scope, Concatenate([]*Node{x, x}, 0), Concatenate([]*Node{tb, tb}, 0), both)
		checkVelocityShape(v2, Concatenate([]*Node{x, x}, 0))
		vc := Slice(v2, AxisRange(0, b))
		vu := Slice(v2, AxisRange(b, 2*b))
		// v_u + g·(v_c − v_u), written so that g = 1 gives v_c exactly.
		return Add(vc, Mul(AddScalar(g, -1), Sub(vc, vu)))
	}
	checkVelocityShape(v, x)
	return v
}

func concat(a, b *Node) *Node {
	if a == nil || b == nil {
		return nil
	}
	return Concatenate([]*Node{a, b}, 0)
}

func checkVelocityShape(v, x *Node) {
	if !v.Shape().Equal(x.Shape()) {
		exceptions.Panicf("sampler: backbone returned velocity of shape %s for x of shape %s", v.Shape(), x.Shape())
	}
}

// checkNoNewVariables panics (an error returned by Sample) if building the backbone created variables
// without values, which model.Exec would initialise randomly: the store lacks the trained weights.
// The stray variables are removed so that the store is left as it was.
func (s *Sampler) checkNoNewVariables(before int) {
	var missing []string
	for v := range s.store.IterVariables() {
		if !v.HasValue() {
			missing = append(missing, v.Path())
		}
	}
	if len(missing) == 0 {
		return
	}
	sort.Strings(missing)
	for _, p := range missing {
		_ = s.store.DeleteVariable(p)
	}
	shown := missing
	if len(shown) > 5 {
		shown = append(shown[:5:5], fmt.Sprintf("… (%d in all)", len(missing)))
	}
	exceptions.Panicf("sampler: the store has no weights for %s (it had %d variables): the backbone would initialise them randomly; "+
		"load trained weights under %q first (e.g. a trainer's SamplingStore or a checkpoint)", strings.Join(shown, ", "), before, ModelScope)
}
