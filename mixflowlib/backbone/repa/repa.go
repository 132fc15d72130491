// Package repa is REPA (Yu et al. 2025, "Representation Alignment for Generation") on top of the SiT
// backbone: a projection head on SiT's hidden tokens after block k, aligned with the tokens of a frozen
// representation encoder (mixflowlib/encoder) of the clean image by negative cosine similarity. The
// alignment term, weighted by λ, is added to the flow-matching (or MixFlow) loss through
// nn.AddAuxLoss("repa", λ·L), so the trainer adds it and logs it under "repa".
//
//	L = −(1/B) Σ_b (1/N) Σ_n cos( h_φ(Hidden[k])_{b,n}, y_{b,n} ),   y = Encoder(x1) on SiT's token grid
//	h_φ = Dense(H → P) ∘ SiLU ∘ Dense(P → P) ∘ SiLU ∘ Dense(P → D)      (REPA's build_mlp)
//
// # How the backbone gets the clean images
//
// The nn.Backbone contract gives a backbone only (x_t, t, cond), but the alignment targets are computed
// from the clean batch x1. Model therefore comes with an objective wrapper, Objective (see Wrap): its
// LossGraph binds x1 to the model for that one graph (Model.WithTargets returns a backbone value that
// carries x1) and calls the wrapped objective with the bound backbone. The wrapped objective draws t
// (and, for MixFlow, the slowed m), builds x_m and calls Velocity once; the bound backbone runs SiT,
// applies the head to Hidden[k], encodes x1 with the frozen encoder and registers λ·L. Nothing global is
// involved, the objectives of mixflowlib/objective are used unchanged, and sampling (which calls
// Model.Velocity directly) never builds the head or the encoder: the velocity is plain SiT's.
//
// Alternatives considered: a conditioning field for encoder features is not available in nn.Cond;
// computing encoder features on the host as part of the batch would need a second data path through the
// trainer. Encoding x1 inside the step is cheap: measured with BenchmarkTrainStepSiT/REPA
// (imageexp.SmallSiT at batch 64, the shipped encoder's architecture, pure-Go backend on 2 cores), a
// training step costs 187 ms of CPU time without REPA and 230 ms with it (+23 %, head and encoder).
//
// # MixFlow post-training
//
// With Wrap(objective.MixFlow{…}) the alignment loss is computed on the network's actual training input:
// the slowed interpolation x_m, with the network conditioned on t (not m), exactly as the velocity loss
// is. The MixFlow paper (arXiv 2512.19311) post-trains REPA models but does not say how it treats the
// alignment term; we keep it, on the slowed input, because the projection head and the hidden tokens it
// reads are part of the model being post-trained, and dropping the term would let the representation
// drift from the one the base model was trained with.
//
// # Token grids
//
// The encoder's tokens must lie on SiT's token grid. The shipped encoder (28×28 images, patch 7, a 4×4
// grid) matches a SiT on 28×28 Fashion-MNIST with patch 7 (imageexp.SmallSiT) exactly, and then nothing
// is resampled. Otherwise, if SiT's images are not the encoder's size, x1 is fitted with encoder.Fit
// (a centred crop, or centred −1 padding, the way datasets/images pads 28×28 Fashion-MNIST to 32×32)
// before encoding, and the encoder's tokens are mapped onto SiT's patch grid with encoder.MapTokens, which
// averages the encoder cells each SiT patch overlaps, weighted by overlap area in pixels of SiT's frame
// (so padding or cropping does not shift the targets). With equal frames this is exact average pooling
// when the encoder's grid is a multiple of SiT's (8×8 → 4×4) and exact repetition when SiT's grid is a
// multiple of the encoder's. For the "tiny" preset (32×32 with patch 4, an 8×8 grid) the images are
// cropped back to 28×28 for the encoder and each 4-pixel SiT patch takes the encoder cells it overlaps;
// patches on the 2-pixel padding border read the encoder cell next to them. With Config.Fit FitResize the
// images are instead interpolated to the encoder's size (encoder.Resize), so the encoder sees the whole
// image filling its frame, as REPA resizes ImageNet images to DINOv2's 224×224; the tokens are then
// mapped from the encoder's grid to SiT's over the same frame (16×16 images with patch 4: the encoder's
// 4×4 grid is SiT's, nothing is resampled).
//
// # Time convention
//
// t = 0 is noise and t = 1 is data (SiT's and the MixFlow paper's). REPA's code uses the flipped
// convention; nothing here depends on time, except through the wrapped objective.
package repa

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"

	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/encoder"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// AuxLossName is the name under which the weighted alignment loss λ·L is registered with nn.AddAuxLoss
