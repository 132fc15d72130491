package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/mixflow/mixflow/widgets/chart"
	"github.com/mixflow/mixflow/widgets/compactpng"
)

// Size targets for committed notebooks, reported by TestCommittedNotebooksSlim.
const (
	maxNotebookBytes = 1_000_000 // one notebook: 1 MB
	maxNotebooksSize = 6_000_000 // all of notebooks/*.ipynb together: 6 MB
)

// cmdSlim rewrites notebooks' outputs to the compact form the widgets now write: an image stored once
// (an image/png whose bytes are already inside the output's text/html fallback <img> is dropped) and
// re-encoded as widgets/compactpng encodes it, chart data thinned as widgets/chart now thins it
// (chart.ThinOption), the chart loader in its compact form (chart.CompactLoader), and
// the plain wording of static widgets; it also names Go as the notebook's Pygments lexer and
// CodeMirror mode when they are empty. Code cells and everything else are left as they are.
func cmdSlim(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("slim", stderr, "slim NOTEBOOK.ipynb...")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code, nil
	}
	if len(pos) == 0 {
		return 2, fmt.Errorf("kernel slim: no notebook given (e.g. go run ./kernel slim notebooks/*.ipynb)")
	}
	for _, p := range pos {
		before, after, err := slimFile(p)
		if err != nil {
			return 1, err
		}
		fmt.Fprintf(stdout, "%s: %d → %d bytes\n", p, before, after)
	}
	return 0, nil
}

// slimFile slims one notebook in place (written to a temporary file and renamed, so a failure leaves
// the notebook intact) and returns its sizes before and after.
func slimFile(path string) (int, int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, fmt.Errorf("kernel slim: %w", err)
	}
	out, err := slimNotebook(data)
	if err != nil {
		return 0, 0, fmt.Errorf("kernel slim: %s: %w", path, err)
	}
	if bytes.Equal(out, data) {
		return len(data), len(out), nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".slim-*.ipynb")
	if err != nil {
		return 0, 0, fmt.Errorf("kernel slim: %w", err)
	}
	if _, err := tmp.Write(out); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return 0, 0, fmt.Errorf("kernel slim: writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return 0, 0, fmt.Errorf("kernel slim: writing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return 0, 0, fmt.Errorf("kernel slim: %w", err)
	}
	return len(data), len(out), nil
}

// oldStaticNote is the wording static explorers used to show; staticNote replaces it.
const (
	oldStaticNote = "static (MIXFLOW_WIDGETS=static): open the notebook in Jupyter and run the cell to move the slider"
	staticNote    = "saved view: open the notebook in Jupyter and run this cell to move the slider"
)

// nameGo fills in the notebook's language_info where GoNB's kernel_info leaves pygments_lexer and
// codemirror_mode empty (nbconvert then highlights Go cells as Python, and JupyterLab's editor has
// no Go mode); it reports whether it changed anything. kernel/nbrun.py does the same for executed
// notebooks.
func nameGo(nbk map[string]any) bool {
	md, _ := nbk["metadata"].(map[string]any)
	li, _ := md["language_info"].(map[string]any)
	if li == nil {
		return false
	}
	changed := false
	for _, key := range []string{"pygments_lexer", "codemirror_mode"} {
		if s, _ := li[key].(string); s == "" {
			li[key], changed = "go", true
		}
	}
	return changed
}

