package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/env"
)

// installOptions configures `kernel install`.
type installOptions struct {
	repo        string // root of the MixFlow module, preloaded into every cell
	dataDir     string // Jupyter data dir: the kernelspec goes to dataDir/kernels/name
	name        string // kernelspec name
	displayName string // name in the Jupyter UI
	gopls       bool   // build gopls (completion and inspect); optional
	warm        bool   // pre-warm the Go build cache
	npm         bool   // run `npm ci` for the ECharts asset when widgets/assets/package.json exists
	htmlErrors  bool   // GoNB's HTML compile errors instead of plain text
	xla         string // "auto", "yes" or "no": link GoMLX's XLA backend into cells (see xlaDecision)
	trust       bool   // sign the repository's notebooks/*.ipynb so Jupyter opens them trusted
	python      string // interpreter with nbformat, for trust
	out         io.Writer

	// failAfter makes install fail after a step ("tools" or "spec"); tests use it to check that an
	// interrupted install leaves nothing half-written.
	failAfter string
}

// installResult says what install did.
type installResult struct {
	specDir  string   // the installed kernelspec directory
	echarts  string   // the installed echarts.min.js, or ""
	warmed   int      // number of packages compiled into the build cache
	trusted  int      // number of bundled notebooks signed as trusted
	warnings []string // problems that did not stop the install
}

// kernelSpec is the kernel.json Jupyter reads.
type kernelSpec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env"`
	Metadata      kernelMetadata    `json:"metadata"`
}

type kernelMetadata struct {
	MixFlow struct {
		Repo      string `json:"repo"`
		Go        string `json:"go"`
		GoNB      string `json:"gonb"`
		Installed string `json:"installed"`
	} `json:"mixflow"`
}

// launcher is the kernel's argv[0]. Jupyter's kernel.json env can only set fixed values; the launcher
// gives MIXFLOW_BACKEND a default that a value set where Jupyter was started overrides.
const launcher = `#!/bin/sh
# Written by ` + "`go run ./kernel install`" + `: starts GoNB for the MixFlow kernel.
# MIXFLOW_BACKEND (auto, go, cuda, xla:/abs/plugin.so) defaults to auto; a value set in the
# environment Jupyter was started from wins.
: "${MIXFLOW_BACKEND:=auto}"
export MIXFLOW_BACKEND
exec "$@"
`

