package objective

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/path"
	"github.com/mixflow/mixflow/mixflowlib/timesteps"
)

// affineNet is a parameter-free backbone with a known output: v = 0.5·x + t (+ label, when labels are
// given), so the loss can be computed by hand and it shows which time the network was conditioned on.
type affineNet struct{}

func (affineNet) Velocity(scope *model.Scope, x, t *Node, cond nn.Cond) *Node {
	v := Add(MulScalar(x, 0.5), path.BroadcastTime(t, x))
	if cond.Labels != nil {
		v = Add(v, path.BroadcastTime(ConvertDType(cond.Labels, x.DType()), x))
	}
	if cond.Tokens != nil {
		v = Add(v, path.BroadcastTime(ConvertDType(ReduceSum(cond.Tokens, -1), x.DType()), x))
	}
	return v
}

// narrowNet returns the wrong shape.
type narrowNet struct{}

func (narrowNet) Velocity(scope *model.Scope, x, t *Node, cond nn.Cond) *Node {
	return Slice(x, AxisRange(), AxisRange(0, 1))
}

// run executes fn in a fresh store and returns its outputs as float64 slices (ints converted).
func run(t *testing.T, fn func(scope *model.Scope, in []*Node) []*Node, args ...any) [][]float64 {
	t.Helper()
	outs, err := runErr(fn, args...)
	if err != nil {
		t.Fatal(err)
	}
	return outs
}

func runErr(fn func(scope *model.Scope, in []*Node) []*Node, args ...any) (res [][]float64, err error) {
	err = exceptions.TryCatch[error](func() {
		exec := model.MustNewExec(backend.Must(), graphtest.NewStore(1), fn)
		outs := exec.MustCall(args...)
		for _, o := range outs {
			var vals []float64
			switch o.DType() {
			case dtypes.Float32:
				for _, v := range tensors.MustCopyFlatData[float32](o) {
					vals = append(vals, float64(v))
				}
			case dtypes.Float64:
				vals = tensors.MustCopyFlatData[float64](o)
			case dtypes.Int32:
				for _, v := range tensors.MustCopyFlatData[int32](o) {
					vals = append(vals, float64(v))
				}
			default:
				panic("unexpected dtype " + o.DType().String())
			}
			res = append(res, vals)
		}
	})
	return res, err
}

// fixture is one batch with fixed draws.
type fixture struct {
	b, d                int
	x1, x0              []float32
	uTime, uSlow, uDrop []float32
}

func newFixture(b, d int, seed uint64) fixture {
	rng := rand.New(rand.NewPCG(seed, 99))
	f := fixture{b: b, d: d}
	for i := 0; i < b*d; i++ {
		f.x1 = append(f.x1, float32(2*rng.NormFloat64()+1))
		f.x0 = append(f.x0, float32(rng.NormFloat64()))
	}
	for i := 0; i < b; i++ {
		f.uTime = append(f.uTime, float32(rng.Float64()))
		f.uSlow = append(f.uSlow, float32(rng.Float64()))
		f.uDrop = append(f.uDrop, float32(rng.Float64()))
	}
	return f
}

func (f fixture) args() []any {
	return []any{
		tensors.FromFlatDataAndDimensions(f.x1, f.b, f.d),
		tensors.FromFlatDataAndDimensions(f.x0, f.b, f.d),
		f.uTime, f.uSlow,
	}
}

// terms runs obj.LossFromDraws on the fixture and returns loss, per-sample, t, m.
func (f fixture) terms(t *testing.T, obj interface {
	LossFromDraws(*model.Scope, nn.Backbone, *Node, nn.Cond, Draws) Terms
}, net nn.Backbone) (loss float64, perSample, ts, ms []float64) {
	t.Helper()
	outs := run(t, func(scope *model.Scope, in []*Node) []*Node {
		tr := obj.LossFromDraws(scope, net, in[0], nn.Cond{}, Draws{X0: in[1], UTime: in[2], USlow: in[3]})
		return []*Node{tr.Loss, tr.PerSample, tr.T, tr.M}
	}, f.args()...)
	return outs[0][0], outs[1], outs[2], outs[3]
}

