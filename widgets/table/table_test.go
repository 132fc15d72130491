package table

import (
	"math"
	"strings"
	"testing"

	"github.com/mixflow/mixflow/widgets/internal/nb"
)

func results(t *testing.T) *Table {
	tb := New("method", "γ", "FID ↓", "recall ↑")
	tb.Title = "SiT-B/2 | 400k steps"
	for _, r := range [][]any{
		{"baseline", nil, PM{16.57, 0.12}, 0.61},
		{"MixFlow", 0.8, PM{15.64, 0.10}, 0.63},
		{"MixFlow <γ=1>", 1.0, PM{15.64, 0.2}, math.NaN()},
	} {
		if err := tb.Add(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := tb.Best(2, Lower); err != nil {
		t.Fatal(err)
	}
	if err := tb.Best(3, Higher); err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestMarkdown(t *testing.T) {
	got := results(t).Markdown()
	want := `**SiT-B/2 \| 400k steps**

| method | γ | FID ↓ | recall ↑ |
|---|---:|---:|---:|
| baseline |  | 16.570 ± 0.120 | 0.610 |
| MixFlow | 0.800 | **15.640 ± 0.100** | **0.630** |
| MixFlow <γ=1> | 1.000 | **15.640 ± 0.200** | NaN |
`
	if got != want {
		t.Errorf("Markdown:\n%s\nwant:\n%s", got, want)
	}
}

func TestHTML(t *testing.T) {
	h := results(t).HTML()
	for _, s := range []string{"<caption", "MixFlow &lt;γ=1&gt;", "<b>0.630</b>", "<b>15.640 ± 0.100</b>", "NaN", "text-align:right"} {
		if !strings.Contains(h, s) {
			t.Errorf("HTML lacks %q", s)
		}
	}
	if strings.Contains(h, "<γ=1>") {
		t.Error("cell not escaped")
	}
}

func TestErrors(t *testing.T) {
	tb := New("a", "b")
	if err := tb.Add("x"); err == nil || !strings.Contains(err.Error(), "table: row 0 has 1 cells, the table has 2 columns") {
		t.Errorf("short row: %v", err)
	}
	if err := tb.Add("x", []int{1}); err == nil || !strings.Contains(err.Error(), `column "b": unsupported cell type []int`) {
		t.Errorf("bad type: %v", err)
	}
	if err := tb.Best(5, Lower); err == nil {
		t.Error("Best accepted column 5")
	}
	if tb.Rows() != 0 {
		t.Error("bad rows were added")
	}
}

func TestDisplay(t *testing.T) {
	var got []nb.Output
	nb.SetSink(func(_ string, o nb.Output) { got = append(got, o) })
	defer nb.SetSink(nil)
	results(t).Display()
	if len(got) != 1 || !strings.HasPrefix(got[0].HTML, "<table") || !strings.Contains(got[0].Markdown, "| MixFlow |") {
		t.Fatalf("display: %+v", got)
	}
}
