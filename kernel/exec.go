package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mixflow/mixflow/kernel/notebook"
	"github.com/mixflow/mixflow/mixflowlib/env"
)

//go:embed nbrun.py
var nbrunPy []byte

// execOptions configures `kernel exec`.
type execOptions struct {
	timeout        time.Duration // per cell
	startupTimeout time.Duration // for the kernel to answer
	quick          bool          // MIXFLOW_QUICK=1 in the kernel's environment
	outDir         string        // write executed copies here (same file name)
	inPlace        bool          // overwrite the input notebooks
	kernel         string        // kernelspec to run; "" means the notebook's own (which must be ours)
	python         string        // interpreter with nbclient
	out            io.Writer     // progress and verdicts
}

// job is one notebook to execute.
type job struct {
	input, output string
	kernel        string
	codeCells     int
}

// runnerResult is what nbrun.py writes.
type runnerResult struct {
	Status  string  `json:"status"`
	Cell    *int    `json:"cell"`
	Message string  `json:"message"`
	Seconds float64 `json:"seconds"`
}

// defaultPython is the interpreter that has Jupyter: $MIXFLOW_PYTHON, else Debian's /usr/bin/python3
// (the python3 first on PATH may be a pyenv or venv interpreter without Debian's packages).
func defaultPython() string {
	if p := os.Getenv("MIXFLOW_PYTHON"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	return "python3"
}

// planJobs checks every notebook before anything runs: it exists, it is a notebook, it uses our kernel.
func planJobs(paths []string, o execOptions) ([]job, error) {
	if len(paths) == 0 {
		return nil, errors.New("kernel exec: no notebook given; usage: go run ./kernel exec [flags] NOTEBOOK.ipynb...")
	}
	var jobs []job
	seen := map[string]bool{}
	for _, p := range paths {
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return nil, fmt.Errorf("kernel exec: %s: no such notebook; check the path (the project's notebooks are in notebooks/)", p)
		case err != nil:
			return nil, fmt.Errorf("kernel exec: %s: %s", p, describeFSError(err))
		case fi.IsDir():
			return nil, fmt.Errorf("kernel exec: %s is a directory; give notebook files, e.g. %s", p, filepath.Join(p, "*.ipynb"))
		}
		nb, err := notebook.Read(p)
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "notebook: ")
			return nil, fmt.Errorf("kernel exec: %s; fix the file or re-save it from Jupyter", msg)
		}
		kernel := nb.Kernel.Name
		switch {
		case kernel == "":
			return nil, fmt.Errorf("kernel exec: %s declares no kernel; open it in Jupyter and pick Kernel > Change kernel > %s, or set metadata.kernelspec.name to %q", p, defaultDisplayName, defaultKernelName)
		case o.kernel == "" && kernel != defaultKernelName:
			return nil, fmt.Errorf("kernel exec: %s uses kernel %q, not %q; switch it with Kernel > Change kernel > %s, or pass --kernel %s to run it anyway", p, kernel, defaultKernelName, defaultDisplayName, kernel)
		case o.kernel != "" && kernel != defaultKernelName && kernel != o.kernel:
			return nil, fmt.Errorf("kernel exec: %s uses kernel %q, neither %q nor --kernel %s; switch it with Kernel > Change kernel > %s", p, kernel, defaultKernelName, o.kernel, defaultDisplayName)
		}
		if o.kernel != "" {
			kernel = o.kernel
		}
		out, err := outputPath(p, o)
		if err != nil {
			return nil, err
		}
		if seen[out] {
			return nil, fmt.Errorf("kernel exec: two notebooks would be written to %s; give distinct names or drop --out", out)
		}
		seen[out] = true
		n := 0
		for _, c := range nb.Cells {
			if c.Type == "code" && strings.TrimSpace(c.Source) != "" {
				n++
			}
		}
		jobs = append(jobs, job{input: p, output: out, kernel: kernel, codeCells: n})
	}
	return jobs, nil
}

