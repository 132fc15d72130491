package sit_test

import (
	"math/rand"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// TestForInferenceBitForBit randomises every weight and checks that ForInference (token-major blocks)
// gives the velocity, every Hidden, Cond and Pooled of the model itself bit for bit, for both attention
// implementations and batch sizes that do and do not fill the backend's matrix tiles.
func TestForInferenceBitForBit(t *testing.T) {
	for _, impl := range []nn.AttentionImpl{nn.AttentionEinsum, nn.AttentionFused} {
		t.Run(impl.String(), func(t *testing.T) {
			be := graphtest.Backend(t)
			cfg := sit.Config{ImageSize: 8, Channels: 2, PatchSize: 2, Depth: 2, Hidden: 16, Heads: 2, NumClasses: 3, Attention: impl}
			m := graphtest.Build(t, sit.New, cfg)
			inf, ok := m.ForInference().(*sit.Model)
			if !ok || inf.Config() != m.Config() {
				t.Fatalf("ForInference gave %T with config %v, want *sit.Model with %v", m.ForInference(), inf.Config(), m.Config())
			}
			store := graphtest.NewStore(5)
			train, infer := forwardExec(t, be, store, m, true), forwardExec(t, be, store, inf, true)
			rng := rand.New(rand.NewSource(5))
			for _, b := range []int{3, 8} {
				x, tt := randImages(rng, m.Config(), b), graphtest.RandTimes(rng, b)
				l := make([]int32, b)
				for i := range l {
					l[i] = int32(rng.Intn(4)) - 1 // NullLabel too
				}
				labels := tensors.FromFlatDataAndDimensions(l, b)
				if b == 3 {
					if _, err := train.Call(x, tt, labels); err != nil { // creates the variables
						t.Fatal(err)
					}
					for v := range store.IterVariables() {
						vals := make([]float32, v.Shape().Size())
						for i := range vals {
							vals[i] = float32(0.3 * rng.NormFloat64())
						}
						if err := v.SetValue(tensors.FromFlatDataAndDimensions(vals, v.Shape().Dimensions...)); err != nil {
							t.Fatal(err)
						}
					}
				}
				want, err := train.Call(x, tt, labels)
				if err != nil {
					t.Fatal(err)
				}
				got, err := infer.Call(x, tt, labels)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("batch %d: %d outputs, want %d", b, len(got), len(want))
				}
				for k := range want {
					g, w := graphtest.Flat(t, got[k]), graphtest.Flat(t, want[k])
					if graphtest.MaxAbs(w) == 0 {
						t.Fatalf("batch %d, output %d is all zero: the weights were not randomised", b, k)
					}
					for i := range w {
						if g[i] != w[i] {
							t.Fatalf("batch %d, output %d (0 velocity, then Hidden, Cond, Pooled), value %d: %v, want %v", b, k, i, g[i], w[i])
						}
					}
				}
			}
		})
	}
}
