package oracle

import (
	"fmt"
	"math"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// Perturbed is a backbone with a controlled error: v'(x, t) = Scale·v(x, t) + Bias, where v is Base's
// velocity. It creates exposure bias on purpose, for Slow Flow tests and demos:
//
//   - Scale < 1 makes the sampler lag behind the true flow: for a point-mass target μ the velocity is
//     (μ − x)/(1 − t), and the scaled ODE gives x_t − μ = (x0 − μ)(1 − t)^Scale, i.e. the sample sits at the
//     interpolation time m = 1 − (1 − t)^Scale < t (a "slow flow").
//   - Scale > 1 overshoots (m > t); Bias adds a constant drift.
//
// Build one with NewPerturbed, which keeps nn.Guidable when Base has it.
type Perturbed struct {
	// Base is the backbone whose velocity is perturbed.
	Base nn.Backbone
	// Scale multiplies Base's velocity.
	Scale float64
	// Bias is added to the scaled velocity: one value per example dimension, or a single value for all.
	Bias []float64
}

var _ nn.Backbone = (*Perturbed)(nil)

// GuidablePerturbed is a Perturbed whose Base implements nn.Guidable; NullCond is delegated to Base.
type GuidablePerturbed struct {
	Perturbed
}

var _ nn.Guidable = (*GuidablePerturbed)(nil)

// NewPerturbed returns base with velocity scale·v + bias. bias may be nil (no bias), a single value, or
// one value per example dimension (checked when the graph is built). The result implements nn.Guidable
// when base does.
func NewPerturbed(base nn.Backbone, scale float64, bias []float64) (nn.Backbone, error) {
	if base == nil {
		return nil, fmt.Errorf("oracle: NewPerturbed: base backbone is nil")
	}
	if math.IsNaN(scale) || math.IsInf(scale, 0) {
		return nil, fmt.Errorf("oracle: NewPerturbed: scale %v is not finite", scale)
	}
	for i, b := range bias {
		if math.IsNaN(b) || math.IsInf(b, 0) {
			return nil, fmt.Errorf("oracle: NewPerturbed: bias[%d] = %v is not finite", i, b)
		}
	}
	p := Perturbed{Base: base, Scale: scale, Bias: append([]float64(nil), bias...)}
	if _, ok := base.(nn.Guidable); ok {
		return &GuidablePerturbed{p}, nil
	}
	return &p, nil
}

// Velocity implements nn.Backbone.
func (p *Perturbed) Velocity(scope *model.Scope, x, t *Node, cond nn.Cond) *Node {
	if p.Base == nil {
		exceptions.Panicf("oracle.Perturbed: Base is nil")
	}
	v := MulScalar(p.Base.Velocity(scope, x, t, cond), p.Scale)
	switch len(p.Bias) {
	case 0:
		return v
	case 1:
		return AddScalar(v, p.Bias[0])
	default:
		if d := perExample(x); d != len(p.Bias) {
			exceptions.Panicf("oracle.Perturbed: Bias has %d values, x has %d per example (shape %s)", len(p.Bias), d, x.Shape())
		}
		return Add(v, exampleConst(x, p.Bias))
	}
}

// NullCond implements nn.Guidable by delegating to Base.
func (p *GuidablePerturbed) NullCond(cond nn.Cond) nn.Cond {
	return p.Base.(nn.Guidable).NullCond(cond)
}
