// Command kernel installs, checks and drives the MixFlow Jupyter kernel ("MixFlow (Go)", kernelspec
// name "mixflow"), a GoNB kernel whose cells can import this repository's packages with no set-up.
//
// Run it from the repository with Go 1.27.3 and SIMD kernels:
//
//	export GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd
//	go run ./kernel install            # build GoNB+tools, write the kernelspec, pre-warm the build cache
//	go run ./kernel doctor             # what is installed, what is missing, and the fix for each
//	go run ./kernel exec --quick notebooks/*.ipynb   # execute headless; fail on any cell error
//	go run ./kernel lab                # open JupyterLab 4 on the notebooks (port 8888, --port N)
//	go run ./kernel export --out build/html notebooks/*.ipynb   # HTML pages that work offline
//
// install writes the kernelspec into the user's Jupyter data dir ($JUPYTER_DATA_DIR, else
// ~/.local/share/jupyter), or PREFIX/share/jupyter with --prefix. The kernelspec directory holds GoNB,
// goimports and gopls built from tools/go.mod, the go wrapper of kernel/gowrap, GoNB's wrapper
// kernel/kernelwrap (warnings and errors only in the server log; MIXFLOW_KERNEL_LOG=raw for all), a launcher,
// kernel.json, and echarts.min.js when the widgets' npm asset is available. Cells get
// GOTOOLCHAIN=go1.27.3, GOEXPERIMENT=simd, GOMLX_NO_AUTO_INSTALL=1, MIXFLOW_BACKEND=auto (unless set
// where Jupyter starts), MIXFLOW_REPO, MIXFLOW_ECHARTS_JS and GOFLAGS with -ldflags=-w (faster links)
// and, on machines without an NVIDIA GPU, -tags=noxla (no cgo link of the XLA backend; --xla yes keeps
// it). Every cell's module joins a go.work that uses this repository (GoNB's -go_work) and requires
// the versions this repository pins, so its imports resolve offline. The install is staged next to
// kernels/ and renamed into place, so an interrupted install leaves the previous one intact. It then
// signs notebooks/*.ipynb into the user's nbsignatures.db (as File > Trust Notebook does), so the
// bundled notebooks open trusted, with interactive charts (--no-trust skips it).
//
// exec runs each notebook through nbclient with Debian's /usr/bin/python3 (or $MIXFLOW_PYTHON),
// writes the executed copy (NAME.executed.ipynb beside the input, DIR/NAME.ipynb with --out, or the
// input itself with --inplace), and fails when any cell fails: error replies, and panics or non-zero
// exits that GoNB reports on stderr (see package kernel/notebook). Exit status: 0 all passed,
// 1 a notebook failed, 2 bad arguments or environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

