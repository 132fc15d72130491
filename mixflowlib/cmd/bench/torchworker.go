package main

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed torch_baseline.py
var torchScript []byte

// installHint is the fix for a missing PyTorch, repeated in every such error.
const installHint = "apt-get install python3-torch (Debian's PyTorch, run by /usr/bin/python3), or pass -go-only to time the Go side alone"

// errNoTorch marks a Python that cannot import torch.
var errNoTorch = errors.New("PyTorch not available")

// script is the temporary copy of the embedded PyTorch script.
var script struct {
	mu   sync.Mutex
	path string
}

// scriptFile writes the embedded PyTorch script to a temporary file (once, until removeScript) and
// returns its path.
func scriptFile() (string, error) {
	script.mu.Lock()
	defer script.mu.Unlock()
	if script.path != "" {
		if _, err := os.Stat(script.path); err == nil {
			return script.path, nil
		}
	}
	dir, err := os.MkdirTemp("", "mixflow-bench-")
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	p := filepath.Join(dir, "torch_baseline.py")
	if err := os.WriteFile(p, torchScript, 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return "", fmt.Errorf("bench: writing the PyTorch script: %w", err)
	}
	script.path = p
	return p, nil
}

// removeScript deletes the temporary script, if it was written.
func removeScript() {
	script.mu.Lock()
	defer script.mu.Unlock()
	if script.path != "" {
		_ = os.RemoveAll(filepath.Dir(script.path))
		script.path = ""
	}
}

// torchReady is the first line a worker prints.
type torchReady struct {
	Ready           bool   `json:"ready"`
	Params          int    `json:"params"`
	Torch           string `json:"torch"`
	Threads         int    `json:"threads"`
	OpenBLASThreads string `json:"openblas_threads"`
	BLAS            string `json:"blas"`
	Error           string `json:"error"`
	Detail          string `json:"detail"`
}

// torchReply is a worker's answer to "steps N" or "verify DIR".
type torchReply struct {
	Steps      int      `json:"steps"`
	Seconds    float64  `json:"seconds"`
	CPUSeconds float64  `json:"cpu_seconds"`
	Loss       *float64 `json:"loss"`
	Verified   bool     `json:"verified"`
	Assigned   int      `json:"assigned"`
	Shape      []int    `json:"shape"`
}

// live holds the running workers, so that an interrupted bench can stop them (killWorkers).
var live struct {
	mu      sync.Mutex
	workers map[*torchWorker]bool
}

// killWorkers kills every running worker (on SIGINT/SIGTERM, when deferred Close calls do not run).
func killWorkers() {
	live.mu.Lock()
	defer live.mu.Unlock()
	for w := range live.workers {
		_ = w.cmd.Process.Kill()
	}
}

// torchWorker is a running PyTorch baseline process at one thread count, driven line by line.
type torchWorker struct {
	threads int
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Scanner
	stderr  *tailBuffer
	ready   torchReady
}

// startTorch starts the PyTorch worker for spec with python, with every BLAS/OpenMP thread count set to
// threads, and waits until it has built its model. A Python without torch returns an error wrapping
// errNoTorch.
func startTorch(python string, spec map[string]any, threads int) (*torchWorker, error) {
	if _, err := exec.LookPath(python); err != nil {
		return nil, fmt.Errorf("bench: -torch-python %s: %v: %w: %s", python, err, errNoTorch, installHint)
	}
	script, err := scriptFile()
	if err != nil {
		return nil, err
	}
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	cmd := exec.Command(python, script, string(specJSON))
	n := strconv.Itoa(threads)
	cmd.Env = append(os.Environ(), "OPENBLAS_NUM_THREADS="+n, "OMP_NUM_THREADS="+n, "MKL_NUM_THREADS="+n,
		"PYTHONUNBUFFERED=1", "PYTHONDONTWRITEBYTECODE=1")
	w := &torchWorker{threads: threads, cmd: cmd, stderr: &tailBuffer{max: 4096}}
	cmd.Stderr = w.stderr
	if w.in, err = cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	w.out = bufio.NewScanner(stdout)
	w.out.Buffer(make([]byte, 64<<10), 16<<20)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: starting %s: %w", python, err)
	}
	live.mu.Lock()
	if live.workers == nil {
		live.workers = map[*torchWorker]bool{}
	}
	live.workers[w] = true
	live.mu.Unlock()
	line, err := w.readLine()
	if err == nil {
		err = json.Unmarshal(line, &w.ready)
	}
	if err != nil || !w.ready.Ready {
		w.Close()
		if w.ready.Error == "no_torch" {
			return nil, fmt.Errorf("bench: %s cannot import torch (%s): %w: %s", python, w.ready.Detail, errNoTorch, installHint)
		}
		return nil, w.failure("starting", err)
	}
	return w, nil
}

