package main

import (
	"bytes"
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

// standIn writes a stand-in for GoNB: it names its generated-code directory in the log as GoNB does,
// starts a process in its own session (as GoNB starts gopls) and a plain child (a cell's program),
// writes their pids to DIR/pids, and then waits, or exits at once when exitAtOnce.
func standIn(t *testing.T, exitAtOnce bool) (script, dir, codeDir string) {
	t.Helper()
	dir = t.TempDir()
	codeDir = filepath.Join(dir, "gonb_46176ee0")
	if err := os.Mkdir(codeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := "#!/bin/sh\n" +
		"echo 'I1207 12:22:00.492009    1603 goexec.go:209] GoNB: jupyter root in \"/tmp\", tmp Go code in \"" + codeDir + "\"' >&2\n" +
		"setsid sleep 300 & a=$!\nsleep 300 & b=$!\n" +
		"echo \"$a $b\" > " + filepath.Join(dir, "pids.tmp") + " && mv " + filepath.Join(dir, "pids.tmp") + " " + filepath.Join(dir, "pids") + "\n"
	if exitAtOnce {
		body += "exit 0\n"
	} else {
		body += "wait\n"
	}
	script = filepath.Join(dir, "gonb")
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return script, dir, codeDir
}

// childPids waits for the stand-in's pids file.
func childPids(t *testing.T, dir string) []int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(filepath.Join(dir, "pids")); err == nil {
			var pids []int
			for _, f := range strings.Fields(string(data)) {
				pid, err := strconv.Atoi(f)
				if err != nil {
					t.Fatal(err)
				}
				pids = append(pids, pid)
			}
			return pids
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the stand-in GoNB did not start its children")
	return nil
}

// alive reports whether pid is a live process (not gone, not a zombie).
func alive(pid int) bool {
	_, state, ok := procStat(pid)
	return ok && state != "Z" && state != "X"
}

// waitGone fails the test unless every pid ends within the timeout.
func waitGone(t *testing.T, what string, pids []int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var left []int
		for _, p := range pids {
			if alive(p) {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, p := range left {
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
			t.Fatalf("%s: processes %v still running %s later", what, left, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHardKillLeavesNothing kills the kernel's process group with SIGKILL, as Jupyter does when a
// kernel does not shut down: the supervisor must end GoNB, its own-session child and its plain
// child, and remove GoNB's generated-code directory.
func TestHardKillLeavesNothing(t *testing.T) {
	script, dir, codeDir := standIn(t, false)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// A file, not a buffer: Wait must not wait for the log pipe that leftovers would hold open.
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	launcher := exec.Command(self, script, "--kernel", "conn.json")
	launcher.Env = append(os.Environ(), asMainVar+"=1")
	launcher.Stderr = logFile
	launcher.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // jupyter_client: a new session
	if err := launcher.Start(); err != nil {
		t.Fatal(err)
	}
	kids := childPids(t, dir)
	under := descendants(launcher.Process.Pid)
	if len(under) < 2 {
		t.Fatalf("processes below the launcher: %v; want the supervisor and the stand-in GoNB", under)
	}
	if err := syscall.Kill(-launcher.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = launcher.Wait()
	for _, k := range kids {
		if !slices.Contains(under, k) {
			under = append(under, k)
		}
	}
	waitGone(t, "after SIGKILL of the kernel's process group", under, 10*time.Second)
	if _, err := os.Stat(codeDir); !os.IsNotExist(err) {
		t.Errorf("GoNB's directory %s is still there (%v)", codeDir, err)
	}
	if log, _ := os.ReadFile(logFile.Name()); len(log) > 0 {
		t.Errorf("server log: %q", log)
	}
}

// TestExitEndsLeftovers: when GoNB exits by itself, the processes it left behind end with it.
func TestExitEndsLeftovers(t *testing.T) {
	script, dir, codeDir := standIn(t, true)
	var stderr bytes.Buffer
	if code := run([]string{script}, "", &stderr); code != 0 {
		t.Errorf("exit status %d, want 0 (server log %q)", code, stderr.String())
	}
	waitGone(t, "after GoNB exited", childPids(t, dir), 5*time.Second)
	if _, err := os.Stat(codeDir); !os.IsNotExist(err) {
		t.Errorf("GoNB's directory %s is still there (%v)", codeDir, err)
	}
}

func TestProcStat(t *testing.T) {
	ppid, state, ok := procStat(os.Getpid())
	if !ok || ppid != os.Getppid() || state != "R" && state != "S" {
		t.Errorf("procStat(self) = %d %q %v; want parent %d, running", ppid, state, ok, os.Getppid())
	}
	if _, _, ok := procStat(1 << 30); ok {
		t.Error("procStat of a missing pid succeeded")
	}
}
