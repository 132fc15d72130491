package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mixflow/mixflow/mixflowlib/backend"
)

// check is one line of `kernel doctor`'s report.
type check struct {
	name     string
	ok       bool
	required bool   // a missing required item makes doctor exit non-zero
	detail   string // what was found, or what is missing
	fix      string // how to fix it (shown when !ok)
}

// fashionMNISTDir is where Debian's dataset-fashion-mnist package puts the IDX files.
const fashionMNISTDir = "/usr/share/datasets/fashion-mnist"

var fashionMNISTFiles = []string{
	"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
	"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
}

// pythonProbe reports the Jupyter packages a Python interpreter has and the kernelspecs it sees.
const pythonProbe = `
import importlib.util, json, sys
mods = {}
for m in ["nbclient", "nbformat", "jupyter_client", "notebook", "nbconvert", "ipykernel",
          "jupyter_kernel_test", "jupyterlab", "torch"]:
    if importlib.util.find_spec(m) is None:
        mods[m] = None
        continue
    try:
        from importlib.metadata import version
        mods[m] = version(m.replace("_", "-"))
    except Exception:
        mods[m] = "installed"
specs = {}
try:
    from jupyter_client.kernelspec import KernelSpecManager
    specs = KernelSpecManager().find_kernel_specs()
except Exception:
    pass
print(json.dumps({"python": sys.version.split()[0], "modules": mods, "kernelspecs": specs}))
`

type probeResult struct {
	Python      string             `json:"python"`
	Modules     map[string]*string `json:"modules"`
	KernelSpecs map[string]string  `json:"kernelspecs"`
}

func probePython(ctx context.Context, python string) (*probeResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "-c", pythonProbe).Output()
	if err != nil {
		return nil, err
	}
	var r probeResult
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("unexpected probe output %q", out)
	}
	return &r, nil
}

// doctorOptions configures `kernel doctor`.
type doctorOptions struct {
	repo   string
	name   string // kernelspec name to check
	python string
	out    io.Writer
}

