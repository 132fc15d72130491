package rae

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/mixflowlib/checkpoint"
)

// DefaultStatsEps is RAE's eps in z' = (z − μ)/√(σ² + eps).
const DefaultStatsEps = 1e-5

// MinVariance is the variance at or below which a latent element counts as constant over the training set.
// Such an element carries no information (a dead encoder feature); normalising it would divide rounding
// noise by √eps, so Stats refuses it.
const MinVariance = 1e-12

// statsKind is the metadata tag of a Stats file.
const statsKind = "rae-latent-stats"

// Stats are RAE's per-element latent normalisation statistics: for every token n and channel d, the mean and
// (population) variance of z[n, d] over the training images. Normalize maps z to (z − Mean)/√(Var + Eps).
// Mean and Var are row-major [Tokens, Dim] (index n·Dim + d). Build them with a StatsAccumulator; save
// them next to the model with Save (the DiT is trained on latents normalised with exactly these values).
type Stats struct {
	// Tokens is the number of latent tokens N (Grid²).
	Tokens int
	// Dim is the token width D.
	Dim int
	// Mean and Var hold the per-element mean and variance, length Tokens·Dim.
	Mean, Var []float64
	// Eps is added to Var before the square root (RAE: 1e-5).
	Eps float64
	// Count is the number of latents (images) the statistics were computed from.
	Count int64
	// Encoder identifies the encoder the statistics belong to (its Spec().Fingerprint, or a name).
	Encoder string
}

// Validate returns an error naming the first problem: sizes, non-finite values, a negative or zero
// variance (see MinVariance), a non-positive eps.
func (s *Stats) Validate() error {
	if s == nil {
		return fmt.Errorf("rae: stats are nil")
	}
	if s.Tokens <= 0 || s.Dim <= 0 {
		return fmt.Errorf("rae: stats have %d tokens × %d channels, both must be positive", s.Tokens, s.Dim)
	}
	n := s.Tokens * s.Dim
	if len(s.Mean) != n || len(s.Var) != n {
		return fmt.Errorf("rae: stats mean (%d values) and var (%d values) must both hold %d×%d = %d values",
			len(s.Mean), len(s.Var), s.Tokens, s.Dim, n)
	}
	if !(s.Eps > 0) || math.IsInf(s.Eps, 0) {
		return fmt.Errorf("rae: stats eps %v must be finite and > 0", s.Eps)
	}
	zero := 0
	first := -1
	for i := range n {
		m, v := s.Mean[i], s.Var[i]
		if math.IsNaN(m) || math.IsInf(m, 0) || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fmt.Errorf("rae: stats element (token %d, channel %d) has mean %v and variance %v: want finite values and variance ≥ 0",
				i/s.Dim, i%s.Dim, m, v)
		}
		if v <= MinVariance {
			if first < 0 {
				first = i
			}
			zero++
		}
	}
	if zero > 0 {
		return fmt.Errorf("rae: %d of %d latent elements have zero variance over %d images (first: token %d, channel %d, value %v): "+
			"the encoder output is constant there, a dead feature that normalisation cannot scale",
			zero, n, s.Count, first/s.Dim, first%s.Dim, s.Mean[first])
	}
	return nil
}

