//go:build amd64 && goexperiment.simd

package graphtest

import (
	"simd/archsimd"

	"github.com/gomlx/compute/support/envutil"
)

// simdKernels names the CPU's vector class and, when GOMLX_GO_SIMD_AVX512 / _AVX2 switch the backend's
// specialised kernels below it (as gobackend.IsAVX512Allowed / IsAVX2Allowed do), the kernels used:
// "avx512/avx2". The portable SIMD operations follow the CPU either way, so both parts matter.
func simdKernels() string {
	cpu := SIMDGeneric
	switch {
	case archsimd.X86.AVX512():
		cpu = SIMDAVX512
	case archsimd.X86.AVX2():
		cpu = SIMDAVX2
	}
	kernels := SIMDGeneric
	switch {
	case envutil.MustReadBool(envutil.GoBackendSIMD_AVX512, true) && archsimd.X86.AVX512():
		kernels = SIMDAVX512
	case envutil.MustReadBool(envutil.GoBackendSIMD_AVX2, true) && archsimd.X86.AVX2():
		kernels = SIMDAVX2
	}
	if kernels != cpu {
		return cpu + "/" + kernels
	}
	return cpu
}
