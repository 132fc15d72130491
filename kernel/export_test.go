package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestExportWorksOffline exports a bundled notebook and checks that the page loads nothing from this
// machine's disk, a Jupyter server or the network (Debian's nbconvert points require.js and MathJax
// at file:///usr/share/javascript/...), and that its cells are highlighted as Go.
func TestExportWorksOffline(t *testing.T) {
	needJupyter(t)
	out := t.TempDir()
	nb := filepath.Join(repoRoot, "notebooks", "00-quickstart.ipynb")
	code, stdout, stderr := runCLI(t, "export", "--out", out, nb)
	if code != 0 {
		t.Fatalf("export: status %d: %s", code, stderr)
	}
	page := filepath.Join(out, "00-quickstart.html")
	if !strings.Contains(stdout, page) {
		t.Errorf("stdout %q does not name %s", stdout, page)
	}
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	html := string(data)
	for _, bad := range []string{"file://", "/static/", "MathJax", "require.min.js"} {
		if strings.Contains(html, bad) {
			t.Errorf("exported page references %q", bad)
		}
	}
	// What the page loads (scripts, images, stylesheets); hyperlinks in the text may point anywhere.
	for _, m := range regexp.MustCompile(`(?:\bsrc="|<link[^>]*\bhref=")([^"]*)"`).FindAllStringSubmatch(html, -1) {
		if u := m[1]; !strings.HasPrefix(u, "data:") {
			t.Errorf("exported page loads %q", u)
		}
	}
	if !strings.Contains(html, `<span class="kd">func</span>`) && !strings.Contains(html, `<span class="kn">import</span>`) {
		t.Error("no Go keyword highlighted: the cells were not highlighted as Go")
	}

	if code, _, stderr := runCLI(t, "export", filepath.Join(out, "missing.ipynb")); code != 2 || !strings.Contains(stderr, "missing.ipynb") {
		t.Errorf("missing notebook: status %d, %q", code, stderr)
	}
	if code, _, _ := runCLI(t, "export"); code != 2 {
		t.Errorf("no notebooks: status %d, want 2", code)
	}
}
