//go:build goexperiment.simd && amd64

package backend

import (
	"os"
	"runtime"
	"strconv"
	"syscall"
)

// HeapGuardVar sets the size, in GiB, of the heap guard (see below); 0 turns it off.
const HeapGuardVar = "MIXFLOW_HEAP_GUARD_GB"

// The pure-Go GoMLX backend's SIMD kernels finish every row whose length is not a multiple of the vector
// width with archsimd's Load*Part. In Go 1.27.3 those loads read a whole vector and mask it afterwards, so they
// read up to one vector past the end of the slice. Inside the Go heap that is harmless, except for an object
// that ends exactly where the mapped heap ends: the next page is reserved PROT_NONE and the process dies with
// SIGSEGV ("fatal error: fault"). Small heaps hit it often: a [4096, 2] float32 buffer (2-D toy data) ends on a
// page boundary, and a fresh process places it at the frontier of its first heap chunk.
//
// The guard moves that frontier out of reach: at start-up it allocates and frees one large block, so the heap's
// mapped region extends that far (the runtime never unmaps heap memory) and ordinary allocations, which reuse the
// lowest free addresses first, stay far below its end. The block is never touched, so it costs address space,
// not memory (about 10-30 ms at start-up). Its size defaults to half the machine's RAM, between 1 and 8 GiB.
func init() {
	gib := defaultGuardGiB()
	if v := os.Getenv(HeapGuardVar); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			gib = n
		}
	}
	if gib == 0 {
		return
	}
	guard := make([]byte, gib<<30)
	runtime.KeepAlive(guard)
	guard = nil
	runtime.GC()
}

func defaultGuardGiB() int {
	var info syscall.Sysinfo_t
	if err := syscall.Sysinfo(&info); err != nil {
		return 1
	}
	half := int(uint64(info.Totalram) * uint64(info.Unit) / 2 >> 30)
	return min(max(half, 1), 8)
}
