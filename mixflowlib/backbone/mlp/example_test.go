package mlp_test

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/mixflowlib/backbone/mlp"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// A class-conditional MLP for the 8-Gaussians toy: build it, then evaluate the velocity of a batch with one
// label per row (nn.NullLabel = −1 is the unconditional "null" class used by classifier-free guidance).
func Example() {
	net, err := mlp.New(mlp.Config{Width: 128, Depth: 3, NumClasses: 8})
	if err != nil {
		panic(err)
	}
	fmt.Println(net.Config())

	store := model.NewStore()
	store.RootScope().SetParam(model.ParamInitialSeed, int64(1))
	x := tensors.FromValue([][]float32{{0.1, -0.3}, {1.2, 0.4}, {-0.5, 0.9}})
	t := tensors.FromValue([]float32{0.0, 0.5, 0.9})
	labels := tensors.FromValue([]int32{3, 7, nn.NullLabel})
	v := model.MustCallOnce(backend.Must(), store, func(scope *model.Scope, x, t, labels *Node) *Node {
		return net.Velocity(scope.In("model"), x, t, nn.Cond{Labels: labels})
	}, x, t, labels)
	fmt.Println("velocity:", v.Shape())
	// Output:
	// mlp(dim=2,width=128,depth=3,silu,classes=8,params=46242)
	// velocity: (Float32)[3, 2]
}

// The wide preset for 256-D vector data: residual, width 2·D.
func ExampleWide() {
	cfg := mlp.Wide(256)
	fmt.Println(cfg)
	// Output:
	// mlp(dim=256,width=512,depth=3,silu,residual,params=1974016)
}
