// Command kernelwrap runs GoNB for the MixFlow kernel: kernel.json's argv is
// `kernel.sh kernelwrap gonb --kernel {connection_file} ...`. It keeps the Jupyter server's log
// readable: GoNB logs every start's test lines ("Info message", "Warning message", "Error
// message"), a line per cell and a goroutine stack trace at every shutdown, all on stderr, which
// Jupyter copies into the terminal that started the server. kernelwrap passes GoNB's warnings and
// errors (and anything that is not a log entry, such as a panic) and drops the rest; with
// MIXFLOW_KERNEL_LOG=raw in the server's environment it passes everything.
//
// `go run ./kernel install` builds it into the kernelspec's bin directory.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv(LogVar), os.Stderr))
}

// forwarded are the signals kernelwrap passes on to GoNB: SIGINT interrupts a cell, the others
// stop the kernel.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// run starts GoNB (args) with its stderr through the log filter and returns its exit status.
func run(args []string, logMode string, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "mixflow kernel: kernelwrap needs the GoNB command line (kernelwrap GONB ARGS...); re-run `go run ./kernel install`")
		return 2
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout = os.Stdin, os.Stdout
	logs, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(stderr, "mixflow kernel: starting %s: %v\n", args[0], err)
		return 2
	}
	cmd.Stderr = w
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, forwarded...)
	err = cmd.Start()
	_ = w.Close() // GoNB (and whatever inherits its stderr) holds the only writer now
	if err != nil {
		fmt.Fprintf(stderr, "mixflow kernel: starting %s: %v; re-run `go run ./kernel install`\n", args[0], err)
		return 2
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	f := &logFilter{w: stderr, raw: rawLog(logMode, stderr)}
	copied := make(chan struct{})
	go func() {
		if f.copy(logs) != nil {
			_, _ = io.Copy(io.Discard, logs) // the server log is gone; keep GoNB from blocking on it
		}
		close(copied)
	}()
	status := exitStatus(cmd.Wait())
	select { // the rest of GoNB's log, unless a process it left behind still holds the pipe
	case <-copied:
	case <-time.After(logDrain):
	}
	return status
}

// logDrain is how long kernelwrap reads the log after GoNB exited.
const logDrain = 2 * time.Second

// exitStatus is the status a process exiting with err reports: the child's own, or 128+signal when
// a signal killed it, as a shell does.
func exitStatus(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	return 1
}
