package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// run is the launcher (the process Jupyter starts and may SIGKILL), or, started by the launcher with
// parentVar set, the supervisor that runs GoNB.
func run(args []string, logMode string, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usageLine)
		return 2
	}
	if parent, ok := os.LookupEnv(parentVar); ok {
		_ = os.Unsetenv(parentVar)
		return supervise(parent, args, logMode, stderr)
	}
	return launch(args, logMode, stderr)
}

// launch starts the supervisor in its own process group (Jupyter kills the kernel's process group,
// and the supervisor must outlive it to clean up) with SIGTERM as its parent-death signal, forwards
// signals to it and returns its exit status.
func launch(args []string, logMode string, stderr io.Writer) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "mixflow kernel: kernelwrap cannot find its own executable: %v; re-run `go run ./kernel install`\n", err)
		return 2
	}
	// The parent-death signal fires when the thread that started the child ends, not the process:
	// this goroutine keeps its thread until the launcher exits.
	runtime.LockOSThread()
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), parentVar+"="+strconv.Itoa(os.Getpid()), LogVar+"="+logMode)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "mixflow kernel: starting the kernel's supervisor %s: %v\n", self, err)
		return 2
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	return exitStatus(cmd.Wait())
}

// prSetChildSubreaper is prctl's PR_SET_CHILD_SUBREAPER.
const prSetChildSubreaper = 36

// supervise runs GoNB as the child subreaper of everything GoNB starts: processes whose parent dies
// are re-parented to the supervisor instead of init, so it can end them all.
func supervise(parent string, args []string, logMode string, stderr io.Writer) int {
	ppid, _ := strconv.Atoi(parent)
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		fmt.Fprintf(stderr, "mixflow kernel: kernelwrap cannot adopt GoNB's processes (prctl: %v); a killed kernel may leave gopls behind\n", errno)
	}
	orphaned := func() bool { return os.Getppid() != ppid }
	if orphaned() { // the launcher died before the parent-death signal was armed
		return 1
	}
	return runGoNB(args, logMode, stderr, supervision{
		attr:     &syscall.SysProcAttr{Setpgid: true}, // GoNB's group: the supervisor can signal it as one
		orphaned: orphaned,
		cleanup:  endDescendants,
	})
}

// endDescendants ends every process below this one: SIGTERM, then SIGKILL for those still there
// after a second; then it reaps them.
func endDescendants() {
	deadline := time.Now().Add(time.Second)
	sig := syscall.SIGTERM
	for range 100 {
		pids := descendants(os.Getpid())
		if len(pids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			sig = syscall.SIGKILL
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, sig)
		}
		reap()
		time.Sleep(20 * time.Millisecond)
	}
	reap()
}

// reap collects the exit status of every child that has exited (adopted orphans included).
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// descendants lists the live (not zombie) processes below root, from /proc.
func descendants(root int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, state, ok := procStat(pid)
		if ok && state != "Z" && state != "X" {
			children[ppid] = append(children[ppid], pid)
		}
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// procStat reads a process's parent and state from /proc/PID/stat.
func procStat(pid int) (ppid int, state string, ok bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, "", false
	}
	// pid (comm) state ppid ...; comm may hold spaces and parentheses.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, "", false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0, "", false
	}
	ppid, err = strconv.Atoi(f[1])
	return ppid, f[0], err == nil
}
