// Package nn holds what every MixFlow backbone shares: the Backbone contract that objectives and
// samplers are written against, the conditioning record, and the small building blocks (timestep
// embeddings, position embeddings, adaLN modulation) that several backbones use.
//
// Time convention: t is the paper's and SiT's, t = 0 is noise and t = 1 is data,
// x_t = t·x1 + (1−t)·x0 for the linear path.
package nn

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/model"
)

// NullLabel is the class label that means "no class" for class-conditional backbones: label dropout
// during training and the unconditional branch of classifier-free guidance use it. Backbones map it to
// their extra embedding row (index NumClasses).
const NullLabel = -1

// Cond is the conditioning of one batch. Fields a backbone does not use are nil.
type Cond struct {
	// Labels holds int32 class labels, shape [B]. NullLabel means unconditional.
	Labels *Node
	// Tokens holds int32 caption token ids, shape [B, L], for text-conditioned backbones.
	// Token 0 is padding; an all-padding row is the null caption.
	Tokens *Node
}

// Backbone predicts the velocity field v_θ(x, t | cond).
//
// Implementations must be callable several times while building one graph (Heun takes two
// evaluations, guidance may evaluate twice): start with scope = scope.ResetVisited() and create
// sub-scopes with In() from that copy, so the caller's scope is never marked as visited.
type Backbone interface {
	// Velocity returns v_θ(x, t | cond) with the shape and dtype of x.
	// x has shape [B, ...]; t is float32 with shape [B], in paper time (0 noise, 1 data).
	Velocity(scope *model.Scope, x, t *Node, cond Cond) *Node
}

// Guidable is implemented by conditional backbones that support classifier-free guidance:
// NullCond returns the unconditional counterpart of cond (null labels, null captions) with the
// same batch size.
type Guidable interface {
	Backbone
	NullCond(cond Cond) Cond
}

// Inferable is implemented by backbones that have a faster graph for evaluation without gradients:
// ForInference returns a backbone that reads the same variables and computes, bit for bit, the same
// velocities, but whose graph is not meant to be differentiated (its gradients, if taken, may be summed
// in another order). Samplers use it; training uses the backbone itself.
type Inferable interface {
	Backbone
	ForInference() Backbone
}
