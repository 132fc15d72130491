// Package nb holds the few helpers every notebook cell uses, so that notebooks stop redefining them:
// Must and Check stop the cell on an error with the error's one-line message and no Go stack trace
// (`kernel exec` then reports the cell as failed: "exit status 1: <message>"), and Interruptible is the context the kernel's interrupt cancels (a training run then stops
// after its current step, saves a checkpoint and resumes when the cell runs again).
//
// Each GoNB cell is a separate process, so these are plain functions with no state.
package nb

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/gomlx/compute"

	"github.com/mixflow/mixflow/mixflowlib/backend"
)

// Must returns v, or stops the cell with err when err is not nil:
//
//	base := nb.Must(lab.TrainBase(nb.Interruptible(), spec))
func Must[T any](v T, err error) T {
	Check(err)
	return v
}

// Check stops the cell when err is not nil: it prints err's text on stderr, once
// ("objective: gamma 1.3 outside [0, 1]"), and exits with status 1. A library error already names its
// package, input and problem, so a stack trace would only hide it.
func Check(err error) {
	if err != nil {
		fmt.Fprintln(stderr, err)
		exit(1)
	}
}

// Backend returns the cell's compute backend, asked once from mixflowlib/backend (which alone
// chooses it), for the cell to pass down: trainer.Config.Backend, evaluator.Options.Backend,
// rae.Autoencoder.Backend, sampler.New. A backend that cannot be had (MIXFLOW_BACKEND=cuda without a
// GPU) stops the cell with the backend's one-line message.
func Backend() compute.Backend { return Must(backend.New()) }

// stderr and exit are the process's; tests replace them.
var (
	stderr io.Writer = os.Stderr
	exit             = os.Exit
)

// Interruptible returns a context cancelled by the kernel's interrupt (SIGINT): pass it to the
// library's long computations (training, sweeps, evaluation), which stop cleanly and resume on the next
// run of the cell.
func Interruptible() context.Context {
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt)
	return ctx
}
