package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestKilledKernelLeavesNothing starts the installed kernel (GoNB with gopls, under kernelwrap) as
// Jupyter does, in a new session with a connection file, then kills its process group with SIGKILL,
// as Jupyter does when a kernel will not shut down: no GoNB or gopls may survive, GoNB's /tmp/gonb_*
// directory must go, and the server log must hold none of GoNB's start-up lines.
func TestKilledKernelLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: builds gopls and starts a kernel")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("skipping: no /proc (the supervisor is Linux-only)")
	}
	dataDir := filepath.Join(t.TempDir(), "jupyter")
	o := testInstallOptions(dataDir, &bytes.Buffer{})
	o.gopls = true
	res, err := runInstall(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	spec := readSpec(t, res.specDir)
	tmp := t.TempDir() // GoNB's generated code goes to $TMPDIR/gonb_*
	conn := filepath.Join(t.TempDir(), "kernel-test.json")
	writeConnectionFile(t, conn)
	argv := slices.Clone(spec.Argv)
	for i, a := range argv {
		argv[i] = strings.ReplaceAll(a, "{connection_file}", conn)
	}
	logFile, err := os.Create(filepath.Join(t.TempDir(), "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = mergeEnv(kernelProcessEnv(spec, os.Environ()), "TMPDIR="+tmp, "MIXFLOW_KERNEL_LOG=")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }()

	var below []proc
	deadline := time.Now().Add(90 * time.Second)
	for {
		below = procsBelow(t, cmd.Process.Pid)
		if slices.ContainsFunc(below, func(p proc) bool { return p.comm == "gopls" }) {
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logFile.Name())
			t.Fatalf("no gopls below the kernel after 90 s (processes %v); server log:\n%s", below, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	dirs, _ := filepath.Glob(filepath.Join(tmp, "gonb_*"))
	if len(dirs) != 1 {
		t.Fatalf("GoNB's directories in TMPDIR = %v, want one", dirs)
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var left []proc
		for _, p := range below {
			if state, ok := procState(p.pid); ok && state != "Z" {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			for _, p := range left {
				_ = syscall.Kill(p.pid, syscall.SIGKILL)
			}
			t.Fatalf("still running 15 s after SIGKILL of the kernel: %v", left)
		}
	}
	if _, err := os.Stat(dirs[0]); !os.IsNotExist(err) {
		t.Errorf("GoNB's directory %s survived the kill (%v)", dirs[0], err)
	}
	log, _ := os.ReadFile(logFile.Name())
	for _, noise := range []string{"Info message", "Warning message", "Error message", "goroutine "} {
		if bytes.Contains(log, []byte(noise)) {
			t.Errorf("server log holds GoNB's %q:\n%s", noise, log)
		}
	}
}

type proc struct {
	pid  int
	comm string
}

// procsBelow lists the processes below pid, from ps.
func procsBelow(t *testing.T, pid int) []proc {
	t.Helper()
	out, err := exec.Command("ps", "-e", "-o", "pid=,ppid=,comm=").Output()
	if err != nil {
		t.Fatalf("ps: %v", err)
	}
	children := map[int][]proc{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		p, _ := strconv.Atoi(f[0])
		pp, _ := strconv.Atoi(f[1])
		children[pp] = append(children[pp], proc{p, f[2]})
	}
	var below []proc
	for queue := []int{pid}; len(queue) > 0; queue = queue[1:] {
		for _, c := range children[queue[0]] {
			below = append(below, c)
			queue = append(queue, c.pid)
		}
	}
	return below
}

// procState is a process's state letter from ps, and whether it exists.
func procState(pid int) (string, bool) {
	out, err := exec.Command("ps", "-o", "stat=", "-p", strconv.Itoa(pid)).Output()
	s := strings.TrimSpace(string(out))
	if err != nil || s == "" {
		return "", false
	}
	return s[:1], true
}

// writeConnectionFile writes a Jupyter connection file with free local ports.
func writeConnectionFile(t *testing.T, path string) {
	t.Helper()
	c := map[string]any{"transport": "tcp", "ip": "127.0.0.1", "signature_scheme": "hmac-sha256",
		"key": "kernelwrap-test", "kernel_name": defaultKernelName}
	for _, name := range []string{"shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c[name] = l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
	}
	data, _ := json.Marshal(c)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
