package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
)

// defaultLabPort is the port `kernel lab` serves on unless --port says otherwise (Jupyter's own).
const defaultLabPort = 8888

// cmdLab opens JupyterLab on the notebooks, after checking in one line each what would otherwise
// fail inside Jupyter's log: JupyterLab missing or older than 4, the port taken.
func cmdLab(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("lab", stderr, "lab [flags] [DIR]  (DIR: the notebooks folder by default)")
	port := fs.Int("port", defaultLabPort, "serve on this `port` of localhost (an occupied port is an error, not a silent switch to the next one)")
	noBrowser := fs.Bool("no-browser", false, "do not open a browser; print the URL only")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code, nil
	}
	if len(pos) > 1 {
		return 2, fmt.Errorf("kernel lab: %d folders given (%q); give one, or none for the notebooks", len(pos), pos)
	}
	if *port < 1 || *port > 65535 {
		return 2, fmt.Errorf("kernel lab: --port %d outside 1–65535", *port)
	}
	dir := ""
	if len(pos) == 1 {
		dir = pos[0]
	} else {
		repo, err := repoHere()
		if err != nil {
			return 2, err
		}
		dir = filepath.Join(repo, "notebooks")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return 2, fmt.Errorf("kernel lab: %s is not a folder", dir)
	}
	lab, err := findJupyterLab(ctx)
	if err != nil {
		return 2, fmt.Errorf("kernel lab: %w", err)
	}
	if err := portFree(*port); err != nil {
		return 2, err
	}
	argv := labArgs(lab.Bin, *port, *noBrowser, dir)
	fmt.Fprintf(stdout, "kernel lab: JupyterLab %s on http://localhost:%d/ serving %s (Ctrl+C twice stops it)\n", lab.Version, *port, dir)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	// Ctrl+C reaches JupyterLab from the terminal, which asks before it stops; this process only
	// waits for it (main's signal handler keeps it alive meanwhile).
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return 1, fmt.Errorf("kernel lab: JupyterLab exited with status %d (its messages are above)", ee.ExitCode())
		}
		return 1, fmt.Errorf("kernel lab: running %s: %v", lab.Bin, err)
	}
	return 0, nil
}

// labArgs is the JupyterLab command line: one port, no retries on the next one, --allow-root for
// root.
func labArgs(bin string, port int, noBrowser bool, dir string) []string {
	argv := []string{bin, "--port=" + strconv.Itoa(port), "--port-retries=0"}
	if noBrowser {
		argv = append(argv, "--no-browser")
	}
	if os.Geteuid() == 0 {
		argv = append(argv, "--allow-root")
	}
	return append(argv, dir)
}

// portFree checks that port can be listened on at localhost, as JupyterLab will; otherwise the error
// says in one line what to do.
func portFree(port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort("localhost", strconv.Itoa(port)))
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("kernel lab: port %d is in use (another Jupyter server? `jupyter server list` shows them); stop it, or pick another port with --port N", port)
		}
		return fmt.Errorf("kernel lab: cannot listen on localhost:%d (%v); pick another port with --port N", port, err)
	}
	_ = l.Close()
	return nil
}