// (and logged by the trainer).
const AuxLossName = "repa"

// HeadScope is the sub-scope of the model scope that holds the projection head's variables.
const HeadScope = "repa_projector"

// DefaultLambda is REPA's default weight of the alignment loss.
const DefaultLambda = 0.5

// Config describes a REPA-SiT model. Start from DefaultConfig.
type Config struct {
	// SiT is the backbone.
	SiT sit.Config `json:"sit"`
	// AlignDepth is the block k whose output tokens Hidden[k] are projected and aligned, 1 ≤ k ≤ SiT.Depth.
	// REPA uses k = 8 for SiT-L/XL and 4 for SiT-B.
	AlignDepth int `json:"align_depth"`
	// ProjDim is the width of the projection head's two hidden layers. REPA uses 2048.
	ProjDim int `json:"proj_dim"`
	// Lambda is the weight λ of the alignment loss, ≥ 0. λ = 0 turns REPA off: the head is not built and
	// the loss is plain SiT's.
	Lambda float64 `json:"lambda"`
	// Fit is how clean images whose size is not the encoder's are brought to it: FitPad ("", the default:
	// encoder.Fit, centred −1 padding or a centred crop) or FitResize (encoder.Resize, the whole image
	// interpolated to the encoder's frame, as REPA resizes images for DINOv2).
	Fit string `json:"fit,omitempty"`
}

// Values of Config.Fit.
const (
	// FitPad pads (or crops) the clean images to the encoder's size: encoder.Fit.
	FitPad = "pad"
	// FitResize interpolates the clean images to the encoder's size: encoder.Resize.
	FitResize = "resize"
)

// DefaultConfig returns REPA's settings for the SiT configuration s: λ = 0.5; align after block 8 when
// the SiT has at least 16 blocks (REPA's choice for SiT-L/XL), otherwise after block max(1, Depth/2)
// (the tiny preset: block 2 of 4); a projection head 2048 wide when Hidden ≥ 768 (REPA's), otherwise
// 2·Hidden wide, so that the head stays small next to a small SiT.
func DefaultConfig(s sit.Config) Config {
	s = s.WithDefaults()
	k := max(1, s.Depth/2)
	if s.Depth >= 16 {
		k = 8
	}
	p := 2 * s.Hidden
	if s.Hidden >= 768 {
		p = 2048
	}
	return Config{SiT: s, AlignDepth: k, ProjDim: p, Lambda: DefaultLambda}
}

// Validate returns an error naming the first invalid field (the SiT config included).
func (c Config) Validate() error {
	if err := c.SiT.Validate(); err != nil {
		return fmt.Errorf("repa: %w", err)
	}
	s := c.SiT.WithDefaults()
	switch {
	case c.AlignDepth < 1 || c.AlignDepth > s.Depth:
		return fmt.Errorf("repa: AlignDepth %d outside [1, %d] (the SiT's blocks)", c.AlignDepth, s.Depth)
	case c.ProjDim <= 0:
		return fmt.Errorf("repa: ProjDim %d must be positive", c.ProjDim)
	case math.IsNaN(c.Lambda) || math.IsInf(c.Lambda, 0) || c.Lambda < 0:
		return fmt.Errorf("repa: Lambda %v must be a finite number ≥ 0", c.Lambda)
	case c.Fit != "" && c.Fit != FitPad && c.Fit != FitResize:
		return fmt.Errorf("repa: Fit %q must be %q or %q", c.Fit, FitPad, FitResize)
	}
	return nil
}

