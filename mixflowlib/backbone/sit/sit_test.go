package sit_test

import (
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// TestShapes builds several configurations and checks every output shape.
func TestShapes(t *testing.T) {
	be := graphtest.Backend(t)
	cases := []sit.Config{
		{ImageSize: 32, Channels: 1, PatchSize: 4, Depth: 2, Hidden: 32, Heads: 2, NumClasses: 10},
		{ImageSize: 28, Channels: 1, PatchSize: 7, Depth: 1, Hidden: 16, Heads: 4, NumClasses: 3},
		{ImageSize: 16, Channels: 3, PatchSize: 2, Depth: 1, Hidden: 24, Heads: 3, MLPRatio: 2.5},
		{ImageSize: 8, Channels: 4, PatchSize: 8, Depth: 3, Hidden: 8, Heads: 1, Attention: nn.AttentionFused},
	}
	for _, cfg := range cases {
		t.Run(cfg.String(), func(t *testing.T) {
			m := graphtest.Build(t, sit.New, cfg)
			c := m.Config()
			rng := rand.New(rand.NewSource(1))
			const b = 3
			cond := c.NumClasses > 0
			args := []any{randImages(rng, c, b), graphtest.RandTimes(rng, b)}
			if cond {
				args = append(args, labelTensor(0, -1, int32(c.NumClasses-1)))
			}
			out, err := forwardExec(t, be, graphtest.NewStore(1), m, cond).Call(args...)
			if err != nil {
				t.Fatal(err)
			}
			if want := []int{b, c.ImageSize, c.ImageSize, c.Channels}; !slices.Equal(out[0].Shape().Dimensions, want) {
				t.Errorf("velocity shape %s, want %v", out[0].Shape(), want)
			}
			if len(out) != 1+c.Depth+1+2 {
				t.Fatalf("got %d outputs, want %d", len(out), c.Depth+4)
			}
			for k := 0; k <= c.Depth; k++ {
				if want := []int{b, c.NumTokens(), c.Hidden}; !slices.Equal(out[1+k].Shape().Dimensions, want) {
					t.Errorf("Hidden[%d] shape %s, want %v", k, out[1+k].Shape(), want)
				}
			}
			for i, name := range []string{"Cond", "Pooled"} {
				if s := out[2+c.Depth+i].Shape(); !slices.Equal(s.Dimensions, []int{b, c.Hidden}) {
					t.Errorf("%s shape %s, want [%d %d]", name, s, b, c.Hidden)
				}
			}
		})
	}
}

// TestZeroInit checks adaLN-Zero: at initialisation the velocity is exactly zero and every block is the
// identity (Hidden[k] == Hidden[0] bit for bit), while the embedding and the conditioning are not trivial.
func TestZeroInit(t *testing.T) {
	be := graphtest.Backend(t)
	m := graphtest.Build(t, sit.New, sit.Config{Depth: 3, Hidden: 32, Heads: 4, NumClasses: 5})
	c := m.Config()
	rng := rand.New(rand.NewSource(2))
	out, err := forwardExec(t, be, graphtest.NewStore(3), m, true).Call(randImages(rng, c, 4), graphtest.RandTimes(rng, 4), labelTensor(0, 1, -1, 4))
	if err != nil {
		t.Fatal(err)
	}
	if v := graphtest.MaxAbs(graphtest.Flat(t, out[0])); v != 0 {
		t.Errorf("velocity at init: max |v| = %g, want exactly 0", v)
	}
	h0 := graphtest.Flat(t, out[1])
	if graphtest.MaxAbs(h0) == 0 {
		t.Fatal("embedded tokens are all zero: patch embedding not initialised")
	}
	for k := 1; k <= c.Depth; k++ {
		if d := graphtest.MaxAbsDiff(h0, graphtest.Flat(t, out[1+k])); d != 0 {
			t.Errorf("block %d is not the identity at init: max |Hidden[%d] − Hidden[0]| = %g", k, k, d)
		}
	}
	if graphtest.MaxAbs(graphtest.Flat(t, out[2+c.Depth])) == 0 {
		t.Error("conditioning vector is all zero at init")
	}
}

// TestCallableTwice calls Velocity twice in one graph with the same scope (as Heun or guidance do): no
// panic, no new variables, identical results.
func TestCallableTwice(t *testing.T) {
	be := graphtest.Backend(t)
	m := graphtest.Build(t, sit.New, sit.Config{Depth: 1, Hidden: 16, Heads: 2, NumClasses: 2})
	store := graphtest.NewStore(4)
	rng := rand.New(rand.NewSource(4))
	c := m.Config()
	x, tt := randImages(rng, c, 2), graphtest.RandTimes(rng, 2)
	// Make the output non-zero first so that equality is not trivial.
	tr := newAdamStep(t, be, store, m, 1e-2, true)
	for range 3 {
		tr.Step(t, x, labelTensor(0, 1))
	}
	nBefore := store.NumVariables()
	exec, err := model.NewExec(be, store, func(scope *model.Scope, x, tt, l *Node) (*Node, *Node) {
		s := scope.In("model")
		cond := nn.Cond{Labels: l}
		return m.Velocity(s, x, tt, cond), m.Velocity(s, x, tt, m.NullCond(cond))
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Call(x, tt, labelTensor(0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if store.NumVariables() != nBefore {
		t.Errorf("second call created variables: %d → %d", nBefore, store.NumVariables())
	}
	// The same graph evaluated again with explicit null labels must equal the NullCond branch.
	out2, err := exec.Call(x, tt, labelTensor(-1, -1))
	if err != nil {
		t.Fatal(err)
	}
	if d := graphtest.MaxAbsDiff(graphtest.Flat(t, out[1]), graphtest.Flat(t, out2[0])); d != 0 {
		t.Errorf("NullCond output differs from explicit NullLabel output by %g", d)
	}
	if graphtest.MaxAbs(graphtest.Flat(t, out[0])) == 0 {
		t.Error("velocity still zero after training steps")
	}
}

// TestBadInput checks errors for bad shapes and the panics of graph building.
func TestBadInput(t *testing.T) {
	m := graphtest.Build(t, sit.New, sit.Config{ImageSize: 16, Channels: 2, PatchSize: 4, Depth: 1, Hidden: 16, Heads: 2, NumClasses: 3})
	f32 := dtypes.Float32
	lab := shapes.Make(dtypes.Int32, 2)
	for _, tc := range []struct {
		x, t   shapes.Shape
		labels *shapes.Shape
		want   string
	}{
		{shapes.Make(f32, 2, 16, 16, 1), shapes.Make(f32, 2), nil, "x has shape"},
		{shapes.Make(f32, 2, 16, 16), shapes.Make(f32, 2), nil, "x has shape"},
		{shapes.Make(dtypes.Int32, 2, 16, 16, 2), shapes.Make(f32, 2), nil, "dtype"},
		{shapes.Make(f32, 2, 16, 16, 2), shapes.Make(f32, 3), nil, "t has shape"},
		{shapes.Make(f32, 2, 16, 16, 2), shapes.Make(f32, 2, 1), nil, "t has shape"},
		{shapes.Make(f32, 2, 16, 16, 2), shapes.Make(f32, 2), &shapes.Shape{DType: f32, Dimensions: []int{2}}, "labels"},
	} {
		err := m.CheckInput(tc.x, tc.t, tc.labels)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "sit: ") {
			t.Errorf("CheckInput(%s, %s): got %v, want an error about %q", tc.x, tc.t, err, tc.want)
		}
	}
	if err := m.CheckInput(shapes.Make(f32, 2, 16, 16, 2), shapes.Make(f32, 2), &lab); err != nil {
		t.Errorf("valid input rejected: %v", err)
	}
	// Velocity panics with the same message while building a graph; TryCatch turns it into an error.
	be := graphtest.Backend(t)
	err := exceptions.TryCatch[error](func() {
		model.MustCallOnce(be, graphtest.NewStore(1), func(scope *model.Scope, x *Node) *Node {
			tt := Zeros(x.Graph(), shapes.Make(f32, 2))
			return m.Velocity(scope, x, tt, nn.Cond{})
		}, tensors.FromShape(shapes.Make(f32, 2, 15, 15, 2)))
	})
	if err == nil || !strings.Contains(err.Error(), "sit: x has shape") {
		t.Errorf("Velocity on a bad shape: got %v", err)
	}
}

// TestInvalidLabelIsNaN checks that labels outside [NullLabel, NumClasses) poison the output with NaN
// (an in-graph computation cannot return an error) while valid and null labels give finite values.
func TestInvalidLabelIsNaN(t *testing.T) {
	be := graphtest.Backend(t)
	m := graphtest.Build(t, sit.New, sit.Config{Depth: 1, Hidden: 16, Heads: 2, NumClasses: 3})
	rng := rand.New(rand.NewSource(5))
	out, err := forwardExec(t, be, graphtest.NewStore(1), m, true).Call(randImages(rng, m.Config(), 4), graphtest.RandTimes(rng, 4), labelTensor(2, -1, 3, -2))
	if err != nil {
		t.Fatal(err)
	}
	cond := graphtest.Flat(t, out[2+m.Config().Depth])
	h := m.Config().Hidden
	for i, wantNaN := range []bool{false, false, true, true} {
		row := cond[i*h : (i+1)*h]
		gotNaN := math.IsNaN(float64(row[0]))
		if gotNaN != wantNaN {
			t.Errorf("sample %d: NaN=%v, want %v", i, gotNaN, wantNaN)
		}
	}
	if err := nn.CheckLabels(labelTensor(2, -1, 3), 3); err == nil || !strings.Contains(err.Error(), "label 3 at index 2") {
		t.Errorf("CheckLabels: got %v", err)
	}
	if err := nn.CheckLabels(labelTensor(2, -1, 0), 3); err != nil {
		t.Errorf("CheckLabels on valid labels: %v", err)
	}
}
