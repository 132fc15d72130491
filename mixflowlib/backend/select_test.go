package backend

import (
	"strings"
	"testing"

	"github.com/gomlx/compute"
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

// TestOr: a backend passed down is the one used; nil means the process-wide one.
func TestOr(t *testing.T) {
	mine, err := compute.NewWithConfig("go")
	if err != nil {
		t.Fatal(err)
	}
	defer mine.Finalize()
	if got, err := Or(mine); err != nil || got != mine {
		t.Errorf("Or(a backend) = %v, %v; want that backend", got, err)
	}
	shared, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Or(nil); err != nil || got != shared || got == mine {
		t.Errorf("Or(nil) = %v, %v; want the process-wide backend %v", got, err, shared)
	}
}
