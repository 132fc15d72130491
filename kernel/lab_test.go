package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeLab installs a stand-in jupyter-lab of the given version in a virtualenv MIXFLOW_JUPYTERLAB_VENV
// points at; run without --version it writes its arguments to the returned file.
func fakeLab(t *testing.T, version string) string {
	t.Helper()
	venv := t.TempDir()
	t.Setenv(jupyterLabVenvEnv, venv)
	t.Setenv("PATH", "/usr/bin:/bin")
	argsFile := filepath.Join(venv, "args")
	bin := filepath.Join(venv, "bin", "jupyter-lab")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\nif [ \"$1\" = --version ]; then echo " + version + "; exit 0; fi\necho \"$@\" > " + argsFile + "\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return argsFile
}

func oneLine(t *testing.T, what, stderr string, want ...string) {
	t.Helper()
	msg := strings.TrimRight(stderr, "\n")
	if strings.Count(msg, "\n") > 0 {
		t.Errorf("%s: a message of several lines:\n%s", what, msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("%s: message %q lacks %q", what, msg, w)
		}
	}
}

func TestLabChecksJupyterLabAndPort(t *testing.T) {
	t.Setenv(jupyterLabVenvEnv, t.TempDir())
	t.Setenv("PATH", "/nonexistent")
	code, _, stderr := runCLI(t, "lab", "--port", "18888")
	if code != 2 {
		t.Errorf("no JupyterLab: status %d, want 2", code)
	}
	oneLine(t, "no JupyterLab", stderr, "kernel lab:", "not installed", "scripts/setup.sh")

	fakeLab(t, "3.6.8")
	code, _, stderr = runCLI(t, "lab", "--port", "18888")
	if code != 2 {
		t.Errorf("JupyterLab 3: status %d, want 2", code)
	}
	oneLine(t, "JupyterLab 3", stderr, "3.6.8", "too old", "scripts/setup.sh")

	argsFile := fakeLab(t, "4.6.6")
	l, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	busy := l.Addr().(*net.TCPAddr).Port
	code, _, stderr = runCLI(t, "lab", "--port", strconv.Itoa(busy))
	l.Close()
	if code != 2 {
		t.Errorf("port in use: status %d, want 2", code)
	}
	oneLine(t, "port in use", stderr, "port "+strconv.Itoa(busy)+" is in use", "--port")
	if _, err := os.Stat(argsFile); err == nil {
		t.Error("JupyterLab was started although the port is in use")
	}

	code, stdout, stderr := runCLI(t, "lab", "--port", strconv.Itoa(busy), "--no-browser")
	if code != 0 {
		t.Fatalf("free port: status %d: %s", code, stderr)
	}
	got, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--port=" + strconv.Itoa(busy), "--port-retries=0", "--no-browser", filepath.Join(repoRoot, "notebooks")} {
		if !strings.Contains(string(got), want) {
			t.Errorf("JupyterLab started with %q: lacks %q", got, want)
		}
	}
	if !strings.Contains(stdout, "http://localhost:"+strconv.Itoa(busy)+"/") {
		t.Errorf("stdout %q does not give the URL", stdout)
	}
}