// readLine returns the next stdout line of the worker.
func (w *torchWorker) readLine() ([]byte, error) {
	if !w.out.Scan() {
		if err := w.out.Err(); err != nil {
			return nil, err
		}
		return nil, io.ErrUnexpectedEOF
	}
	return w.out.Bytes(), nil
}

// failure describes a worker that stopped answering, with the end of its stderr.
func (w *torchWorker) failure(doing string, err error) error {
	msg := strings.TrimSpace(w.stderr.String())
	if msg == "" && err != nil {
		msg = err.Error()
	}
	return fmt.Errorf("bench: PyTorch worker (%d threads) failed while %s: %s", w.threads, doing, msg)
}

// call sends one command and decodes the reply.
func (w *torchWorker) call(command string) (torchReply, error) {
	var r torchReply
	if _, err := io.WriteString(w.in, command+"\n"); err != nil {
		return r, w.failure(command, err)
	}
	line, err := w.readLine()
	if err == nil {
		err = json.Unmarshal(line, &r)
	}
	if err != nil {
		return r, w.failure(command, err)
	}
	return r, nil
}

// Rebuild replaces the worker's model and optimiser by those of spec (the thread count stays) and
// returns the new "ready" reply.
func (w *torchWorker) Rebuild(spec map[string]any) (torchReady, error) {
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return torchReady{}, fmt.Errorf("bench: %w", err)
	}
	if _, err := io.WriteString(w.in, "build "+string(specJSON)+"\n"); err != nil {
		return torchReady{}, w.failure("rebuilding", err)
	}
	line, err := w.readLine()
	var r torchReady
	if err == nil {
		err = json.Unmarshal(line, &r)
	}
	if err != nil || !r.Ready {
		return r, w.failure("rebuilding", err)
	}
	w.ready = r
	return r, nil
}

// Steps runs n training steps and returns their timing and the last loss (NaN if not finite).
func (w *torchWorker) Steps(n int) (Run, float64, error) {
	r, err := w.call("steps " + strconv.Itoa(n))
	if err != nil {
		return Run{}, 0, err
	}
	loss := math.NaN()
	if r.Loss != nil {
		loss = *r.Loss
	}
	return Run{Steps: r.Steps, Seconds: r.Seconds, CPUSeconds: r.CPUSeconds}, loss, nil
}

// Verify asks the worker to load the weights and inputs in dir and write its forward output.
func (w *torchWorker) Verify(dir string) (torchReply, error) {
	r, err := w.call("verify " + dir)
	if err == nil && !r.Verified {
		err = w.failure("verifying", errors.New("no verification result"))
	}
	return r, err
}

// Close stops the worker.
func (w *torchWorker) Close() {
	if w == nil || w.cmd == nil || w.cmd.Process == nil {
		return
	}
	live.mu.Lock()
	delete(live.workers, w)
	live.mu.Unlock()
	_, _ = io.WriteString(w.in, "quit\n")
	_ = w.in.Close()
	done := make(chan struct{})
	go func() { _ = w.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = w.cmd.Process.Kill()
		<-done
	}
}

// tailBuffer keeps the last max bytes written to it (a worker's stderr).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

// Write implements io.Writer.
func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

// String returns the kept bytes.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
