package encoder

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	gnn "github.com/gomlx/gomlx/ml/nn"

	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// ViTConfig is the architecture of the project's encoder: a pre-LayerNorm Vision Transformer.
//
//	x [B, S, S, C] → p×p patches → Dense(p²C → Width) + fixed 2-D sin-cos position embedding
//	→ Depth × { h += Attn(LN(h));  h += MLP(LN(h)) (GELU-tanh) } → LN → tokens [B, (S/p)², Width]
//
// The LayerNorms have a learned gain and offset; attention is multi-head with a fused qkv projection.
type ViTConfig struct {
	// ImageSize is the input side S. Default 28 (Fashion-MNIST's own size).
	ImageSize int `json:"image_size"`
	// Channels is the number of input channels. Default 1.
	Channels int `json:"channels"`
	// PatchSize is the side p of the patches; ImageSize must be a multiple of it. Default 7 (4×4 grid).
	PatchSize int `json:"patch_size"`
	// Width is the token width, also the output Dim; a multiple of 4 and of Heads. Default 64.
	Width int `json:"width"`
	// Depth is the number of transformer blocks. Default 3.
	Depth int `json:"depth"`
	// Heads is the number of attention heads. Default 4.
	Heads int `json:"heads"`
	// MLPRatio is the hidden width of each block's MLP relative to Width. Default 2.
	MLPRatio int `json:"mlp_ratio"`
}

// DefaultViTConfig returns the architecture of the shipped encoder.
func DefaultViTConfig() ViTConfig {
	return ViTConfig{ImageSize: 28, Channels: 1, PatchSize: 7, Width: 64, Depth: 3, Heads: 4, MLPRatio: 2}
}

// layerNormEps is the epsilon of the encoder's LayerNorms (PyTorch's default).
const layerNormEps = 1e-5

// Validate returns an error naming the first invalid field.
func (c ViTConfig) Validate() error {
	if err := nn.CheckPositive("encoder: ViTConfig.", "ImageSize Channels PatchSize Width Depth Heads MLPRatio",
		c.ImageSize, c.Channels, c.PatchSize, c.Width, c.Depth, c.Heads, c.MLPRatio); err != nil {
		return err
	}
	switch {
	case c.ImageSize%c.PatchSize != 0:
		return fmt.Errorf("encoder: ViTConfig.ImageSize %d is not a multiple of PatchSize %d", c.ImageSize, c.PatchSize)
	case c.Width%4 != 0:
		return fmt.Errorf("encoder: ViTConfig.Width %d must be a multiple of 4 (2-D sin-cos position embedding)", c.Width)
	case c.Width%c.Heads != 0:
		return fmt.Errorf("encoder: ViTConfig.Width %d is not divisible by Heads %d", c.Width, c.Heads)
	}
	return nil
}

// Grid returns ImageSize / PatchSize.
func (c ViTConfig) Grid() int { return c.ImageSize / c.PatchSize }

// Name returns the architecture name recorded in Spec and in weight files, e.g. "vit-s28-c1-p7-w64-d3-h4-m2".
func (c ViTConfig) Name() string {
	return fmt.Sprintf("vit-s%d-c%d-p%d-w%d-d%d-h%d-m%d", c.ImageSize, c.Channels, c.PatchSize, c.Width, c.Depth,
		c.Heads, c.MLPRatio)
}

// ParamShapes returns the path (relative to the encoder's scope) and dimensions of every encoder weight.
func (c ViTConfig) ParamShapes() map[string][]int {
	w, m := c.Width, c.Width*c.MLPRatio
	p2c := c.PatchSize * c.PatchSize * c.Channels
	out := map[string][]int{
		"patch_embed/weights": {p2c, w}, "patch_embed/biases": {w},
		"norm/gain": {w}, "norm/offset": {w},
	}
	for i := range c.Depth {
		b := fmt.Sprintf("blocks_%d/", i)
		out[b+"norm1/gain"], out[b+"norm1/offset"] = []int{w}, []int{w}
		out[b+"attn/qkv/weights"], out[b+"attn/qkv/biases"] = []int{w, 3 * w}, []int{3 * w}
		out[b+"attn/proj/weights"], out[b+"attn/proj/biases"] = []int{w, w}, []int{w}
		out[b+"norm2/gain"], out[b+"norm2/offset"] = []int{w}, []int{w}
		out[b+"mlp/fc1/weights"], out[b+"mlp/fc1/biases"] = []int{w, m}, []int{m}
		out[b+"mlp/fc2/weights"], out[b+"mlp/fc2/biases"] = []int{m, w}, []int{w}
	}
	return out
}

