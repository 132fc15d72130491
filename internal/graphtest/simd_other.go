//go:build !(amd64 && goexperiment.simd)

package graphtest

// simdKernels: off x86 or without GOEXPERIMENT=simd the backend has only its portable kernels.
func simdKernels() string { return SIMDGeneric }
