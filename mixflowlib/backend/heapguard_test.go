//go:build goexperiment.simd && amd64

package backend

import (
	"os"
	"os/exec"
	"simd/archsimd"
	"strings"
	"testing"
)

// frontierLoads allocates and keeps 32 KiB float32 slices (the size of a [4096, 2] batch) and reads the last two
// elements of each with a partial SIMD load, as the backend's kernels do. Without the guard the first slice that
// ends at the heap frontier kills the process.
func frontierLoads(n int) float32 {
	var keep [][]float32
	var sum float32
	for range n {
		s := make([]float32, 8192)
		keep = append(keep, s)
		v, _ := archsimd.LoadFloat32x4Part(s[len(s)-2:])
		sum += v.GetElem(0)
	}
	return sum + float32(len(keep))
}

func TestMain(m *testing.M) {
	if os.Getenv("MIXFLOW_HEAPGUARD_CHILD") == "1" {
		frontierLoads(4000) // 125 MiB: far below the guard, but crosses ~30 heap chunk frontiers
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runChild(t *testing.T, guardGB string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "MIXFLOW_HEAPGUARD_CHILD=1", HeapGuardVar+"="+guardGB)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestHeapGuardPreventsPartialLoadFault(t *testing.T) {
	if out, err := runChild(t, "1"); err != nil {
		t.Fatalf("with a 1 GiB heap guard the partial loads crashed: %v\n%.2000s", err, out)
	}
}

// TestHeapGuardIsNeeded shows the fault the guard exists for; if a future toolchain fixes Load*Part it fails,
// and the guard can go.
func TestHeapGuardIsNeeded(t *testing.T) {
	out, err := runChild(t, "0")
	if err == nil {
		t.Fatalf("without the guard the partial loads did not fault: has Go fixed archsimd Load*Part? Then remove heapguard.go")
	}
	if !strings.Contains(out, "SIGSEGV") && !strings.Contains(out, "fault") {
		t.Fatalf("child failed for another reason: %v\n%.2000s", err, out)
	}
}