// NumParams returns the number of encoder weights.
func (c ViTConfig) NumParams() int {
	n := 0
	for _, d := range c.ParamShapes() {
		k := 1
		for _, v := range d {
			k *= v
		}
		n += k
	}
	return n
}

// params hands the network its weights: variables while training, constants when frozen.
type params interface {
	get(g *Graph, name string, dims []int) *Node
}

// constParams serves frozen weights as graph constants (cached per graph, so repeated Encode calls in one
// graph share them).
type constParams map[string]*tensors.Tensor

func (p constParams) get(g *Graph, name string, dims []int) *Node {
	t, ok := p[name]
	if !ok || !slices.Equal(t.Shape().Dimensions, dims) {
		panic(fmt.Errorf("encoder: weight %q with dimensions %v missing", name, dims))
	}
	return ConstCachedTensor(g, t)
}

// varParams creates trainable variables below root in the Store: Xavier-uniform dense weights (as timm's
// ViT), zero biases and offsets, unit gains.
type varParams struct {
	store *model.Store
	root  string
}

func (p varParams) get(g *Graph, name string, dims []int) *Node {
	shape := shapes.Make(dtypes.Float32, dims...)
	var init model.VariableInitializer
	switch {
	case strings.HasSuffix(name, "/weights"):
		init = initializer.XavierUniformFn(p.store)
	case strings.HasSuffix(name, "/gain"):
		init = initializer.One
	default:
		init = initializer.Zero
	}
	return p.store.VariableWithShape(p.root+"/"+name, shape, init).NodeValue(g)
}

// forward is the ViT on images x [B, S, S, C]. If mask (bool [B, N]) is given, the patch embeddings of the
// masked tokens are replaced by maskToken [Width] before the position embedding (SimMIM-style).
func (c ViTConfig) forward(p params, x, mask, maskToken *Node) *Node {
	g := x.Graph()
	w, grid := c.Width, c.Grid()
	dense := func(name string, h *Node, in, out int) *Node {
		return gnn.Dense(h, p.get(g, name+"/weights", []int{in, out}), p.get(g, name+"/biases", []int{out}),
			compute.DenseLayoutInputOutputs)
	}
	norm := func(name string, h *Node) *Node {
		return gnn.LayerNorm(h, []int{-1}, layerNormEps, p.get(g, name+"/gain", []int{w}), p.get(g, name+"/offset", []int{w}), nil)
	}
	h := dense("patch_embed", nn.Patchify(x, c.PatchSize), c.PatchSize*c.PatchSize*c.Channels, w)
	if mask != nil {
		h = Where(InsertAxes(mask, -1), BroadcastToShape(Reshape(maskToken, 1, 1, w), h.Shape()), h)
	}
	h = Add(h, nn.PosEmbed2DConst(h, grid, grid, w))
	b, n := h.Shape().Dimensions[0], h.Shape().Dimensions[1]
	heads, hd := c.Heads, w/c.Heads
	for i := range c.Depth {
		pre := fmt.Sprintf("blocks_%d/", i)
		a := norm(pre+"norm1", h)
		qkv := Reshape(dense(pre+"attn/qkv", a, w, 3*w), b, n, 3, heads, hd)
		qkv = TransposeAllAxes(qkv, 2, 0, 3, 1, 4) // [3, B, heads, N, hd]
		parts := Split(qkv, 0, 3)
		q := MulScalar(Reshape(parts[0], b, heads, n, hd), 1/math.Sqrt(float64(hd)))
		k := Reshape(parts[1], b, heads, n, hd)
		v := Reshape(parts[2], b, heads, n, hd)
		att := Softmax(Einsum("bhqd,bhkd->bhqk", q, k), -1)
		o := Reshape(TransposeAllAxes(Einsum("bhqk,bhkd->bhqd", att, v), 0, 2, 1, 3), b, n, w)
		h = Add(h, dense(pre+"attn/proj", o, w, w))
		m := activation.GeluApproximate(dense(pre+"mlp/fc1", norm(pre+"norm2", h), w, w*c.MLPRatio))
		h = Add(h, dense(pre+"mlp/fc2", m, w*c.MLPRatio, w))
	}
	return norm("norm", h)
}