var kernelNameRE = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// runInstall builds the tools, writes the kernelspec atomically and pre-warms the build cache.
func runInstall(ctx context.Context, o installOptions) (*installResult, error) {
	if !kernelNameRE.MatchString(o.name) {
		return nil, fmt.Errorf("kernel install: --name %q is not a valid kernelspec name (letters, digits, '.', '_' and '-' only)", o.name)
	}
	if strings.Contains(o.repo, ",") {
		return nil, fmt.Errorf("kernel install: the repository path %s contains a comma, which GoNB's -go_work list cannot hold; clone the repository to a path without commas", o.repo)
	}
	if _, err := os.Stat(filepath.Join(o.repo, "tools", "go.mod")); err != nil {
		return nil, fmt.Errorf("kernel install: %s has no tools/go.mod (the pinned GoNB, goimports and gopls); is this a complete checkout?", o.repo)
	}
	tc, err := findToolchain(ctx)
	if err != nil {
		return nil, err
	}
	withXLA, why, err := xlaDecision(o.xla)
	if err != nil {
		return nil, err
	}
	goflags, err := cellGoFlags(ctx, tc, withXLA)
	if err != nil {
		return nil, err
	}

	kernelsDir := filepath.Join(o.dataDir, "kernels")
	if err := os.MkdirAll(kernelsDir, 0o755); err != nil {
		return nil, unwritable(o.dataDir, err)
	}
	unlock, err := lockDir(filepath.Join(o.dataDir, "."+o.name+"-install.lock"))
	if err != nil {
		return nil, unwritable(o.dataDir, err)
	}
	defer unlock()
	removeStale(o.dataDir, o.name)

	// Everything is written into a staging directory next to kernels/ (Jupyter does not look there)
	// and renamed into place at the end: an interrupted install never leaves a half-written kernel.
	staging, err := os.MkdirTemp(o.dataDir, "."+o.name+"-install-")
	if err != nil {
		return nil, unwritable(o.dataDir, err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = os.RemoveAll(staging)
		}
	}()
	specDir := filepath.Join(kernelsDir, o.name)
	res := &installResult{specDir: specDir}

	// 1. GoNB, goimports and (optionally) gopls, from the versions pinned in tools/go.mod.
	start := time.Now()
	tools := []string{"github.com/janpfeifer/gonb", "golang.org/x/tools/cmd/goimports"}
	if o.gopls {
		tools = append(tools, "golang.org/x/tools/gopls")
	}
	binDir := filepath.Join(staging, "bin")
	built, err := ensureTools(ctx, tc, o.repo, tools)
	if err != nil {
		return nil, err
	}
	if err := copyTools(binDir, built); err != nil {
		return nil, unwritable(o.dataDir, err)
	}
	fmt.Fprintf(o.out, "kernel install: %s and the wrappers (%s) ready in %.1f s\n", strings.Join(toolNames(tools), ", "), tc.Version, time.Since(start).Seconds())
	fmt.Fprintf(o.out, "kernel install: cells build %s XLA: %s\n", map[bool]string{true: "with", false: "without"}[withXLA], why)
	if o.failAfter == "tools" {
		return nil, errors.New("kernel install: stopped after building the tools (test)")
	}

	// 2. The ECharts asset the widgets load from <base_url>kernelspecs/<name>/echarts.min.js.
	if js, warn := installECharts(ctx, o, staging); warn != "" {
		res.warnings = append(res.warnings, warn)
		fmt.Fprintln(o.out, "kernel install: warning: "+warn)
	} else if js != "" {
		res.echarts = filepath.Join(specDir, js)
	}

	// 3. kernel.json and the launcher, with the final paths.
	spec := makeSpec(o, tc, specDir, res.echarts, goflags)
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("kernel install: encoding kernel.json: %w", err)
	}
	if err := os.WriteFile(filepath.Join(staging, "kernel.json"), append(data, '\n'), 0o644); err != nil {
		return nil, unwritable(o.dataDir, err)
	}
	if err := os.WriteFile(filepath.Join(staging, "kernel.sh"), []byte(launcher), 0o755); err != nil {
		return nil, unwritable(o.dataDir, err)
	}
	if err := os.Chmod(staging, 0o755); err != nil { // MkdirTemp makes it 0700; Jupyter may run as another user
		return nil, unwritable(o.dataDir, err)
	}
	if o.failAfter == "spec" {
		return nil, errors.New("kernel install: stopped before moving the kernelspec into place (test)")
	}

	// 4. Swap it in.
	if err := swapDir(staging, specDir, o.dataDir, o.name); err != nil {
		return nil, err
	}
	committed = true
	fmt.Fprintf(o.out, "kernel install: installed kernel %q (%s) in %s; cells import %s from %s\n",
		o.name, o.displayName, specDir, modulePath, o.repo)

	// 5. Trust the bundled notebooks: Jupyter runs the chart scripts of trusted notebooks only, and
	// a notebook's signature lives in the user's data dir, so a clone's notebooks start untrusted.
	if o.trust {
		if nbs := bundledNotebooks(o.repo); len(nbs) > 0 {
			r, err := notebookTrust(ctx, o.python, "sign", nbs)
			switch {
			case err != nil:
				warn := "notebooks not trusted (charts show static images until File > Trust Notebook): " + err.Error()
				res.warnings = append(res.warnings, warn)
				fmt.Fprintln(o.out, "kernel install: warning: "+warn)
			case len(r.untrusted()) > 0:
				warn := r.trustWarning(o.python)
				res.warnings = append(res.warnings, warn)
				fmt.Fprintln(o.out, "kernel install: warning: "+warn)
			default:
				res.trusted = len(nbs)
				fmt.Fprintf(o.out, "kernel install: trusted the %d notebooks in %s (signatures in %s), so their charts open interactive\n",
					len(nbs), filepath.Join(o.repo, "notebooks"), r.DB)
			}
		}
	}

	// 6. Pre-warm the build cache with a program that imports every library package, built in the
	// same environment and workspace layout GoNB uses, so the first real cell only links.
	if o.warm {
		start := time.Now()
		n, warns, err := prewarm(ctx, tc, filepath.Join(specDir, "bin", "go"), o.repo, kernelProcessEnv(spec, os.Environ()))
		for _, w := range warns {
			res.warnings = append(res.warnings, w)
			fmt.Fprintln(o.out, "kernel install: warning: "+w)
		}
		if err != nil {
			return res, fmt.Errorf("%w (the kernel itself is installed; its first cells will compile the library)", err)
		}
		res.warmed = n
		fmt.Fprintf(o.out, "kernel install: pre-warmed the Go build cache with %d packages (%.1f s)\n", n, time.Since(start).Seconds())
	}
	return res, nil
}