// outputPath is where the executed copy of input goes.
func outputPath(input string, o execOptions) (string, error) {
	absIn, err := filepath.Abs(input)
	if err != nil {
		return "", fmt.Errorf("kernel exec: %s: %w", input, err)
	}
	switch {
	case o.inPlace:
		return input, nil
	case o.outDir != "":
		out := filepath.Join(o.outDir, filepath.Base(input))
		if absOut, _ := filepath.Abs(out); absOut == absIn {
			return "", fmt.Errorf("kernel exec: --out %s would overwrite %s; use --inplace to refresh a notebook's outputs", o.outDir, input)
		}
		return out, nil
	default:
		return strings.TrimSuffix(input, filepath.Ext(input)) + ".executed.ipynb", nil
	}
}

// runExec executes the notebooks one after the other and reports each. It returns the number of
// notebooks that failed; an error means nothing could be judged (bad arguments, no Jupyter, no kernel).
func runExec(ctx context.Context, paths []string, o execOptions) (int, error) {
	jobs, err := planJobs(paths, o)
	if err != nil {
		return 0, err
	}
	if o.outDir != "" {
		if err := os.MkdirAll(o.outDir, 0o755); err != nil {
			return 0, fmt.Errorf("kernel exec: cannot create --out %s: %s", o.outDir, describeFSError(err))
		}
	}
	if o.quick {
		fmt.Fprintf(o.out, "kernel exec: quick mode (%s=1)\n", env.QuickVar)
	}
	failed := 0
	for _, j := range jobs {
		ok, err := execOne(ctx, j, o)
		if err != nil {
			return failed, err
		}
		if !ok {
			failed++
		}
	}
	if len(jobs) > 1 {
		fmt.Fprintf(o.out, "kernel exec: %d notebooks, %d passed, %d failed\n", len(jobs), len(jobs)-failed, failed)
	}
	return failed, nil
}