// String describes the configuration, e.g. "REPA(λ 0.5, block 2, head 256) on SiT(depth 4, …)".
func (c Config) String() string {
	fit := ""
	if c.Fit == FitResize {
		fit = ", images resized for the encoder"
	}
	return fmt.Sprintf("REPA(λ %g, block %d, head %d%s) on %s", c.Lambda, c.AlignDepth, c.ProjDim, fit, c.SiT)
}

// Model is a SiT backbone with a REPA projection head and a frozen encoder. It implements nn.Guidable:
// Velocity and NullCond are SiT's (sampling ignores the head). Train it with an objective wrapped by
// Wrap, which adds the alignment loss.
type Model struct {
	cfg Config
	sit *sit.Model
	enc encoder.Encoder
	// grid is SiT's token grid side.
	grid int
}

var _ nn.Guidable = (*Model)(nil)

// New validates cfg and the encoder and returns the model. The encoder must take SiT's channels; its
// grid may differ from SiT's (tokens are resampled) and so may its image size (images are fitted).
func New(cfg Config, enc encoder.Encoder) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.SiT = cfg.SiT.WithDefaults()
	if enc == nil {
		return nil, fmt.Errorf("repa: no encoder")
	}
	spec := enc.Spec()
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("repa: %w", err)
	}
	if spec.Channels != cfg.SiT.Channels {
		return nil, fmt.Errorf("repa: encoder %s takes %d channels, the SiT's images have %d", spec.Name, spec.Channels,
			cfg.SiT.Channels)
	}
	s, err := sit.New(cfg.SiT)
	if err != nil {
		return nil, fmt.Errorf("repa: %w", err)
	}
	return &Model{cfg: cfg, sit: s, enc: enc, grid: cfg.SiT.Grid()}, nil
}

// Config returns the configuration, SiT defaults applied.
func (m *Model) Config() Config { return m.cfg }

// SiT returns the underlying SiT backbone.
func (m *Model) SiT() *sit.Model { return m.sit }

// Encoder returns the frozen encoder.
func (m *Model) Encoder() encoder.Encoder { return m.enc }

// String describes the model.
func (m *Model) String() string {
	return fmt.Sprintf("%s, encoder %s", m.cfg, m.enc.Spec())
}

// HeadParams returns the number of parameters of the projection head (0 when λ = 0).
func (m *Model) HeadParams() int {
	if m.cfg.Lambda == 0 {
		return 0
	}
	h, p, d := m.cfg.SiT.Hidden, m.cfg.ProjDim, m.enc.Spec().Dim
	return h*p + p + p*p + p + p*d + d
}

// Velocity implements nn.Backbone: SiT's velocity. The projection head is not built.
func (m *Model) Velocity(scope *model.Scope, x, t *Node, cond nn.Cond) *Node {
	return m.sit.Velocity(scope, x, t, cond)
}

// NullCond implements nn.Guidable (SiT's).
func (m *Model) NullCond(cond nn.Cond) nn.Cond { return m.sit.NullCond(cond) }

// Project applies the projection head to hidden tokens [B, N, Hidden] and returns [B, N, encoder Dim].
// Its variables live under scope/HeadScope; call it with the model scope. Weights are Xavier-uniform
// with zero biases (as SiT's linear layers).
func (m *Model) Project(scope *model.Scope, hidden *Node) *Node {
	s := scope.ResetVisited().In(HeadScope).WithInitializer(initializer.XavierUniformFn(scope))
	h := activation.Swish(layers.Dense(s.In("fc0"), hidden, true, m.cfg.ProjDim))
	h = activation.Swish(layers.Dense(s.In("fc1"), h, true, m.cfg.ProjDim))
	return layers.Dense(s.In("fc2"), h, true, m.enc.Spec().Dim)
}