func toolNames(pkgs []string) []string {
	var names []string
	for _, p := range pkgs {
		names = append(names, filepath.Base(p))
	}
	return names
}

// unwritable words the error for a Jupyter data dir install cannot write to.
func unwritable(dataDir string, err error) error {
	return fmt.Errorf("kernel install: cannot write to the Jupyter data dir %s (%s); choose a writable one with --prefix DIR or JUPYTER_DATA_DIR=DIR, or fix its permissions",
		dataDir, describeFSError(err))
}

// removeStale deletes staging and old directories left by an install that was killed.
func removeStale(dataDir, name string) {
	for _, pattern := range []string{"." + name + "-install-*", "." + name + "-old-*"} {
		matches, _ := filepath.Glob(filepath.Join(dataDir, pattern))
		for _, m := range matches {
			if fi, err := os.Lstat(m); err == nil && fi.IsDir() {
				_ = os.RemoveAll(m)
			}
		}
	}
}

// swapDir replaces specDir with staging using renames on the same filesystem.
func swapDir(staging, specDir, dataDir, name string) error {
	old := ""
	if _, err := os.Lstat(specDir); err == nil {
		old = filepath.Join(dataDir, fmt.Sprintf(".%s-old-%d", name, time.Now().UnixNano()))
		if err := os.Rename(specDir, old); err != nil {
			return fmt.Errorf("kernel install: moving the previous kernelspec %s aside: %s; remove it and re-run", specDir, describeFSError(err))
		}
	}
	if err := os.Rename(staging, specDir); err != nil {
		if old != "" {
			_ = os.Rename(old, specDir)
		}
		return fmt.Errorf("kernel install: moving the kernelspec into %s: %s", specDir, describeFSError(err))
	}
	if old != "" {
		_ = os.RemoveAll(old)
	}
	return nil
}

// makeSpec builds kernel.json for a kernelspec installed at specDir.
func makeSpec(o installOptions, tc toolchain, specDir, echarts, goflags string) kernelSpec {
	argv := []string{
		filepath.Join(specDir, "kernel.sh"),
		// GoNB runs under kernelwrap, which keeps only its warnings and errors in the server log
		// (MIXFLOW_KERNEL_LOG=raw: everything).
		filepath.Join(specDir, "bin", "kernelwrap"),
		filepath.Join(specDir, "bin", "gonb"),
		"--kernel", "{connection_file}",
		// Every cell's fresh module joins a go.work that uses this repository: imports of
		// github.com/mixflow/mixflow/... resolve locally, with no network.
		"--go_work=" + o.repo,
	}
	if !o.htmlErrors {
		// Plain-text compile errors: one error message per failure, as Jupyter's protocol (and its
		// conformance test) expects, and readable in executed notebooks and CI logs.
		argv = append(argv, "--raw_error")
	}
	env := map[string]string{
		"GOTOOLCHAIN":           goVersion,
		"GOEXPERIMENT":          "simd",
		"GOMLX_NO_AUTO_INSTALL": "1",
		// The kernel's tools first, then the Go 1.27.3 toolchain itself; ${PATH} is expanded by Jupyter.
		"PATH":         filepath.Join(specDir, "bin") + string(os.PathListSeparator) + filepath.Join(tc.GOROOT, "bin") + string(os.PathListSeparator) + "${PATH}",
		"MIXFLOW_GO":   tc.GoBin(), // the real go command behind the wrapper
		"MIXFLOW_REPO": o.repo,
	}
	if goflags != "" {
		env["GOFLAGS"] = goflags
	}
	if echarts != "" {
		env["MIXFLOW_ECHARTS_JS"] = echarts
	}
	spec := kernelSpec{
		Argv:          argv,
		DisplayName:   o.displayName,
		Language:      "go",
		InterruptMode: "message",
		Env:           env,
	}
	spec.Metadata.MixFlow.Repo = o.repo
	spec.Metadata.MixFlow.Go = tc.Version
	spec.Metadata.MixFlow.GoNB = gonbVersion
	spec.Metadata.MixFlow.Installed = time.Now().UTC().Format(time.RFC3339)
	return spec
}

// kernelProcessEnv is the environment a kernel started from base gets: kernel.json's env with
// ${VAR} expanded from base (as jupyter_client does), then the launcher's defaults.
func kernelProcessEnv(spec kernelSpec, base []string) []string {
	var set []string
	for k, v := range spec.Env {
		set = append(set, k+"="+expandTemplate(v, base))
	}
	env := mergeEnv(base, set...)
	if v, ok := lookupEnv(env, "MIXFLOW_BACKEND"); !ok || v == "" {
		env = mergeEnv(env, "MIXFLOW_BACKEND=auto")
	}
	return env
}