// execOne runs one notebook through nbrun.py and judges the executed copy.
func execOne(ctx context.Context, j job, o execOptions) (bool, error) {
	work, err := os.MkdirTemp("", "mixflow-exec-")
	if err != nil {
		return false, fmt.Errorf("kernel exec: creating a temporary directory: %w", err)
	}
	keepWork := false
	defer func() {
		if !keepWork {
			_ = os.RemoveAll(work)
		}
	}()
	script := filepath.Join(work, "nbrun.py")
	resultFile := filepath.Join(work, "result.json")
	logFile := filepath.Join(work, "kernel.log")
	cfg := map[string]any{
		"input":           j.input,
		"output":          j.output,
		"result":          resultFile,
		"kernel":          j.kernel,
		"timeout":         o.timeout.Seconds(),
		"startup_timeout": o.startupTimeout.Seconds(),
		"marker":          notebook.MarkerPattern,
	}
	cfgData, _ := json.Marshal(cfg)
	cfgFile := filepath.Join(work, "config.json")
	if err := os.WriteFile(script, nbrunPy, 0o644); err != nil {
		return false, fmt.Errorf("kernel exec: %w", err)
	}
	if err := os.WriteFile(cfgFile, cfgData, 0o644); err != nil {
		return false, fmt.Errorf("kernel exec: %w", err)
	}
	logf, err := os.Create(logFile)
	if err != nil {
		return false, fmt.Errorf("kernel exec: %w", err)
	}
	defer func() { _ = logf.Close() }()

	fmt.Fprintf(o.out, "kernel exec: running %s (%d code cells, kernel %s)\n", j.input, j.codeCells, j.kernel)
	// nbclient enforces the per-cell timeout; this bound only catches a runner that hangs otherwise.
	guard := o.startupTimeout + time.Duration(j.codeCells+1)*o.timeout + 2*time.Minute
	rctx, cancel := context.WithTimeout(ctx, guard)
	defer cancel()
	cmd := exec.CommandContext(rctx, o.python, script, cfgFile)
	cmd.Stdout = o.out
	cmd.Stderr = logf
	environ := mergeEnv(os.Environ(), "PYTHONUNBUFFERED=1")
	if o.quick {
		environ = mergeEnv(environ, env.QuickVar+"=1")
	}
	// No browser watches a headless run: interactive controls show their default at once instead of
	// waiting for a front-end (set MIXFLOW_WIDGETS yourself to test the bounded wait).
	if os.Getenv("MIXFLOW_WIDGETS") == "" {
		environ = mergeEnv(environ, "MIXFLOW_WIDGETS=static")
	}
	cmd.Env = environ
	// SIGTERM lets nbclient shut the kernel down; SIGKILL follows if it does not exit.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	runErr := cmd.Run()

	var res runnerResult
	if data, err := os.ReadFile(resultFile); err != nil || json.Unmarshal(data, &res) != nil {
		logTail, _ := os.ReadFile(logFile)
		if errors.Is(runErr, exec.ErrNotFound) || os.IsNotExist(runErr) || isNotFound(runErr) {
			return false, fmt.Errorf("kernel exec: Jupyter is not installed: no Python interpreter %s; run scripts/setup.sh (or sudo apt-get install python3-nbclient jupyter-nbconvert python3-ipykernel), or point MIXFLOW_PYTHON at a python3 that has nbclient", o.python)
		}
		if ctx.Err() != nil {
			return false, fmt.Errorf("kernel exec: %s: interrupted", j.input)
		}
		if rctx.Err() != nil {
			return false, fmt.Errorf("kernel exec: %s: the notebook runner did not finish within %s and was stopped", j.input, guard)
		}
		return false, fmt.Errorf("kernel exec: %s: the notebook runner (%s) failed: %v\n%s", j.input, o.python, runErr, tail(string(logTail), 15))
	}
	switch res.Status {
	case "no_jupyter":
		return false, fmt.Errorf("kernel exec: Jupyter is not installed for %s (%s); run scripts/setup.sh (or sudo apt-get install python3-nbclient jupyter-nbconvert python3-ipykernel), or point MIXFLOW_PYTHON at a python3 that has nbclient", o.python, res.Message)
	case "no_kernel":
		return false, fmt.Errorf("kernel exec: kernel %q is not installed (Jupyter searched %s); run: go run ./kernel install", j.kernel, res.Message)
	case "start_failed":
		keepWork = true
		return false, fmt.Errorf("kernel exec: %s: kernel %q did not start (%s); see %s, and run `go run ./kernel doctor`", j.input, j.kernel, res.Message, logFile)
	}

	// Judge from the executed notebook itself: the same rules apply to any executed notebook.
	nb, err := notebook.Read(j.output)
	if err != nil {
		return false, fmt.Errorf("kernel exec: reading the executed copy: %w", err)
	}
	failures := nb.Failures()
	if res.Status == "ok" && len(failures) == 0 {
		fmt.Fprintf(o.out, "PASS %s (%.1f s) -> %s\n", j.input, res.Seconds, j.output)
		return true, nil
	}
	keepWork = true
	var msg string
	switch {
	case (res.Status == "timeout" || res.Status == "dead") && res.Cell != nil:
		// The kernel's own reaction (e.g. "signal: interrupt" on stderr) says less than the runner.
		msg = fmt.Sprintf("cell %d: %s", *res.Cell, res.Message)
	case len(failures) > 0:
		f := failures[0]
		msg = f.String()
		if f.Detail != "" && f.Detail != f.Message {
			msg += "\n" + indent(f.Detail, "    | ")
		}
	case res.Cell != nil:
		msg = fmt.Sprintf("cell %d: %s (%s)", *res.Cell, res.Message, res.Status)
	default:
		msg = fmt.Sprintf("%s (%s)", res.Message, res.Status)
	}
	fmt.Fprintf(o.out, "FAIL %s: %s\n     executed copy: %s\n     kernel log: %s\n", j.input, msg, j.output, logFile)
	return false, nil
}

func isNotFound(err error) bool {
	var pe *os.PathError
	return errors.As(err, &pe) && errors.Is(pe.Err, syscall.ENOENT)
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n")
}
