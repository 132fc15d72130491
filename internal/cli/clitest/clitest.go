// Package clitest checks the command-line conventions of package cli on a tool's run function: -h
// prints the one-line description first and exits 0, and each bad command line gives one usage error
// with the expected text and prints nothing itself (the tool's main prints it once).
package clitest

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/mixflow/mixflow/internal/cli"
)

// Run is a tool's main without the process exit: it parses args and does the work.
type Run func(args []string, stdout, stderr io.Writer) error

// Check runs -h and each of bad (arguments → the exact error text) through run. name and summary
// are the tool's (sub)command name and its one-line description.
func Check(t *testing.T, run Run, name, summary string, bad map[string][]string) {
	t.Helper()
	var help bytes.Buffer
	err := run([]string{"-h"}, io.Discard, &help)
	if !errors.Is(err, flag.ErrHelp) || cli.Report(io.Discard, name, err) != 0 {
		t.Errorf("%s -h: error %v, want flag.ErrHelp (exit status 0)", name, err)
	}
	if first, _, _ := strings.Cut(help.String(), "\n"); first != name+": "+summary {
		t.Errorf("%s -h starts with %q, want %q", name, first, name+": "+summary)
	}
	if !strings.Contains(help.String(), "-quick") {
		t.Errorf("%s -h lists no -quick flag", name)
	}
	for want, args := range bad {
		var out bytes.Buffer
		err := run(args, &out, &out)
		var ue cli.UsageError
		if err == nil || err.Error() != want || !errors.As(err, &ue) {
			t.Errorf("%s %q: error %v, want the usage error %q", name, args, err, want)
		}
		if out.Len() != 0 {
			t.Errorf("%s %q printed %q; the error must be printed once, by main", name, args, out.String())
		}
	}
}

// CheckBackendMissing runs the tool with args and MIXFLOW_BACKEND=cuda on a machine whose GPUs are
// hidden (CUDA_VISIBLE_DEVICES empty), in a test process that has not created its backend yet, and
// checks that the tool stops before any work with the backend's one-line error, named once
// ("name: backend: MIXFLOW_BACKEND=cuda but there is no GPU …"), and printed nothing itself.
func CheckBackendMissing(t *testing.T, run Run, name string, args ...string) {
	t.Helper()
	t.Setenv("MIXFLOW_BACKEND", "cuda")
	t.Setenv("CUDA_VISIBLE_DEVICES", "")
	var out, report bytes.Buffer
	err := run(args, &out, &out)
	if err == nil {
		t.Fatalf("%s %q with MIXFLOW_BACKEND=cuda and no GPU: no error", name, args)
	}
	cli.Report(&report, name, err)
	want := name + ": backend: MIXFLOW_BACKEND=cuda but there is no GPU (CUDA_VISIBLE_DEVICES hides all GPUs)"
	if got := report.String(); !strings.HasPrefix(got, want) || strings.Count(got, "backend:") != 1 || strings.Count(got, "\n") != 1 {
		t.Errorf("%s %q printed %q, want one line starting %q with one prefix", name, args, got, want)
	}
	if out.Len() != 0 {
		t.Errorf("%s %q printed %q before failing; the error must be printed once, by main", name, args, out.String())
	}
}

// CheckTrainer is Check with the bad command lines every training tool refuses (-batch 0, -lr 0,
// -lr NaN, an extra argument, an unknown flag) plus more.
func CheckTrainer(t *testing.T, run Run, name, summary string, more map[string][]string) {
	t.Helper()
	bad := map[string][]string{
		"-batch 0: must be > 0": {"-batch", "0"}, "-lr 0: must be > 0": {"-lr", "0"}, "-lr NaN: must be > 0": {"-quick", "-lr", "NaN"},
		`unexpected arguments ["x"]`: {"x"}, "flag provided but not defined: -nope (run '" + name + " -h' for the flags)": {"-nope"},
	}
	for k, v := range more {
		bad[k] = v
	}
	Check(t, run, name, summary, bad)
}
