package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// asMainVar makes the test binary run as kernelwrap itself.
const asMainVar = "KERNELWRAP_TEST_MAIN"

// TestMain lets the test binary be kernelwrap: on Linux run starts its own executable as the
// supervisor, and the kill test starts it as the launcher.
func TestMain(m *testing.M) {
	if os.Getenv(parentVar) != "" || os.Getenv(asMainVar) != "" {
		main()
	}
	os.Exit(m.Run())
}

// gonbLog is what GoNB v0.11.5 wrote on stderr for a kernel started by jupyter_client, one cell that
// failed to parse, and a shutdown request.
func gonbLog(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "gonb-v0.11.5.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func filtered(t *testing.T, in string, raw bool) (string, []string) {
	t.Helper()
	var out bytes.Buffer
	var dirs []string
	f := &logFilter{w: &out, raw: raw, onTempDir: func(d string) { dirs = append(dirs, d) }}
	if err := f.copy(strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	return out.String(), dirs
}

func TestFilterDropsGoNBsChatter(t *testing.T) {
	in := gonbLog(t)
	out, dirs := filtered(t, in, false)
	if out != "" {
		t.Errorf("a clean start, a cell and a shutdown left this in the server log:\n%s", out)
	}
	if len(dirs) != 1 || dirs[0] != "/tmp/gonb_46176ee0" {
		t.Errorf("generated-code directories seen = %q, want [/tmp/gonb_46176ee0]", dirs)
	}
	raw, _ := filtered(t, in, true)
	if raw != in {
		t.Errorf("raw mode changed the log:\n%s", raw)
	}
	for _, want := range []string{"Info message", "Warning message", "Error message", "goroutine 1 [running]:", "killing gopls"} {
		if !strings.Contains(in, want) {
			t.Errorf("testdata lacks %q: the filter is not tested against it", want)
		}
	}
}

func TestFilterKeepsRealProblems(t *testing.T) {
	const id = "\x1b[7;39;32m[46176ee0]\x1b[0m "
	in := "I1207 12:22:00.830778    1603 dispatcher.go:237] " + id + "Shutting down\n" +
		"W1207 12:22:00.830778    1603 exec.go:11] " + id + "Failed to start `gopls`: no such file\n" +
		"E1207 12:22:00.830778    1603 kernel.go:99] " + id + "Failed to publish: broken pipe\n" +
		"github.com/janpfeifer/gonb/internal/kernel.(*Kernel).Publish\n" +
		"\t/root/go/pkg/mod/github.com/janpfeifer/gonb@v0.11.5/internal/kernel/kernel.go:99\n" +
		"I1207 12:22:00.830778    1603 exec.go:179] " + id + "killing gopls: \n" +
		"goroutine 1 [running]:\n" +
		"main.main()\n" +
		"panic: runtime error: index out of range [3] with length 3\n" +
		"\n" +
		"goroutine 7 [running]:\n" +
		"main.crash()\n" +
		"W1207 12:22:00.830778    1603 main.go:190] " + id + "Warning message\n" +
		"F1207 12:22:00.830778    1603 main.go:223] " + id + "Failed to start kernel: bad connection file"
	want := "W1207 12:22:00.830778    1603 exec.go:11] " + id + "Failed to start `gopls`: no such file\n" +
		"E1207 12:22:00.830778    1603 kernel.go:99] " + id + "Failed to publish: broken pipe\n" +
		"github.com/janpfeifer/gonb/internal/kernel.(*Kernel).Publish\n" +
		"\t/root/go/pkg/mod/github.com/janpfeifer/gonb@v0.11.5/internal/kernel/kernel.go:99\n" +
		"panic: runtime error: index out of range [3] with length 3\n" +
		"\n" +
		"goroutine 7 [running]:\n" +
		"main.crash()\n" +
		"F1207 12:22:00.830778    1603 main.go:223] " + id + "Failed to start kernel: bad connection file"
	if out, _ := filtered(t, in, false); out != want {
		t.Errorf("filtered log:\n%s\nwant:\n%s", out, want)
	}
}

func TestRawLog(t *testing.T) {
	for value, want := range map[string]bool{"": false, "quiet": false, "raw": true, "verbose": true} {
		var msg bytes.Buffer
		if got := rawLog(value, &msg); got != want {
			t.Errorf("rawLog(%q) = %v, want %v", value, got, want)
		}
		if warned := msg.Len() > 0; warned != (value == "verbose") {
			t.Errorf("rawLog(%q) said %q", value, msg.String())
		}
	}
}

// TestRunFiltersTheChildsLog runs a stand-in for GoNB that writes the recorded log and a panic,
// and exits 2.
func TestRunFiltersTheChildsLog(t *testing.T) {
	script := filepath.Join(t.TempDir(), "gonb")
	body := "#!/bin/sh\ncat " + filepath.Join(mustAbs(t, "testdata"), "gonb-v0.11.5.log") + " >&2\n" +
		"echo 'panic: boom' >&2\necho \"args: $*\"\nexit 2\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"", "raw"} {
		var stderr bytes.Buffer
		// stdout is the test binary's own: the child's "args:" line goes there.
		code := run([]string{script, "--kernel", "conn.json"}, mode, &stderr)
		if code != 2 {
			t.Errorf("mode %q: exit status %d, want the child's 2", mode, code)
		}
		want := "panic: boom\n"
		if mode == "raw" {
			want = gonbLog(t) + want
		}
		if stderr.String() != want {
			t.Errorf("mode %q: server log\n%s\nwant\n%s", mode, stderr.String(), want)
		}
	}
	var stderr bytes.Buffer
	if code := run(nil, "", &stderr); code != 2 || !strings.Contains(stderr.String(), "kernel install") {
		t.Errorf("no arguments: status %d, %q", code, stderr.String())
	}
	if code := run([]string{filepath.Join(t.TempDir(), "missing")}, "", &stderr); code != 2 {
		t.Errorf("missing GoNB: status %d, want 2", code)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
