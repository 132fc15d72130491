//go:build browser

package e2e

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

func chromiumBin() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowserGammaSlider opens the explorer notebook in chromium against a real Jupyter Notebook server,
// runs it, moves the γ slider and changes the distribution, and checks the figure was redrawn each time.
func TestBrowserGammaSlider(t *testing.T) {
	jupyter := needJupyter(t)
	chromium := chromiumBin()
	if chromium == "" {
		t.Skip("SKIP: chromium is not installed (apt-get install chromium); the browser test did not run")
	}
	data := installKernel(t)
	dir := t.TempDir()
	copyFile(t, filepath.Join(dir, "explorer.ipynb"), filepath.Join(repoRoot(t), "widgets", "e2e", "testdata", "explorer.ipynb"))
	srv := startNotebookServer(t, jupyter, data, dir)
	shots := artifacts(t)

	ctx := newBrowser(t, chromium, 1280, 2000)
	eval := evalBool
	str := func(expr string) string { return evalString(ctx, t, expr) }
	shot := func(name string) { screenshot(ctx, t, shots, name) }

	if err := chromedp.Do(ctx, chromedp.Navigate(srv.base+"notebooks/explorer.ipynb?token="+srv.token)); err != nil {
		t.Fatalf("opening the notebook: %v", err)
	}
	waitJS(ctx, t, "the notebook's kernel", `typeof Jupyter !== 'undefined' && !!Jupyter.notebook && !!Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected()`, 90*time.Second, eval)
	if _, err := eval(ctx, `Jupyter.notebook.execute_all_cells(), true`); err != nil {
		t.Fatalf("running the notebook: %v", err)
	}

	// The cell compiles, GoNB installs its page-side comms, the controls say hello: live.
	waitJS(ctx, t, "the explorer to go live", `!!document.querySelector('.mixflow-explorer[data-mixflow-live="live"]')`, 3*time.Minute, eval)
	chartAt := func(gamma, dist string) string {
		return `(() => { const c = document.querySelector('.mixflow-chart[data-mixflow-gamma]');
			return !!c && c.getAttribute('data-mixflow-chart') === 'ready' && c.getAttribute('data-mixflow-gamma') === '` + gamma +
			`' && c.getAttribute('data-mixflow-dist') === '` + dist + `' && !!c.querySelector('canvas'); })()`
	}
	waitJS(ctx, t, "the interactive chart at γ = 0.8 (ECharts loaded from the kernelspec)", chartAt("0.8", "beta21"), 60*time.Second, eval)
	optionJS := `document.querySelector('.mixflow-chart[data-mixflow-gamma] script.mixflow-option').textContent`
	before := str(optionJS)
	if hidden := str(`getComputedStyle(document.querySelector('.mixflow-chart[data-mixflow-gamma] img.mixflow-static')).display`); hidden != "none" {
		t.Errorf("the static PNG is still shown under the interactive chart (display %q)", hidden)
	}
	shot("explorer-gamma-0.8.png")

	// Move the slider as a user does with the keyboard: ten steps of 0.05 down, from 0.8 to 0.3.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(`input.mixflow-gamma`))); err != nil {
		t.Fatalf("focusing the slider: %v", err)
	}
	for i := 0; i < 10; i++ {
		if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowLeft)); err != nil {
			t.Fatalf("moving the slider: %v", err)
		}
	}
	if v := str(`document.querySelector('input.mixflow-gamma').value`); v != "0.3" {
		t.Fatalf("after ten ArrowLeft presses the slider is at %s, want 0.3", v)
	}
	diag := func() {
		t.Logf("page state: %s", str(`JSON.stringify({
			charts: [...document.querySelectorAll('.mixflow-chart')].map(c => [c.getAttribute('data-mixflow-gamma'), c.getAttribute('data-mixflow-dist'), c.getAttribute('data-mixflow-seq'), c.getAttribute('data-mixflow-chart'), c.getAttribute('data-mixflow-error')]),
			panel: [...document.querySelectorAll('.mixflow-explorer')].map(p => [p.getAttribute('data-mixflow-live'), p.getAttribute('data-mixflow-gamma')]),
			comm: !!globalThis.gonb_comm, commId: globalThis.gonb_comm ? globalThis.gonb_comm._comm_id : null,
			output: [...document.querySelectorAll('.output_subarea')].map(o => o.innerText.slice(0, 200))})`))
	}
	defer func() {
		if t.Failed() {
			diag()
		}
	}()
	waitJS(ctx, t, "the chart to be redrawn at γ = 0.3", chartAt("0.3", "beta21"), 60*time.Second, eval)
	after := str(optionJS)
	if after == before {
		t.Fatal("the chart's option did not change when γ moved")
	}
	var opt struct {
		Title []struct {
			Text string `json:"text"`
		} `json:"title"`
	}
	if err := json.Unmarshal([]byte(after), &opt); err != nil || len(opt.Title) == 0 || !strings.Contains(opt.Title[0].Text, "γ = 0.3") {
		t.Errorf("redrawn chart title = %+v (%v), want γ = 0.3", opt.Title, err)
	}
	shot("explorer-gamma-0.3.png")

	// Pick another distribution.
	if _, err := eval(ctx, `(() => { const s = document.querySelector('select.mixflow-dist'); s.value = 'uniform'; s.dispatchEvent(new Event('change')); return true; })()`); err != nil {
		t.Fatal(err)
	}
	waitJS(ctx, t, "the chart to be redrawn for the uniform distribution", chartAt("0.3", "uniform"), 60*time.Second, eval)
	if str(optionJS) == after {
		t.Error("the chart's option did not change with the distribution")
	}
	shot("explorer-uniform.png")

	// Done frees the kernel: the controls are replaced by their closed, static state, and the cell ends.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button.mixflow-done`))); err != nil {
		t.Fatalf("pressing Done: %v", err)
	}
	waitJS(ctx, t, "the closed controls", `!!document.querySelector('.mixflow-explorer[data-mixflow-live="closed"]')`, 30*time.Second, eval)
	waitJS(ctx, t, "the cell's result line", `document.body.innerText.includes('RESULT live=true reason=done gamma=0.3 dist=uniform')`, 30*time.Second, eval)
	if out := str(`document.body.innerText`); strings.Contains(out, "panic:") || strings.Contains(out, "exit status") {
		t.Errorf("the cell failed:\n%s", out)
	}
	shot("explorer-closed.png")
}
