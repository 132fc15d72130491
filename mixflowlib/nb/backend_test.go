package nb

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/mixflow/mixflow/mixflowlib/backend"
)

func TestBackend(t *testing.T) {
	want, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	if out, s := stopped(t, func() {
		if got := Backend(); got != want {
			t.Errorf("Backend() = %v, want the process-wide backend %v", got, want)
		}
	}); s || out != "" {
		t.Errorf("Backend(): stopped %v, printed %q", s, out)
	}
}

// TestBackendCUDAWithoutGPU: in a fresh process (a cell) with MIXFLOW_BACKEND=cuda and no GPU, Backend
// stops the cell with the backend's one line, its package named once.
func TestBackendCUDAWithoutGPU(t *testing.T) {
	if os.Getenv("NB_TEST_CELL") == "1" {
		Backend()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestBackendCUDAWithoutGPU$")
	cmd.Env = append(os.Environ(), "NB_TEST_CELL=1", backend.EnvVar+"=cuda", "CUDA_VISIBLE_DEVICES=")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("cell exit: %v, want status 1", err)
	}
	want := "backend: MIXFLOW_BACKEND=cuda but there is no GPU (CUDA_VISIBLE_DEVICES hides all GPUs): unset MIXFLOW_BACKEND"
	if got := stderr.String(); !strings.HasPrefix(got, want) || strings.Count(got, "backend:") != 1 || strings.Count(got, "\n") != 1 {
		t.Errorf("cell printed %q, want one line starting %q", got, want)
	}
}
