package main

import (
	"context"
	"io"
	"testing"

	"github.com/mixflow/mixflow/internal/cli/clitest"
)

// TestBackendMissing: MIXFLOW_BACKEND=cuda without a GPU stops a workflow before any work, with the
// backend's error named once. (This file sorts first, so the test runs before any test creates the
// process's backend.)
func TestBackendMissing(t *testing.T) {
	t.Setenv("MIXFLOW_CACHE", t.TempDir())
	clitest.CheckBackendMissing(t, func(args []string, stdout, stderr io.Writer) error {
		return run(context.Background(), "run", args, stdout, stderr)
	}, "mixflow-images", "-quick")
}
