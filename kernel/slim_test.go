package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mixflow/mixflow/widgets/chart"
)

func TestSlimNotebookDropsDuplicatePNG(t *testing.T) {
	in := `{"cells":[{"cell_type":"code","source":["x := 1"],"metadata":{},"execution_count":1,"outputs":[
 {"output_type":"display_data","metadata":{},"data":{"image/png":"QUJD\n","text/html":["<div class=\"mixflow-chart\"><img src=\"data:image/png;base64,QUJD\">","</div>"],"text/plain":["Figure"]}},
 {"output_type":"display_data","metadata":{},"data":{"image/png":"WFla\n","text/plain":["other image"]}},
 {"output_type":"display_data","metadata":{},"data":{"text/html":["<p>` + oldStaticNote + `</p>"]}}]}],
 "metadata":{"language_info":{"name":"go","pygments_lexer":"","codemirror_mode":""}},"nbformat":4,"nbformat_minor":5}`
	out, cells := slimCells(t, []byte(in))
	o := cells[0].Outputs
	if _, ok := o[0].Data["image/png"]; ok {
		t.Error("the PNG already inside the HTML was kept")
	}
	if !strings.Contains(joinLines(o[0].Data["text/html"]), "base64,QUJD") {
		t.Error("the HTML lost its image")
	}
	if _, ok := o[1].Data["image/png"]; !ok {
		t.Error("a PNG that is stored once was dropped")
	}
	if h := joinLines(o[2].Data["text/html"]); strings.Contains(h, "MIXFLOW_WIDGETS") || !strings.Contains(h, staticNote) {
		t.Errorf("static wording not rewritten: %s", h)
	}
	if strings.Join(cells[0].Source, "") != "x := 1" {
		t.Error("code cell changed")
	}
	if !strings.Contains(string(out), `"pygments_lexer": "go"`) || !strings.Contains(string(out), `"codemirror_mode": "go"`) {
		t.Error("language_info does not name Go for highlighting")
	}
	again, err := slimNotebook(out)
	if err != nil || string(again) != string(out) {
		t.Error("slim is not idempotent")
	}
	if _, err := slimNotebook([]byte("{")); err == nil {
		t.Error("broken JSON accepted")
	}
}

// TestCommittedNotebooksSlim checks that no bundled notebook stores an image twice (run
// `go run ./kernel slim notebooks/*.ipynb` after re-executing one) and logs their sizes against the
// targets: none over 1 MB (1,000,000 bytes), at most 6 MB together (a new notebook's outputs must fit too).
func TestCommittedNotebooksSlim(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "notebooks", "*.ipynb"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no notebooks found: %v", err)
	}
	total := 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		total += len(data)
		if len(data) > maxNotebookBytes {
			t.Errorf("%s: %d bytes, over the %d-byte limit (run `go run ./kernel slim`, or store fewer or smaller figures)", p, len(data), maxNotebookBytes)
		}
		slim, err := slimNotebook(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(slim) < len(data)-1024 {
			t.Errorf("%s: %d bytes would go by `go run ./kernel slim`: run it", p, len(data)-len(slim))
		}
	}
	if total > maxNotebooksSize {
		t.Errorf("notebooks/*.ipynb: %d bytes together, over the %d-byte limit", total, maxNotebooksSize)
	}
}

// TestSlimCompactsTheLoader: a chart saved with the commented loader.js gets the compact loader, with
// its own arguments; a script that is not the loader is left alone.
func TestSlimCompactsTheLoader(t *testing.T) {
	old := "// MixFlow chart loader: old copy\n(function (id, rel) {\n  start(0); // go\n})"
	html := "<script>\nconsole.log(0);\n</script><div id=\"c1\"><script>\n" + old + "(\"c1\", \"kernelspecs/mixflow/echarts.min.js\");\n</script></div>" +
		"<script>\nconsole.log(1)(\"a\", \"b\");\n</script>"
	in, _ := json.Marshal(map[string]any{"cells": []any{map[string]any{"cell_type": "code", "source": []string{}, "metadata": map[string]any{},
		"outputs": []any{map[string]any{"output_type": "display_data", "metadata": map[string]any{}, "data": map[string]any{"text/html": html}}}}},
		"metadata": map[string]any{}, "nbformat": 4, "nbformat_minor": 5})
	_, cells := slimCells(t, in)
	got := joinLines(cells[0].Outputs[0].Data["text/html"])
	want := "<script>\nconsole.log(0);\n</script><div id=\"c1\"><script>\n" + chart.CompactLoader() + "(\"c1\", \"kernelspecs/mixflow/echarts.min.js\");\n</script></div>" +
		"<script>\nconsole.log(1)(\"a\", \"b\");\n</script>"
	if got != want {
		t.Errorf("slimmed HTML:\n%s\nwant:\n%s", got, want)
	}
}

