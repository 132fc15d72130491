package backend

import (
	"strings"
	"testing"
)

// MIXFLOW_BACKEND=cuda on a machine without a GPU: one line saying there is no GPU and how to run on the
// CPU from Jupyter, whether or not XLA is compiled in (not the -tags noxla text).
func TestCUDAWithoutGPU(t *testing.T) {
	t.Setenv("CUDA_VISIBLE_DEVICES", "")
	for _, req := range []string{"cuda", "gpu"} {
		_, err := selectFor(req)
		if err == nil {
			t.Fatalf("%s=%s without a GPU: no error", EnvVar, req)
		}
		msg := err.Error()
		for _, want := range []string{"backend: " + EnvVar + "=" + req, "there is no GPU", "unset " + EnvVar, "%env " + EnvVar + " go"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q lacks %q", msg, want)
			}
		}
		if strings.Contains(msg, "noxla") || strings.Contains(msg, "\n") {
			t.Errorf("error %q should be one line about the GPU, not the build tags", msg)
		}
	}
}
