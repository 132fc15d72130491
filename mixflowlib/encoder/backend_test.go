package encoder

import (
	"fmt"
	"math"
	"strings"
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

// TestTrainNumbersPinned pins, bit for bit, the losses and weights of a short run with every part of the
// loop on (masking, reconstruction, weight decay, warm-up and cosine decay, flips and shifts), as the
// encoder's own Adam loop gave them before it moved to mixflowlib/sidetrain.
func TestTrainNumbersPinned(t *testing.T) {
	train := synthSet(t, 64, 3)
	cfg := DefaultTrainConfig()
	cfg.Arch = ViTConfig{ImageSize: 32, Channels: 1, PatchSize: 8, Width: 16, Depth: 1, Heads: 2, MLPRatio: 2}
	cfg.Steps, cfg.BatchSize, cfg.WarmupSteps = 4, 16, 2
	var got []string
	vit, rep, err := Train(train, nil, cfg, 1, func(p TrainProgress) {
		got = append(got, fmt.Sprintf("%d:%08x/%08x/%08x@%.6g", p.Step, math.Float32bits(float32(p.Loss)),
			math.Float32bits(float32(p.CE)), math.Float32bits(float32(p.Recon)), p.LR))
	})
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, fmt.Sprintf("final %016x", math.Float64bits(rep.FinalLoss)), vit.Fingerprint()[:16])
	if s := strings.Join(got, " "); s != graphtest.Pin(t, pinEncoderRun) {
		t.Errorf("short run\n got %s\nwant %s", s, graphtest.Pin(t, pinEncoderRun))
	}
}

// pinEncoderRun is the run's pin per kernel family of the pure-Go backend (graphtest.SIMD): AVX-512 and
// AVX2 kernels round differently.
var pinEncoderRun = map[string]string{
	graphtest.SIMDAVX2:   "1:40817efa/402b6231/3faf3784@0.001 2:40819cfb/402f0ff0/3fa8540b@0.002 3:4068ad59/401a6a14/3f9c868a@0.002 4:407f25f8/40351ab2/3f94168b@0 final 400f7059d8000000 cb029fbd9df22c06",
	graphtest.SIMDAVX512: "1:40817ef9/402b6231/3faf3783@0.001 2:40819cfb/402f0ff0/3fa8540c@0.002 3:4068ad5a/401a6a14/3f9c868c@0.002 4:407f25f6/40351ab1/3f94168a@0 final 400f7059c0000000 bfcc77a1641da85a",
}
