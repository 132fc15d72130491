//go:build browser

package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// jupyterLabBin finds JupyterLab 4 as scripts/setup.sh installs it: $MIXFLOW_JUPYTERLAB (a
// jupyter-lab executable), $MIXFLOW_JUPYTERLAB_VENV/bin/jupyter-lab, ~/.venvs/jupyterlab/bin/jupyter-lab,
// then jupyter-lab on PATH.
func jupyterLabBin() string {
	var cands []string
	if p := os.Getenv("MIXFLOW_JUPYTERLAB"); p != "" {
		cands = append(cands, p)
	}
	if v := os.Getenv("MIXFLOW_JUPYTERLAB_VENV"); v != "" {
		cands = append(cands, filepath.Join(v, "bin", "jupyter-lab"))
	}
	if h, err := os.UserHomeDir(); err == nil {
		cands = append(cands, filepath.Join(h, ".venvs", "jupyterlab", "bin", "jupyter-lab"))
	}
	if p, err := exec.LookPath("jupyter-lab"); err == nil {
		cands = append(cands, p)
	}
	for _, c := range cands {
		if fi, err := os.Stat(c); err == nil && fi.Mode()&0o111 != 0 {
			return c
		}
	}
	return ""
}

// startLabServer starts JupyterLab on 127.0.0.1 with a random port and token, serving dir, with the
// kernelspecs and notebook signatures of dataDir.
func startLabServer(t *testing.T, lab, dataDir, dir string) *server {
	t.Helper()
	s := jupyterServer(t, dataDir, [][2]string{{"JUPYTERLAB_WORKSPACES_DIR", "workspaces"}, {"JUPYTERLAB_SETTINGS_DIR", "settings"}},
		func(port int, token string) []string {
			return []string{lab, "--no-browser", "--allow-root", "--ip=127.0.0.1",
				fmt.Sprintf("--port=%d", port), "--port-retries=0", "--IdentityProvider.token=" + token,
				"--ServerApp.root_dir=" + dir, "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"}
		})
	s.start(t, lab, 120*time.Second)
	return s
}

// chartCount counts the interactive charts (".mixflow-chart" outputs) saved in a notebook.
func chartCount(t *testing.T, path string) int {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb notebook
	if err := json.Unmarshal(raw, &nb); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			n += strings.Count(joinText(o.Data["text/html"]), `class="mixflow-chart"`)
		}
	}
	return n
}