// hostLoss is the hand computation of the loss for affineNet: t from the uniforms, shift, slowing, the
// interpolation at m and the target at m or t, all in float64.
func (f fixture) hostLoss(p path.Path, times timesteps.Dist, shift, gamma float64, mixture timesteps.Mixture, targetAtT, slow bool) (loss float64, perSample, ts, ms []float64) {
	for i := 0; i < f.b; i++ {
		tt := times.Quantile(float64(f.uTime[i]))
		if shift != 0 {
			tt = tt / (tt + shift*(1-tt))
		}
		m := tt
		if slow {
			if mixture == timesteps.Absolute {
				m = float64(f.uSlow[i])
			} else {
				m = tt * (1 - gamma*float64(f.uSlow[i]))
			}
		}
		cm, ct := p.At(m), p.At(tt)
		tc := cm
		if targetAtT {
			tc = ct
		}
		sum := 0.0
		for j := i * f.d; j < (i+1)*f.d; j++ {
			x0, x1 := float64(f.x0[j]), float64(f.x1[j])
			xm := cm.Alpha*x1 + cm.Sigma*x0
			target := tc.DAlpha*x1 + tc.DSigma*x0
			v := 0.5*xm + tt
			sum += (v - target) * (v - target)
		}
		perSample = append(perSample, sum/float64(f.d))
		ts = append(ts, tt)
		ms = append(ms, m)
		loss += sum / float64(f.d) / float64(f.b)
	}
	return loss, perSample, ts, ms
}

func closeTo(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

func closeAll(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !closeTo(a[i], b[i], tol) {
			return false
		}
	}
	return true
}

func TestLossMatchesHandComputation(t *testing.T) {
	f := newFixture(16, 3, 1)
	ln := timesteps.LogitNormal{Mu: 0, Sigma: 1}
	cases := []struct {
		name string
		obj  interface {
			LossFromDraws(*model.Scope, nn.Backbone, *Node, nn.Cond, Draws) Terms
		}
		p         path.Path
		times     timesteps.Dist
		shift     float64
		gamma     float64
		mixture   timesteps.Mixture
		targetAtT bool
		slow      bool
	}{
		{"fm linear uniform", FlowMatching{}, path.Linear{}, timesteps.Uniform{}, 0, 0, 0, false, false},
		{"fm gvp logit-normal", FlowMatching{Path: path.GVP{}, Times: ln}, path.GVP{}, ln, 0, 0, 0, false, false},
		{"mixflow default", MixFlow{Gamma: 0.8}, path.Linear{}, timesteps.Beta21{}, 0, 0.8, 0, false, true},
		{"mixflow shift", MixFlow{Gamma: 0.4, Shift: 3}, path.Linear{}, timesteps.Beta21{}, 3, 0.4, 0, false, true},
		{"mixflow gvp target m", MixFlow{Gamma: 0.8, Path: path.GVP{}}, path.GVP{}, timesteps.Beta21{}, 0, 0.8, 0, false, true},
		{"mixflow gvp target t", MixFlow{Gamma: 0.8, Path: path.GVP{}, Target: TargetAtT}, path.GVP{}, timesteps.Beta21{}, 0, 0.8, 0, true, true},
		{"mixflow absolute", MixFlow{Gamma: 0.8, Mixture: timesteps.Absolute}, path.Linear{}, timesteps.Beta21{}, 0, 0.8, timesteps.Absolute, false, true},
		{"mixflow vp logit-normal", MixFlow{Gamma: 1, Path: path.VP{}, Times: ln}, path.VP{}, ln, 0, 1, 0, false, true},
	}
	for _, c := range cases {
		loss, per, ts, ms := f.terms(t, c.obj, affineNet{})
		wLoss, wPer, wTs, wMs := f.hostLoss(c.p, c.times, c.shift, c.gamma, c.mixture, c.targetAtT, c.slow)
		if !closeTo(loss, wLoss, 1e-5) || !closeAll(per, wPer, 1e-5) {
			t.Errorf("%s: loss %v per-sample %v; hand computation %v, %v", c.name, loss, per, wLoss, wPer)
		}
		if !closeAll(ts, wTs, 1e-6) || !closeAll(ms, wMs, 1e-6) {
			t.Errorf("%s: t %v m %v; want %v, %v", c.name, ts, ms, wTs, wMs)
		}
	}
}

