// Package toy2d provides the 2-D toy distributions of the flow-matching literature (two moons, 8 Gaussians,
// checkerboard, spirals, rings, swiss roll, standard Gaussian) with exact samplers, optional class labels,
// closed-form log-densities where they exist, and a datasets.Source for training.
//
// # Scale
//
// Every toy is built in its natural "raw" coordinates (its noise/std parameters are given in those units, see
// each constructor) and then centred and scaled isotropically, so that the distribution has mean exactly 0 and
// E‖x‖² = 2, i.e. the same average per-axis variance as the N(0, I) noise a flow starts from. The aspect ratio
// of each shape is preserved. The centring and scale are computed in closed form (not estimated), so the
// moments hold exactly for the distribution and up to Monte-Carlo error for a sample; Scale reports the factor.
//
// # Determinism
//
// Samples are drawn with math/rand/v2's PCG generator; a Source derives the generator of each batch from
// (seed, step) alone, so a batch is a pure function of (seed, step) and a resumed run sees the same data.
// The first k points of a batch do not depend on the batch size. Streams are stable for a given Go release.
package toy2d

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"

	"github.com/mixflow/mixflow/datasets/internal/seeded"
)

// Kind names for ByName and Toy.Kind.
const (
	KindMoons         = "moons"
	KindEightGaussian = "8gaussians"
	KindCheckerboard  = "checkerboard"
	KindSpirals       = "spirals"
	KindRings         = "rings"
	KindSwissRoll     = "swissroll"
	KindGaussian      = "gaussian"
)

// maxPoints bounds the number of points one call draws (2²⁶ points = 512 MiB as float32 pairs): larger requests are
// almost certainly a bug and would exhaust memory.
const maxPoints = 1 << 26

// Toy is a 2-D toy distribution with an exact sampler. It is immutable and safe for concurrent use
// (each caller brings its own *rand.Rand).
type Toy struct {
	kind    string
	params  []param // in the kind's canonical order
	classes int

	// raw draws one point in raw coordinates; label < 0 draws the class at random, otherwise that class.
	raw func(r *rand.Rand, label int) (x, y float64, lab int32)
	// rawLogDensity is the log-density in raw coordinates, nil when there is no closed form.
	rawLogDensity func(x, y float64) float64

	mean  [2]float64 // raw mean, subtracted before scaling
	scale float64    // output = scale·(raw − mean)
}

type param struct {
	name  string
	value float64
}

// Kind returns the toy's kind, e.g. "moons".
func (t *Toy) Kind() string { return t.kind }

// Name returns the kind with its parameters, e.g. "moons(noise=0.05)"; ByName(t.Name()) rebuilds the same toy.
func (t *Toy) Name() string {
	if len(t.params) == 0 {
		return t.kind
	}
	return t.kind + "(" + t.paramString() + ")"
}

// String returns Name.
func (t *Toy) String() string { return t.Name() }

