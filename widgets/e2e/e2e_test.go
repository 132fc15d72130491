//go:build browser

// Package e2e runs the widgets through a real Jupyter: headless execution of a notebook that uses every
// widget (it must finish), and a browser test (Debian's chromium driven by chromedp against a
// `jupyter notebook` server on 127.0.0.1) that moves the γ slider and checks that the figure changed.
//
// Run with: go test -tags browser ./widgets/e2e (needs /usr/bin/jupyter with nbclient, chromium for the
// browser test; each test skips with the reason when its tools are absent). The kernel is installed by
// `go run ./kernel install` into a temporary Jupyter data dir; the user's is never touched. Set
// MIXFLOW_E2E_ARTIFACTS=DIR to keep the executed notebook and the browser screenshots.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// repoRoot is the repository root (this file is widgets/e2e/e2e_test.go).
func repoRoot(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test source")
	}
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

func jupyterBin() string {
	if p := os.Getenv("MIXFLOW_JUPYTER"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/jupyter"); err == nil {
		return "/usr/bin/jupyter" // Debian's, which sees Debian's nbclient (not a pyenv python3)
	}
	p, _ := exec.LookPath("jupyter")
	return p
}

// needJupyter skips the test, saying why, when Jupyter with nbclient is not installed.
func needJupyter(t *testing.T) string {
	t.Helper()
	j := jupyterBin()
	if j == "" {
		t.Skip("SKIP: jupyter is not installed (apt-get install jupyter-notebook jupyter-nbconvert python3-nbclient); the widgets' Jupyter tests did not run")
	}
	py := "/usr/bin/python3"
	if p := os.Getenv("MIXFLOW_PYTHON"); p != "" {
		py = p
	}
	if err := exec.Command(py, "-c", "import nbclient, notebook").Run(); err != nil {
		t.Skipf("SKIP: %s cannot import nbclient and notebook (%v): apt-get install python3-nbclient jupyter-notebook", py, err)
	}
	return j
}

func artifacts(t *testing.T) string {
	if d := os.Getenv("MIXFLOW_E2E_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// installKernel installs the mixflow kernel into a fresh Jupyter data dir and returns it.
func installKernel(t *testing.T) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "jupyter")
	cmd := exec.Command("go", "run", "./kernel", "install", "--no-gopls")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "JUPYTER_DATA_DIR="+data, "GOTOOLCHAIN=go1.27.3", "GOEXPERIMENT=simd")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run ./kernel install: %v\n%s", err, out)
	}
	t.Logf("kernel install:\n%s", tail(string(out), 4))
	if _, err := os.Stat(filepath.Join(data, "kernels", "mixflow", "kernel.json")); err != nil {
		t.Fatalf("kernel install wrote no kernelspec: %v", err)
	}
	return data
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

type notebook struct {
	Cells []struct {
		CellType string `json:"cell_type"`
		Outputs  []struct {
			OutputType string         `json:"output_type"`
			Name       string         `json:"name"`
			Text       any            `json:"text"`
			Data       map[string]any `json:"data"`
		} `json:"outputs"`
	} `json:"cells"`
}

func joinText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		var b strings.Builder
		for _, s := range x {
			b.WriteString(fmt.Sprint(s))
		}
		return b.String()
	}
	return ""
}

