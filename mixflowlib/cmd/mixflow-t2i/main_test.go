package main

import (
	"context"
	"io"
	"testing"

	"github.com/mixflow/mixflow/internal/cli/clitest"
)

// TestFlags checks the -h text and that bad flags give one named usage error, printed by main only.
func TestFlags(t *testing.T) {
	run := func(args []string, stdout, stderr io.Writer) error {
		return run(context.Background(), args, stdout, stderr)
	}
	clitest.Check(t, run, "mixflow-t2i", summary, map[string][]string{
		"-batch 0: must be > 0 (or -1 for the size preset's)":                       {"-batch", "0"},
		"-base-steps -5: must be > 0 (or -1 for the size preset's)":                 {"-base-steps", "-5"},
		"-post-steps -2: want > 0, 0 (base only) or -1 (the size preset's)":         {"-post-steps", "-2"},
		"-steps 10,0: 0 must be > 0":                                                {"-steps", "10,0"},
		`-sizes "huge": want cpu, quick or gpu`:                                     {"-sizes", "huge"},
		"flag provided but not defined: -nope (run 'mixflow-t2i -h' for the flags)": {"-nope"},
	})
}

// TestBackendMissing: MIXFLOW_BACKEND=cuda without a GPU stops the run before any work, with the
// backend's error named once.
func TestBackendMissing(t *testing.T) {
	t.Setenv("MIXFLOW_CACHE", t.TempDir())
	clitest.CheckBackendMissing(t, func(args []string, stdout, stderr io.Writer) error {
		return run(context.Background(), args, stdout, stderr)
	}, "mixflow-t2i", "-quick")
}