// runDoctor prints what is installed and what is missing, each missing item with its fix. It returns
// false when a required item is missing.
func runDoctor(ctx context.Context, o doctorOptions) bool {
	var checks []check
	add := func(c check) { checks = append(checks, c) }

	// Go.
	tc, err := findToolchain(ctx)
	if err != nil {
		add(check{name: "go toolchain", required: true, detail: err.Error(), fix: "run scripts/setup.sh (installs Go and fetches " + goVersion + ")"})
	} else {
		add(check{name: "go toolchain", ok: true, detail: tc.Version + " at " + tc.GOROOT})
	}
	if exp := os.Getenv("GOEXPERIMENT"); !strings.Contains(exp, "simd") {
		add(check{name: "shell: GOEXPERIMENT", detail: fmt.Sprintf("GOEXPERIMENT=%q in this shell: Go programs you build here miss the SIMD kernels (~10x slower); the kernel sets it for cells", exp),
			fix: "export GOTOOLCHAIN=" + goVersion + " GOEXPERIMENT=simd"})
	} else {
		add(check{name: "shell: GOEXPERIMENT", ok: true, detail: "simd"})
	}
	if cc, err := exec.LookPath(envOr("CC", "gcc")); err != nil {
		add(check{name: "C compiler (cgo)", required: true, detail: "no gcc: cells importing mixflowlib/backend link the XLA backend with cgo",
			fix: "sudo apt-get install gcc libc6-dev"})
	} else {
		add(check{name: "C compiler (cgo)", ok: true, detail: cc})
	}

	// Jupyter.
	probe, perr := probePython(ctx, o.python)
	version := func(m string) string {
		if probe == nil || probe.Modules[m] == nil {
			return ""
		}
		return *probe.Modules[m]
	}
	const aptJupyter = "sudo apt-get install jupyter-notebook jupyter-nbconvert python3-nbclient python3-ipykernel (or run scripts/setup.sh)"
	switch {
	case perr != nil:
		add(check{name: "jupyter (nbclient)", required: true, detail: fmt.Sprintf("cannot run %s: %v", o.python, perr),
			fix: aptJupyter + "; or set MIXFLOW_PYTHON to a python3 that has Jupyter"})
	case version("nbclient") == "" || version("jupyter_client") == "" || version("nbformat") == "":
		add(check{name: "jupyter (nbclient)", required: true, detail: o.python + " lacks nbclient, nbformat or jupyter_client", fix: aptJupyter})
	default:
		add(check{name: "jupyter (nbclient)", ok: true, detail: fmt.Sprintf("%s (Python %s): nbclient %s, jupyter_client %s", o.python, probe.Python, version("nbclient"), version("jupyter_client"))})
	}
	if probe != nil {
		var uis []string
		if v := version("notebook"); v != "" {
			uis = append(uis, "Notebook "+v)
		}
		if v := version("jupyterlab"); v != "" {
			uis = append(uis, "JupyterLab "+v)
		}
		if len(uis) == 0 {
			add(check{name: "jupyter UI", detail: "neither Jupyter Notebook nor JupyterLab for " + o.python,
				fix: "sudo apt-get install jupyter-notebook (or run scripts/setup.sh)"})
		} else {
			add(check{name: "jupyter UI", ok: true, detail: strings.Join(uis, ", ") + " for " + o.python})
		}
	}
	add(jupyterLabCheck(ctx))
	if probe != nil {
		if v := version("jupyter_kernel_test"); v == "" {
			add(check{name: "jupyter_kernel_test", detail: "missing (only scripts/test.sh needs it)", fix: "sudo apt-get install python3-jupyter-kernel-test"})
		} else {
			add(check{name: "jupyter_kernel_test", ok: true, detail: v})
		}
	}

	// The kernelspec.
	specDir, where := "", ""
	if probe != nil && probe.KernelSpecs != nil {
		specDir, where = probe.KernelSpecs[o.name], "as Jupyter sees it"
	} else {
		for _, d := range kernelSearchPath() {
			if _, err := os.Stat(filepath.Join(d, o.name, "kernel.json")); err == nil {
				specDir, where = filepath.Join(d, o.name), "searched "+strings.Join(kernelSearchPath(), ", ")
				break
			}
		}
	}
	checks = append(checks, specChecks(ctx, o, specDir, where)...)
	if nbs := bundledNotebooks(o.repo); len(nbs) > 0 && probe != nil {
		if r, err := notebookTrust(ctx, o.python, "check", nbs); err != nil {
			add(check{name: "notebooks trusted", detail: err.Error()})
		} else if bad := r.untrusted(); len(bad) == len(nbs) {
			add(check{name: "notebooks trusted", detail: fmt.Sprintf("none of the %d bundled notebooks: their charts show static images", len(nbs)),
				fix: "go run ./kernel install (signs them into " + r.DB + ")"})
		} else if len(bad) > 0 {
			add(check{name: "notebooks trusted", detail: fmt.Sprintf("%d of %d not trusted, their charts show static images: %s", len(bad), len(nbs), strings.Join(bad, ", ")),
				fix: r.trustFix(o.python) + " (a notebook changed since it was signed, e.g. by git pull, needs it again)"})
		} else {
			add(check{name: "notebooks trusted", ok: true, detail: fmt.Sprintf("all %d (signatures in %s)", len(nbs), r.DB)})
		}
	}

	// Data.
	var missing []string
	for _, f := range fashionMNISTFiles {
		if _, err := os.Stat(filepath.Join(fashionMNISTDir, f)); err != nil {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		add(check{name: "Fashion-MNIST", detail: "missing " + strings.Join(missing, ", ") + " in " + fashionMNISTDir, fix: "sudo apt-get install dataset-fashion-mnist"})
	} else {
		add(check{name: "Fashion-MNIST", ok: true, detail: fashionMNISTDir})
	}
	if probe != nil {
		if v := version("torch"); v == "" {
			add(check{name: "PyTorch (baselines)", detail: "missing for " + o.python + " (only baseline comparisons use it)", fix: "sudo apt-get install python3-torch"})
		} else {
			add(check{name: "PyTorch (baselines)", ok: true, detail: v})
		}
	}

	// Backends.
	checks = append(checks, backendChecks()...)

	// Browser tests and chart assets.
	if p, err := lookAny("chromium", "chromium-browser", "google-chrome"); err != nil {
		add(check{name: "chromium (browser test)", detail: "missing (only the widgets' browser test needs it)", fix: "sudo apt-get install chromium chromium-driver"})
	} else {
		add(check{name: "chromium (browser test)", ok: true, detail: p})
	}
	if p, err := exec.LookPath("npm"); err != nil {
		add(check{name: "npm (chart asset)", detail: "missing: `kernel install` cannot fetch ECharts", fix: "sudo apt-get install nodejs npm, then go run ./kernel install"})
	} else {
		add(check{name: "npm (chart asset)", ok: true, detail: p})
	}

	allRequired := true
	for _, c := range checks {
		status := "ok"
		switch {
		case !c.ok && c.required:
			status = "MISSING"
			allRequired = false
		case !c.ok:
			status = "missing"
		}
		fmt.Fprintf(o.out, "%-8s %-26s %s\n", status, c.name, c.detail)
		if !c.ok && c.fix != "" {
			fmt.Fprintf(o.out, "%-8s %-26s fix: %s\n", "", "", c.fix)
		}
	}
	if allRequired {
		fmt.Fprintln(o.out, "kernel doctor: everything required is installed (lower-case \"missing\" items are optional)")
	} else {
		fmt.Fprintln(o.out, "kernel doctor: required items are MISSING; apply the fixes above (scripts/setup.sh does all of them)")
	}
	return allRequired
}

// specChecks inspects an installed kernelspec directory.
func specChecks(ctx context.Context, o doctorOptions, specDir, where string) []check {
	const reinstall = "go run ./kernel install"
	name := "kernelspec " + o.name
	if specDir == "" {
		return []check{{name: name, required: true, detail: "not installed (" + where + ")", fix: reinstall}}
	}
	var spec kernelSpec
	if err := readJSON(filepath.Join(specDir, "kernel.json"), &spec); err != nil {
		return []check{{name: name, required: true, detail: fmt.Sprintf("%s/kernel.json is unreadable: %v", specDir, err), fix: reinstall}}
	}
	var checks []check
	var problems []string
	goWork := ""
	for _, a := range spec.Argv {
		if v, ok := strings.CutPrefix(a, "--go_work="); ok {
			goWork = v
		}
	}
	switch {
	case len(spec.Argv) < 2:
		problems = append(problems, "kernel.json argv is too short")
	default:
		for _, p := range spec.Argv[:2] {
			if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
				problems = append(problems, p+" is missing or not executable")
			}
		}
	}
	if goWork == "" {
		problems = append(problems, "cells are not wired to this repository (no --go_work): not installed by `kernel install`?")
	} else if goWork != o.repo {
		problems = append(problems, fmt.Sprintf("cells import the library from %s, not from this checkout %s", goWork, o.repo))
	}
	if spec.Env["GOEXPERIMENT"] != "simd" || spec.Env["GOTOOLCHAIN"] != goVersion {
		problems = append(problems, fmt.Sprintf("env has GOTOOLCHAIN=%q GOEXPERIMENT=%q, want %s and simd", spec.Env["GOTOOLCHAIN"], spec.Env["GOEXPERIMENT"], goVersion))
	}
	if len(problems) > 0 {
		checks = append(checks, check{name: name, required: true, detail: specDir + ": " + strings.Join(problems, "; "), fix: reinstall})
	} else {
		detail := specDir + " -> " + goWork
		// GoNB is the argv entry named gonb (after kernel.sh and, on Linux, kernelwrap).
		for _, p := range spec.Argv[1:] {
			if filepath.Base(p) != "gonb" {
				continue
			}
			if out, err := exec.CommandContext(ctx, p, "-V").Output(); err == nil {
				detail += ", GoNB " + strings.TrimSpace(string(out))
			}
			break
		}
		checks = append(checks, check{name: name, ok: true, detail: detail})
	}

	noXLA := strings.Contains(spec.Env["GOFLAGS"], "noxla")
	switch gpu, _ := backend.GPUVisible(); {
	case noXLA && gpu:
		checks = append(checks, check{name: "kernel: XLA in cells", detail: "an NVIDIA GPU is visible but cells build with -tags=noxla (CPU only)", fix: reinstall + " --xla yes"})
	case noXLA:
		checks = append(checks, check{name: "kernel: XLA in cells", ok: true, detail: "no (-tags=noxla: pure-Go CPU backend, faster links)"})
	default:
		checks = append(checks, check{name: "kernel: XLA in cells", ok: true, detail: "yes (cgo link; a PJRT plugin is needed to use it)"})
	}

	bin := filepath.Join(specDir, "bin")
	if _, err := os.Stat(filepath.Join(bin, "goimports")); err != nil {
		checks = append(checks, check{name: "goimports", required: true, detail: "missing from " + bin + " (every cell needs it)", fix: reinstall})
	} else {
		checks = append(checks, check{name: "goimports", ok: true, detail: filepath.Join(bin, "goimports")})
	}
	if _, err := os.Stat(filepath.Join(bin, "gopls")); err != nil {
		checks = append(checks, check{name: "gopls", detail: "missing from " + bin + ": no completion or inspect in notebooks", fix: reinstall + " (without --no-gopls)"})
	} else {
		checks = append(checks, check{name: "gopls", ok: true, detail: filepath.Join(bin, "gopls")})
	}

	js := spec.Env["MIXFLOW_ECHARTS_JS"]
	_, hasAssets := os.Stat(filepath.Join(o.repo, "widgets", "assets", "package.json"))
	switch {
	case js != "":
		if _, err := os.Stat(js); err != nil {
			checks = append(checks, check{name: "echarts asset", detail: js + " is missing: charts show static images only", fix: reinstall})
		} else {
			checks = append(checks, check{name: "echarts asset", ok: true, detail: js})
		}
	case hasAssets == nil:
		checks = append(checks, check{name: "echarts asset", detail: "not installed: charts show static images only", fix: "install npm, then " + reinstall})
	default:
		checks = append(checks, check{name: "echarts asset", ok: true, detail: "not needed (no widgets/assets/package.json in this checkout)"})
	}
	return checks
}