// TestShiftThenSlow pins the order U → Beta(2,1) → shift → slow with numbers that differ if the shift and
// the slowing were swapped: U = 0.25 → t = 0.5 → shift(3): 0.25 → m = 0.25·(1 − 0.8·1) = 0.05, while
// slowing first would give shift(0.1) ≈ 0.0357 (and a network conditioned on the unshifted 0.5).
func TestShiftThenSlow(t *testing.T) {
	outs := run(t, func(scope *model.Scope, in []*Node) []*Node {
		x1 := Zeros(in[0].Graph(), shapesOf(1, 2))
		tr := MixFlow{Gamma: 0.8, Shift: 3}.LossFromDraws(scope, affineNet{}, x1, nn.Cond{},
			Draws{X0: ZerosLike(x1), UTime: in[0], USlow: in[1]})
		return []*Node{tr.T, tr.M}
	}, []float32{0.25}, []float32{1})
	if !closeTo(outs[0][0], 0.25, 1e-7) || !closeTo(outs[1][0], 0.05, 1e-6) {
		t.Errorf("t = %v, m = %v; want 0.25 (shifted) and 0.05 (slowed after the shift)", outs[0][0], outs[1][0])
	}
}

func TestGammaZeroIsFlowMatching(t *testing.T) {
	f := newFixture(32, 2, 2)
	lm, pm, tm, mm := f.terms(t, MixFlow{Gamma: 0}, affineNet{})
	lf, pf, tf, mf := f.terms(t, FlowMatching{Times: timesteps.Beta21{}}, affineNet{})
	if lm != lf || !slices.Equal(pm, pf) || !slices.Equal(tm, tf) || !slices.Equal(mm, mf) || !slices.Equal(mm, tm) {
		t.Errorf("γ = 0: MixFlow loss %v, flow matching %v (m == t: %v)", lm, lf, slices.Equal(mm, tm))
	}
}

func TestTargetOption(t *testing.T) {
	f := newFixture(16, 2, 3)
	lm, _, _, _ := f.terms(t, MixFlow{Gamma: 0.8}, affineNet{})
	lt, _, _, _ := f.terms(t, MixFlow{Gamma: 0.8, Target: TargetAtT}, affineNet{})
	if !closeTo(lm, lt, 1e-6) {
		t.Errorf("Linear: target at m %v and at t %v differ", lm, lt)
	}
	gm, _, _, _ := f.terms(t, MixFlow{Gamma: 0.8, Path: path.GVP{}}, affineNet{})
	gt, _, _, _ := f.terms(t, MixFlow{Gamma: 0.8, Path: path.GVP{}, Target: TargetAtT}, affineNet{})
	if closeTo(gm, gt, 1e-3) {
		t.Errorf("GVP: target at m %v and at t %v should differ", gm, gt)
	}
}

func TestConditionedOnT(t *testing.T) {
	f := newFixture(8, 2, 4)
	outs := run(t, func(scope *model.Scope, in []*Node) []*Node {
		tr := MixFlow{Gamma: 0.8}.LossFromDraws(scope, affineNet{}, in[0], nn.Cond{}, Draws{X0: in[1], UTime: in[2], USlow: in[3]})
		return []*Node{tr.Output, tr.Input, tr.T, tr.M}
	}, f.args()...)
	out, input, ts, ms := outs[0], outs[1], outs[2], outs[3]
	for i := 0; i < f.b; i++ {
		if ms[i] >= ts[i] {
			t.Fatalf("sample %d: m %v not below t %v", i, ms[i], ts[i])
		}
		for j := i * f.d; j < (i+1)*f.d; j++ {
			if !closeTo(out[j], 0.5*input[j]+ts[i], 1e-6) {
				t.Fatalf("network output %v, want 0.5·x_m + t = %v (conditioned on t)", out[j], 0.5*input[j]+ts[i])
			}
			if xm := ms[i]*float64(f.x1[j]) + (1-ms[i])*float64(f.x0[j]); !closeTo(input[j], xm, 1e-6) {
				t.Fatalf("network input %v, want the interpolation at m %v", input[j], xm)
			}
		}
	}
}

