package encoder

import (
	"syscall"
	"testing"
	"time"
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
	cpu0 := cpuTime()
	if _, _, err := Train(set, nil, cfg, 0, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/step")
}

// cpuTime returns the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
