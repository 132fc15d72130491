package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

const (
	// modulePath is the module whose packages the kernel preloads.
	modulePath = "github.com/mixflow/mixflow"
	// goVersion is the toolchain every entry point builds with (GOTOOLCHAIN).
	goVersion = "go1.27.3"
	// gonbVersion is the GoNB release pinned in tools/go.mod.
	gonbVersion = "v0.11.5"
	// defaultKernelName is the kernelspec name notebooks declare.
	defaultKernelName = "mixflow"
	// defaultDisplayName is the kernel's name in the Jupyter UI.
	defaultDisplayName = "MixFlow (Go)"
)

// findRepo returns the root of the MixFlow module: dir or the nearest parent holding a go.mod that
// declares github.com/mixflow/mixflow.
func findRepo(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("kernel: resolving %s: %w", dir, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	for d := abs; ; d = filepath.Dir(d) {
		if modulePathOf(filepath.Join(d, "go.mod")) == modulePath {
			return d, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("kernel: %s is not inside the MixFlow repository (no go.mod declaring module %s above it); run this from the repository, e.g. `cd mixflow && go run ./kernel ...`", abs, modulePath)
}

// modulePathOf returns the module path declared in a go.mod file, or "".
func modulePathOf(gomod string) string {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// userDataDir returns Jupyter's per-user data directory, as jupyter_core computes it.
func userDataDir() (string, error) {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return filepath.Abs(d)
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("kernel: cannot find the home directory (%v); set JUPYTER_DATA_DIR or use --prefix", err)
	}
	switch runtime.GOOS {
	case "darwin":
		return filepath.Join(home, "Library", "Jupyter"), nil
	case "windows":
		if appData := os.Getenv("APPDATA"); appData != "" {
			return filepath.Join(appData, "jupyter"), nil
		}
		return filepath.Join(home, "AppData", "Roaming", "jupyter"), nil
	}
	if xdg := os.Getenv("XDG_DATA_HOME"); xdg != "" {
		return filepath.Join(xdg, "jupyter"), nil
	}
	return filepath.Join(home, ".local", "share", "jupyter"), nil
}

// installDataDir is where `kernel install` writes: PREFIX/share/jupyter with --prefix (as
// `jupyter kernelspec install --prefix` does), else the user's data dir.
func installDataDir(prefix string) (string, error) {
	if prefix != "" {
		abs, err := filepath.Abs(prefix)
		if err != nil {
			return "", fmt.Errorf("kernel install: --prefix %s: %w", prefix, err)
		}
		return filepath.Join(abs, "share", "jupyter"), nil
	}
	return userDataDir()
}

// kernelSearchPath approximates jupyter_core's jupyter_path("kernels") for a Debian system Python:
// $JUPYTER_PATH, the user data dir, then the system directories. `kernel doctor` asks Jupyter itself
// when it can and uses this only as a fallback.
func kernelSearchPath() []string {
	var dirs []string
	if jp := os.Getenv("JUPYTER_PATH"); jp != "" {
		for _, d := range filepath.SplitList(jp) {
			if d != "" {
				dirs = append(dirs, filepath.Join(d, "kernels"))
			}
		}
	}
	if d, err := userDataDir(); err == nil {
		dirs = append(dirs, filepath.Join(d, "kernels"))
	}
	dirs = append(dirs, "/usr/local/share/jupyter/kernels", "/usr/share/jupyter/kernels")
	return dirs
}

// toolchain is the Go toolchain the kernel builds cells with.
type toolchain struct {
	// GOROOT is the toolchain's root; GOROOT/bin/go is the go command itself (no GOTOOLCHAIN switch).
	GOROOT string
	// Version is e.g. "go1.27.3".
	Version string
}

// GoBin returns the path of the toolchain's go command.
func (t toolchain) GoBin() string { return filepath.Join(t.GOROOT, "bin", "go") }

// goEnv is the environment for the go commands the kernel runs: this process's environment with the
// toolchain and SIMD settings forced, plus extra KEY=VALUE settings.
func goEnv(extra ...string) []string {
	return mergeEnv(os.Environ(), append([]string{
		"GOTOOLCHAIN=" + goVersion,
		"GOEXPERIMENT=simd",
	}, extra...)...)
}

// findToolchain locates Go 1.27.3: the `go` on PATH run with GOTOOLCHAIN=go1.27.3 fetches (once) and
// reports that toolchain's GOROOT.
func findToolchain(ctx context.Context) (toolchain, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return toolchain{}, errors.New("kernel: no `go` command on PATH; run scripts/setup.sh (it installs Go), or install Go ≥ 1.21 and put it on PATH")
	}
	cmd := exec.CommandContext(ctx, goCmd, "env", "GOROOT", "GOVERSION")
	cmd.Env = goEnv()
	out, err := cmd.Output()
	if err != nil {
		msg := err.Error()
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			msg = strings.TrimSpace(string(ee.Stderr))
		}
		return toolchain{}, fmt.Errorf("kernel: `GOTOOLCHAIN=%s %s env` failed: %s; Go ≥ 1.21 is needed to fetch %s (run scripts/setup.sh)", goVersion, goCmd, msg, goVersion)
	}
	fields := strings.Fields(string(out))
	if len(fields) != 2 {
		return toolchain{}, fmt.Errorf("kernel: unexpected `go env` output %q", out)
	}
	tc := toolchain{GOROOT: fields[0], Version: fields[1]}
	if tc.Version != goVersion {
		return toolchain{}, fmt.Errorf("kernel: `go` on PATH resolved GOTOOLCHAIN=%s to %s; a Go older than 1.21 cannot switch toolchains: run scripts/setup.sh", goVersion, tc.Version)
	}
	if _, err := os.Stat(tc.GoBin()); err != nil {
		return toolchain{}, fmt.Errorf("kernel: Go toolchain %s has no go command at %s: %v", tc.Version, tc.GoBin(), err)
	}
	return tc, nil
}

// mergeEnv returns env with each KEY=VALUE of set replacing any earlier KEY.
func mergeEnv(env []string, set ...string) []string {
	out := make([]string, 0, len(env)+len(set))
	override := make(map[string]bool, len(set))
	for _, kv := range set {
		k, _, _ := strings.Cut(kv, "=")
		override[k] = true
	}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if !override[k] {
			out = append(out, kv)
		}
	}
	return append(out, set...)
}

// lookupEnv returns the value of key in env (last one wins), and whether it is set.
func lookupEnv(env []string, key string) (string, bool) {
	val, found := "", false
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			val, found = v, true
		}
	}
	return val, found
}

// describeFSError words why a file operation failed, without repeating the path.
func describeFSError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// repoHere is findRepo of the working directory: the repository the command runs in.
func repoHere() (string, error) {
	cwd, _ := os.Getwd()
	return findRepo(cwd)
}
