// Package table renders results tables (methods × metrics) as Markdown and HTML, with mean ± error
// cells and the best value of a column in bold, and shows them in a notebook.
package table

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"

	"github.com/mixflow/mixflow/widgets/internal/nb"
)

// PM is a "mean ± err" cell (err is e.g. a standard deviation or a confidence half-width).
type PM struct {
	Mean, Err float64
}

// Goal says which value of a column is best.
type Goal int

const (
	// Lower marks the smallest value as best (FID, loss, Wasserstein distance).
	Lower Goal = iota
	// Higher marks the largest value as best (precision, recall, IS).
	Higher
)

// Table is a results table. Build it with New and Add; render it with Markdown, HTML or Display.
type Table struct {
	// Title is shown above the table (Markdown: a bold line; HTML: a caption).
	Title string
	// Precision is the number of decimals of float cells (default 3; negative: shortest exact form).
	Precision int

	headers []string
	rows    [][]any
	best    map[int]Goal
}

// New returns an empty table with the given column headers.
func New(headers ...string) *Table {
	return &Table{headers: headers, Precision: 3, best: map[int]Goal{}}
}

// Add appends a row. Cells may be strings, integers, floats, PM, or fmt.Stringer values; a float NaN is
// shown as "NaN" (a diverged run is a result, not a rendering error). A wrong number of cells or an
// unsupported type is an error naming the row and column.
func (t *Table) Add(cells ...any) error {
	if len(cells) != len(t.headers) {
		return fmt.Errorf("table: row %d has %d cells, the table has %d columns (%s)", len(t.rows), len(cells), len(t.headers), strings.Join(t.headers, ", "))
	}
	for j, c := range cells {
		switch c.(type) {
		case string, int, int32, int64, uint, uint32, uint64, float32, float64, PM, fmt.Stringer, nil:
		default:
			return fmt.Errorf("table: row %d column %q: unsupported cell type %T", len(t.rows), t.headers[j], c)
		}
	}
	t.rows = append(t.rows, cells)
	return nil
}

// Best marks the best numeric value of column col (0-based) in bold, by goal. Ties are all marked.
func (t *Table) Best(col int, goal Goal) error {
	if col < 0 || col >= len(t.headers) {
		return fmt.Errorf("table: Best: column %d outside [0, %d)", col, len(t.headers))
	}
	if goal != Lower && goal != Higher {
		return fmt.Errorf("table: Best: unknown goal %d", goal)
	}
	t.best[col] = goal
	return nil
}

// Rows returns the number of rows.
func (t *Table) Rows() int { return len(t.rows) }

func value(c any) (float64, bool) {
	switch v := c.(type) {
	case int:
		return float64(v), true
	case int32:
		return float64(v), true
	case int64:
		return float64(v), true
	case uint:
		return float64(v), true
	case uint32:
		return float64(v), true
	case uint64:
		return float64(v), true
	case float32:
		return float64(v), !math.IsNaN(float64(v))
	case float64:
		return v, !math.IsNaN(v)
	case PM:
		return v.Mean, !math.IsNaN(v.Mean)
	}
	return 0, false
}

func (t *Table) format(c any) string {
	f := func(v float64) string {
		if math.IsNaN(v) {
			return "NaN"
		}
		if t.Precision < 0 {
			return strconv.FormatFloat(v, 'g', -1, 64)
		}
		return strconv.FormatFloat(v, 'f', t.Precision, 64)
	}
	switch v := c.(type) {
	case nil:
		return ""
	case string:
		return v
	case float32:
		return f(float64(v))
	case float64:
		return f(v)
	case PM:
		return f(v.Mean) + " ± " + f(v.Err)
	case fmt.Stringer:
		return v.String()
	default:
		return fmt.Sprint(v)
	}
}

// bestRows returns, per column with a goal, which rows hold the best value.
func (t *Table) bestRows() map[int]map[int]bool {
	out := map[int]map[int]bool{}
	for col, goal := range t.best {
		bestV, found := 0.0, false
		for _, r := range t.rows {
			v, ok := value(r[col])
			if !ok {
				continue
			}
			if !found || (goal == Lower && v < bestV) || (goal == Higher && v > bestV) {
				bestV, found = v, true
			}
		}
		if !found {
			continue
		}
		out[col] = map[int]bool{}
		for i, r := range t.rows {
			if v, ok := value(r[col]); ok && v == bestV {
				out[col][i] = true
			}
		}
	}
	return out
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "*", `\*`).Replace(s)
}

// Markdown returns the table in GitHub-flavoured Markdown.
func (t *Table) Markdown() string {
	var b strings.Builder
	if t.Title != "" {
		fmt.Fprintf(&b, "**%s**\n\n", mdEscape(t.Title))
	}
	b.WriteString("|")
	for _, h := range t.headers {
		b.WriteString(" " + mdEscape(h) + " |")
	}
	b.WriteString("\n|")
	for j := range t.headers {
		if t.numeric(j) {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	best := t.bestRows()
	for i, r := range t.rows {
		b.WriteString("\n|")
		for j, c := range r {
			s := mdEscape(t.format(c))
			if best[j][i] {
				s = "**" + s + "**"
			}
			b.WriteString(" " + s + " |")
		}
	}
	b.WriteString("\n")
	return b.String()
}

// numeric reports whether column j holds numbers only (right-aligned).
func (t *Table) numeric(j int) bool {
	hasNumber := false
	for _, r := range t.rows {
		switch r[j].(type) {
		case string, fmt.Stringer:
			return false
		case nil:
		default:
			hasNumber = true
		}
	}
	return hasNumber
}

// HTML returns the table as an HTML <table>.
func (t *Table) HTML() string {
	var b strings.Builder
	b.WriteString(`<table class="mixflow-table" style="border-collapse:collapse;font-variant-numeric:tabular-nums">`)
	if t.Title != "" {
		fmt.Fprintf(&b, `<caption style="font-weight:bold;text-align:left;padding:4px 0">%s</caption>`, html.EscapeString(t.Title))
	}
	b.WriteString("<thead><tr>")
	for j, h := range t.headers {
		fmt.Fprintf(&b, `<th style="border-bottom:2px solid #333;padding:3px 10px;text-align:%s">%s</th>`, t.align(j), html.EscapeString(h))
	}
	b.WriteString("</tr></thead><tbody>")
	best := t.bestRows()
	for i, r := range t.rows {
		b.WriteString("<tr>")
		for j, c := range r {
			s := html.EscapeString(t.format(c))
			if best[j][i] {
				s = "<b>" + s + "</b>"
			}
			fmt.Fprintf(&b, `<td style="border-bottom:1px solid #ddd;padding:3px 10px;text-align:%s">%s</td>`, t.align(j), s)
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</tbody></table>")
	return b.String()
}

func (t *Table) align(j int) string {
	if t.numeric(j) {
		return "right"
	}
	return "left"
}

// Display shows the table in the running notebook cell (HTML, with Markdown and plain text for other
// front-ends and for the saved notebook).
func (t *Table) Display() {
	md := t.Markdown()
	nb.Display(nb.Output{HTML: t.HTML(), Markdown: md, Text: md})
	nb.Flush(nb.FlushTimeout)
}