// TestHeadlessAllWidgets executes testdata/all-widgets.ipynb headless through `kernel exec`: every widget
// must display (charts with both text/html and image/png) and the explorer must fall back and finish.
func TestHeadlessAllWidgets(t *testing.T) {
	needJupyter(t)
	data := installKernel(t)
	out := artifacts(t)
	start := time.Now()
	cmd := exec.Command("go", "run", "./kernel", "exec", "--out", out, "--timeout", "5m", "widgets/e2e/testdata/all-widgets.ipynb")
	cmd.Dir = repoRoot(t)
	// MIXFLOW_WIDGETS=live keeps `kernel exec` from choosing the static controls, so this run exercises the
	// explorer's bounded wait for a page that never answers.
	cmd.Env = append(os.Environ(), "JUPYTER_DATA_DIR="+data, "GOTOOLCHAIN=go1.27.3", "GOEXPERIMENT=simd", "MIXFLOW_WIDGETS=live")
	b, err := cmd.CombinedOutput()
	t.Logf("kernel exec (%.1f s):\n%s", time.Since(start).Seconds(), b)
	if err != nil {
		t.Fatalf("headless execution failed: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(out, "all-widgets.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	var nb notebook
	if err := json.Unmarshal(raw, &nb); err != nil {
		t.Fatal(err)
	}
	charts, pngs, explorerStatic, progressDone := 0, 0, false, false
	var stdout strings.Builder
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			if o.OutputType == "stream" {
				stdout.WriteString(joinText(o.Text))
				continue
			}
			html := joinText(o.Data["text/html"])
			if _, ok := o.Data["image/png"]; ok || strings.Contains(html, "data:image/png;base64,") {
				pngs++
			}
			if strings.Contains(html, `class="mixflow-chart"`) {
				charts++
				if _, ok := o.Data["image/png"]; ok {
					t.Errorf("a chart output stores its PNG twice (image/png and inside the HTML)")
				}
				if !strings.Contains(html, `<img class="mixflow-static" src="data:image/png;base64,`) {
					t.Errorf("a chart's HTML has no fallback image")
				}
			}
			if strings.Contains(html, `class="mixflow-explorer"`) {
				// "no notebook page answered" after the bounded handshake.
				explorerStatic = !strings.Contains(html, "<script") && strings.Contains(html, "static") && strings.Contains(html, "disabled")
			}
			if strings.Contains(html, `class="mixflow-progress"`) && strings.Contains(html, `data-finished="true"`) && strings.Contains(html, "100%") {
				progressDone = true
			}
		}
	}
	if charts < 9 {
		t.Errorf("%d chart outputs, want ≥ 9 (7 figures, the live loss plot and the explorer's figure)", charts)
	}
	if pngs < 10 {
		t.Errorf("%d outputs with a PNG, want ≥ 10 (charts and the image grid)", pngs)
	}
	if !explorerStatic {
		t.Error("the explorer's saved controls are not in their static fallback state")
	}
	if !progressDone {
		t.Error("the progress bar's saved output is not its final state (100 %, finished)")
	}
	if !strings.Contains(stdout.String(), "explorer: live=false reason=static gamma=0.8 dist=beta21") {
		t.Errorf("explorer did not fall back to its default:\n%s", stdout.String())
	}
	if !strings.Contains(stdout.String(), "progress draws:") {
		t.Errorf("progress cell did not finish:\n%s", stdout.String())
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// server is a `jupyter notebook` process started by a test.
type server struct {
	cmd   *exec.Cmd
	base  string // http://127.0.0.1:PORT/
	token string
	log   *bytes.Buffer
	// exited is closed when the server's process has exited.
	exited chan struct{}
}

// startNotebookServer starts classic Jupyter Notebook on 127.0.0.1 with a random port and token,
// serving dir, with the kernelspecs of dataDir.
func startNotebookServer(t *testing.T, jupyter, dataDir, dir string) *server {
	t.Helper()
	s := jupyterServer(t, dataDir, nil, func(port int, token string) []string {
		return []string{jupyter, "notebook", "--no-browser", "--allow-root", "--ip=127.0.0.1",
			fmt.Sprintf("--port=%d", port), "--port-retries=0", "--NotebookApp.token=" + token,
			"--notebook-dir=" + dir}
	})
	s.start(t, "jupyter notebook", 90*time.Second)
	return s
}

// jupyterServer returns a server (not started) for the Jupyter command line that args returns for a
// random free port and a fresh token, with JUPYTER_DATA_DIR=dataDir, fresh config and runtime directories
// and a fresh directory for each further variable of dirs (variable name → directory name).
func jupyterServer(t *testing.T, dataDir string, dirs [][2]string, args func(port int, token string) []string) *server {
	t.Helper()
	port := freePort(t)
	token := fmt.Sprintf("mixflow%d", time.Now().UnixNano())
	tmp := t.TempDir()
	s := &server{base: fmt.Sprintf("http://127.0.0.1:%d/", port), token: token, log: &bytes.Buffer{}}
	a := args(port, token)
	s.cmd = exec.Command(a[0], a[1:]...)
	s.cmd.Env = append(os.Environ(), "JUPYTER_DATA_DIR="+dataDir, "GOTOOLCHAIN=go1.27.3", "GOEXPERIMENT=simd")
	for _, d := range append([][2]string{{"JUPYTER_CONFIG_DIR", "config"}, {"JUPYTER_RUNTIME_DIR", "runtime"}}, dirs...) {
		s.cmd.Env = append(s.cmd.Env, d[0]+"="+filepath.Join(tmp, d[1]))
	}
	return s
}

// evalBool evaluates a JavaScript boolean expression in the browser tab of ctx.
func evalBool(ctx context.Context, expr string) (bool, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
}

// evalString evaluates a JavaScript string expression in the browser tab of ctx; an error fails t.
func evalString(ctx context.Context, t *testing.T, expr string) string {
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return s
}

// screenshot saves a full-page screenshot of the browser tab of ctx as dir/name (an error is logged:
// screenshots only help reading a failure).
func screenshot(ctx context.Context, t *testing.T, dir, name string) {
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	_ = os.WriteFile(filepath.Join(dir, name), b, 0o644)
}

// start starts the server's command in its own process group (stopped when the test ends) and waits up
// to timeout for its REST API to answer.
func (s *server) start(t *testing.T, what string, timeout time.Duration) {
	t.Helper()
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", what, err)
	}
	s.exited = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() { s.stop(t) })
	deadline := time.Now().Add(timeout)
	poll := &http.Client{Timeout: 5 * time.Second} // a port held by something else may never answer
	for {
		select {
		case <-s.exited:
			if strings.Contains(s.log.String(), "already in use") {
				t.Fatalf("%s could not listen on %s: the port is in use (free a moment before: another process took it); re-run the test", what, s.base)
			}
			t.Fatalf("%s exited before answering on %s:\n%s", what, s.base, tail(s.log.String(), 40))
		default:
		}
		resp, err := poll.Get(s.base + "api/status?token=" + s.token)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer on %s within %v:\n%s", what, s.base, timeout, s.log.String())
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// newBrowser starts a headless chromium (chromium: its binary) with a fresh profile and a window of w×h
// pixels; it is closed when the test ends.
func newBrowser(t *testing.T, chromium string, w, h int) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(w, h),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return ctx
}

// stop shuts the kernels down through the REST API (GoNB then cleans its temporary files), then stops
// the server's process group (only processes this test started).
func (s *server) stop(t *testing.T) {
	if s.cmd.Process == nil {
		return
	}
	client := &http.Client{Timeout: 10 * time.Second}
	if resp, err := client.Get(s.base + "api/kernels?token=" + s.token); err == nil {
		var ks []struct {
			ID string `json:"id"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&ks)
		resp.Body.Close()
		for _, k := range ks {
			req, _ := http.NewRequest(http.MethodDelete, s.base+"api/kernels/"+k.ID+"?token="+s.token, nil)
			if r, err := client.Do(req); err == nil {
				r.Body.Close()
			}
		}
	}
	pgid := s.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.exited
	}
	if t.Failed() {
		t.Logf("jupyter notebook log:\n%s", tail(s.log.String(), 60))
	}
}

// waitJS polls a JavaScript boolean expression until it is true.
func waitJS(ctx context.Context, t *testing.T, what, expr string, timeout time.Duration, eval func(context.Context, string) (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		ok, err := eval(ctx, expr)
		if err == nil && ok {
			return
		}
		lastErr = err
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s (last error: %v)", timeout, what, lastErr)
}

func copyFile(t *testing.T, dst, src string) {
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
