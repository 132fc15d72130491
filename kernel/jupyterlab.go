package main

import (
	"context"
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

// findJupyterLab looks for jupyter-lab in setup.sh's virtualenv, then on PATH, and asks its version.
// It fails with a one-line message naming the fix when there is none or it is older than 4.
func findJupyterLab(ctx context.Context) (*jupyterLab, error) {
	const fix = "run scripts/setup.sh (it installs JupyterLab " + jupyterLabVersion + " into " + "~/.venvs/jupyterlab, or $" + jupyterLabVenvEnv + ")"
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
		return found, fmt.Errorf("JupyterLab %s at %s is too old (the MixFlow kernel is tested with JupyterLab 4); %s", found.Version, found.Bin, fix)
	}
	return nil, fmt.Errorf("JupyterLab is not installed (no jupyter-lab in %s or on PATH); %s", filepath.Join(jupyterLabVenv(), "bin"), fix)
}

// labCommand is the command line that opens JupyterLab on the repository's notebooks (root needs
// --allow-root).
func labCommand(bin, repo string) string {
	cmd := bin
	if os.Geteuid() == 0 {
		cmd += " --allow-root"
	}
	return cmd + " " + filepath.Join(repo, "notebooks")
}
