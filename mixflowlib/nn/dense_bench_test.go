package nn

import (
	"math/rand"
	"syscall"
	"testing"
	"time"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	gnn "github.com/gomlx/gomlx/ml/nn"

	"github.com/mixflow/mixflow/mixflowlib/backend"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDenseLayout times the value and all gradients of a narrowing dense layer (SiT-tiny's fc2:
// 4096 tokens, 512 → 128) with the weights passed [in, out] (gnn.Dense's layout) and as denseBias passes
// them, alternating the two, and reports the CPU-time ratio old/new (> 1: denseBias is faster).
func BenchmarkDenseLayout(bm *testing.B) {
	be := backend.Must()
	rng := rand.New(rand.NewSource(1))
	x, wt, b, wn := randomTensor(rng, 1, 64, 64, 512), randomTensor(rng, 0.05, 512, 128), randomTensor(rng, 1, 128), randomTensor(rng, 1, 64, 64, 128)
	compile := func(f func(x, w, b *Node) *Node) *Exec {
		exec, err := NewExec(be, func(in []*Node) []*Node {
			y := f(in[0], in[1], in[2])
			return Gradient(ReduceAllSum(Mul(y, in[3])), in[0], in[1], in[2])
		})
		if err != nil {
			bm.Fatal(err)
		}
		return exec
	}
	old := compile(func(x, w, b *Node) *Node {
		return Reshape(Add(gnn.Dense(Reshape(x, 4096, 512), w, nil, compute.DenseLayoutInputOutputs), InsertAxes(b, 0)), 64, 64, 128)
	})
	cur := compile(denseBias)
	var cpu [2]time.Duration
	for i := range bm.N + 2 {
		for j, e := range []*Exec{old, cur} {
			c0 := cpuTime()
			outs := e.MustCall(x, wt, b, wn)
			for _, o := range outs {
				o.FinalizeAll()
			}
			if i >= 2 { // the first calls compile
				cpu[j] += cpuTime() - c0
			}
		}
	}
	bm.ReportMetric(float64(cpu[0].Microseconds())/1000/float64(bm.N), "old-cpu-ms/op")
	bm.ReportMetric(float64(cpu[1].Microseconds())/1000/float64(bm.N), "new-cpu-ms/op")
	bm.ReportMetric(float64(cpu[0])/float64(cpu[1]), "old/new")
}