// ViT is the project's frozen encoder: a ViTConfig with fixed weights. It implements Encoder. Build it
// with Default, Load or Train.
type ViT struct {
	cfg         ViTConfig
	weights     constParams
	fingerprint string
	meta        map[string]any
}

var _ Encoder = (*ViT)(nil)

// NewViT returns a frozen encoder with the given weights, keyed by their paths relative to the encoder
// (ViTConfig.ParamShapes). Every weight must be present with its shape and finite; extra entries are an
// error. The tensors are copied, so later changes to them do not affect the encoder.
func NewViT(cfg ViTConfig, weights map[string]*tensors.Tensor) (*ViT, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	want := cfg.ParamShapes()
	for name := range weights {
		if _, ok := want[name]; !ok {
			return nil, fmt.Errorf("encoder: unexpected weight %q for %s", name, cfg.Name())
		}
	}
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	own := make(constParams, len(want))
	for _, name := range names {
		t, ok := weights[name]
		if !ok || t == nil {
			return nil, fmt.Errorf("encoder: weight %q missing for %s", name, cfg.Name())
		}
		if t.DType() != dtypes.Float32 || !slices.Equal(t.Shape().Dimensions, want[name]) {
			return nil, fmt.Errorf("encoder: weight %q has shape %s, want float32 %v", name, t.Shape(), want[name])
		}
		vals, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return nil, fmt.Errorf("encoder: weight %q: %w", name, err)
		}
		for i, v := range vals {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("encoder: weight %q[%d] is %v", name, i, v)
			}
		}
		own[name] = tensors.FromFlatDataAndDimensions(vals, want[name]...)
	}
	return &ViT{cfg: cfg, weights: own, fingerprint: fingerprint(names, own)}, nil
}

// Config returns the architecture.
func (v *ViT) Config() ViTConfig { return v.cfg }

// Spec implements Encoder.
func (v *ViT) Spec() Spec {
	return Spec{Name: v.cfg.Name(), Fingerprint: v.fingerprint, ImageSize: v.cfg.ImageSize, Channels: v.cfg.Channels,
		Grid: v.cfg.Grid(), Dim: v.cfg.Width}
}

// Fingerprint returns the hex SHA-256 of the weights (names, shapes and values).
func (v *ViT) Fingerprint() string { return v.fingerprint }

// Weights returns copies of the weights, keyed by their paths relative to the encoder.
func (v *ViT) Weights() map[string]*tensors.Tensor {
	out := make(map[string]*tensors.Tensor, len(v.weights))
	for k, t := range v.weights {
		vals, _ := tensors.CopyFlatData[float32](t)
		out[k] = tensors.FromFlatDataAndDimensions(vals, t.Shape().Dimensions...)
	}
	return out
}

// Meta returns the metadata the weights were saved with (training configuration, measured accuracy and
// reconstruction error), or nil.
func (v *ViT) Meta() map[string]any { return v.meta }

// Encode implements Encoder: images [B, ImageSize, ImageSize, Channels] (float32 or another float dtype,
// computed in float32) → tokens [B, Grid², Width], the final LayerNorm's output, behind StopGradient.
func (v *ViT) Encode(images *Node) *Node {
	if err := CheckImagesShape(v.Spec(), images.Shape().Dimensions); err != nil {
		panic(err)
	}
	if !images.DType().IsFloat() {
		panic(fmt.Errorf("encoder: %s: images have dtype %s, want a float dtype", v.cfg.Name(), images.DType()))
	}
	x := StopGradient(ConvertDType(images, dtypes.Float32))
	return StopGradient(v.cfg.forward(v.weights, x, nil, nil))
}
