package encoder

import (
	"testing"

	"github.com/mixflow/mixflow/internal/graphtest"
)

// BenchmarkTrainStep measures training steps of the default configuration (batch 128) and reports the
// CPU time per step, which is robust to other processes sharing the machine (wall time is not).
func BenchmarkTrainStep(b *testing.B) {
	set := synthSet(b, 512, 1)
	cfg := DefaultTrainConfig()
	cfg.Steps = 1
	if _, _, err := Train(set, nil, cfg, 0, nil); err != nil { // warm the backend and the data path
		b.Fatal(err)
	}
	cfg.Steps = b.N
	b.ResetTimer()
	cpu0 := graphtest.CPUTime()
	if _, _, err := Train(set, nil, cfg, 0, nil); err != nil {
		b.Fatal(err)
	}
	graphtest.ReportCPUPer(b, cpu0, "step")
}