// TestJupyterLab drives JupyterLab 4 (as scripts/setup.sh installs it) in Debian's headless chromium:
// the MixFlow kernel is in the launcher; a bundled notebook, trusted by `kernel install`, opens with
// every saved chart interactive and no request leaving the machine; a cell runs live and draws a
// chart; the γ explorer goes live and redraws when its slider moves; a long cell is interrupted and
// the kernel restarted from the UI; a compile error is reported with the cell's own line.
func TestJupyterLab(t *testing.T) {
	needJupyter(t)
	lab := jupyterLabBin()
	if lab == "" {
		t.Skip("SKIP: JupyterLab is not installed (scripts/setup.sh puts it in ~/.venvs/jupyterlab); the JupyterLab browser test did not run")
	}
	chromium := chromiumBin()
	if chromium == "" {
		t.Skip("SKIP: chromium is not installed (apt-get install chromium); the JupyterLab browser test did not run")
	}
	data := installKernel(t) // also signs the bundled notebooks into data
	dir := t.TempDir()
	const bundled = "04-timestep-distributions.ipynb"
	copyFile(t, filepath.Join(dir, bundled), filepath.Join(repoRoot(t), "notebooks", bundled))
	for _, f := range []string{"explorer.ipynb", "lab.ipynb"} {
		copyFile(t, filepath.Join(dir, f), filepath.Join(repoRoot(t), "widgets", "e2e", "testdata", f))
	}
	srv := startLabServer(t, lab, data, dir)
	shots := artifacts(t)

	ctx := newBrowser(t, chromium, 1400, 1000)

	// Every request the page makes must stay on this machine.
	var mu sync.Mutex
	var external []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			u, err := url.Parse(e.Request.URL)
			if err != nil || (u.Scheme != "data" && u.Scheme != "blob" && u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
				mu.Lock()
				external = append(external, e.Request.URL)
				mu.Unlock()
			}
		}
	}); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	eval := evalBool
	str := func(expr string) string { return evalString(ctx, t, expr) }
	do := func(what, expr string) {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr, chromedp.EvalAwaitPromise)); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	shot := func(name string) { screenshot(ctx, t, shots, name) }
	panel := `__mixflowPanel('')` // the notebook the test works in, set by open
	defer func() {
		if t.Failed() {
			shot("lab-failure.png")
			t.Logf("page text (end): %s", tail(str(`document.body.innerText`), 15))
			t.Logf("panel state: %s", str(`(() => { try { const p = `+panel+`; const sc = p && p.sessionContext; const k = sc && sc.session && sc.session.kernel;
				return JSON.stringify({panel: !!p, kernelName: sc && sc.kernelDisplayName, session: !!(sc && sc.session), kernel: k ? [k.name, k.status, k.connectionStatus] : null,
					dialogs: [...document.querySelectorAll('.jp-Dialog')].map(d => d.innerText.slice(0, 200))}); } catch (e) { return String(e); } })()`))
		}
	}()
	// The notebook panel open on a file (found among the main area's widgets), its kernel's status.
	const helpers = `window.__mixflowPanel = (name) => { for (const w of jupyterapp.shell.widgets('main')) { if (w.context && w.context.path === name) { return w; } } return null; }; true`
	kernelIdle := func() string {
		return `(() => { const p = ` + panel + `; const k = p && p.sessionContext && p.sessionContext.session && p.sessionContext.session.kernel;
		return !!k && k.connectionStatus === 'connected' && k.status === 'idle'; })()`
	}
	// GoNB sends no status until it runs something: a fresh kernel is "unknown" while connected.
	kernelReady := func() string {
		return `(() => { const p = ` + panel + `; const k = p && p.sessionContext && p.sessionContext.session && p.sessionContext.session.kernel;
		return !!k && k.connectionStatus === 'connected' && (k.status === 'idle' || k.status === 'unknown'); })()`
	}
	open := func(name string) {
		panel = `__mixflowPanel('` + name + `')`
		do("opening "+name, `jupyterapp.commands.execute('docmanager:open', {path: '`+name+`', factory: 'Notebook'}).then(w => { jupyterapp.shell.activateById(w.id); return true; })`)
		waitJS(ctx, t, name+" in the main area", `(() => { const p = `+panel+`; return !!p && !!p.content && p.content.widgets.length > 0 && p.isVisible; })()`, 60*time.Second, eval)
	}

	// 1. The launcher offers the MixFlow (Go) kernel.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.base+"lab?token="+srv.token)); err != nil {
		t.Fatalf("opening JupyterLab: %v", err)
	}
	waitJS(ctx, t, "JupyterLab to start", `typeof jupyterapp !== 'undefined' && !!jupyterapp.shell && !!document.querySelector('.jp-LauncherCard')`, 120*time.Second, eval)
	do("installing the test's helpers", helpers)
	waitJS(ctx, t, "the MixFlow (Go) card in the launcher", `[...document.querySelectorAll('.jp-LauncherCard')].some(c => c.innerText.includes('MixFlow (Go)'))`, 30*time.Second, eval)
	shot("lab-launcher.png")

	// 2. A bundled notebook opens trusted: every saved chart goes interactive (canvas, no fallback).
	want := chartCount(t, filepath.Join(dir, bundled))
	if want == 0 {
		t.Fatalf("%s holds no chart outputs", bundled)
	}
	open(bundled)
	readyJS := `[...` + panel + `.node.querySelectorAll('.mixflow-chart')].filter(c => c.getAttribute('data-mixflow-chart') === 'ready' && !!c.querySelector('canvas')).length`
	// JupyterLab renders cells as they come into view: scroll through the notebook.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		do("scrolling", `(() => { const n = `+panel+`.node; const s = n.querySelector('.jp-WindowedPanel-outer') || n.querySelector('.jp-Notebook'); s.scrollTop += 600; return true; })()`)
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](readyJS))
		if err == nil && n >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d saved charts of %s went interactive in JupyterLab; states: %s", n, want, bundled,
				str(`JSON.stringify([...document.querySelectorAll('.mixflow-chart')].map(c => [c.getAttribute('data-mixflow-chart'), c.getAttribute('data-mixflow-error')]))`))
		}
		time.Sleep(300 * time.Millisecond)
	}
	shot("lab-bundled-04.png")

	// 3. Cells run live: a chart is drawn by the cell just run.
	open("lab.ipynb")
	waitJS(ctx, t, "the lab notebook's kernel", kernelReady(), 2*time.Minute, eval)
	runCell := func(i int) {
		// Not awaited: the command's promise settles only when the cell has finished.
		do(fmt.Sprintf("running cell %d", i), `(() => { const nb = `+panel+`.content; nb.activeCellIndex = `+fmt.Sprint(i)+`; jupyterapp.commands.execute('notebook:run-cell'); return true; })()`)
	}
	outputText := func(i int) string {
		return `(` + panel + `.content.widgets[` + fmt.Sprint(i) + `].node.querySelector('.jp-OutputArea') || {innerText: ''}).innerText`
	}
	runCell(1)
	waitJS(ctx, t, "cell 1's output", outputText(1)+`.includes('LAB-CELL-1 done')`, 3*time.Minute, eval)
	waitJS(ctx, t, "cell 1's live chart", `(() => { const c = `+panel+`.content.widgets[1].node.querySelector('.mixflow-chart'); return !!c && c.getAttribute('data-mixflow-chart') === 'ready' && !!c.querySelector('canvas'); })()`, 60*time.Second, eval)

	// 4. Interrupt a long cell, then restart the kernel from the UI.
	runCell(2)
	waitJS(ctx, t, "the long cell to start", outputText(2)+`.includes('LAB-LONG started')`, 2*time.Minute, eval)
	start := time.Now()
	do("interrupting the kernel", `jupyterapp.commands.execute('notebook:interrupt-kernel').then(() => true)`)
	waitJS(ctx, t, "the kernel to go idle after the interrupt", kernelIdle(), 60*time.Second, eval)
	if s := str(outputText(2)); strings.Contains(s, "LAB-LONG finished") {
		t.Errorf("the interrupted cell ran to its end:\n%s", s)
	}
	t.Logf("interrupt: kernel idle %.1f s after the interrupt", time.Since(start).Seconds())
	idBefore := str(panel + `.sessionContext.session.kernel.id + ':' + ` + panel + `.sessionContext.session.kernel.clientId`)
	do("asking to restart the kernel", `(jupyterapp.commands.execute('notebook:restart-kernel'), true)`)
	waitJS(ctx, t, "the restart dialog", `!!document.querySelector('.jp-Dialog .jp-mod-accept')`, 30*time.Second, eval)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.jp-Dialog .jp-mod-accept`))); err != nil {
		t.Fatalf("confirming the restart: %v", err)
	}
	waitJS(ctx, t, "the kernel to come back after the restart", kernelReady(), 2*time.Minute, eval)
	if now := str(panel + `.sessionContext.session.kernel.id + ':' + ` + panel + `.sessionContext.session.kernel.clientId`); now == idBefore {
		t.Logf("kernel connection %s unchanged after the restart", now)
	}

	// 5. A compile error names the cell's own line (line 3 of a 3-line cell), not GoNB's main.go.
	runCell(3)
	waitJS(ctx, t, "the compile error", outputText(3)+`.length > 0`, 2*time.Minute, eval)
	errText := str(outputText(3))
	t.Logf("compile error as shown:\n%s", errText)
	if !strings.Contains(errText, "not a number") {
		t.Errorf("the compile error does not show the failing code:\n%s", errText)
	}
	checkCompileErrorLine(t, errText)
	shot("lab-cells.png")

	// 6. The γ explorer goes live and redraws when its slider moves.
	open("explorer.ipynb")
	waitJS(ctx, t, "the explorer notebook's kernel", kernelReady(), 2*time.Minute, eval)
	runCell(1)
	waitJS(ctx, t, "the explorer to go live", `!!`+panel+`.node.querySelector('.mixflow-explorer[data-mixflow-live="live"]')`, 3*time.Minute, eval)
	chartAt := func(gamma string) string {
		return `(() => { const c = ` + panel + `.node.querySelector('.mixflow-chart[data-mixflow-gamma]');
			return !!c && c.getAttribute('data-mixflow-chart') === 'ready' && c.getAttribute('data-mixflow-gamma') === '` + gamma + `' && !!c.querySelector('canvas'); })()`
	}
	waitJS(ctx, t, "the explorer's chart at γ = 0.8", chartAt("0.8"), 60*time.Second, eval)
	// JupyterLab's keyboard shortcuts take arrow keys from outputs, so move the slider as a drag does:
	// set its value and fire the input and change events the panel listens to.
	do("moving the slider to 0.6", `(() => { const s = `+panel+`.node.querySelector('input.mixflow-gamma'); s.value = '0.6';
		s.dispatchEvent(new Event('input', {bubbles: true})); s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`)
	waitJS(ctx, t, "the chart to be redrawn at γ = 0.6", chartAt("0.6"), 60*time.Second, eval)
	shot("lab-explorer-0.6.png")
	do("pressing Done", panel+`.node.querySelector('button.mixflow-done').click(), true`)
	waitJS(ctx, t, "the explorer's result line", `document.body.innerText.includes('RESULT live=true reason=done gamma=0.6')`, 60*time.Second, eval)

	mu.Lock()
	defer mu.Unlock()
	if len(external) > 0 {
		t.Errorf("the page made %d requests off this machine, e.g. %q", len(external), external[:min(5, len(external))])
	}
}

// checkCompileErrorLine checks that a compile error of testdata/lab.ipynb's cell 3 names the cell's
// line 3 (GoNB's "Cell[N]: Line 3" with --raw_error), not a line of the program GoNB generates.
func checkCompileErrorLine(t *testing.T, errText string) {
	t.Helper()
	if !strings.Contains(errText, "Line 3") || strings.Contains(errText, "main.go:") {
		t.Errorf("the compile error does not name the cell's line 3 (or names GoNB's main.go):\n%s", errText)
	}
}