// Fingerprint returns a hex SHA-256 of the statistics (sizes, eps and every mean and variance), for cache
// keys and data-source names: it changes whenever the normalisation does.
func (s *Stats) Fingerprint() string {
	h := sha256.New()
	var buf [8]byte
	put := func(v uint64) {
		binary.LittleEndian.PutUint64(buf[:], v)
		h.Write(buf[:])
	}
	put(uint64(s.Tokens))
	put(uint64(s.Dim))
	put(math.Float64bits(s.Eps))
	for _, v := range s.Mean {
		put(math.Float64bits(v))
	}
	for _, v := range s.Var {
		put(math.Float64bits(v))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Scales returns √(Var + Eps) per element, the divisor of Normalize.
func (s *Stats) Scales() []float64 {
	out := make([]float64, len(s.Var))
	for i, v := range s.Var {
		out[i] = math.Sqrt(v + s.Eps)
	}
	return out
}

// checkLatentShape returns the batch size of a latent tensor [B, Tokens, Dim] or [B, G, G, Dim] (any shape
// [B, …] whose trailing dimensions hold Tokens·Dim values and end with Dim).
func (s *Stats) checkLatentShape(dims []int, dtype dtypes.DType) (int, error) {
	if dtype != dtypes.Float32 {
		return 0, fmt.Errorf("rae: latents have dtype %s, want float32", dtype)
	}
	if len(dims) < 2 || dims[len(dims)-1] != s.Dim {
		return 0, fmt.Errorf("rae: latents of shape %v do not end with the width %d (want [B, %d, %d] or [B, G, G, %d])",
			dims, s.Dim, s.Tokens, s.Dim, s.Dim)
	}
	per := 1
	for _, d := range dims[1:] {
		per *= d
	}
	if per != s.Tokens*s.Dim || dims[0] <= 0 {
		return 0, fmt.Errorf("rae: latents of shape %v do not hold %d tokens × %d channels per sample", dims, s.Tokens, s.Dim)
	}
	return dims[0], nil
}

// Normalize returns (z − Mean)/√(Var + Eps) for a float32 latent batch [B, Tokens, Dim] (or [B, G, G, Dim]),
// in a new tensor of the same shape. NaN or ±Inf in z is an error naming the sample and element.
func (s *Stats) Normalize(z *tensors.Tensor) (*tensors.Tensor, error) {
	return s.apply(z, true)
}

// Denormalize inverts Normalize: z·√(Var + Eps) + Mean.
func (s *Stats) Denormalize(z *tensors.Tensor) (*tensors.Tensor, error) {
	return s.apply(z, false)
}

func (s *Stats) apply(z *tensors.Tensor, forward bool) (*tensors.Tensor, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if z == nil {
		return nil, fmt.Errorf("rae: latents are nil")
	}
	if _, err := s.checkLatentShape(z.Shape().Dimensions, z.DType()); err != nil {
		return nil, err
	}
	data, err := tensors.CopyFlatData[float32](z)
	if err != nil {
		return nil, fmt.Errorf("rae: reading latents: %w", err)
	}
	scales := s.Scales()
	per := s.Tokens * s.Dim
	for i, v := range data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			e := i % per
			return nil, fmt.Errorf("rae: latent value %v at sample %d, token %d, channel %d is not finite", v, i/per, e/s.Dim, e%s.Dim)
		}
		e := i % per
		if forward {
			data[i] = float32((float64(v) - s.Mean[e]) / scales[e])
		} else {
			data[i] = float32(float64(v)*scales[e] + s.Mean[e])
		}
	}
	return tensors.FromFlatDataAndDimensions(data, z.Shape().Dimensions...), nil
}

// constants returns Mean and √(Var + Eps) as graph constants of shape [1, …] matching z's trailing axes.
func (s *Stats) constants(z *Node) (mean, scale *Node) {
	if err := s.Validate(); err != nil {
		panic(err)
	}
	if _, err := s.checkLatentShape(z.Shape().Dimensions, z.DType()); err != nil {
		panic(err)
	}
	dims := append([]int{1}, z.Shape().Dimensions[1:]...)
	m := make([]float32, len(s.Mean))
	sc := make([]float32, len(s.Var))
	for i, v := range s.Scales() {
		m[i], sc[i] = float32(s.Mean[i]), float32(v)
	}
	g := z.Graph()
	return ConstTensor(g, tensors.FromFlatDataAndDimensions(m, dims...)), ConstTensor(g, tensors.FromFlatDataAndDimensions(sc, dims...))
}

// NormalizeGraph is Normalize inside a graph, for float32 z of shape [B, Tokens, Dim] or [B, G, G, Dim].
// The statistics enter as constants. It panics (GoMLX style) on a shape that does not fit.
func (s *Stats) NormalizeGraph(z *Node) *Node {
	mean, scale := s.constants(z)
	return Div(Sub(z, mean), scale)
}

// DenormalizeGraph is Denormalize inside a graph.
func (s *Stats) DenormalizeGraph(z *Node) *Node {
	mean, scale := s.constants(z)
	return Add(Mul(z, scale), mean)
}

// Save writes the statistics to a checksummed checkpoint file (mixflowlib/checkpoint) at path.
func (s *Stats) Save(path string) error {
	if err := s.Validate(); err != nil {
		return err
	}
	vars := []checkpoint.Variable{
		{Path: "/rae/stats/mean", Value: tensors.FromFlatDataAndDimensions(append([]float64(nil), s.Mean...), s.Tokens, s.Dim)},
		{Path: "/rae/stats/var", Value: tensors.FromFlatDataAndDimensions(append([]float64(nil), s.Var...), s.Tokens, s.Dim)},
	}
	meta := checkpoint.Metadata{"kind": statsKind, "eps": s.Eps, "count": s.Count, "encoder": s.Encoder}
	if err := checkpoint.Write(path, vars, meta); err != nil {
		return fmt.Errorf("rae: saving stats: %w", err)
	}
	return nil
}