const usage = `usage: go run ./kernel <command> [flags]

commands:
  install   build GoNB, goimports and gopls, install the %q kernelspec, pre-warm the build cache
  doctor    report what is installed and what is missing, with the fix for each
  exec      execute notebooks headless through Jupyter; fail on any cell error
  lab       open JupyterLab on the notebooks (checks JupyterLab 4 and the port first)
  export    write notebooks as HTML pages that open on another machine, offline
  slim      rewrite notebooks' outputs to the compact form (each image stored once)

Run "go run ./kernel <command> -h" for the command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and returns the exit status: 0 success, 1 a notebook or an install
// failed, 2 bad arguments or a missing prerequisite.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintf(stderr, usage, defaultKernelName)
		return 2
	}
	var code int
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "install":
		code, err = cmdInstall(ctx, rest, stdout, stderr)
	case "doctor":
		code, err = cmdDoctor(ctx, rest, stdout, stderr)
	case "exec":
		code, err = cmdExec(ctx, rest, stdout, stderr)
	case "lab":
		code, err = cmdLab(ctx, rest, stdout, stderr)
	case "export":
		code, err = cmdExport(ctx, rest, stdout, stderr)
	case "slim":
		code, err = cmdSlim(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprintf(stdout, usage, defaultKernelName)
		return 0
	default:
		fmt.Fprintf(stderr, "kernel: unknown command %q\n"+usage, cmd, defaultKernelName)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
	}
	return code
}

// parseFlags parses a command's flags; it returns the positional arguments, or an exit status when
// the command should stop (the flag package has then printed the problem or the help).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	pos, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return nil, 0, false
	case err != nil:
		return nil, 2, false
	}
	return pos, 0, true
}

// parseFlagsOnly parses the flags of a command that takes no positional arguments and runs in the
// repository: it returns the repository, or, with ok false, the exit status and error the command stops
// with (a positional argument, no repository, or what parseFlags reports).
func parseFlagsOnly(fs *flag.FlagSet, args []string) (repo string, code int, ok bool, err error) {
	pos, code, ok := parseFlags(fs, args)
	switch {
	case !ok:
		return "", code, false, nil
	case len(pos) > 0:
		return "", 2, false, fmt.Errorf("%s: unexpected argument %q (flags only; see -h)", fs.Name(), pos[0])
	}
	if repo, err = repoHere(); err != nil {
		return "", 2, false, err
	}
	return repo, 0, true, nil
}

// parseInterspersed parses flags that may appear before, between or after positional arguments
// (`exec a.ipynb --quick b.ipynb`); "--" ends flag parsing.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlagSet(name string, stderr io.Writer, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("kernel "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./kernel %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func cmdInstall(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("install", stderr, "install [flags]")
	prefix := fs.String("prefix", "", "install into `PREFIX`/share/jupyter (e.g. /usr/local for all users) instead of the user's data dir ($JUPYTER_DATA_DIR or ~/.local/share/jupyter)")
	name := fs.String("name", defaultKernelName, "kernelspec `name`")
	display := fs.String("display-name", defaultDisplayName, "kernel name shown by Jupyter")
	noGopls := fs.Bool("no-gopls", false, "skip gopls (no completion or inspect in notebooks; faster install)")
	noWarm := fs.Bool("no-warm", false, "skip pre-warming the Go build cache (the first cell then compiles the library)")
	noNpm := fs.Bool("no-npm", false, "do not run `npm ci` for the ECharts asset (an already fetched one is still installed)")
	htmlErrors := fs.Bool("html-errors", false, "GoNB's HTML compile-error reports instead of plain text (breaks jupyter_kernel_test's error test)")
	xla := fs.String("xla", "auto", "link GoMLX's XLA backend into cells: auto (only when an NVIDIA GPU is visible), yes, or no")
	noTrust := fs.Bool("no-trust", false, "do not mark the repository's notebooks trusted (their charts then show static images until File > Trust Notebook)")
	python := fs.String("python", defaultPython(), "Python interpreter with nbformat, for trusting the notebooks ($MIXFLOW_PYTHON)")
	repo, code, ok, err := parseFlagsOnly(fs, args)
	if !ok {
		return code, err
	}
	dataDir, err := installDataDir(*prefix)
	if err != nil {
		return 2, err
	}
	start := time.Now()
	res, err := runInstall(ctx, installOptions{
		repo: repo, dataDir: dataDir, name: *name, displayName: *display,
		gopls: !*noGopls, warm: !*noWarm, npm: !*noNpm, htmlErrors: *htmlErrors, xla: *xla,
		trust: !*noTrust, python: *python, out: stdout,
	})
	if err != nil {
		return 1, err
	}
	fmt.Fprintf(stdout, "kernel install: done in %.1f s (%d packages pre-compiled, %d warnings); pick %q in Jupyter, check with `go run ./kernel doctor`\n",
		time.Since(start).Seconds(), res.warmed, len(res.warnings), *display)
	return 0, nil
}

func cmdDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("doctor", stderr, "doctor [flags]")
	name := fs.String("kernel", defaultKernelName, "kernelspec `name` to check")
	python := fs.String("python", defaultPython(), "Python interpreter that has Jupyter ($MIXFLOW_PYTHON)")
	repo, code, ok, err := parseFlagsOnly(fs, args)
	if !ok {
		return code, err
	}
	if !runDoctor(ctx, doctorOptions{repo: repo, name: *name, python: *python, out: stdout}) {
		return 1, nil
	}
	return 0, nil
}

func cmdExec(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("exec", stderr, "exec [flags] NOTEBOOK.ipynb...")
	timeout := fs.Duration("timeout", 10*time.Minute, "per-cell `timeout`, e.g. 90s or 20m")
	startup := fs.Duration("startup-timeout", 2*time.Minute, "how long the kernel may take to start")
	quick := fs.Bool("quick", false, "quick mode: MIXFLOW_QUICK=1 in the kernel's environment (notebooks shrink their work)")
	outDir := fs.String("out", "", "write executed copies into `DIR` (same file names) instead of NAME.executed.ipynb beside each input")
	inPlace := fs.Bool("inplace", false, "overwrite each input with its executed copy (to refresh committed outputs)")
	kernelName := fs.String("kernel", "", "run on this kernelspec `name` instead of the notebook's own (which must be "+defaultKernelName+")")
	python := fs.String("python", defaultPython(), "Python interpreter that has nbclient ($MIXFLOW_PYTHON)")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code, nil
	}
	switch {
	case *inPlace && *outDir != "":
		return 2, errors.New("kernel exec: --inplace and --out exclude each other")
	case *timeout <= 0 || *startup <= 0:
		return 2, errors.New("kernel exec: --timeout and --startup-timeout must be positive")
	}
	failed, err := runExec(ctx, pos, execOptions{
		timeout: *timeout, startupTimeout: *startup, quick: *quick, outDir: *outDir, inPlace: *inPlace,
		kernel: strings.TrimSpace(*kernelName), python: *python, out: stdout,
	})
	if err != nil {
		return 2, err
	}
	if failed > 0 {
		return 1, nil
	}
	return 0, nil
}
