package main

import (
	"testing"

	"github.com/mixflow/mixflow/internal/cli/clitest"
)

func TestFlags(t *testing.T) { clitest.CheckTrainer(t, parse, "train-encoder", summary, nil) }

// TestBackendMissing: MIXFLOW_BACKEND=cuda without a GPU stops the tool before any work, with the
// backend's error named once.
func TestBackendMissing(t *testing.T) {
	clitest.CheckBackendMissing(t, parse, "train-encoder", "-quick", "-out", t.TempDir())
}
