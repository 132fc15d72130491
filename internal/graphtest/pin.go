package graphtest

import (
	"maps"
	"slices"
	"testing"
)

// The kernel families of the pure-Go backend that sum floats in different orders, so that bit-exact
// results differ between them (by a float32 rounding step or so) while every one is correct.
const (
	SIMDAVX512  = "avx512"
	SIMDAVX2    = "avx2"
	SIMDGeneric = "generic"
)

// SIMD names the kernel family the pure-Go backend runs on this machine: SIMDAVX512, SIMDAVX2 or
// SIMDGeneric, or "CPU/KERNELS" (e.g. "avx512/avx2") when the GOMLX_GO_SIMD_* variables switch the
// specialised kernels below the CPU's class (its portable SIMD operations still use the CPU's width, so
// that mix rounds like neither pure family).
func SIMD() string { return simdKernels() }

// Pin returns the bit-exact pin of the running kernel family from pins (keyed by SIMD()), and skips the
// test when none was recorded for it, naming the family, so a pin taken on one machine is never
// compared with another family's rounding.
func Pin(tb testing.TB, pins map[string]string) string {
	tb.Helper()
	p, ok := pins[SIMD()]
	if !ok {
		tb.Skipf("no bit-exact pin recorded for the %s kernels of this machine (pinned: %v)", SIMD(), slices.Sorted(maps.Keys(pins)))
	}
	return p
}