// TestCommittedNotebooksNameGo checks that every bundled notebook's language_info names Go as its
// Pygments lexer and CodeMirror mode: an empty one (GoNB's kernel_info leaves them empty) makes
// nbconvert highlight the cells as Python and leaves JupyterLab's editor without Go highlighting.
// `go run ./kernel exec` and `go run ./kernel slim` both fill them in.
func TestCommittedNotebooksNameGo(t *testing.T) {
	paths := bundledNotebooks(repoRoot)
	if len(paths) == 0 {
		t.Fatal("no notebooks found")
	}
	for _, p := range paths {
		var nbk struct {
			Metadata struct {
				LanguageInfo map[string]any `json:"language_info"`
			} `json:"metadata"`
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &nbk); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		li := nbk.Metadata.LanguageInfo
		if li == nil {
			t.Errorf("%s: no language_info in its metadata", filepath.Base(p))
			continue
		}
		for _, key := range []string{"pygments_lexer", "codemirror_mode"} {
			if v, _ := li[key].(string); v != "go" {
				t.Errorf("%s: language_info.%s = %q, want \"go\" (run `go run ./kernel slim %s`)", filepath.Base(p), key, li[key], p)
			}
		}
	}
}

// TestNbconvertHighlightsGo exports a committed notebook with Debian's nbconvert and checks that its code
// cells are highlighted as Go (skipped where nbconvert is not installed).
func TestNbconvertHighlightsGo(t *testing.T) {
	nbc, err := exec.LookPath("jupyter-nbconvert")
	if err != nil {
		t.Skip("jupyter-nbconvert not installed")
	}
	dir := t.TempDir()
	cmd := exec.Command(nbc, "--to", "html", "--output-dir", dir, filepath.Join("..", "notebooks", "00-quickstart.ipynb"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nbconvert: %v\n%s", err, out)
	}
	page, err := os.ReadFile(filepath.Join(dir, "00-quickstart.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "highlight hl-go") || strings.Contains(string(page), "highlight hl-ipython") {
		t.Error("nbconvert HTML does not highlight the code cells as Go")
	}
}

func TestSlimRecompressesImages(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 300, 200))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for x := 0; x < 300; x++ {
		img.Set(x, 100+x%40, color.RGBA{0x4C, 0x72, 0xB0, 255})
		img.Set(x, 101+x%40, color.RGBA{0xA0, 0xB0, 0xD0, 255})
	}
	var raw bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.NoCompression}).Encode(&raw, img); err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(raw.Bytes())
	in := `{"cells":[{"cell_type":"code","source":[],"metadata":{},"execution_count":1,"outputs":[
 {"output_type":"display_data","metadata":{},"data":{"text/html":["<div class=\"mixflow-chart\"><img class=\"mixflow-static\" src=\"data:image/png;base64,` + b64 + `\"></div>"]}},
 {"output_type":"display_data","metadata":{},"data":{"image/png":"` + b64 + `\n"}}]}],
 "metadata":{},"nbformat":4,"nbformat_minor":5}`
	out, cells := slimCells(t, []byte(in))
	if len(out) > len(in)/4 {
		t.Errorf("slimmed notebook is %d bytes from %d; want the two images recompressed", len(out), len(in))
	}
	m := pngDataURI.FindStringSubmatch(joinLines(cells[0].Outputs[0].Data["text/html"]))
	for i, s := range []string{m[1], joinLines(cells[0].Outputs[1].Data["image/png"])} {
		data, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
		got, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
		for _, p := range []image.Point{{0, 0}, {5, 105}, {5, 106}, {299, 199}} {
			if a, b := color.RGBAModel.Convert(got.At(p.X, p.Y)), img.At(p.X, p.Y); a != b {
				t.Errorf("image %d at %v: %v, want %v (a 3-colour image must stay exact)", i, p, a, b)
			}
		}
	}
}

// slimCell is the part of a notebook cell the slim tests read.
type slimCell struct {
	Source  []string `json:"source"`
	Outputs []struct {
		Data map[string]any `json:"data"`
	} `json:"outputs"`
}

// slimCells slims the notebook in, stopping t on an error, and returns the slimmed notebook and its cells.
func slimCells(t *testing.T, in []byte) ([]byte, []slimCell) {
	t.Helper()
	out, err := slimNotebook(in)
	if err != nil {
		t.Fatal(err)
	}
	var nbk struct {
		Cells []slimCell `json:"cells"`
	}
	if err := json.Unmarshal(out, &nbk); err != nil {
		t.Fatal(err)
	}
	return out, nbk.Cells
}
