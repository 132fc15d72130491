package chart

import (
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/mixflow/mixflow/widgets/assets"
	"github.com/mixflow/mixflow/widgets/compactpng"
	"github.com/mixflow/mixflow/widgets/internal/nb"
)

//go:embed loader.js
var loaderJS string

// Rendered is a figure rendered once for every representation a notebook output carries.
type Rendered struct {
	// ID is the DOM id of the HTML container (unique per rendering).
	ID string
	// PNG is the static image (gonum/plot).
	PNG []byte
	// Option is the ECharts option as JSON (go-echarts).
	Option []byte
	// HTML is the output's text/html: the PNG as an <img>, replaced by the interactive chart when ECharts
	// loads from the Jupyter server.
	HTML string
	// Text is the one-line text/plain description.
	Text string
}

// output returns the notebook output: the HTML (which carries the PNG as its fallback <img>, so the
// image is stored once in a saved notebook) and the text description.
func (r *Rendered) output() nb.Output { return r.Output() }

// Output returns the notebook output of the rendering: text/html, whose fallback <img> holds the PNG
// (stored once, not also as image/png), and text/plain.
func (r *Rendered) Output() nb.Output {
	return nb.Output{HTML: r.HTML, Text: r.Text}
}

// Render renders the figure for a notebook output. attrs become data-* attributes of the HTML container
// (keys are prefixed with "data-"; use them to expose the state that produced the figure to page scripts
// and browser tests).
func (f Figure) Render(attrs map[string]string) (*Rendered, error) {
	r, err := f.resolve()
	if err != nil {
		return nil, err
	}
	png, err := r.png()
	if err != nil {
		return nil, err
	}
	opt, err := r.option()
	if err != nil {
		return nil, err
	}
	out := &Rendered{ID: "mixflow-chart-" + nb.UniqueID(), PNG: png, Option: opt, Text: f.Describe()}
	out.HTML, err = snippet(r, out.ID, png, opt, attrs)
	if err != nil {
		return nil, err
	}
	return out, nil
}

var attrName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// snippet builds the HTML container of one chart.
func snippet(r *resolved, id string, png, opt []byte, attrs map[string]string) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="mixflow-chart" id="%s" data-mixflow-chart="static" data-width="%d" data-height="%d"`, id, r.W, r.H)
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		if !attrName.MatchString(k) {
			return "", fmt.Errorf("chart: attribute name %q: want lower-case letters, digits and dashes", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, ` data-%s="%s"`, k, html.EscapeString(attrs[k]))
	}
	fmt.Fprintf(&b, ` style="width:%dpx;max-width:100%%;overflow-x:auto">`, r.W)
	fmt.Fprintf(&b, `<img class="mixflow-static" src="data:image/png;base64,%s" width="%d" height="%d" alt="%s" style="max-width:100%%;height:auto;display:block">`,
		base64.StdEncoding.EncodeToString(png), r.W, r.H, html.EscapeString(r.Title))
	b.WriteString(`<div class="mixflow-static-note" style="font-size:12px;color:#666">` + StaticNote + `</div>`)
	fmt.Fprintf(&b, `<div class="mixflow-echarts" style="width:%dpx;height:%dpx;display:none"></div>`, r.W, r.H)
	// json.Marshal escapes <, > and & as \u003c etc., so the option cannot close the script element.
	b.WriteString(`<script type="application/json" class="mixflow-option">`)
	b.Write(opt)
	b.WriteString(`</script>`)
	rel, _ := json.Marshal(assets.RelativeURL())
	idJS, _ := json.Marshal(id)
	fmt.Fprintf(&b, "<script>\n%s(%s, %s);\n</script></div>", compactLoader, idJS, rel)
	return b.String(), nil
}

// StaticNote is the one line under a chart's static image; the loader hides it once the interactive
// chart is drawn.
const StaticNote = "Static image. For the interactive chart, trust the notebook (Jupyter Notebook: File &gt; Trust Notebook; " +
	"JupyterLab: the command palette's Trust Notebook) and reload it."

// HTML returns the text/html representation of the figure (see Render).
func (f Figure) HTML() (string, error) {
	r, err := f.Render(nil)
	if err != nil {
		return "", err
	}
	return r.HTML, nil
}

// Display shows the figure as one output of the running notebook cell, with both text/html and
// image/png. On bad input it shows the error in the cell and returns it. Outside a notebook it does nothing
// but validate and render.
func (f Figure) Display() error {
	r, err := f.Render(nil)
	if err != nil {
		DisplayError(err)
		return err
	}
	nb.Display(r.output())
	nb.Flush(nb.FlushTimeout)
	return nil
}

// DisplayError shows err in the cell output as a visible error box (and as text/plain).
func DisplayError(err error) {
	if err == nil {
		return
	}
	msg := err.Error()
	nb.Display(nb.Output{
		HTML: `<div class="mixflow-error" style="color:#a40000;background:#fdecea;border:1px solid #e0b4b4;` +
			`padding:6px 10px;font-family:monospace;white-space:pre-wrap">` + html.EscapeString(msg) + `</div>`,
		Text: msg,
	})
	nb.Flush(nb.FlushTimeout)
}

// SavePNG writes the figure's PNG to path.
func (f Figure) SavePNG(path string) error { return compactpng.WriteFile("chart", path, f.PNG) }

// StandaloneHTML returns a complete HTML page showing the figure, for viewing without Jupyter. ECharts is
// inlined from the local echarts.min.js (assets.EChartsPath); when it is not installed the page shows the
// static PNG and says how to get the interactive chart.
func (f Figure) StandaloneHTML() (string, error) {
	r, err := f.Render(nil)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	title := f.Title
	if title == "" {
		title = "MixFlow figure"
	}
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title>\n", html.EscapeString(title))
	js, jsErr := assets.EChartsJS()
	if jsErr == nil {
		b.WriteString("<script>\n")
		b.WriteString(strings.ReplaceAll(string(js), "</script", `<\/script`))
		b.WriteString("\n</script>\n")
	}
	b.WriteString("</head>\n<body style=\"font-family:sans-serif;margin:16px\">\n")
	if jsErr != nil {
		fmt.Fprintf(&b, "<p style=\"color:#666\">Static image: %s</p>\n", html.EscapeString(jsErr.Error()))
	}
	b.WriteString(r.HTML)
	b.WriteString("\n</body></html>\n")
	return b.String(), nil
}

// SaveHTML writes StandaloneHTML to path.
func (f Figure) SaveHTML(path string) error {
	s, err := f.StandaloneHTML()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		return fmt.Errorf("chart: writing %s: %w", path, err)
	}
	return nil
}

// Save writes the figure to path, as PNG or standalone HTML according to the extension (.png, .html).
func (f Figure) Save(path string) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png":
		return f.SavePNG(path)
	case ".html", ".htm":
		return f.SaveHTML(path)
	default:
		return fmt.Errorf("chart: %s: unknown extension %q (want .png or .html)", path, filepath.Ext(path))
	}
}

func escape(s string) string { return html.EscapeString(s) }
