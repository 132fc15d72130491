package evaluator

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets/fashionmnist"
	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/internal/graphtest"
)

// firstTestImages returns the first n images of the Fashion-MNIST test split, standing in for training
// images where only the mechanics of training are checked.
func firstTestImages(t *testing.T, n int) *images.Set {
	t.Helper()
	set, err := fashionmnist.Load(fashionmnist.Test)
	if err != nil {
		t.Fatal(err)
	}
	small, err := set.Head(n)
	if err != nil {
		t.Fatal(err)
	}
	return small
}

// TestPassedBackendIsUsed: the backend in TrainConfig.Backend and Options.Backend is the one training and
// the network run on, with the same weights and features as on the process-wide backend.
func TestPassedBackendIsUsed(t *testing.T) {
	small := firstTestImages(t, 64)
	cfg := DefaultTrainConfig()
	cfg.Steps, cfg.BatchSize, cfg.WarmupSteps = 2, 32, 1
	ref, err := Train(small, cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	mine := graphtest.OwnBackend(t)
	cfg.Backend = mine
	w, err := Train(small, cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w.Fingerprint() != ref.Fingerprint() {
		t.Errorf("weights trained on the passed backend differ from the process-wide backend's")
	}
	if got, want := w.Meta["backend"], mine.Name(); got != want {
		t.Errorf("weights record backend %v, want the passed one %q", got, want)
	}
	ev, err := New(Options{Weights: w, CacheDir: "-", Backend: mine})
	if err != nil {
		t.Fatal(err)
	}
	evRef, err := New(Options{Weights: w, CacheDir: "-"})
	if err != nil {
		t.Fatal(err)
	}
	x := testImages(small, 0, 4)
	got := embed28(t, ev, x, 4)
	want := embed28(t, evRef, x, 4)
	batch := make([]float32, ev.batchSize*InputSize*InputSize) // the one compiled shape: a padded batch
	copy(batch, x)
	out, err := ev.exec.Exec(tensors.FromFlatDataAndDimensions(batch, ev.batchSize, InputSize, InputSize, 1))
	if err != nil {
		t.Fatal(err)
	}
	graphtest.OnBackend(t, mine, nil, out...)
	for i := range want.Features {
		for j := range want.Features[i] {
			if got.Features[i][j] != want.Features[i][j] {
				t.Fatalf("feature %d of image %d: %v on the passed backend, %v on the process-wide one", j, i, got.Features[i][j], want.Features[i][j])
			}
		}
	}
}

// TestTrainNumbersPinned pins, bit for bit, the losses and weights of a short run with every part of the
// loop on (weight decay, warm-up and cosine decay, flips and shifts), as the evaluator's own Adam loop
// gave them before it moved to mixflowlib/sidetrain.
func TestTrainNumbersPinned(t *testing.T) {
	small := firstTestImages(t, 64)
	cfg := DefaultTrainConfig()
	cfg.Steps, cfg.BatchSize, cfg.WarmupSteps, cfg.Flip, cfg.MaxShift = 4, 16, 2, true, 2
	var got []string
	w, err := Train(small, cfg, 1, func(p TrainProgress) {
		got = append(got, fmt.Sprintf("%d:%08x/%08x@%.6g", p.Step, math.Float32bits(float32(p.Loss)),
			math.Float32bits(float32(p.AvgLoss)), p.LR))
	})
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, w.Fingerprint()[:16])
	if s := strings.Join(got, " "); s != graphtest.Pin(t, pinEvaluatorRun) {
		t.Errorf("short run\n got %s\nwant %s", s, graphtest.Pin(t, pinEvaluatorRun))
	}
}

// pinEvaluatorRun is the run's pin per kernel family of the pure-Go backend (graphtest.SIMD): AVX-512
// and AVX2 kernels round differently.
var pinEvaluatorRun = map[string]string{
	graphtest.SIMDAVX2:   "1:40480c8c/40480c8c@0.001 2:401c7f10/401c7f10@0.002 3:4000b89c/4000b89c@0.002 4:4019fada/4019fada@0 95f201817d353925",
	graphtest.SIMDAVX512: "1:40480c8a/40480c8a@0.001 2:401c7f0f/401c7f0f@0.002 3:4000b89b/4000b89b@0.002 4:4019fad9/4019fad9@0 757632166ff9c669",
}