// slimNotebook returns the compact form of a notebook's JSON, written as nbformat writes it (indent 1,
// sorted keys, no ASCII escaping, trailing newline).
func slimNotebook(data []byte) ([]byte, error) {
	var nbk map[string]any
	if err := json.Unmarshal(data, &nbk); err != nil {
		return nil, fmt.Errorf("not notebook JSON: %w", err)
	}
	nameGo(nbk)
	cells, _ := nbk["cells"].([]any)
	for _, c := range cells {
		cell, _ := c.(map[string]any)
		outs, _ := cell["outputs"].([]any)
		for _, o := range outs {
			out, _ := o.(map[string]any)
			d, _ := out["data"].(map[string]any)
			if d == nil {
				continue
			}
			html := joinLines(d["text/html"])
			if strings.Contains(html, oldStaticNote) {
				html = strings.ReplaceAll(html, oldStaticNote, staticNote)
				d["text/html"] = html
			}
			if png := strings.Join(strings.Fields(joinLines(d["image/png"])), ""); png != "" && strings.Contains(html, "base64,"+png) {
				delete(d, "image/png")
			}
			// Chart data thinned to what a reader sees, as widgets/chart now writes it.
			if thin := thinChartOptions(html); thin != html {
				html = thin
				d["text/html"] = html
			}
			// The chart loader in today's compact form (widgets/chart), one copy per chart.
			if small := compactLoaders(html); small != html {
				html = small
				d["text/html"] = html
			}
			// Images stored with today's compact encoding (widgets/compactpng).
			if small := recompressDataURIs(html); small != html {
				html = small
				d["text/html"] = html
			}
			if png := strings.Join(strings.Fields(joinLines(d["image/png"])), ""); png != "" {
				if small := recompressBase64(png); small != png {
					d["image/png"] = small
				}
			}
			if t := joinLines(d["text/plain"]); strings.Contains(t, oldStaticNote) {
				d["text/plain"] = strings.ReplaceAll(t, oldStaticNote, staticNote)
			}
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(nbk); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// joinLines returns a notebook text field (a string or a list of lines) as one string.
func joinLines(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []any:
		var b strings.Builder
		for _, s := range t {
			if s, ok := s.(string); ok {
				b.WriteString(s)
			}
		}
		return b.String()
	}
	return ""
}

// pngDataURI matches an inline PNG in HTML.
var pngDataURI = regexp.MustCompile(`data:image/png;base64,([A-Za-z0-9+/=]+)`)

// recompressDataURIs re-encodes every inline PNG of html with compactpng where that is smaller.
func recompressDataURIs(html string) string {
	return pngDataURI.ReplaceAllStringFunc(html, func(m string) string {
		const prefix = "data:image/png;base64,"
		return prefix + recompressBase64(m[len(prefix):])
	})
}

// recompressBase64 re-encodes a base64 PNG with compactpng, or returns it as it is when it does not
// decode or would not shrink.
func recompressBase64(b64 string) string {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return b64
	}
	small, err := compactpng.Recompress(raw)
	if err != nil || len(small) >= len(raw) {
		return b64
	}
	return base64.StdEncoding.EncodeToString(small)
}

// chartOption matches the ECharts option widgets/chart stores in a chart's HTML.
var chartOption = regexp.MustCompile(`(<script type="application/json" class="mixflow-option">)(.*?)(</script>)`)

// thinChartOptions applies chart.ThinOption to every chart option in html (an option it cannot read is
// left as it is).
func thinChartOptions(html string) string {
	return chartOption.ReplaceAllStringFunc(html, func(m string) string {
		sub := chartOption.FindStringSubmatch(m)
		thin, err := chart.ThinOption([]byte(sub[2]))
		if err != nil || len(thin) >= len(sub[2]) {
			return m
		}
		return sub[1] + string(thin) + sub[3]
	})
}

// loaderScript matches a chart's loader script and its (id, rel) arguments in HTML (never across a
// </script>, so another script before a chart does not hide its loader).
var loaderScript = regexp.MustCompile(`<script>\n((?:[^<]|<[^/])*?)(\("[^"<]*", "[^"<]*"\);\n</script>)`)

// compactLoaders replaces every chart loader of html that chart.IsLoader recognises (the commented
// loader.js older charts carried) with the compact loader charts carry now.
func compactLoaders(html string) string {
	return loaderScript.ReplaceAllStringFunc(html, func(m string) string {
		sub := loaderScript.FindStringSubmatch(m)
		if !chart.IsLoader(sub[1]) || sub[1] == chart.CompactLoader() {
			return m
		}
		return "<script>\n" + chart.CompactLoader() + sub[2]
	})
}
