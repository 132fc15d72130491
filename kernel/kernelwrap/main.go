// Command kernelwrap runs GoNB for the MixFlow kernel: kernel.json's argv is
// `kernel.sh kernelwrap gonb --kernel {connection_file} ...`. It adds two things to GoNB:
//
//   - A readable server log. GoNB logs every start's test lines ("Info message", "Warning message",
//     "Error message"), a line per cell and a goroutine stack trace at every shutdown, all on stderr,
//     which Jupyter copies into the terminal that started the server. kernelwrap passes GoNB's
//     warnings and errors (and anything that is not a log entry, such as a panic) and drops the
//     rest; with MIXFLOW_KERNEL_LOG=raw in the server's environment it passes everything.
//   - Nothing left behind. On Linux the process Jupyter starts (and may kill with SIGKILL) only
//     launches a supervisor in its own process group, which the kernel tells when the launcher
//     dies. The supervisor runs GoNB, adopts every process GoNB starts (gopls, the cells' programs)
//     when their parent dies, and when GoNB exits or the launcher dies it stops GoNB, kills whatever
//     is left and removes GoNB's directory of generated code (/tmp/gonb_*) if GoNB could not.
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
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv(LogVar), os.Stderr))
}

// forwarded are the signals kernelwrap passes on to GoNB: SIGINT interrupts a cell, the others
// stop the kernel.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// parentVar carries the launcher's process id to the supervisor (Linux); it is not passed on to GoNB.
const parentVar = "MIXFLOW_KERNELWRAP_PARENT"

const usageLine = "mixflow kernel: kernelwrap needs the GoNB command line (kernelwrap GONB ARGS...); re-run `go run ./kernel install`"

// supervision is what the platform adds around GoNB.
type supervision struct {
	attr *syscall.SysProcAttr // how GoNB is started
	// orphaned reports whether the process that should be watching (the launcher) is gone; GoNB is
	// then stopped.
	orphaned func() bool
	// cleanup runs after GoNB exited: it ends the processes GoNB left behind.
	cleanup func()
}

// runGoNB starts GoNB (args) with its stderr through the log filter, forwards signals to it, and
// returns its exit status once it and whatever it left behind are gone.
func runGoNB(args []string, logMode string, stderr io.Writer, sup supervision) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usageLine)
		return 2
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout = os.Stdin, os.Stdout
	cmd.SysProcAttr = sup.attr
	logs, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(stderr, "mixflow kernel: starting %s: %v\n", args[0], err)
		return 2
	}
	cmd.Stderr = w
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	err = cmd.Start()
	_ = w.Close() // GoNB (and whatever inherits its stderr) holds the only writer now
	if err != nil {
		_ = logs.Close()
		fmt.Fprintf(stderr, "mixflow kernel: starting %s: %v; re-run `go run ./kernel install`\n", args[0], err)
		return 2
	}
	exited := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				if sup.orphaned != nil && sup.orphaned() {
					// The launcher is gone (the kernel was killed): nobody reads GoNB's replies, and
					// GoNB v0.11.5 can panic on SIGTERM mid-dispatch, spilling a stack into the server
					// log. End it at once; cleanup ends its processes and the temp dir goes below.
					killGroup(cmd.Process)
					continue
				}
				_ = cmd.Process.Signal(s)
			case <-exited:
				return
			}
		}
	}()

	var tempDir struct {
		sync.Mutex
		dir string
	}
	f := &logFilter{w: stderr, raw: rawLog(logMode, stderr), onTempDir: func(d string) {
		tempDir.Lock()
		tempDir.dir = d
		tempDir.Unlock()
	}}
	copied := make(chan struct{})
	go func() {
		if f.copy(logs) != nil {
			_, _ = io.Copy(io.Discard, logs) // the server log is gone; keep GoNB from blocking on it
		}
		close(copied)
	}()
	status := exitStatus(cmd.Wait())
	close(exited)
	if sup.cleanup != nil {
		sup.cleanup()
	}
	select { // the rest of GoNB's log, unless a process nobody could end still holds the pipe
	case <-copied:
	case <-time.After(logDrain):
	}
	if !slices.Contains(args, "-work") && !slices.Contains(args, "--work") { // GoNB's flag to keep it
		tempDir.Lock()
		removeTempDir(tempDir.dir)
		tempDir.Unlock()
	}
	return status
}

// logDrain is how long kernelwrap reads the log after GoNB and its processes are gone.
const logDrain = 2 * time.Second

// killGroup kills p and its process group, when it leads one.
func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	_ = p.Kill()
}

// gonbTempDir matches the base name of GoNB's directory of generated code.
var gonbTempDir = regexp.MustCompile(`^gonb_[0-9a-f]+$`)

// removeTempDir removes GoNB's directory of generated code, which it removes itself on a clean
// exit but not when it is killed. Only a directory named like GoNB's is touched.
func removeTempDir(dir string) {
	if dir == "" || !filepath.IsAbs(dir) || !gonbTempDir.MatchString(filepath.Base(dir)) {
		return
	}
	if fi, err := os.Lstat(dir); err == nil && fi.IsDir() {
		_ = os.RemoveAll(dir)
	}
}

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
