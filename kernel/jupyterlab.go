package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// jupyterLabVersion is the JupyterLab scripts/setup.sh installs (keep the two in step).
const jupyterLabVersion = "4.6.6"

// jupyterLabVenvEnv names the virtualenv scripts/setup.sh puts JupyterLab in (default
// ~/.venvs/jupyterlab).
const jupyterLabVenvEnv = "MIXFLOW_JUPYTERLAB_VENV"

// jupyterLabVenv is the virtualenv scripts/setup.sh installs JupyterLab into.
func jupyterLabVenv() string {
	if v := os.Getenv(jupyterLabVenvEnv); v != "" {
		return v
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".venvs", "jupyterlab")
}

// jupyterLab is a JupyterLab found on this machine.
type jupyterLab struct {
	Bin     string // the jupyter-lab executable
	Version string // e.g. "4.6.6"
	Major   int
}

// labError is why no usable JupyterLab was found: the problem and, separately, the one-line fix
// (doctor prints them on their own lines; Error joins them).
type labError struct {
	problem, fix string
}

func (e *labError) Error() string { return e.problem + "; " + e.fix }

// labFix is the fix for a missing or too old JupyterLab.
const labFix = "run scripts/setup.sh (it installs JupyterLab " + jupyterLabVersion + " into ~/.venvs/jupyterlab, or $" +
	jupyterLabVenvEnv + "), then go run ./kernel lab"

// findJupyterLab looks for jupyter-lab in setup.sh's virtualenv, then on PATH, and asks its version.
// It fails with a *labError, one line naming the fix, when there is none or it is older than 4.
func findJupyterLab(ctx context.Context) (*jupyterLab, error) {
	var candidates []string
	if v := jupyterLabVenv(); v != "" {
		candidates = append(candidates, filepath.Join(v, "bin", "jupyter-lab"))
	}
	if p, err := exec.LookPath("jupyter-lab"); err == nil {
		candidates = append(candidates, p)
	}
	var found *jupyterLab
	for _, bin := range candidates {
		if fi, err := os.Stat(bin); err != nil || fi.Mode()&0o111 == 0 {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		out, err := exec.CommandContext(cctx, bin, "--version").Output()
		cancel()
		if err != nil {
			continue
		}
		v := lastLine(string(out))
		major, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
		found = &jupyterLab{Bin: bin, Version: v, Major: major}
		if major >= 4 {
			return found, nil
		}
	}
	if found != nil {
		return found, &labError{problem: fmt.Sprintf("JupyterLab %s at %s is too old (the MixFlow kernel is tested with JupyterLab 4)", found.Version, found.Bin), fix: labFix}
	}
	return nil, &labError{problem: fmt.Sprintf("JupyterLab is not installed (no jupyter-lab in %s or on PATH)", filepath.Join(jupyterLabVenv(), "bin")), fix: labFix}
}

// jupyterLabCheck is doctor's JupyterLab line: the version found and the project's command that
// opens it on the notebooks, or what is wrong and the one-line fix.
func jupyterLabCheck(ctx context.Context) check {
	lab, err := findJupyterLab(ctx)
	if err != nil {
		var le *labError
		if errors.As(err, &le) {
			return check{name: "JupyterLab", detail: le.problem, fix: le.fix}
		}
		return check{name: "JupyterLab", detail: err.Error(), fix: labFix}
	}
	return check{name: "JupyterLab", ok: true, detail: fmt.Sprintf("%s at %s; open the notebooks with: go run ./kernel lab", lab.Version, lab.Bin)}
}
