package nn_test

import (
	"math/rand"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// TestDiTBlockZeroInit checks adaLN-Zero: at initialisation every residual branch of DiTBlock is gated
// by zero, so the block is the identity, while the cross step (not gated) is added as given; the final
// layer starts at exactly zero.
func TestDiTBlockZeroInit(t *testing.T) {
	be := graphtest.Backend(t)
	rng := rand.New(rand.NewSource(3))
	x, xv := randTensor(rng, 2, 5, 8)
	c, _ := randTensor(rng, 2, 6)
	cfg := nn.DiTBlockConfig{Width: 8, Heads: 2, MLPHidden: 16}
	out := model.MustCallOnceN(be, model.NewStore(), func(scope *model.Scope, x, c *Node) []*Node {
		plain := nn.DiTBlock(scope.In("plain"), x, c, cfg, nil)
		crossed := nn.DiTBlock(scope.In("cross"), x, c, cfg, func(_ *model.Scope, normed *Node) *Node { return OnesLike(normed) })
		final := nn.DiTFinalLayer(scope.In("final"), x, c, 3)
		return []*Node{plain, crossed, final}
	}, x, c)
	plain, crossed, final := graphtest.Flat(t, out[0]), graphtest.Flat(t, out[1]), graphtest.Flat(t, out[2])
	for i, v := range xv {
		if plain[i] != v {
			t.Fatalf("block without cross at %d: %v, want the input %v", i, plain[i], v)
		}
		if crossed[i] != v+1 {
			t.Fatalf("block with cross at %d: %v, want input+1 = %v", i, crossed[i], v+1)
		}
	}
	if got := out[2].Shape().Dimensions; !slices.Equal(got, []int{2, 5, 3}) {
		t.Fatalf("final layer shape %v, want [2 5 3]", got)
	}
	for i, v := range final {
		if v != 0 {
			t.Fatalf("final layer output %d = %v at init, want 0", i, v)
		}
	}
}

func TestCheckPositive(t *testing.T) {
	if err := nn.CheckPositive("x: ", "A B", 1, 2); err != nil {
		t.Errorf("all positive: %v", err)
	}
	if err := nn.CheckPositive("x: cfg.", "A B C", 1, 0, -1); err == nil || err.Error() != "x: cfg.B 0 must be positive" {
		t.Errorf("B = 0: error %v, want \"x: cfg.B 0 must be positive\"", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("3 names for 2 values did not panic")
		}
	}()
	_ = nn.CheckPositive("x: ", "A B C", 1, 2)
}