var templateRE = regexp.MustCompile(`\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))`)

// expandTemplate is Python's string.Template.safe_substitute: $VAR and ${VAR} are replaced when set
// in env and left as they are otherwise.
func expandTemplate(s string, env []string) string {
	return templateRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := templateRE.FindStringSubmatch(m)
		name := sub[1] + sub[2]
		if v, ok := lookupEnv(env, name); ok {
			return v
		}
		return m
	})
}

// ensureTools returns a directory holding the tools and the wrappers (kernel/gowrap, kernel/kernelwrap), built once per
// content of tools/go.mod, tools/go.sum, the wrapper's sources and the toolchain, and cached under
// the MixFlow cache directory; re-installs and the test installs then only copy them.
func ensureTools(ctx context.Context, tc toolchain, repo string, tools []string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s/%s %q\n", tc.Version, runtime.GOOS, runtime.GOARCH, tools)
	inputs := []string{"tools/go.mod", "tools/go.sum"}
	var wrapperSrc []string
	for _, w := range wrappers {
		src, _ := filepath.Glob(filepath.Join(repo, filepath.FromSlash(w.pkg), "*.go"))
		wrapperSrc = append(wrapperSrc, src...)
	}
	for _, f := range wrapperSrc {
		if !strings.HasSuffix(f, "_test.go") {
			rel, _ := filepath.Rel(repo, f)
			inputs = append(inputs, rel)
		}
	}
	for _, f := range inputs {
		data, err := os.ReadFile(filepath.Join(repo, f))
		if err != nil {
			return "", fmt.Errorf("kernel install: reading %s: %s; is this a complete checkout?", f, describeFSError(err))
		}
		fmt.Fprintf(h, "%s %d\n", f, len(data))
		h.Write(data)
	}
	cacheRoot := filepath.Join(env.CacheDir(), "kernel-tools")
	dir := filepath.Join(cacheRoot, hex.EncodeToString(h.Sum(nil))[:20])
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		now := time.Now()
		_ = os.Chtimes(filepath.Join(dir, "complete"), now, now) // marks it as in use for pruneTools
		return dir, nil
	}
	if err := os.MkdirAll(cacheRoot, 0o755); err != nil {
		return "", fmt.Errorf("kernel install: creating the tools cache %s: %s (set %s to a writable directory)", cacheRoot, describeFSError(err), env.CacheVar)
	}
	tmp, err := os.MkdirTemp(cacheRoot, ".build-")
	if err != nil {
		return "", fmt.Errorf("kernel install: creating the tools cache %s: %s (set %s to a writable directory)", cacheRoot, describeFSError(err), env.CacheVar)
	}
	defer func() { _ = os.RemoveAll(tmp) }()
	if err := buildTools(ctx, tc, repo, tmp, tools); err != nil {
		return "", err
	}
	for _, w := range wrappers {
		if err := buildWrapper(ctx, tc, repo, w, tmp); err != nil {
			return "", err
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "complete"), nil, 0o644); err != nil {
		return "", err
	}
	_ = os.Chmod(tmp, 0o755)
	if err := os.Rename(tmp, dir); err != nil {
		// Another install finished the same build first: use that one.
		if _, statErr := os.Stat(filepath.Join(dir, "complete")); statErr == nil {
			return dir, nil
		}
		return "", fmt.Errorf("kernel install: storing the tools in %s: %s", dir, describeFSError(err))
	}
	pruneTools(cacheRoot, dir)
	return dir, nil
}

// toolsMaxAge is how long an unused build of the tools stays in the cache.
const toolsMaxAge = 30 * 24 * time.Hour

// pruneTools removes cached tool builds other than keep that no install used for toolsMaxAge, and
// day-old partial builds.
func pruneTools(cacheRoot, keep string) {
	entries, _ := os.ReadDir(cacheRoot)
	for _, e := range entries {
		dir := filepath.Join(cacheRoot, e.Name())
		if !e.IsDir() || dir == keep {
			continue
		}
		if strings.HasPrefix(e.Name(), ".build-") { // left by a killed install
			if fi, err := os.Stat(dir); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
				_ = os.RemoveAll(dir)
			}
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, "complete"))
		if err == nil && time.Since(fi.ModTime()) > toolsMaxAge {
			_ = os.RemoveAll(dir)
		}
	}
}

