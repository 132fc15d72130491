package sampler

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style
	"github.com/gomlx/gomlx/core/tensors"
)

// Defaults of DefaultTimeShift. TS-DPM's settings are in DDPM step indices of 1000 (window 5 and cutoff
// 550 for PNDM at 100 steps; window 30, cutoff 300 for DPM-Solver at 5 steps); index i is roughly our
// t = 1 − i/1000, so PNDM's cutoff is t < 0.45 and the windows are 0.005–0.03 wide.
const (
	// DefaultTimeShiftWindow is the width of the window of candidate times τ around t.
	DefaultTimeShiftWindow = 0.02
	// DefaultTimeShiftCutoff is the time below which the shift applies (the noisy end).
	DefaultTimeShiftCutoff = 0.45
)

// TimeShift is the Time-Shift Sampler (Li et al., ICLR 2024), a training-free exposure-bias baseline,
// in flow-matching form: at every velocity evaluation at a time t < Cutoff, each sample's state x̂
// picks the time τ ∈ [t − Window/2, t + Window/2] ∩ [0, 1] whose forward variance matches its own,
//
//	τ = argmin_τ (Var(x̂) − [(1 − τ)² + τ²·σ_d²])²,
//
// Var(x̂) being the variance of the sample's values about their mean and σ_d² = DataVariance, and the
// network is evaluated at τ (TS-DPM's DEIS form); the step itself keeps the grid's size. The minimum over
// the window is exact: it is at an end, at a root of the quadratic, or at its vertex 1/(1 + σ_d²).
//
// The zero value is off; any non-zero field switches it on and then DataVariance is required. Window 0
// is the plain sampler (τ = t). DefaultTimeShift fills in the documented defaults.
type TimeShift struct {
	// Window is the width w ≥ 0 of the window of candidate times.
	Window float64
	// Cutoff is the time in [0, 1] below which the shift applies; 0 means DefaultTimeShiftCutoff.
	Cutoff float64
	// DataVariance is σ_d² > 0: the variance of a data example's values about their own mean, averaged
	// over the training set (what Var(x̂) measures at t = 1); ExampleVariance computes it.
	DataVariance float64
}

// DefaultTimeShift returns the Time-Shift Sampler with DefaultTimeShiftWindow, DefaultTimeShiftCutoff
// and the data variance σ_d² of the training set.
func DefaultTimeShift(dataVariance float64) TimeShift {
	return TimeShift{Window: DefaultTimeShiftWindow, Cutoff: DefaultTimeShiftCutoff, DataVariance: dataVariance}
}

// Enabled reports whether any field is set.
func (ts TimeShift) Enabled() bool { return ts.Window != 0 || ts.Cutoff != 0 || ts.DataVariance != 0 }

func (ts TimeShift) cutoff() float64 {
	if ts.Cutoff == 0 {
		return DefaultTimeShiftCutoff
	}
	return ts.Cutoff
}

// Validate checks that Window ≥ 0, Cutoff ∈ [0, 1] and DataVariance > 0 (all finite) when enabled.
func (ts TimeShift) Validate() error {
	if !ts.Enabled() {
		return nil
	}
	if !(ts.Window >= 0) || math.IsInf(ts.Window, 0) {
		return fmt.Errorf("sampler: time shift window %v must be >= 0", ts.Window)
	}
	if !(ts.Cutoff >= 0 && ts.Cutoff <= 1) {
		return fmt.Errorf("sampler: time shift cutoff %v outside [0, 1]", ts.Cutoff)
	}
	if !(ts.DataVariance > 0) || math.IsInf(ts.DataVariance, 0) {
		return fmt.Errorf("sampler: time shift data variance %v must be > 0 (measure it on the training set, e.g. with ExampleVariance)", ts.DataVariance)
	}
	return nil
}

// window returns the window [lo, hi] of candidate times at t: [t, t] where the shift does not apply.
func (ts TimeShift) window(t float64) (float64, float64) {
	if !ts.Enabled() || ts.Window == 0 || !(t < ts.cutoff()) {
		return t, t
	}
	return math.Max(t-ts.Window/2, 0), math.Min(t+ts.Window/2, 1)
}

// Tau returns the shifted time τ for one sample of variance v (Var(x̂) about its mean) at time t: the
// host form of what the sampler computes in its graph, for tests and plots.
func (ts TimeShift) Tau(v, t float64) float64 {
	lo, hi := ts.window(t)
	if lo == hi {
		return t
	}
	s := ts.DataVariance
	f := func(tau float64) float64 { return (1-tau)*(1-tau) + tau*tau*s }
	root := math.Sqrt(math.Max(1-(1+s)*(1-v), 0))
	best, bestG := lo, math.Inf(1)
	for _, c := range []float64{lo, hi, (1 - root) / (1 + s), (1 + root) / (1 + s), 1 / (1 + s)} {
		c = math.Min(math.Max(c, lo), hi)
		if g := (f(c) - v) * (f(c) - v); g < bestG {
			best, bestG = c, g
		}
	}
	return best
}

// tauGraph returns the per-sample shifted times [B] (float32) for the states x [B, ...] and the window
// [lo, hi] (scalars in x's dtype): the graph form of Tau, taking the first minimising candidate.
func (ts TimeShift) tauGraph(x, lo, hi *Node) *Node {
	b := x.Shape().Dimensions[0]
	v := ReduceVariance(Reshape(x, b, -1), 1) // [B]
	s := ts.DataVariance
	g := x.Graph()
	root := Sqrt(Max(AddScalar(MulScalar(OneMinus(v), -(1+s)), 1), ScalarZero(g, x.DType())))
	lob, hib := BroadcastToDims(lo, b), BroadcastToDims(hi, b)
	cands := []*Node{lob, hib,
		DivScalar(OneMinus(root), 1+s), DivScalar(AddScalar(root, 1), 1+s),
		BroadcastToDims(Scalar(g, x.DType(), 1/(1+s)), b)}
	for i, c := range cands {
		cands[i] = Min(Max(c, lob), hib)
	}
	c := Stack(cands, 1) // [B, 5]
	om := OneMinus(c)
	f := Add(Mul(om, om), MulScalar(Mul(c, c), s))
	d := Sub(f, InsertAxes(v, -1))
	idx := ArgMin(Mul(d, d), 1)
	tau := ReduceSum(Mul(OneHot(idx, len(cands), x.DType()), c), 1)
	return ConvertDType(tau, dtypes.Float32)
}

// ExampleVariance returns σ_d² for TimeShift.DataVariance: the variance of each example's values about
// their own mean, averaged over the examples of x (float32 [N, ...]).
func ExampleVariance(x *tensors.Tensor) (float64, error) {
	if x == nil || x.Rank() < 1 || x.Size() == 0 {
		return 0, fmt.Errorf("sampler: ExampleVariance needs data [N, ...]")
	}
	flat, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		return 0, fmt.Errorf("sampler: ExampleVariance: %w", err)
	}
	n := x.Shape().Dimensions[0]
	d := len(flat) / n
	var sum float64
	for r := range n {
		var m, q float64
		for _, v := range flat[r*d : (r+1)*d] {
			m += float64(v)
			q += float64(v) * float64(v)
		}
		m /= float64(d)
		sum += q/float64(d) - m*m
	}
	return sum / float64(n), nil
}