// backendChecks reports the compute backends: pure Go always, XLA/CUDA when a GPU and a plugin exist.
func backendChecks() []check {
	checks := []check{{name: "backend: go (CPU)", ok: true, detail: "pure-Go backend, always available, offline"}}
	gpu, why := backend.GPUVisible()
	plugins := backend.Plugins()
	var names []string
	for n, p := range plugins {
		names = append(names, n+" ("+p+")")
	}
	sort.Strings(names)
	cuda := ""
	for n := range plugins {
		if strings.Contains(strings.ToLower(n), "cuda") {
			cuda = n
		}
	}
	const pluginFix = "set PJRT_PLUGIN_LIBRARY_PATH to the folder holding a CUDA PJRT plugin (pjrt_c_api_cuda_plugin.so or JAX's xla_cuda_plugin.so), or MIXFLOW_BACKEND=xla:/abs/path/plugin.so"
	switch {
	case !backend.XLACompiledIn():
		checks = append(checks, check{name: "backend: xla (GPU)", detail: "this build has no XLA (-tags noxla)", fix: "build without -tags noxla"})
	case !gpu:
		checks = append(checks, check{name: "backend: xla (GPU)", ok: true, detail: "not used: " + why + " (CPU only; optional)"})
	case cuda == "":
		detail := "GPU visible but no CUDA PJRT plugin found"
		if len(names) > 0 {
			detail += " (plugins: " + strings.Join(names, ", ") + ")"
		}
		checks = append(checks, check{name: "backend: xla (GPU)", detail: detail, fix: pluginFix})
	default:
		checks = append(checks, check{name: "backend: xla (GPU)", ok: true, detail: "GPU visible, plugin " + cuda + " at " + plugins[cuda]})
	}
	if c, err := backend.Select(); err != nil {
		checks = append(checks, check{name: "backend: selected", required: true, detail: err.Error(), fix: "unset " + backend.EnvVar + " or set it to auto or go"})
	} else {
		checks = append(checks, check{name: "backend: selected", ok: true, detail: c.String()})
	}
	return checks
}

func lookAny(names ...string) (string, error) {
	var err error
	for _, n := range names {
		var p string
		if p, err = exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", err
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