func (t *Toy) paramString() string {
	parts := make([]string, len(t.params))
	for i, p := range t.params {
		parts[i] = p.name + "=" + strconv.FormatFloat(p.value, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// Param returns the value of the named parameter (e.g. "noise") and whether the toy has it.
func (t *Toy) Param(name string) (float64, bool) {
	for _, p := range t.params {
		if p.name == name {
			return p.value, true
		}
	}
	return 0, false
}

// NumClasses returns the number of class labels the toy provides (moon, Gaussian component, spiral arm, ring),
// or 0 when it is unlabelled. Labels are 0 … NumClasses−1.
func (t *Toy) NumClasses() int { return t.classes }

// Scale returns the factor s of the normalisation output = s·(raw − raw mean) that gives mean 0 and E‖x‖² = 2.
func (t *Toy) Scale() float64 { return t.scale }

// Sample draws one point (and its class label, 0 when unlabelled) from the toy using rng.
func (t *Toy) Sample(rng *rand.Rand) (x, y float64, label int32) {
	return t.sample(rng, -1)
}

func (t *Toy) sample(rng *rand.Rand, class int) (x, y float64, label int32) {
	rx, ry, lab := t.raw(rng, class)
	return t.scale * (rx - t.mean[0]), t.scale * (ry - t.mean[1]), lab
}

// checkCount validates a number of points to draw.
func (t *Toy) checkCount(n int) error {
	if n < 0 {
		return fmt.Errorf("toy2d: %s: negative number of points %d", t.Name(), n)
	}
	if n > maxPoints {
		return fmt.Errorf("toy2d: %s: %d points requested, more than the limit %d", t.Name(), n, maxPoints)
	}
	return nil
}

// Fill draws len(labels) points into xy (row-major pairs, len(xy) must be 2·len(labels)) and labels using rng.
// Labels are 0 for an unlabelled toy. It is the allocation-free core of the other samplers.
func (t *Toy) Fill(rng *rand.Rand, xy []float32, labels []int32) error {
	if len(xy) != 2*len(labels) {
		return fmt.Errorf("toy2d: %s: Fill needs len(xy) = 2·len(labels), got %d and %d", t.Name(), len(xy), len(labels))
	}
	for i := range labels {
		x, y, l := t.sample(rng, -1)
		xy[2*i], xy[2*i+1], labels[i] = float32(x), float32(y), l
	}
	return nil
}

// Points draws n fresh points with a generator seeded by seed, as [x, y] pairs in float64 (for metrics and
// plots), with their labels (nil when the toy is unlabelled). The same (toy, n, seed) always gives the same points.
func (t *Toy) Points(n int, seed uint64) ([][2]float64, []int32, error) {
	return t.points(n, seed, -1)
}

// PointsOfClass draws n fresh points of one class (0 … NumClasses−1), e.g. to evaluate a class-conditional model
// class by class.
func (t *Toy) PointsOfClass(n int, class int, seed uint64) ([][2]float64, error) {
	if t.classes == 0 {
		return nil, fmt.Errorf("toy2d: %s is unlabelled: no class %d", t.Name(), class)
	}
	if class < 0 || class >= t.classes {
		return nil, fmt.Errorf("toy2d: %s: class %d outside [0, %d)", t.Name(), class, t.classes)
	}
	pts, _, err := t.points(n, seed, class)
	return pts, err
}

func (t *Toy) points(n int, seed uint64, class int) ([][2]float64, []int32, error) {
	if err := t.checkCount(n); err != nil {
		return nil, nil, err
	}
	rng := newRNG(seed, streamPoints, uint64(max(class, -1)+1))
	pts := make([][2]float64, n)
	var labels []int32
	if t.classes > 0 && class < 0 {
		labels = make([]int32, n)
	}
	for i := range pts {
		x, y, l := t.sample(rng, class)
		pts[i] = [2]float64{x, y}
		if labels != nil {
			labels[i] = l
		}
	}
	return pts, labels, nil
}

// Float32 draws n fresh points as a row-major float32 slice of length 2n (the layout of an [n, 2] tensor), with
// their labels (nil when unlabelled). It draws the same points as Points for the same seed.
func (t *Toy) Float32(n int, seed uint64) ([]float32, []int32, error) {
	pts, labels, err := t.Points(n, seed)
	if err != nil {
		return nil, nil, err
	}
	flat := make([]float32, 2*len(pts))
	for i, p := range pts {
		flat[2*i], flat[2*i+1] = float32(p[0]), float32(p[1])
	}
	return flat, labels, nil
}

// HasLogDensity reports whether the toy's density is known in closed form (8 Gaussians, checkerboard, Gaussian).
func (t *Toy) HasLogDensity() bool { return t.rawLogDensity != nil }

// LogDensity returns the toy's exact log-density log p(x, y) in output coordinates (−Inf outside the support),
// or an error when the toy has no closed-form density.
func (t *Toy) LogDensity() (func(x, y float64) float64, error) {
	if t.rawLogDensity == nil {
		return nil, fmt.Errorf("toy2d: %s has no closed-form density (only %s, %s and %s do)",
			t.Name(), KindEightGaussian, KindCheckerboard, KindGaussian)
	}
	// Change of variables for output = s·(raw − m): p_out(z) = p_raw(z/s + m) / s².
	logJac := 2 * math.Log(t.scale)
	inv := 1 / t.scale
	return func(x, y float64) float64 {
		return t.rawLogDensity(x*inv+t.mean[0], y*inv+t.mean[1]) - logJac
	}, nil
}

// Streams separate the generators of different uses of one seed.
const (
	streamPoints uint64 = 0x9e3779b97f4a7c15
	streamBatch  uint64 = 0xbf58476d1ce4e5b9
)

// newRNG returns a PCG generator that depends only on (seed, stream, index). Both 64-bit halves of PCG's state
// depend on all three inputs: states that share a half would have identical low words forever.
func newRNG(seed, stream, index uint64) *rand.Rand {
	s := seeded.Mix64(seed ^ stream)
	return rand.New(rand.NewPCG(s, seeded.Mix64(index^seeded.Mix64(s))))
}

// spec describes a kind: its parameters with defaults and the builder.
type spec struct {
	kind    string
	aliases []string
	params  []paramSpec
	build   func(p map[string]float64) *Toy
}

type paramSpec struct {
	name    string
	def     float64
	integer bool
	check   func(v float64) string // returns "" when valid, else the constraint, e.g. ">= 0"
}

func nonNegative(v float64) string {
	if v >= 0 && !math.IsInf(v, 0) {
		return ""
	}
	return "must be finite and >= 0"
}

func positive(v float64) string {
	if v > 0 && !math.IsInf(v, 0) {
		return ""
	}
	return "must be finite and > 0"
}

func intRange(lo, hi int) func(v float64) string {
	return func(v float64) string {
		if v >= float64(lo) && v <= float64(hi) {
			return ""
		}
		return fmt.Sprintf("must be an integer in [%d, %d]", lo, hi)
	}
}

func evenRange(lo, hi int) func(v float64) string {
	return func(v float64) string {
		if v >= float64(lo) && v <= float64(hi) && int(v)%2 == 0 {
			return ""
		}
		return fmt.Sprintf("must be an even integer in [%d, %d]", lo, hi)
	}
}

var specs = []spec{
	{kind: KindMoons, aliases: []string{"twomoons", "two_moons", "moon"},
		params: []paramSpec{{name: "noise", def: 0.05, check: nonNegative}}, build: buildMoons},
	{kind: KindEightGaussian, aliases: []string{"eightgaussians", "eight_gaussians", "8_gaussians", "8gauss"},
		params: []paramSpec{{name: "std", def: 0.125, check: positive}}, build: buildEightGaussians},
	{kind: KindCheckerboard, aliases: []string{"checker", "checkers"},
		params: []paramSpec{{name: "cells", def: 4, integer: true, check: evenRange(2, 64)}}, build: buildCheckerboard},
	{kind: KindSpirals, aliases: []string{"2spirals", "spiral", "twospirals", "two_spirals"},
		params: []paramSpec{
			{name: "arms", def: 2, integer: true, check: intRange(2, 64)},
			{name: "turns", def: 1.5, check: positive},
			{name: "noise", def: 0.03, check: nonNegative},
		}, build: buildSpirals},
	{kind: KindRings, aliases: []string{"circles", "ring"},
		params: []paramSpec{
			{name: "rings", def: 4, integer: true, check: intRange(1, 64)},
			{name: "noise", def: 0.03, check: nonNegative},
		}, build: buildRings},
	{kind: KindSwissRoll, aliases: []string{"swiss_roll", "swiss-roll", "roll"},
		params: []paramSpec{{name: "noise", def: 0.02, check: nonNegative}}, build: buildSwissRoll},
	{kind: KindGaussian, aliases: []string{"normal", "gauss"}, build: buildGaussian},
}

// Kinds returns the canonical names of all toys, sorted.
func Kinds() []string {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.kind
	}
	sort.Strings(names)
	return names
}

func findSpec(name string) (*spec, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	for i := range specs {
		s := &specs[i]
		if s.kind == n {
			return s, true
		}
		for _, a := range s.aliases {
			if a == n {
				return s, true
			}
		}
	}
	return nil, false
}

// newToy validates the given parameters (missing ones take their defaults) and builds the toy.
func newToy(kind string, given map[string]float64) (*Toy, error) {
	s, ok := findSpec(kind)
	if !ok {
		return nil, fmt.Errorf("toy2d: unknown toy %q: known toys are %s", kind, strings.Join(Kinds(), ", "))
	}
	values := make(map[string]float64, len(s.params))
	for name, v := range given {
		var ps *paramSpec
		for i := range s.params {
			if s.params[i].name == name {
				ps = &s.params[i]
			}
		}
		if ps == nil {
			return nil, fmt.Errorf("toy2d: %s has no parameter %q: %s", s.kind, name, paramList(s))
		}
		if math.IsNaN(v) {
			return nil, fmt.Errorf("toy2d: %s: %s is NaN", s.kind, name)
		}
		if ps.integer && v != math.Trunc(v) {
			return nil, fmt.Errorf("toy2d: %s: %s=%g must be an integer", s.kind, name, v)
		}
		if msg := ps.check(v); msg != "" {
			return nil, fmt.Errorf("toy2d: %s: %s=%g %s", s.kind, name, v, msg)
		}
		values[name] = v
	}
	for _, ps := range s.params {
		if _, ok := values[ps.name]; !ok {
			values[ps.name] = ps.def
		}
	}
	t := s.build(values)
	t.kind = s.kind
	t.params = make([]param, len(s.params))
	for i, ps := range s.params {
		t.params[i] = param{ps.name, values[ps.name]}
	}
	return t, nil
}

func paramList(s *spec) string {
	if len(s.params) == 0 {
		return "it takes no parameters"
	}
	parts := make([]string, len(s.params))
	for i, p := range s.params {
		parts[i] = fmt.Sprintf("%s (default %g)", p.name, p.def)
	}
	return "parameters are " + strings.Join(parts, ", ")
}

// ByName builds a toy from its name and optional parameters: "moons", "moons(noise=0.1)",
// "spirals(arms=3, turns=2)". Names are case-insensitive and have aliases ("two_moons", "2spirals",
// "swiss_roll", …); parameters left out take their defaults. ByName(t.Name()) rebuilds t.
// Known toys and parameters (noise and std in raw units, see each constructor):
//
//	moons(noise=0.05)                  two interleaved half circles, labels: moon 0/1
//	8gaussians(std=0.125)              8 Gaussians on a circle, labels: component 0…7
//	checkerboard(cells=4)              uniform on the dark cells of a cells×cells board, unlabelled
//	spirals(arms=2,turns=1.5,noise=0.03)  interleaved spiral arms, labels: arm
//	rings(rings=4,noise=0.03)          concentric circles, labels: ring (0 innermost)
//	swissroll(noise=0.02)              the 2-D swiss roll, unlabelled
//	gaussian                           standard normal N(0, I), unlabelled
func ByName(spec string) (*Toy, error) {
	s := strings.TrimSpace(spec)
	name, args := s, ""
	if i := strings.IndexByte(s, '('); i >= 0 {
		if !strings.HasSuffix(s, ")") {
			return nil, fmt.Errorf("toy2d: bad toy spec %q: missing closing parenthesis", spec)
		}
		name, args = strings.TrimSpace(s[:i]), s[i+1:len(s)-1]
	}
	if name == "" {
		return nil, fmt.Errorf("toy2d: empty toy name in %q: known toys are %s", spec, strings.Join(Kinds(), ", "))
	}
	given := map[string]float64{}
	if strings.TrimSpace(args) != "" {
		for _, kv := range strings.Split(args, ",") {
			k, v, ok := strings.Cut(kv, "=")
			k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
			if !ok || k == "" {
				return nil, fmt.Errorf("toy2d: bad parameter %q in %q: want name=value", strings.TrimSpace(kv), spec)
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("toy2d: bad value for %s in %q: %q is not a number", k, spec, v)
			}
			if _, dup := given[k]; dup {
				return nil, fmt.Errorf("toy2d: parameter %s given twice in %q", k, spec)
			}
			given[k] = f
		}
	}
	return newToy(name, given)
}

// MustByName is ByName for notebook cells and examples: it panics with ByName's error.
func MustByName(spec string) *Toy {
	t, err := ByName(spec)
	if err != nil {
		panic(err)
	}
	return t
}

// Moons returns two interleaved half circles (scikit-learn's make_moons, sampled exactly): the outer moon
// (cos θ, sin θ) and the inner moon (1 − cos θ, 1/2 − sin θ), θ ~ U[0, π], each with probability 1/2, plus
// N(0, noise²) on each axis. noise is in those raw units (moon radius 1). Labels: 0 outer, 1 inner.
func Moons(noise float64) (*Toy, error) {
	return newToy(KindMoons, map[string]float64{"noise": noise})
}

// EightGaussians returns the mixture of 8 equally weighted isotropic Gaussians centred on the unit circle at
// angles 2πk/8 with standard deviation std (raw units: circle radius 1; the default 0.125 is FFJORD's ratio).
// Labels: the component k. Its log-density is exact.
func EightGaussians(std float64) (*Toy, error) {
	return newToy(KindEightGaussian, map[string]float64{"std": std})
}

// Checkerboard returns the uniform distribution on the dark cells of a cells×cells board of unit cells centred
// at the origin (cell (i, j) is dark when i+j is even), cells even. Unlabelled. Its log-density is exact.
func Checkerboard(cells int) (*Toy, error) {
	return newToy(KindCheckerboard, map[string]float64{"cells": float64(cells)})
}

// Spirals returns arms interleaved Archimedean spiral arms: radius r = √u (u ~ U[0, 1], which spreads points
// about evenly along each arm), angle 2π·turns·r + 2πk/arms for arm k, plus N(0, noise²) per axis (raw units:
// outer radius 1). Labels: the arm k.
func Spirals(arms int, turns, noise float64) (*Toy, error) {
	return newToy(KindSpirals, map[string]float64{"arms": float64(arms), "turns": turns, "noise": noise})
}

// Rings returns concentric circles of radii k/rings (k = 1 … rings), each with probability 1/rings, uniform in
// angle, plus N(0, noise²) per axis (raw units: outer radius 1). Labels: ring index, 0 innermost.
func Rings(rings int, noise float64) (*Toy, error) {
	return newToy(KindRings, map[string]float64{"rings": float64(rings), "noise": noise})
}

// SwissRoll returns the 2-D swiss roll of scikit-learn's make_swiss_roll, (s cos s, s sin s)/(4.5π) with
// s ~ U[1.5π, 4.5π], plus N(0, noise²) per axis (raw units: outer radius 1). Unlabelled.
func SwissRoll(noise float64) (*Toy, error) {
	return newToy(KindSwissRoll, map[string]float64{"noise": noise})
}

// Gaussian returns the standard normal N(0, I) in 2-D (already normalised): the flow's own noise distribution,
// useful as a sanity baseline. Unlabelled; its log-density is exact.
func Gaussian() *Toy {
	t, _ := newToy(KindGaussian, nil)
	return t
}

// normaliser returns the scale that maps a distribution with total raw variance totalVar to E‖x‖² = 2.
func normaliser(totalVar float64) float64 { return math.Sqrt(2 / totalVar) }

func buildMoons(p map[string]float64) *Toy {
	noise := p["noise"]
	// Raw moments: E[x] = 1/2, E[y] = 1/4, Var x = 3/4, Var y = 9/16 − 1/π (see the tests for the derivation).
	totalVar := 0.75 + (0.5625 - 1/math.Pi) + 2*noise*noise
	return &Toy{
		classes: 2,
		raw: func(r *rand.Rand, label int) (float64, float64, int32) {
			if label < 0 {
				label = r.IntN(2)
			}
			theta := math.Pi * r.Float64()
			x, y := math.Cos(theta), math.Sin(theta)
			if label == 1 {
				x, y = 1-x, 0.5-y
			}
			return x + noise*r.NormFloat64(), y + noise*r.NormFloat64(), int32(label)
		},
		mean:  [2]float64{0.5, 0.25},
		scale: normaliser(totalVar),
	}
}

func buildEightGaussians(p map[string]float64) *Toy {
	std := p["std"]
	const k = 8
	var cx, cy [k]float64
	for i := range k {
		a := 2 * math.Pi * float64(i) / k
		cx[i], cy[i] = math.Cos(a), math.Sin(a)
	}
	logNorm := -math.Log(k) - math.Log(2*math.Pi*std*std)
	return &Toy{
		classes: k,
		raw: func(r *rand.Rand, label int) (float64, float64, int32) {
			if label < 0 {
				label = r.IntN(k)
			}
			return cx[label] + std*r.NormFloat64(), cy[label] + std*r.NormFloat64(), int32(label)
		},
		rawLogDensity: func(x, y float64) float64 {
			var e [k]float64
			m := math.Inf(-1)
			for i := range k {
				dx, dy := x-cx[i], y-cy[i]
				e[i] = -(dx*dx + dy*dy) / (2 * std * std)
				m = max(m, e[i])
			}
			s := 0.0
			for i := range k {
				s += math.Exp(e[i] - m)
			}
			return logNorm + m + math.Log(s)
		},
		scale: normaliser(1 + 2*std*std),
	}
}

func buildCheckerboard(p map[string]float64) *Toy {
	n := int(p["cells"])
	half := float64(n) / 2
	// Dark cells are half of the n² unit cells; the x and y marginals are uniform on [−n/2, n/2].
	logDens := -math.Log(float64(n*n) / 2)
	return &Toy{
		raw: func(r *rand.Rand, _ int) (float64, float64, int32) {
			i := r.IntN(n)
			j := 2*r.IntN(n/2) + i%2 // rows j with i+j even
			return float64(i) + r.Float64() - half, float64(j) + r.Float64() - half, 0
		},
		rawLogDensity: func(x, y float64) float64 {
			if !(x >= -half && x < half && y >= -half && y < half) {
				return math.Inf(-1)
			}
			i, j := int(math.Floor(x+half)), int(math.Floor(y+half))
			if (i+j)%2 != 0 {
				return math.Inf(-1)
			}
			return logDens
		},
		scale: normaliser(float64(n*n) / 6),
	}
}

func buildSpirals(p map[string]float64) *Toy {
	arms, turns, noise := int(p["arms"]), p["turns"], p["noise"]
	return &Toy{
		classes: arms,
		raw: func(r *rand.Rand, label int) (float64, float64, int32) {
			if label < 0 {
				label = r.IntN(arms)
			}
			rad := math.Sqrt(r.Float64())
			a := 2*math.Pi*turns*rad + 2*math.Pi*float64(label)/float64(arms)
			return rad*math.Cos(a) + noise*r.NormFloat64(), rad*math.Sin(a) + noise*r.NormFloat64(), int32(label)
		},
		// The arms are rotations by 2πk/arms of one another, so the mean is 0; E[r²] = E[u] = 1/2.
		scale: normaliser(0.5 + 2*noise*noise),
	}
}

func buildRings(p map[string]float64) *Toy {
	k, noise := int(p["rings"]), p["noise"]
	kf := float64(k)
	meanR2 := (kf + 1) * (2*kf + 1) / (6 * kf * kf) // (1/k)·Σ (i/k)², i = 1…k
	return &Toy{
		classes: k,
		raw: func(r *rand.Rand, label int) (float64, float64, int32) {
			if label < 0 {
				label = r.IntN(k)
			}
			rad := float64(label+1) / kf
			a := 2 * math.Pi * r.Float64()
			return rad*math.Cos(a) + noise*r.NormFloat64(), rad*math.Sin(a) + noise*r.NormFloat64(), int32(label)
		},
		scale: normaliser(meanR2 + 2*noise*noise),
	}
}

func buildSwissRoll(p map[string]float64) *Toy {
	noise := p["noise"]
	const lo, hi = 1.5 * math.Pi, 4.5 * math.Pi
	// With s ~ U[lo, hi]: E[s cos s] = 2, E[s sin s] = 2/(3π), E[s²] = (lo² + lo·hi + hi²)/3; divide by hi.
	mx, my := 2/hi, 2/(3*math.Pi)/hi
	es2 := (lo*lo + lo*hi + hi*hi) / 3 / (hi * hi)
	return &Toy{
		raw: func(r *rand.Rand, _ int) (float64, float64, int32) {
			s := lo + (hi-lo)*r.Float64()
			return s*math.Cos(s)/hi + noise*r.NormFloat64(), s*math.Sin(s)/hi + noise*r.NormFloat64(), 0
		},
		mean:  [2]float64{mx, my},
		scale: normaliser(es2 - mx*mx - my*my + 2*noise*noise),
	}
}

func buildGaussian(map[string]float64) *Toy {
	return &Toy{
		raw: func(r *rand.Rand, _ int) (float64, float64, int32) {
			return r.NormFloat64(), r.NormFloat64(), 0
		},
		rawLogDensity: func(x, y float64) float64 {
			return -math.Log(2*math.Pi) - (x*x+y*y)/2
		},
		scale: 1,
	}
}
