package evaluator

import (
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets/fashionmnist"
	"github.com/mixflow/mixflow/internal/graphtest"
)

// TestPassedBackendIsUsed: the backend in TrainConfig.Backend and Options.Backend is the one training and
// the network run on, with the same weights and features as on the process-wide backend.
func TestPassedBackendIsUsed(t *testing.T) {
	set, err := fashionmnist.Load(fashionmnist.Test)
	if err != nil {
		t.Fatal(err)
	}
	small, err := set.Head(64)
	if err != nil {
		t.Fatal(err)
	}
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
	got, err := ev.EmbedFlat(x, 4, 28, 28, 1)
	if err != nil {
		t.Fatal(err)
	}
	want, err := evRef.EmbedFlat(x, 4, 28, 28, 1)
	if err != nil {
		t.Fatal(err)
	}
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
