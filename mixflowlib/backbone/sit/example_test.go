package sit_test

import (
	"fmt"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// A preset, adjusted to the data, becomes a Model; its parameters are counted without building it.
func ExampleNew() {
	cfg, err := sit.Preset("tiny") // 4 blocks, 128 wide, 4 heads, patch 4, 32×32×1, 10 classes
	if err != nil {
		panic(err)
	}
	cfg.ImageSize = 28 // unpadded Fashion-MNIST: a 7×7 grid of 4×4 patches
	m, err := sit.New(cfg)
	if err != nil {
		panic(err)
	}
	fmt.Println(m)
	fmt.Println(m.Config().NumTokens(), "tokens")
	// Output:
	// SiT(depth 4, hidden 128, heads 4, patch 4, 28×28×1, 10 classes), 1275408 parameters
	// 49 tokens
}

// SiT-XL/2 on 256×256 ImageNet (32×32×4 SD-VAE latents) has ≈ 675 M parameters, as in the SiT paper.
func ExampleConfig_ParamCounts() {
	cfg, _ := sit.Preset("SiT-XL/2")
	pc, err := cfg.ParamCounts()
	if err != nil {
		panic(err)
	}
	fmt.Printf("blocks %d, embeddings %d, final layer %d\n", pc.Blocks, pc.PatchEmbed+pc.TimeEmbed+pc.LabelEmbed, pc.FinalLayer)
	fmt.Printf("total %d (%.1f M)\n", pc.Total, float64(pc.Total)/1e6)
	// Output:
	// blocks 669344256, embeddings 2797056, final layer 2674960
	// total 674816272 (674.8 M)
}

// Velocity is what objectives and samplers call (nn.Backbone). Thanks to adaLN-Zero a fresh model
// predicts exactly zero velocity.
func ExampleModel_Velocity() {
	m, err := sit.New(sit.Config{Depth: 2, Hidden: 64, Heads: 2, NumClasses: 10})
	if err != nil {
		panic(err)
	}
	store := model.NewStore()
	store.SetParam(model.ParamInitialSeed, int64(1))
	velocity := func(scope *model.Scope, x, t, labels *Node) *Node {
		return m.Velocity(scope.In("model"), x, t, nn.Cond{Labels: labels})
	}
	x := tensors.FromFlatDataAndDimensions(make([]float32, 2*32*32), 2, 32, 32, 1)
	t := tensors.FromValue([]float32{0.25, 0.75})
	labels := tensors.FromValue([]int32{3, nn.NullLabel})
	v, err := model.CallOnce(backend.Must(), store, velocity, x, t, labels)
	if err != nil {
		panic(err)
	}
	fmt.Println(v.Shape())
	fmt.Println(v.Value().([][][][]float32)[1][31][31][0])
	// Output:
	// (Float32)[2, 32, 32, 1]
	// 0
}

// Forward also returns the hidden tokens after every block, e.g. for REPA's alignment loss on the
// tokens after block k, and pooled features; outputs that are not used are not computed.
func ExampleModel_Forward() {
	m, err := sit.New(sit.Config{Depth: 3, Hidden: 64, Heads: 2})
	if err != nil {
		panic(err)
	}
	const k = 2 // REPA's encoder_depth
	forward := func(scope *model.Scope, x, t *Node) (*Node, *Node, *Node) {
		out := m.Forward(scope.In("model"), x, t, nn.Cond{})
		return out.Velocity, out.Hidden[k], out.Pooled
	}
	x := tensors.FromFlatDataAndDimensions(make([]float32, 4*32*32), 4, 32, 32, 1)
	t := tensors.FromValue([]float32{0, 0.3, 0.6, 1})
	outs, err := model.CallOnceN(backend.Must(), model.NewStore(), forward, x, t)
	if err != nil {
		panic(err)
	}
	for _, o := range outs {
		fmt.Println(o.Shape())
	}
	// Output:
	// (Float32)[4, 32, 32, 1]
	// (Float32)[4, 64, 64]
	// (Float32)[4, 64]
}
