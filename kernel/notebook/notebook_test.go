package notebook

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The two testdata notebooks were executed by GoNB v0.11.5 (one with --raw_error, one with GoNB's
// HTML error reports). Cells: 1 ok, 2 panic("boom"), 3 os.Exit(3) after printing "bye",
// 4 nil-map write, 5 compile error (unused variable), 6 log.Fatal("logfatal").
func TestFailuresOfRealGoNBOutputs(t *testing.T) {
	for _, file := range []string{"gonb_raw_errors.executed.ipynb", "gonb_html_errors.executed.ipynb"} {
		t.Run(file, func(t *testing.T) {
			nb, err := Read(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			if nb.Kernel.Name != "mixflow" || nb.Kernel.Language != "go" {
				t.Errorf("kernelspec = %+v, want mixflow/go", nb.Kernel)
			}
			got := nb.Failures()
			want := []struct {
				cell  int
				exec  int
				match string
			}{
				// With HTML errors GoNB moves the cell location from stderr into the HTML report.
				{2, 2, `^panic: boom( \(Cell \[2\] Line 1\))?$`},
				{3, 3, `^exit status 3: bye$`},
				{4, 4, `^panic: assignment to entry in nil map( \(Cell \[4\] Line 1\))?$`},
				{5, 5, `^Cell\[5\]: Line 1: declared and not used: x$`},
				{6, 6, `^exit status 1: .*logfatal$`},
			}
			if len(got) != len(want) {
				t.Fatalf("got %d failures, want %d: %v", len(got), len(want), got)
			}
			for i, w := range want {
				g := got[i]
				if g.Cell != w.cell || g.ExecutionCount != w.exec {
					t.Errorf("failure %d: cell %d (In [%d]), want cell %d (In [%d])", i, g.Cell, g.ExecutionCount, w.cell, w.exec)
				}
				if !regexp.MustCompile(w.match).MatchString(g.Message) {
					t.Errorf("failure %d: message %q does not match %q", i, g.Message, w.match)
				}
				if strings.Contains(g.Message+g.Detail, "\x1b") {
					t.Errorf("failure %d still has ANSI escapes: %q", i, g.Message+g.Detail)
				}
				if g.Detail == "" {
					t.Errorf("failure %d has no detail", i)
				}
			}
			if s := got[0].String(); !strings.HasPrefix(s, "cell 2 (In [2]): panic: boom") {
				t.Errorf("String() = %q", s)
			}
		})
	}
}

// cellNB builds a one-code-cell notebook whose outputs are given as JSON.
func cellNB(metadata, outputs string) []byte {
	return []byte(`{"nbformat": 4, "nbformat_minor": 5,
 "metadata": {"kernelspec": {"name": "mixflow", "display_name": "MixFlow (Go)", "language": "go"}},
 "cells": [
  {"cell_type": "markdown", "metadata": {}, "source": ["# title\n", "text"]},
  {"cell_type": "code", "execution_count": 7, "metadata": ` + metadata + `, "source": "func main() {}", "outputs": ` + outputs + `}
 ]}`)
}

func TestCellFailureCases(t *testing.T) {
	tests := []struct {
		name, metadata, outputs string
		want                    string // "" means no failure
	}{
		{"clean", `{}`, `[{"output_type": "stream", "name": "stdout", "text": "exit status 3\npanic: not on stderr\n"}]`, ""},
		{"status ok but panic on stderr, split in chunks", `{}`,
			`[{"output_type": "stream", "name": "stderr", "text": "pan"}, {"output_type": "stream", "name": "stderr", "text": "ic: "},
			  {"output_type": "stream", "name": "stderr", "text": "index out of range [5] with length 3\n\ngoroutine 1 [running]:\n"},
			  {"output_type": "stream", "name": "stderr", "text": "exit status 2\n"}]`,
			"cell 2 (In [7]): panic: index out of range [5] with length 3"},
		{"fatal error", `{}`, `[{"output_type": "stream", "name": "stderr", "text": "fatal error: concurrent map writes\n\ngoroutine 5:\nexit status 2\n"}]`,
			"cell 2 (In [7]): fatal error: concurrent map writes"},
		{"killed", `{}`, `[{"output_type": "stream", "name": "stderr", "text": "signal: killed\n"}]`, "cell 2 (In [7]): signal: killed"},
		{"exit without context", `{}`, `[{"output_type": "stream", "name": "stderr", "text": ["exit status 3\n"]}]`, "cell 2 (In [7]): exit status 3"},
		{"marker must start a line", `{}`, `[{"output_type": "stream", "name": "stderr", "text": "warning: no panic: here; exit status 3 is fine\n"}]`, ""},
		{"error output", `{}`, `[{"output_type": "error", "ename": "TypeError", "evalue": "bad thing", "traceback": ["\u001b[31mTypeError\u001b[0m: bad thing"]}]`,
			"cell 2 (In [7]): TypeError: bad thing"},
		{"error output without message", `{}`, `[{"output_type": "error", "ename": "", "evalue": "", "traceback": []}]`,
			"cell 2 (In [7]): error output without a message"},
		{"raises-exception tag", `{"tags": ["raises-exception"]}`, `[{"output_type": "stream", "name": "stderr", "text": "exit status 3\n"}]`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nb, err := Parse(cellNB(tc.metadata, tc.outputs))
			if err != nil {
				t.Fatal(err)
			}
			if nb.Cells[0].Source != "# title\ntext" {
				t.Errorf("multiline source = %q", nb.Cells[0].Source)
			}
			f := nb.Failures()
			switch {
			case tc.want == "" && len(f) != 0:
				t.Errorf("unexpected failure: %v", f)
			case tc.want != "" && len(f) != 1:
				t.Errorf("got %d failures %v, want %q", len(f), f, tc.want)
			case tc.want != "" && f[0].String() != tc.want:
				t.Errorf("got %q, want %q", f[0].String(), tc.want)
			}
		})
	}
}

func TestMarkerPatternIsPythonCompatible(t *testing.T) {
	// Python's re has no \z, no named classes like [[:space:]] and treats (?m) the same way; keep the
	// pattern inside that common subset.
	for _, bad := range []string{`\z`, `[[:`, `\p{`, `(?P<`, `(?s`, `(?U`} {
		if strings.Contains(MarkerPattern, bad) {
			t.Errorf("MarkerPattern uses %q, which Python's re does not read the same way", bad)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"bad JSON", "{\n  \"cells\": [\n  oops\n]}", "invalid JSON at line 3 column 3"},
		{"not a notebook", `{"hello": 1}`, "no nbformat field"},
		{"nbformat 3", `{"nbformat": 3, "worksheets": []}`, "nbformat 3 is not supported"},
		{"bad source type", `{"nbformat": 4, "cells": [{"cell_type": "code", "source": 12}]}`, "expected a string or a list of strings"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestReadErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.ipynb")
	if _, err := Read(missing); err == nil || err.Error() != "notebook: "+missing+": no such file" {
		t.Errorf("Read(missing) error = %v", err)
	}
	bad := filepath.Join(dir, "bad.ipynb")
	if err := os.WriteFile(bad, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(bad); err == nil || !strings.HasPrefix(err.Error(), "notebook: "+bad+": not a valid notebook") {
		t.Errorf("Read(bad) error = %v", err)
	}
}