// LoadStats reads statistics written by Stats.Save and validates them. A file that is not a stats file, is
// corrupt (checksum), or holds invalid statistics is an error naming the file.
func LoadStats(path string) (*Stats, error) {
	ck, err := checkpoint.Read(path)
	if err != nil {
		return nil, fmt.Errorf("rae: loading stats: %w", err)
	}
	var kind string
	if err := ck.Header.Metadata.Decode("kind", &kind); err != nil || kind != statsKind {
		return nil, fmt.Errorf("rae: %s is not a latent statistics file (kind %q, want %q)", path, kind, statsKind)
	}
	s := &Stats{}
	if err := ck.Header.Metadata.Decode("eps", &s.Eps); err != nil {
		return nil, fmt.Errorf("rae: stats file %s: %w", path, err)
	}
	if err := ck.Header.Metadata.Decode("count", &s.Count); err != nil {
		return nil, fmt.Errorf("rae: stats file %s: %w", path, err)
	}
	_ = ck.Header.Metadata.Decode("encoder", &s.Encoder)
	for _, p := range []struct {
		path string
		dst  *[]float64
	}{{"/rae/stats/mean", &s.Mean}, {"/rae/stats/var", &s.Var}} {
		t, ok := ck.Get(p.path)
		if !ok {
			return nil, fmt.Errorf("rae: stats file %s has no variable %s", path, p.path)
		}
		if t.DType() != dtypes.Float64 || t.Rank() != 2 {
			return nil, fmt.Errorf("rae: stats file %s: %s has shape %s, want float64 [tokens, dim]", path, p.path, t.Shape())
		}
		s.Tokens, s.Dim = t.Shape().Dimensions[0], t.Shape().Dimensions[1]
		v, err := tensors.CopyFlatData[float64](t)
		if err != nil {
			return nil, fmt.Errorf("rae: stats file %s: %w", path, err)
		}
		*p.dst = v
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("rae: stats file %s: %w", path, err)
	}
	return s, nil
}

// StatsAccumulator computes Stats in one pass over the training latents with Welford's update in float64
// (exact zero variance for a constant element, no cancellation for large means).
type StatsAccumulator struct {
	tokens, dim int
	n           int64
	mean, m2    []float64
}

// NewStatsAccumulator returns an empty accumulator for latents of tokens × dim values.
func NewStatsAccumulator(tokens, dim int) (*StatsAccumulator, error) {
	if tokens <= 0 || dim <= 0 {
		return nil, fmt.Errorf("rae: stats accumulator needs positive tokens and dim, got %d × %d", tokens, dim)
	}
	return &StatsAccumulator{tokens: tokens, dim: dim, mean: make([]float64, tokens*dim), m2: make([]float64, tokens*dim)}, nil
}

// Count returns the number of latents added so far.
func (a *StatsAccumulator) Count() int64 { return a.n }

// Add adds a float32 latent batch [B, Tokens, Dim] (or [B, G, G, Dim]). NaN or ±Inf is an error, and the
// batch is then not added.
func (a *StatsAccumulator) Add(z *tensors.Tensor) error {
	if z == nil {
		return fmt.Errorf("rae: latents are nil")
	}
	probe := &Stats{Tokens: a.tokens, Dim: a.dim}
	b, err := probe.checkLatentShape(z.Shape().Dimensions, z.DType())
	if err != nil {
		return err
	}
	data, err := tensors.CopyFlatData[float32](z)
	if err != nil {
		return fmt.Errorf("rae: reading latents: %w", err)
	}
	return a.AddFlat(data, b)
}

// AddFlat adds b latents given as a flat row-major float32 slice of b·Tokens·Dim values.
func (a *StatsAccumulator) AddFlat(data []float32, b int) error {
	per := a.tokens * a.dim
	if b <= 0 || len(data) != b*per {
		return fmt.Errorf("rae: %d latent values are not %d latents of %d×%d", len(data), b, a.tokens, a.dim)
	}
	for i, v := range data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			e := i % per
			return fmt.Errorf("rae: latent value %v at sample %d, token %d, channel %d is not finite", v, i/per, e/a.dim, e%a.dim)
		}
	}
	for k := range b {
		a.n++
		inv := 1 / float64(a.n)
		row := data[k*per : (k+1)*per]
		for i, v := range row {
			x := float64(v)
			d := x - a.mean[i]
			a.mean[i] += d * inv
			a.m2[i] += d * (x - a.mean[i])
		}
	}
	return nil
}

// Stats returns the statistics of everything added so far (population variance), with the given eps
// (0 means DefaultStatsEps) and encoder tag. It needs at least two latents, and fails if an element has
// zero variance (see Stats.Validate).
func (a *StatsAccumulator) Stats(eps float64, encoder string) (*Stats, error) {
	if a.n < 2 {
		return nil, fmt.Errorf("rae: latent statistics need at least 2 latents, got %d", a.n)
	}
	if eps == 0 {
		eps = DefaultStatsEps
	}
	s := &Stats{Tokens: a.tokens, Dim: a.dim, Mean: append([]float64(nil), a.mean...), Var: make([]float64, len(a.m2)),
		Eps: eps, Count: a.n, Encoder: encoder}
	for i, m2 := range a.m2 {
		s.Var[i] = m2 / float64(a.n)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}