// TestDrawsInGraph checks the Store-RNG draws of TermsGraph on a large batch.
func TestDrawsInGraph(t *testing.T) {
	const b = 8192
	for _, gamma := range []float64{0, 0.5, 0.8, 1} {
		obj := MixFlow{Gamma: gamma}
		outs := run(t, func(scope *model.Scope, in []*Node) []*Node {
			x1 := Zeros(in[0].Graph(), shapesOf(b, 2))
			tr := obj.TermsGraph(scope, affineNet{}, x1, nn.Cond{})
			return []*Node{tr.T, tr.M, tr.Input}
		}, []float32{0})
		ts, ms, x0 := outs[0], outs[1], outs[2] // x1 = 0, so the input is σ_m·x0
		var sumT, sumM float64
		for i := range ts {
			if gamma == 0 && ms[i] != ts[i] {
				t.Fatalf("γ=0: m %v ≠ t %v", ms[i], ts[i])
			}
			if ms[i] > ts[i] || ms[i] < (1-gamma)*ts[i]-1e-6 {
				t.Fatalf("γ=%v: m/t = %v outside [1−γ, 1]", gamma, ms[i]/ts[i])
			}
			sumT += ts[i]
			sumM += ms[i]
		}
		meanT, meanM := sumT/b, sumM/b
		// Standard errors: t ~ Beta(2,1) has sd 0.236, m has sd ≤ 0.27.
		if math.Abs(meanT-2.0/3) > 4*0.236/math.Sqrt(b) || math.Abs(meanM-meanT*(1-gamma/2)) > 4*0.27/math.Sqrt(b) {
			t.Errorf("γ=%v: E[t] %.4f (want 2/3), E[m] %.4f (want E[t](1−γ/2) = %.4f)", gamma, meanT, meanM, meanT*(1-gamma/2))
		}
		if k := ksBeta21(ts); k > 1.95/math.Sqrt(b) {
			t.Errorf("γ=%v: drawn t vs Beta(2,1): KS %.4f", gamma, k)
		}
		// x1 = 0, so input/σ_m = x0 must be standard normal.
		var s2 float64
		var n int
		for i, v := range x0 {
			if s := 1 - ms[i/2]; s > 0.1 {
				s2 += (v / s) * (v / s)
				n++
			}
		}
		if r := s2 / float64(n); math.Abs(r-1) > 0.06 {
			t.Errorf("γ=%v: noise second moment %.3f, want 1", gamma, r)
		}
	}
}

func ksBeta21(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	d := 0.0
	for i, x := range s {
		c := x * x
		d = math.Max(d, math.Max(math.Abs(float64(i+1)/float64(len(s))-c), math.Abs(c-float64(i)/float64(len(s)))))
	}
	return d
}

