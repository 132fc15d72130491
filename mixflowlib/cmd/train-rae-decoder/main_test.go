package main

import (
	"testing"

	"github.com/mixflow/mixflow/internal/cli/clitest"
)

func TestFlags(t *testing.T) {
	clitest.CheckTrainer(t, run, "train-rae-decoder", summary, map[string][]string{"-steps 0: must be > 0": {"-steps", "0"}})
}

// TestBackendMissing: MIXFLOW_BACKEND=cuda without a GPU stops the tool before any work, with the
// backend's error named once.
func TestBackendMissing(t *testing.T) {
	clitest.CheckBackendMissing(t, run, "train-rae-decoder", "-quick")
}