// copyTools copies the executables of src (the tools cache) into binDir.
func copyTools(binDir, src string) error {
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == "complete" || e.IsDir() {
			continue
		}
		if err := copyFile(filepath.Join(binDir, e.Name()), filepath.Join(src, e.Name()), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// buildTools compiles the pinned tools into binDir.
func buildTools(ctx context.Context, tc toolchain, repo, binDir string, pkgs []string) error {
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return fmt.Errorf("kernel install: creating %s: %s", binDir, describeFSError(err))
	}
	args := append([]string{"build", "-o", binDir + string(os.PathSeparator)}, pkgs...)
	cmd := exec.CommandContext(ctx, tc.GoBin(), args...)
	cmd.Dir = filepath.Join(repo, "tools")
	cmd.Env = goEnv("GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("kernel install: building %s in tools/ failed (%v):\n%s\nfix: check network access to the Go module proxy (first build only) and that tools/go.mod is intact",
			strings.Join(toolNames(pkgs), ", "), err, tail(string(out), 20))
	}
	return nil
}

// wrapper is one of the repository's commands installed beside the tools.
type wrapper struct {
	pkg  string // its package, relative to the repository
	bin  string // its name in the kernelspec's bin directory
	what string // what it is, for errors
}

// wrappers are the go command cells see (kernel/gowrap) and the process that runs GoNB
// (kernel/kernelwrap: a quieter server log).
var wrappers = []wrapper{
	{pkg: "kernel/gowrap", bin: "go", what: "the go wrapper"},
	{pkg: "kernel/kernelwrap", bin: "kernelwrap", what: "the GoNB wrapper"},
}

// buildWrapper compiles w into binDir.
func buildWrapper(ctx context.Context, tc toolchain, repo string, w wrapper, binDir string) error {
	cmd := exec.CommandContext(ctx, tc.GoBin(), "build", "-o", filepath.Join(binDir, w.bin), "./"+w.pkg)
	cmd.Dir = repo
	cmd.Env = goEnv("GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("kernel install: building %s (%s) failed (%v):\n%s", w.what, w.pkg, err, tail(string(out), 20))
	}
	return nil
}

// xlaDecision decides whether cells link GoMLX's XLA backend. Linking it needs cgo and an external
// link that takes seconds per cell, while only a GPU (or an explicit XLA plugin) uses it; so "auto"
// keeps it for machines with a visible NVIDIA GPU and leaves it out (-tags noxla) elsewhere.
func xlaDecision(mode string) (bool, string, error) {
	switch mode {
	case "yes":
		return true, "requested with --xla yes", nil
	case "no":
		return false, "requested with --xla no (CPU only; pure-Go backend)", nil
	case "", "auto":
		if gpu, why := backend.GPUVisible(); gpu {
			return true, "an NVIDIA GPU is visible (" + why + ")", nil
		} else {
			return false, why + " (pure-Go backend, no cgo link; reinstall with --xla yes to use XLA plugins)", nil
		}
	default:
		return false, "", fmt.Errorf("kernel install: --xla %q: use auto, yes or no", mode)
	}
}

// cellGoFlags is the GOFLAGS cells build with: the user's own (from the environment or `go env -w`;
// the environment variable replaces those, so they are carried over), plus -ldflags=-w and, when XLA
// is left out, -tags=noxla. Linking is most of a warm cell's time; without DWARF (-w) the link takes
// about a third less CPU, and panics still report files and lines (they use the pcln table).
func cellGoFlags(ctx context.Context, tc toolchain, withXLA bool) (string, error) {
	cmd := exec.CommandContext(ctx, tc.GoBin(), "env", "GOFLAGS")
	cmd.Env = goEnv()
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("kernel install: go env GOFLAGS: %v", err)
	}
	return goFlagsFor(string(out), withXLA), nil
}

// goFlagsFor adds -ldflags=-w (unless goflags sets -ldflags) and -tags=noxla (joining an existing
// -tags list) unless withXLA to a GOFLAGS value.
func goFlagsFor(goflags string, withXLA bool) string {
	flags := strings.Fields(goflags)
	tagged, linkFlags := false, false
	for i, f := range flags {
		if v, ok := strings.CutPrefix(f, "-tags="); ok && !withXLA {
			flags[i], tagged = "-tags="+v+",noxla", true
		}
		if strings.HasPrefix(f, "-ldflags") {
			linkFlags = true
		}
	}
	if !linkFlags {
		flags = append(flags, "-ldflags=-w")
	}
	if !withXLA && !tagged {
		flags = append(flags, "-tags=noxla")
	}
	return strings.Join(flags, " ")
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
