package main

import (
	"testing"

	"github.com/mixflow/mixflow/internal/cli/clitest"
)

func TestFlags(t *testing.T) { clitest.CheckTrainer(t, run, "train-classifier", summary, nil) }

// TestBackendMissing: MIXFLOW_BACKEND=cuda without a GPU stops the tool before any work, with the
// backend's error named once.
func TestBackendMissing(t *testing.T) {
	clitest.CheckBackendMissing(t, run, "train-classifier", "-quick", "-out", t.TempDir())
}
