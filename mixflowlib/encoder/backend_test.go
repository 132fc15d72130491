package encoder

import (
	"testing"

	"github.com/mixflow/mixflow/internal/graphtest"
)

// TestTrainOnPassedBackend: TrainConfig.Backend is the backend training runs on (a finalised one fails
// the run), with the same weights as on the process-wide backend.
func TestTrainOnPassedBackend(t *testing.T) {
	train := synthSet(t, 64, 1)
	cfg := DefaultTrainConfig()
	cfg.Arch = ViTConfig{ImageSize: 32, Channels: 1, PatchSize: 8, Width: 16, Depth: 1, Heads: 2, MLPRatio: 2}
	cfg.Steps, cfg.BatchSize, cfg.WarmupSteps = 2, 16, 1
	ref, _, err := Train(train, nil, cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Backend = graphtest.OwnBackend(t)
	got, _, err := Train(train, nil, cfg, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Fingerprint() != ref.Fingerprint() {
		t.Errorf("weights trained on the passed backend differ from the process-wide backend's")
	}
	cfg.Backend.Finalize()
	_, _, err = Train(train, nil, cfg, 0, nil)
	if err == nil {
		t.Errorf("training on a finalised backend passed down succeeded: it ran on another one")
	}
}
