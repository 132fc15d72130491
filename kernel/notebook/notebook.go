// Package notebook reads Jupyter notebooks (nbformat 4) and finds the cells that failed when the MixFlow
// kernel (GoNB) executed them.
//
// A GoNB cell can fail in ways a generic notebook runner does not see: the cell is compiled into a
// program that runs as a separate process, and a panic, log.Fatal or os.Exit(3) in that program shows
// up as text on stderr ("panic: ...", "exit status 3"). Depending on the GoNB version and mode the
// cell's execute reply may still say "ok". [Notebook.Failures] therefore reports a cell as failed
// when it has an error output or when its stderr carries one of the markers in [MarkerPattern].
//
// Cells tagged "raises-exception" (the nbclient convention for cells that are meant to fail) are
// never reported.
package notebook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// KernelSpec is the kernelspec a notebook declares in its metadata.
type KernelSpec struct {
	// Name is the kernelspec name Jupyter starts, e.g. "mixflow".
	Name string `json:"name"`
	// DisplayName is the name shown in the Jupyter UI, e.g. "MixFlow (Go)".
	DisplayName string `json:"display_name"`
	// Language is the kernel's language, e.g. "go".
	Language string `json:"language"`
}

// Output is one output of a code cell.
type Output struct {
	// Type is the nbformat output_type: "stream", "error", "display_data" or "execute_result".
	Type string
	// Name is the stream name ("stdout" or "stderr") of a stream output.
	Name string
	// Text is the text of a stream output.
	Text string
	// EName and EValue are the exception name and value of an error output.
	EName, EValue string
	// Traceback holds the lines of an error output's traceback.
	Traceback []string
	// MIMETypes lists the MIME types of a display_data or execute_result output, sorted.
	MIMETypes []string
	// Data maps each MIME type of a display_data or execute_result output to its content as text
	// (base64 for images, the JSON text for JSON types).
	Data map[string]string
}

// Cell is one cell of a notebook.
type Cell struct {
	// Index is the cell's 0-based position in the notebook (all cell types counted).
	Index int
	// Type is "code", "markdown" or "raw".
	Type string
	// Source is the cell's text.
	Source string
	// ExecutionCount is the execution count of an executed code cell, or 0.
	ExecutionCount int
	// Tags are the cell's metadata tags.
	Tags []string
	// Outputs are the outputs of a code cell.
	Outputs []Output
}

// HasTag reports whether the cell carries the metadata tag.
func (c Cell) HasTag(tag string) bool { return slices.Contains(c.Tags, tag) }

// Stderr returns the concatenation of the cell's stderr stream outputs. Kernels split a stream into
// many chunks ("panic: " and "boom\n" may arrive as two outputs), so markers must be searched in the
// joined text.
func (c Cell) Stderr() string {
	var b strings.Builder
	for _, o := range c.Outputs {
		if o.Type == "stream" && o.Name == "stderr" {
			b.WriteString(o.Text)
		}
	}
	return b.String()
}

// Notebook is a parsed nbformat-4 notebook.
type Notebook struct {
	// Path is the file the notebook was read from (empty for Parse).
	Path string
	// NBFormat and NBFormatMinor are the nbformat version.
	NBFormat, NBFormatMinor int
	// Kernel is metadata.kernelspec; its Name is empty when the notebook declares none.
	Kernel KernelSpec
	// Cells are the notebook's cells in order.
	Cells []Cell
}

// Read reads and parses the notebook at path. Errors name the file and the problem.
func Read(path string) (*Notebook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("notebook: %s: no such file", path)
		}
		return nil, fmt.Errorf("notebook: reading %s: %w", path, err)
	}
	nb, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("notebook: %s: %w", path, err)
	}
	nb.Path = path
	return nb, nil
}

// multiline is nbformat's "multiline string": either a string or a list of strings to concatenate.
type multiline string

func (m *multiline) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*m = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*m = multiline(s)
		return nil
	}
	var parts []string
	if err := json.Unmarshal(b, &parts); err != nil {
		return fmt.Errorf("expected a string or a list of strings, got %.40s", b)
	}
	*m = multiline(strings.Join(parts, ""))
	return nil
}

type rawOutput struct {
	OutputType string                     `json:"output_type"`
	Name       string                     `json:"name"`
	Text       multiline                  `json:"text"`
	EName      string                     `json:"ename"`
	EValue     string                     `json:"evalue"`
	Traceback  []string                   `json:"traceback"`
	Data       map[string]json.RawMessage `json:"data"`
}

type rawCell struct {
	CellType       string          `json:"cell_type"`
	Source         multiline       `json:"source"`
	ExecutionCount *int            `json:"execution_count"`
	Metadata       json.RawMessage `json:"metadata"`
	Outputs        []rawOutput     `json:"outputs"`
}

type rawNotebook struct {
	NBFormat      *int      `json:"nbformat"`
	NBFormatMinor int       `json:"nbformat_minor"`
	Cells         []rawCell `json:"cells"`
	Metadata      struct {
		KernelSpec *KernelSpec `json:"kernelspec"`
	} `json:"metadata"`
}

// Parse parses notebook JSON. It accepts nbformat 4 only (every Jupyter since 2015 writes it).
func Parse(data []byte) (*Notebook, error) {
	var raw rawNotebook
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("not a valid notebook: %s", describeJSONError(data, err))
	}
	if raw.NBFormat == nil {
		return nil, errors.New("not a valid notebook: no nbformat field (is this a notebook file?)")
	}
	if *raw.NBFormat != 4 {
		return nil, fmt.Errorf("nbformat %d is not supported: re-save the notebook with Jupyter (nbformat 4)", *raw.NBFormat)
	}
	nb := &Notebook{NBFormat: *raw.NBFormat, NBFormatMinor: raw.NBFormatMinor}
	if raw.Metadata.KernelSpec != nil {
		nb.Kernel = *raw.Metadata.KernelSpec
	}
	for i, rc := range raw.Cells {
		c := Cell{Index: i, Type: rc.CellType, Source: string(rc.Source)}
		if rc.ExecutionCount != nil {
			c.ExecutionCount = *rc.ExecutionCount
		}
		if len(rc.Metadata) > 0 {
			var md struct {
				Tags []string `json:"tags"`
			}
			if err := json.Unmarshal(rc.Metadata, &md); err != nil {
				return nil, fmt.Errorf("cell %d: metadata: %w", i+1, err)
			}
			c.Tags = md.Tags
		}
		for _, ro := range rc.Outputs {
			o := Output{Type: ro.OutputType, Name: ro.Name, Text: string(ro.Text),
				EName: ro.EName, EValue: ro.EValue, Traceback: ro.Traceback}
			for mime, raw := range ro.Data {
				o.MIMETypes = append(o.MIMETypes, mime)
				if o.Data == nil {
					o.Data = make(map[string]string, len(ro.Data))
				}
				var text multiline
				if err := json.Unmarshal(raw, &text); err == nil {
					o.Data[mime] = string(text)
				} else {
					o.Data[mime] = string(raw)
				}
			}
			slices.Sort(o.MIMETypes)
			c.Outputs = append(c.Outputs, o)
		}
		nb.Cells = append(nb.Cells, c)
	}
	return nb, nil
}

// describeJSONError turns a json error into "line L column C: message".
func describeJSONError(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var off int64 = -1
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	}
	if off < 0 {
		return err.Error()
	}
	// Offset counts the bytes read, the offending one included.
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off > 0 {
		off--
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(data[:off], '\n'))
	return fmt.Sprintf("invalid JSON at line %d column %d: %v", line, col, err)
}
