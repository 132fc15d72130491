// Package mlp is the velocity network for vector data (the 2-D toys and other [B, D] features): a multilayer
// perceptron conditioned on the timestep and, optionally, on a class label, implementing nn.Backbone and
// nn.Guidable.
//
// # Architecture
//
// The input is concat(x, e_t, e_y): x [B, D], the sinusoidal time embedding e_t (nn.TimestepEmbedding of the raw
// t ∈ [0, 1], see Config.TimeScale) and, for class-conditional models, a learned class embedding e_y.
//
//   - Plain (Residual false): Depth hidden layers Dense(Width) → activation, then Dense(D).
//   - Residual: Dense(Width) on the input, then Depth pre-norm residual blocks
//     h ← h + W₂·act(W₁·LayerNorm(h) + U·[e_t, e_y]), re-injecting the conditioning in every block, then
//     LayerNorm → activation → Dense(D). W₂ starts at zero, so every block is the identity at initialisation
//     and deep stacks train stably.
//
// The class table has NumClasses + 1 rows: row NumClasses is the "null" class that nn.NullLabel (−1) selects,
// for classifier-free guidance; NullCond returns null labels. Label dropout during training is the objective's
// job, not the backbone's.
package mlp

import (
	"cmp"
	"fmt"
	"sort"
	"strings"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/layers/norm"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// Defaults for the zero fields of a Config.
const (
	DefaultDim           = 2
	DefaultWidth         = 256
	DefaultDepth         = 3
	DefaultActivation    = "silu"
	DefaultTimeDim       = 64
	DefaultTimeScale     = 100.0
	DefaultTimeMaxPeriod = 100.0
	DefaultClassDim      = 32
)

// activations maps the accepted activation names to GoMLX's.
var activations = map[string]activation.Type{
	"silu":       activation.TypeSilu,
	"swish":      activation.TypeSilu,
	"relu":       activation.TypeRelu,
	"leaky_relu": activation.TypeLeakyRelu,
	"gelu":       activation.TypeGelu,
	"gelu_tanh":  activation.TypeGeluApprox,
	"tanh":       activation.TypeTanh,
	"selu":       activation.TypeSelu,
}

// ActivationNames returns the accepted Config.Activation values, sorted.
func ActivationNames() []string {
	names := make([]string, 0, len(activations))
	for k := range activations {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Config describes an MLP. Zero fields take the defaults named in their comments (see WithDefaults), so
// Config{NumClasses: 8} is the default network, class-conditional on 8 classes.
type Config struct {
	// Dim is the data dimension D: x and the velocity are [B, D] (default 2).
	Dim int
	// Width is the hidden width (default 256).
	Width int
	// Depth is the number of hidden layers, or of residual blocks when Residual is set (default 3).
	Depth int
	// Activation is one of ActivationNames (default "silu").
	Activation string
	// Residual selects the pre-norm residual architecture (see the package documentation).
	Residual bool

	// TimeDim is the size of the sinusoidal time embedding, even (default 64).
	TimeDim int
	// TimeScale and TimeMaxPeriod set the embedding's frequencies, f_i = TimeScale·TimeMaxPeriod^(−i/h) radians
	// per unit of t for i < h = TimeDim/2, i.e. geometric from TimeScale down to about TimeScale/TimeMaxPeriod.
	// The defaults (100 and 100) span 1…100 rad per unit of t: the lowest frequencies are monotone in t over
	// [0, 1] and the highest resolve steps of about 0.01 (a 100-step sampler). SiT's raw-t setting (scale 1,
	// period 10⁴) puts every frequency at or below 1 rad, so all features are nearly linear in t; DiT's t·1000
	// spends most features on oscillations far faster than a 2-D velocity field changes.
	TimeScale, TimeMaxPeriod float64

	// NumClasses enables class conditioning when > 0: labels in [0, NumClasses) or nn.NullLabel.
	NumClasses int
	// ClassDim is the size of the class embedding (default 32; used only when NumClasses > 0).
	ClassDim int
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	c.Dim = cmp.Or(c.Dim, DefaultDim)
	c.Width = cmp.Or(c.Width, DefaultWidth)
	c.Depth = cmp.Or(c.Depth, DefaultDepth)
	c.Activation = cmp.Or(c.Activation, DefaultActivation)
	c.TimeDim = cmp.Or(c.TimeDim, DefaultTimeDim)
	c.TimeScale = cmp.Or(c.TimeScale, DefaultTimeScale)
	c.TimeMaxPeriod = cmp.Or(c.TimeMaxPeriod, DefaultTimeMaxPeriod)
	c.ClassDim = cmp.Or(c.ClassDim, DefaultClassDim)
	return c
}

// Validate reports the first invalid field of c (after WithDefaults), naming it and the problem.
func (c Config) Validate() error {
	c = c.WithDefaults()
	switch {
	case c.Dim < 1:
		return fmt.Errorf("mlp: Dim %d must be >= 1", c.Dim)
	case c.Width < 1:
		return fmt.Errorf("mlp: Width %d must be >= 1", c.Width)
	case c.Depth < 1:
		return fmt.Errorf("mlp: Depth %d must be >= 1", c.Depth)
	case c.TimeDim < 2 || c.TimeDim%2 != 0:
		return fmt.Errorf("mlp: TimeDim %d must be even and >= 2", c.TimeDim)
	case !(c.TimeScale > 0) || c.TimeScale > 1e6:
		return fmt.Errorf("mlp: TimeScale %v must be in (0, 1e6]", c.TimeScale)
	case !(c.TimeMaxPeriod >= 1) || c.TimeMaxPeriod > 1e9:
		return fmt.Errorf("mlp: TimeMaxPeriod %v must be in [1, 1e9]", c.TimeMaxPeriod)
	case c.NumClasses < 0:
		return fmt.Errorf("mlp: NumClasses %d must be >= 0 (0 = unconditional)", c.NumClasses)
	case c.ClassDim < 1:
		return fmt.Errorf("mlp: ClassDim %d must be >= 1", c.ClassDim)
	}
	if _, ok := activations[c.Activation]; !ok {
		return fmt.Errorf("mlp: unknown Activation %q: use one of %s", c.Activation, strings.Join(ActivationNames(), ", "))
	}
	return nil
}

// condDim is the size of the conditioning vector [e_t, e_y].
func (c Config) condDim() int {
	d := c.TimeDim
	if c.NumClasses > 0 {
		d += c.ClassDim
	}
	return d
}

// NumParams returns the number of trainable parameters of the network c describes (after WithDefaults),
// counted analytically; it matches the variables Velocity creates.
func (c Config) NumParams() int {
	c = c.WithDefaults()
	w, cd := c.Width, c.condDim()
	dense := func(in, out int) int { return in*out + out }
	n := 0
	if c.NumClasses > 0 {
		n += (c.NumClasses + 1) * c.ClassDim
	}
	in := c.Dim + cd
	if !c.Residual {
		n += dense(in, w) + (c.Depth-1)*dense(w, w) + dense(w, c.Dim)
		return n
	}
	block := 2*w + dense(w, w) + cd*w + dense(w, w) // LayerNorm gain+offset, W₁, U (no bias), W₂
	return n + dense(in, w) + c.Depth*block + 2*w + dense(w, c.Dim)
}

// String summarises the configuration, e.g. "mlp(dim=2,width=256,depth=3,silu,classes=8,params=137730)".
func (c Config) String() string {
	c = c.WithDefaults()
	s := fmt.Sprintf("mlp(dim=%d,width=%d,depth=%d,%s", c.Dim, c.Width, c.Depth, c.Activation)
	if c.Residual {
		s += ",residual"
	}
	if c.NumClasses > 0 {
		s += fmt.Sprintf(",classes=%d", c.NumClasses)
	}
	return s + fmt.Sprintf(",params=%d)", c.NumParams())
}

// MLP is the velocity network. It holds no variables itself: they live in the model.Store of the scope passed
// to Velocity, so one MLP value can serve the training graph, the EMA copy and the sampler.
type MLP struct {
	cfg Config
	act activation.Type
}

var (
	_ nn.Backbone = (*MLP)(nil)
	_ nn.Guidable = (*MLP)(nil)
)

// New validates cfg (zero fields take their defaults) and returns the network.
func New(cfg Config) (*MLP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	return &MLP{cfg: cfg, act: activations[cfg.Activation]}, nil
}

// Must is New for notebook cells and examples: it panics with New's error.
func Must(cfg Config) *MLP {
	m, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return m
}

// Config returns the network's configuration, with defaults filled in.
func (m *MLP) Config() Config { return m.cfg }

// NumParams returns the number of trainable parameters (Config.NumParams).
func (m *MLP) NumParams() int { return m.cfg.NumParams() }

// Velocity returns v_θ(x, t | cond), shaped and typed like x ([B, Dim], a float dtype). t has shape [B] (or
// [B, 1]) in paper time, 0 noise and 1 data. For class-conditional networks cond.Labels holds int32/int64
// labels [B] in [0, NumClasses) or nn.NullLabel; nil labels mean unconditional (the null class for every row).
// Unconditional networks ignore cond. Variables are created under scope; wrong shapes panic, GoMLX style.
func (m *MLP) Velocity(scope *model.Scope, x, t *Node, cond nn.Cond) *Node {
	scope = scope.ResetVisited()
	c := m.cfg
	if x.Rank() != 2 || x.Shape().Dimensions[1] != c.Dim || !x.DType().IsFloat() {
		exceptions.Panicf("mlp: x has shape %s, want a float [B, %d]", x.Shape(), c.Dim)
	}
	g := x.Graph()
	batch := x.Shape().Dimensions[0]
	if t.Rank() == 2 && t.Shape().Dimensions[1] == 1 {
		t = Reshape(t, batch)
	}
	if t.Rank() != 1 || t.Shape().Dimensions[0] != batch {
		exceptions.Panicf("mlp: t has shape %s, want [%d] to match x %s", t.Shape(), batch, x.Shape())
	}
	t = ConvertDType(t, x.DType())

	condParts := []*Node{nn.TimestepEmbedding(t, c.TimeDim, c.TimeMaxPeriod, c.TimeScale)}
	if c.NumClasses > 0 {
		condParts = append(condParts, m.classEmbedding(scope.In("class_embed"), g, cond.Labels, batch, x.DType()))
	}
	cvec := Concatenate(condParts, -1) // [B, condDim]
	h := Concatenate([]*Node{x, cvec}, -1)

	act := func(v *Node) *Node { return activation.Apply(m.act, v) }
	if !c.Residual {
		for i := range c.Depth {
			h = act(nn.Dense(scope.In("hidden_%d", i), h, true, c.Width))
		}
		return nn.Dense(scope.In("out"), h, true, c.Dim)
	}
	h = nn.Dense(scope.In("in"), h, true, c.Width)
	for i := range c.Depth {
		bs := scope.In("block_%d", i)
		u := norm.LayerNorm(bs, h, -1).Epsilon(1e-5).Done()
		u = Add(nn.Dense(bs.In("fc1"), u, true, c.Width), nn.Dense(bs.In("cond"), cvec, false, c.Width))
		u = nn.Dense(bs.In("fc2").WithInitializer(initializer.Zero), act(u), true, c.Width)
		h = Add(h, u)
	}
	h = act(norm.LayerNorm(scope.In("final"), h, -1).Epsilon(1e-5).Done())
	return nn.Dense(scope.In("out"), h, true, c.Dim)
}

// classEmbedding looks up the class table; negative labels (nn.NullLabel) and nil labels select the null row.
func (m *MLP) classEmbedding(scope *model.Scope, g *Graph, labels *Node, batch int, dtype dtypes.DType) *Node {
	k := m.cfg.NumClasses
	var idx *Node
	if labels == nil {
		idx = BroadcastToDims(Scalar(g, dtypes.Int32, k), batch)
	} else {
		if labels.Rank() == 2 && labels.Shape().Dimensions[1] == 1 {
			labels = Reshape(labels, labels.Shape().Dimensions[0])
		}
		if labels.Rank() != 1 || labels.Shape().Dimensions[0] != batch || !labels.DType().IsInt() {
			exceptions.Panicf("mlp: labels have shape %s, want integer [%d]", labels.Shape(), batch)
		}
		idx = ConvertDType(labels, dtypes.Int32)
		idx = Where(LessThan(idx, ScalarZero(g, dtypes.Int32)), Scalar(g, dtypes.Int32, k), idx)
	}
	return layers.Embedding(scope.WithInitializer(initializer.RandomNormalFn(scope, 1)), idx, dtype, k+1, m.cfg.ClassDim)
}

// NullCond returns cond with every label replaced by nn.NullLabel (the unconditional branch of classifier-free
// guidance). Nil labels stay nil, which Velocity already treats as unconditional.
func (m *MLP) NullCond(cond nn.Cond) nn.Cond {
	if cond.Labels == nil {
		return cond
	}
	out := cond
	out.Labels = nn.NullLabels(cond.Labels)
	return out
}

// Wide returns the preset for D-dimensional vector data that does not bottleneck the velocity: a residual
// network (see the package documentation) of width max(2·dim, DefaultWidth) and DefaultDepth blocks. A
// plain width-64 MLP on 256-D data keeps most of the noise for every objective (a rank bottleneck);
// width ≥ 2D with skips does not. dim < 1 is reported by New/Validate.
func Wide(dim int) Config {
	return Config{Dim: dim, Width: max(2*dim, DefaultWidth), Depth: DefaultDepth, Residual: true}
}