// Targets returns the frozen encoder's tokens of the clean images x1 [B, H, W, C] on SiT's token grid,
// [B, SiT tokens, encoder Dim], behind StopGradient: x1 is fitted (or, with Fit FitResize, resized) to
// the encoder's image size and the tokens are mapped onto SiT's patch grid when they differ (see the
// package documentation). Pixel values
// are clipped to [−1, 1] first.
func (m *Model) Targets(x1 *Node) *Node {
	spec := m.enc.Spec()
	x := x1
	size := m.cfg.SiT.ImageSize
	frame := size // the side of x1's frame as the encoder sees it
	switch {
	case size == spec.ImageSize:
	case m.cfg.Fit == FitResize:
		x, frame = encoder.Resize(x, spec.ImageSize), spec.ImageSize
	default:
		x = encoder.Fit(x, spec.ImageSize)
	}
	y := m.enc.Encode(ClipScalar(x, -1, 1))
	y = encoder.MapTokens(y, spec.ImageSize, spec.Grid, frame, m.grid)
	return StopGradient(ConvertDType(y, x1.DType()))
}

// AlignmentLoss returns REPA's projection loss for projected tokens z and encoder targets y, both
// [B, N, D]: the negative cosine similarity of each token pair, averaged over tokens and the batch, a
// scalar in [−1, 1]. Each vector is divided by max(‖v‖, 1e-12), as torch.nn.functional.normalize does.
func AlignmentLoss(z, y *Node) *Node {
	if z.Rank() != 3 || !z.Shape().Equal(y.Shape()) {
		panic(fmt.Errorf("repa: AlignmentLoss: projections %s and targets %s must both be [B, N, D]", z.Shape(), y.Shape()))
	}
	normalize := func(v *Node) *Node {
		n := Sqrt(ReduceAndKeep(Square(v), ReduceSum, -1))
		return Div(v, MaxScalar(n, 1e-12))
	}
	cos := ReduceSum(Mul(normalize(z), normalize(y)), -1) // [B, N]
	return Neg(ReduceAllMean(cos))
}

// Align runs SiT on (x, t, cond) and returns the velocity and the unweighted alignment loss L of its
// hidden tokens after block AlignDepth against the encoder's tokens of x1. It registers nothing; the
// backbone returned by WithTargets calls it and registers λ·L. scope is the model scope.
func (m *Model) Align(scope *model.Scope, x, t *Node, cond nn.Cond, x1 *Node) (velocity, loss *Node) {
	if !x1.Shape().Equal(x.Shape()) {
		panic(fmt.Errorf("repa: clean images x1 %s and input x %s must have the same shape", x1.Shape(), x.Shape()))
	}
	scope = scope.ResetVisited()
	out := m.sit.Forward(scope, x, t, cond)
	z := m.Project(scope, out.Hidden[m.cfg.AlignDepth])
	return out.Velocity, AlignmentLoss(z, m.Targets(x1))
}

// WithTargets returns a backbone bound to the clean batch x1 of the graph being built: its first
// Velocity call runs Align and registers λ·L with nn.AddAuxLoss(AuxLossName, …); later calls (an
// objective that evaluates the network twice) return SiT's velocity without adding the term again.
// With λ = 0 it is plain SiT. Wrap's objective calls it; use it directly only in custom objectives.
func (m *Model) WithTargets(x1 *Node) nn.Backbone {
	return &bound{m: m, x1: x1}
}

// bound is a Model bound to one graph's clean batch.
type bound struct {
	m    *Model
	x1   *Node
	done bool
}

// Velocity implements nn.Backbone.
func (b *bound) Velocity(scope *model.Scope, x, t *Node, cond nn.Cond) *Node {
	if b.done || b.m.cfg.Lambda == 0 {
		return b.m.Velocity(scope, x, t, cond)
	}
	v, l := b.m.Align(scope, x, t, cond, b.x1)
	nn.AddAuxLoss(AuxLossName, MulScalar(l, b.m.cfg.Lambda))
	b.done = true
	return v
}

// NullCond implements nn.Guidable.
func (b *bound) NullCond(cond nn.Cond) nn.Cond { return b.m.NullCond(cond) }

// Binder is implemented by backbones that need the clean batch during training (Model).
type Binder interface {
	// WithTargets returns the backbone bound to the clean batch x1 of the graph being built.
	WithTargets(x1 *Node) nn.Backbone
}
