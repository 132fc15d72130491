package sidetrain_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/sidetrain"
)

// bars is a labelled image source: class k lights column k of a 4×4 image.
type bars struct{}

func (bars) Name() string { return "bars" }

func (bars) Batch(step int64, size int) (datasets.Batch, error) {
	rng := rand.New(rand.NewPCG(uint64(step), 1))
	x := make([]float32, size*16)
	labels := make([]int32, size)
	for i := range size {
		k := rng.IntN(4)
		labels[i] = int32(k)
		for j := range 16 {
			x[i*16+j] = -1 + 0.2*rng.Float32()
			if j%4 == k {
				x[i*16+j] = 1
			}
		}
	}
	return datasets.Batch{X: tensors.FromFlatDataAndDimensions(x, size, 4, 4, 1),
		Cond: datasets.Cond{Labels: tensors.FromFlatDataAndDimensions(labels, size)}}, nil
}

func classifier(scope *model.Scope, x, labels *Node) []*Node {
	logits := layers.Dense(scope.In("dense"), Reshape(x, x.Shape().Dim(0), 16), true, 4)
	return []*Node{ReduceAllMean(loss.SparseCategoricalCrossEntropyLogits([]*Node{ExpandAxes(labels, -1)}, []*Node{logits}))}
}

func run(steps int, losses *[]float64) sidetrain.Run {
	return sidetrain.Run{Owner: "test", Source: bars{}, Seed: 3, Steps: steps, BatchSize: 32, LR: 0.2, WarmupSteps: 2,
		WeightDecay: 1e-4, MaxShift: 1, Shift: func(s int) *rand.Rand { return rand.New(rand.NewPCG(9, uint64(s))) },
		Loss: classifier, Step: func(_ int, _ float64, terms []float64) { *losses = append(*losses, terms[0]) }}
}

// TestTrainLearnsAndIsDeterministic: the loss falls, every step is reported, and two runs agree bit for bit.
func TestTrainLearnsAndIsDeterministic(t *testing.T) {
	var a, b []float64
	if _, err := sidetrain.Train(run(40, &a)); err != nil {
		t.Fatal(err)
	}
	if _, err := sidetrain.Train(run(40, &b)); err != nil {
		t.Fatal(err)
	}
	if len(a) != 40 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("two seeded runs: %d and %d steps, losses differ: %v vs %v", len(a), len(b), a, b)
	}
	if !(a[39] < 0.7*a[0]) { // the shifts move some bars to the next class's column: not all of it can be learnt
		t.Errorf("loss did not fall: %v → %v", a[0], a[39])
	}
}

func TestTrainRefusesAnIncompleteRun(t *testing.T) {
	var l []float64
	r := run(5, &l)
	r.Shift = nil
	if _, err := sidetrain.Train(r); err == nil || !strings.HasPrefix(err.Error(), "test: sidetrain:") {
		t.Errorf("MaxShift without Shift: error %v", err)
	}
}

func TestLR(t *testing.T) {
	// Warm-up to the peak over 2 steps, then a half cosine to 0 at the last of 6 steps.
	got := []float64{}
	for s := range 6 {
		got = append(got, sidetrain.LR(1, 2, s, 6))
	}
	if got[0] != 0.5 || got[1] != 1 || got[5] != 0 || !(got[2] == 1 && got[3] < got[2] && got[4] < got[3]) {
		t.Errorf("LR over 6 steps = %v", got)
	}
}

func ExampleTrain() {
	var losses []float64
	store, err := sidetrain.Train(sidetrain.Run{Owner: "example", Source: bars{}, Seed: 1, Steps: 30, BatchSize: 32,
		LR: 0.05, WarmupSteps: 2, Loss: classifier,
		Step: func(_ int, _ float64, terms []float64) { losses = append(losses, terms[0]) }})
	if err != nil {
		fmt.Println(err)
		return
	}
	n := 0
	for range store.IterVariables() {
		n++
	}
	fmt.Println(len(losses), "steps; the loss fell:", losses[29] < losses[0], "; variables in the store:", n > 0)
	// Output: 30 steps; the loss fell: true ; variables in the store: true
}

func TestCheck(t *testing.T) {
	ok := sidetrain.Sizes{Steps: 10, BatchSize: 8, LR: 1e-3, ImageSize: 28, MaxShift: 2}
	if err := sidetrain.Check("x: Config", ok); err != nil {
		t.Fatalf("valid sizes: %v", err)
	}
	for want, edit := range map[string]func(*sidetrain.Sizes){
		"x: Config: Epochs 0 and Steps 0: one must be positive":   func(s *sidetrain.Sizes) { s.Steps = 0 },
		"x: Config: Steps -1 must not be negative":                func(s *sidetrain.Sizes) { s.Steps, s.Epochs = -1, 1 },
		"x: Config: BatchSize 0 must be positive":                 func(s *sidetrain.Sizes) { s.BatchSize = 0 },
		"x: Config: LR NaN must be a positive number":             func(s *sidetrain.Sizes) { s.LR = math.NaN() },
		"x: Config: WarmupSteps -2 must not be negative":          func(s *sidetrain.Sizes) { s.WarmupSteps = -2 },
		"x: Config: WeightDecay -1 must be a non-negative number": func(s *sidetrain.Sizes) { s.WeightDecay = -1 },
		"x: Config: MaxShift 14 outside [0, 14)":                  func(s *sidetrain.Sizes) { s.MaxShift = 14 },
	} {
		s := ok
		edit(&s)
		if err := sidetrain.Check("x: Config", s); err == nil || err.Error() != want {
			t.Errorf("%+v: error %v, want %q", s, err, want)
		}
	}
}
