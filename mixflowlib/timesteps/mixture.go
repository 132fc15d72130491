package timesteps

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/internal/textenum"
)

// DefaultGamma is the paper's default slowing range for SiT (RAE's official code uses 0.4).
const DefaultGamma = 0.8

// Slow returns MixFlow's slowed timestep m = t·(1 − γ·u): with u ~ U[0, 1), m ~ U[(1 − γ)·t, t], a time at
// or before t, i.e. with more noise (t = 0 is noise).
func Slow(t, u, gamma float64) float64 { return t * (1 - gamma*u) }

// SlowGraph is Slow for nodes t and u of the same shape.
func SlowGraph(t, u *graph.Node, gamma float64) *graph.Node {
	if gamma == 0 {
		return t
	}
	return graph.Mul(t, graph.OneMinus(graph.MulScalar(u, gamma)))
}

// CheckGamma returns an error unless 0 ≤ gamma ≤ 1 (NaN is rejected). pkg prefixes the message
// (e.g. "objective"), so callers report errors under their own package name.
func CheckGamma(pkg string, gamma float64) error {
	if !(gamma >= 0 && gamma <= 1) {
		return fmt.Errorf("%s: gamma %v outside [0, 1]", pkg, gamma)
	}
	return nil
}

// Mixture selects how the slowed time m is drawn given t.
type Mixture int

const (
	// Relative is MixFlow: m ~ U[(1 − γ)·t, t] (m = Slow(t, U', γ)).
	Relative Mixture = iota
	// Absolute is the paper's ablation "m ~ U[0, 1]": m is uniform on [0, 1], independent of t (γ unused).
	Absolute
)

// String returns "relative" or "absolute".
func (x Mixture) String() string {
	switch x {
	case Relative:
		return "relative"
	case Absolute:
		return "absolute"
	}
	return fmt.Sprintf("Mixture(%d)", int(x))
}

// Validate returns an error for an unknown mode.
func (x Mixture) Validate() error {
	if x != Relative && x != Absolute {
		return fmt.Errorf("timesteps: unknown mixture mode %d (want Relative or Absolute)", int(x))
	}
	return nil
}

// Joint is the distribution of MixFlow's time pair (t, m): t ~ Times, then m = Slow(t, U', γ) (Relative) or
// m = U' (Absolute), U' ~ U[0, 1) independent of t. For a shifted base (RAE, SD3), set Times to a Shift:
// the shift acts on t before slowing, as in the official code.
//
// With Times = Beta21 and Relative mixture the pairs are uniform over the region {(1 − γ)t ≤ m ≤ t}: the
// reason the paper samples t from Beta(2, 1).
type Joint struct {
	// Times is the distribution of t.
	Times Dist
	// Gamma is the slowing range, 0 ≤ Gamma ≤ 1 (γ = 0: m = t).
	Gamma float64
	// Mixture is Relative (default) or Absolute.
	Mixture Mixture
}

// NewJoint returns the Relative MixFlow joint of times and gamma, or an error for bad input.
func NewJoint(times Dist, gamma float64) (Joint, error) {
	j := Joint{Times: times, Gamma: gamma}
	return j, j.Validate()
}

// Validate checks Times, Gamma ∈ [0, 1] and Mixture.
func (j Joint) Validate() error {
	if j.Times == nil {
		return fmt.Errorf("timesteps: joint has no time distribution")
	}
	if err := j.Times.Validate(); err != nil {
		return err
	}
	if err := CheckGamma("timesteps", j.Gamma); err != nil {
		return err
	}
	return j.Mixture.Validate()
}

// Sample draws n pairs on the host: first n times t (Times.Sample), then n uniforms for m.
func (j Joint) Sample(rng *rand.Rand, n int) (t, m []float64) {
	t = j.Times.Sample(rng, n)
	m = make([]float64, n)
	for i := range m {
		u := rng.Float64()
		if j.Mixture == Absolute {
			m[i] = u
		} else {
			m[i] = Slow(t[i], u, j.Gamma)
		}
	}
	return t, m
}

// SampleGraph draws n pairs in the graph (float32 [n] each): first t (Times.SampleGraph), then the
// uniforms for m, both from the Store's RNG.
func (j Joint) SampleGraph(scope *model.Scope, g *graph.Graph, n int) (t, m *graph.Node) {
	t = j.Times.SampleGraph(scope, g, n)
	u := scope.RandomUniform(g, shapes.Make(dtypes.Float32, n))
	if j.Mixture == Absolute {
		return t, u
	}
	return t, SlowGraph(t, u, j.Gamma)
}

// Density returns the joint density of (t, m). Relative with γ > 0: p(t)/(γ·t) on (1 − γ)·t ≤ m ≤ t, t > 0
// (p(t)/(γt) = 2/γ, constant, for Beta21). Absolute: p(t) on m ∈ [0, 1]. Relative with γ = 0 has no joint
// density (m = t): Density is +Inf on the diagonal where p(t) > 0 and 0 elsewhere.
func (j Joint) Density(t, m float64) float64 {
	p := j.Times.Density(t)
	if j.Mixture == Absolute {
		if m < 0 || m > 1 {
			return 0
		}
		return p
	}
	if j.Gamma == 0 {
		if m == t && p > 0 {
			return math.Inf(1)
		}
		return 0
	}
	if t <= 0 || m > t || m < (1-j.Gamma)*t {
		return 0
	}
	return p / (j.Gamma * t)
}

// MarginalDensity returns the density of m, by quadrature for Relative mixtures:
//
//	p_m(m) = ∫ p(t)/(γ·t) dt over t ∈ [m, min(1, m/(1 − γ))] ∩ Support(Times).
//
// For Beta21 this is (2/γ)·(min(1, m/(1 − γ)) − m). γ = 0 gives Times.Density(m); Absolute gives 1 on [0, 1].
func (j Joint) MarginalDensity(m float64) float64 {
	if j.Mixture == Absolute {
		if m < 0 || m > 1 {
			return 0
		}
		return 1
	}
	if j.Gamma == 0 {
		return j.Times.Density(m)
	}
	if m <= 0 || m > 1 {
		return 0
	}
	lo, hi := j.Times.Support()
	a := math.Max(m, lo)
	b := hi
	if j.Gamma < 1 {
		b = math.Min(hi, m/(1-j.Gamma))
	}
	if !(b > a) {
		return 0
	}
	return integrate(func(t float64) float64 { return j.Times.Density(t) / (j.Gamma * t) }, a, b)
}

// MeanM returns E[m]: E[t]·(1 − γ/2) for Relative, ½ for Absolute.
func (j Joint) MeanM() float64 {
	if j.Mixture == Absolute {
		return 0.5
	}
	return j.Times.Mean() * (1 - j.Gamma/2)
}

// ParseMixture inverts Mixture.String: "relative" (or "") and "absolute", case-insensitive.
func ParseMixture(name string) (Mixture, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "relative":
		return Relative, nil
	case "absolute":
		return Absolute, nil
	}
	return 0, fmt.Errorf("timesteps: unknown mixture %q: want \"relative\" or \"absolute\"", name)
}

// MarshalText encodes the mixture by name (for JSON configs).
func (x Mixture) MarshalText() ([]byte, error) {
	if err := x.Validate(); err != nil {
		return nil, err
	}
	return []byte(x.String()), nil
}

// UnmarshalText decodes a name written by MarshalText.
func (x *Mixture) UnmarshalText(text []byte) error { return textenum.Unmarshal(x, text, ParseMixture) }
