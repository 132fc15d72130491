package sit_test

import (
	"math/rand"
	"testing"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// randImages returns b random images in [-1, 1] for cfg, flat NHWC.
func randImages(rng *rand.Rand, cfg sit.Config, b int) *tensors.Tensor {
	c := cfg.WithDefaults()
	return graphtest.RandImages(rng, b, c.ImageSize, c.Channels)
}

func labelTensor(labels ...int32) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(labels, len(labels))
}

// newAdamStep compiles one Adam step of graphtest.FlowLoss for net, class-conditional or not.
func newAdamStep(tb testing.TB, b compute.Backend, store *model.Store, net nn.Backbone, lr float64, conditional bool) *graphtest.AdamStep {
	tb.Helper()
	if conditional {
		return graphtest.NewAdamStep(tb, b, store, net, lr, graphtest.Labels)
	}
	return graphtest.NewAdamStep(tb, b, store, net, lr, nil)
}

// forwardExec compiles Forward and returns [velocity, Hidden..., Cond, Pooled].
func forwardExec(tb testing.TB, b compute.Backend, store *model.Store, m *sit.Model, withLabels bool) *model.Exec {
	tb.Helper()
	exec, err := model.NewExec(b, store, func(scope *model.Scope, in []*Node) []*Node {
		var cond nn.Cond
		if withLabels {
			cond.Labels = in[2]
		}
		o := m.Forward(scope.In("model"), in[0], in[1], cond)
		out := append([]*Node{o.Velocity}, o.Hidden...)
		return append(out, o.Cond, o.Pooled)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return exec
}