func TestLabelDropout(t *testing.T) {
	labels := []int32{3, 4, 5, 6}
	tokens := tensors.FromFlatDataAndDimensions([]int32{1, 2, 3, 4, 5, 6, 7, 8}, 4, 2)
	uDrop := []float32{0.05, 0.5, 0.29, 0.9}
	for _, obj := range []Detailed{FlowMatching{LabelDropout: 0.3}, MixFlow{Gamma: 0.8, LabelDropout: 0.3}} {
		outs := run(t, func(scope *model.Scope, in []*Node) []*Node {
			x1 := Zeros(in[0].Graph(), shapesOf(4, 2))
			cond := nn.Cond{Labels: in[0], Tokens: in[1]}
			d := Draws{X0: ZerosLike(x1), UTime: ZerosLike(in[2]), USlow: ZerosLike(in[2]), UDrop: in[2]}
			var tr Terms
			switch o := obj.(type) {
			case FlowMatching:
				tr = o.LossFromDraws(scope, affineNet{}, x1, cond, d)
			case MixFlow:
				tr = o.LossFromDraws(scope, affineNet{}, x1, cond, d)
			}
			return []*Node{tr.Cond.Labels, tr.Cond.Tokens}
		}, labels, tokens, uDrop)
		if want := []float64{nn.NullLabel, 4, nn.NullLabel, 6}; !slices.Equal(outs[0], want) {
			t.Errorf("%s: labels after dropout %v, want %v", obj.Name(), outs[0], want)
		}
		if want := []float64{0, 0, 3, 4, 0, 0, 7, 8}; !slices.Equal(outs[1], want) {
			t.Errorf("%s: tokens after dropout %v, want %v", obj.Name(), outs[1], want)
		}
	}
	// In-graph draws: p = 1 drops every label while training, none in evaluation mode.
	for _, training := range []bool{true, false} {
		outs := run(t, func(scope *model.Scope, in []*Node) []*Node {
			g := in[0].Graph()
			scope.SetTraining(g, training)
			x1 := Zeros(g, shapesOf(4, 2))
			tr := MixFlow{Gamma: 0.8, LabelDropout: 1}.TermsGraph(scope, affineNet{}, x1, nn.Cond{Labels: in[0]})
			return []*Node{tr.Cond.Labels}
		}, labels)
		want := []float64{3, 4, 5, 6}
		if training {
			want = []float64{-1, -1, -1, -1}
		}
		if !slices.Equal(outs[0], want) {
			t.Errorf("training=%v: labels %v, want %v", training, outs[0], want)
		}
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{second(NewMixFlow(1.3)), "objective: gamma 1.3 outside [0, 1]"},
		{second(NewMixFlow(math.NaN())), "objective: gamma NaN outside [0, 1]"},
		{second(NewMixFlow(-0.2)), "objective: gamma -0.2 outside [0, 1]"},
		{MixFlow{Gamma: 0.8, Shift: 0.5}.Validate(), "objective: shift 0.5 must be finite and ≥ 1 (0 for none)"},
		{MixFlow{Gamma: 0.8, Shift: math.Inf(1)}.Validate(), "objective: shift +Inf must be finite"},
		{MixFlow{Gamma: 0.8, Shift: math.NaN()}.Validate(), "objective: shift NaN must be finite"},
		{MixFlow{Gamma: 0.8, LabelDropout: 1.5}.Validate(), "objective: label dropout probability 1.5 outside [0, 1]"},
		{MixFlow{Gamma: 0.8, Mixture: 9}.Validate(), "objective: timesteps: unknown mixture mode 9"},
		{MixFlow{Gamma: 0.8, Target: 5}.Validate(), "objective: unknown target 5"},
		{MixFlow{Gamma: 0.8, Times: timesteps.LogitNormal{Mu: 0, Sigma: 0}}.Validate(), "objective: timesteps: logit-normal sigma 0 must be finite and > 0"},
		{MixFlow{Gamma: 0.8, Path: path.VP{SigmaMin: -1}}.Validate(), "objective: path: vp SigmaMin -1"},
		{second(NewFlowMatching(nil, timesteps.Uniform{Eps: 0.6}, 0)), "objective: timesteps: uniform eps 0.6 outside [0, 0.5)"},
		{second(NewFlowMatching(nil, nil, math.NaN())), "objective: label dropout probability NaN outside [0, 1]"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.HasPrefix(c.err.Error(), c.want) {
			t.Errorf("err = %v, want %q", c.err, c.want)
		}
	}
	if _, err := NewMixFlow(1); err != nil {
		t.Errorf("gamma 1 rejected: %v", err)
	}

	graphErr := func(obj Objective, net nn.Backbone, dims ...int) error {
		_, err := runErr(func(scope *model.Scope, in []*Node) []*Node {
			x1 := Zeros(in[0].Graph(), shapesOf(dims...))
			return []*Node{obj.LossGraph(scope, net, x1, nn.Cond{})}
		}, []float32{0})
		return err
	}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"shape mismatch", graphErr(MixFlow{Gamma: 0.8}, narrowNet{}, 4, 3), "objective: backbone output shape (Float32)[4, 1] differs from x1 shape (Float32)[4, 3]"},
		{"shape mismatch fm", graphErr(FlowMatching{}, narrowNet{}, 4, 3), "objective: backbone output shape"},
		{"invalid config", graphErr(MixFlow{Gamma: 1.3}, affineNet{}, 4, 2), "objective: gamma 1.3 outside [0, 1]"},
		{"scalar x1", graphErr(FlowMatching{}, affineNet{}), "objective: x1 must be a float tensor of shape [B, …]"},
	} {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, c.err, c.want)
		}
	}
	// Draws of the wrong size.
	_, err := runErr(func(scope *model.Scope, in []*Node) []*Node {
		x1 := Zeros(in[0].Graph(), shapesOf(4, 2))
		return []*Node{MixFlow{Gamma: 0.8}.LossFromDraws(scope, affineNet{}, x1, nn.Cond{}, Draws{X0: ZerosLike(x1), UTime: in[0], USlow: in[0]}).Loss}
	}, []float32{0, 0, 0})
	if err == nil || !strings.Contains(err.Error(), "objective: draw UTime has shape (Float32)[3], want dimensions [4]") {
		t.Errorf("short UTime: err = %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func shapesOf(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }

func TestNames(t *testing.T) {
	for obj, want := range map[Objective]string{
		FlowMatching{}: "flow-matching(path=linear,times=uniform)",
		FlowMatching{Path: path.GVP{}, Times: timesteps.LogitNormal{Sigma: 1}, LabelDropout: 0.1}: "flow-matching(path=gvp,times=logit-normal(0,1),label-dropout=0.1)",
		MixFlow{Gamma: 0.8}: "mixflow(gamma=0.8,path=linear,times=beta21)",
		MixFlow{Gamma: 0.4, Shift: 6.928203230275509, Mixture: timesteps.Absolute, Target: TargetAtT, LabelDropout: 0.1}: "mixflow(gamma=0.4,path=linear,times=beta21,shift=6.9282,mixture=absolute,target=t,label-dropout=0.1)",
	} {
		if got := obj.Name(); got != want {
			t.Errorf("Name() = %q, want %q", got, want)
		}
	}
	j := MixFlow{Gamma: 0.4, Shift: 3}.Joint()
	if j.Times.Name() != "shift(3,beta21)" || j.Gamma != 0.4 {
		t.Errorf("Joint() = %v", j)
	}
}

// TestVPClampsTimes: Beta(2,1) gives t = 1 for U = 1, where VP's σ̇ is infinite; the objectives keep t and m at
// or below 1 − 1e-5 there (SiT's train_eps) and leave Linear alone.
func TestVPClampsTimes(t *testing.T) {
	for _, c := range []struct {
		obj   Detailed
		wantT float64
	}{
		{MixFlow{Gamma: 0.8, Path: path.VP{}}, 1 - 1e-5},
		{MixFlow{Gamma: 0.8, Path: path.VP{}, Mixture: timesteps.Absolute}, 1 - 1e-5},
		{FlowMatching{Path: path.VP{}, Times: timesteps.Beta21{}}, 1 - 1e-5},
		{MixFlow{Gamma: 0.8}, 1},
	} {
		outs := run(t, func(scope *model.Scope, in []*Node) []*Node {
			x1 := Ones(in[0].Graph(), shapesOf(2, 2))
			d := Draws{X0: ZerosLike(x1), UTime: in[0], USlow: in[1]}
			var tr Terms
			switch o := c.obj.(type) {
			case FlowMatching:
				tr = o.LossFromDraws(scope, affineNet{}, x1, nn.Cond{}, d)
			case MixFlow:
				tr = o.LossFromDraws(scope, affineNet{}, x1, nn.Cond{}, d)
			}
			return []*Node{tr.Loss, tr.T, tr.M}
		}, []float32{1, 0.25}, []float32{0, 1})
		loss, ts, ms := outs[0][0], outs[1], outs[2]
		if math.IsNaN(loss) || math.IsInf(loss, 0) || !closeTo(ts[0], c.wantT, 1e-7) || ms[0] > ts[0] || ms[1] > 1-1e-5 {
			t.Errorf("%s: loss %v, t %v, m %v; want a finite loss and t[0] = %v", c.obj.Name(), loss, ts, ms, c.wantT)
		}
	}
}
