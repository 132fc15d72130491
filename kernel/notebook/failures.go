package notebook

import (
	"fmt"
	"html"
	"regexp"
	"strings"
)

// MarkerPattern is a regular expression, valid both in Go (RE2) and in Python's re module, that matches
// the stderr lines by which a GoNB cell reports a runtime failure:
//
//   - "panic: ..." and "fatal error: ..." from the Go runtime,
//   - "exit status N", which GoNB prints when the cell's program exits with a non-zero status
//     (os.Exit, log.Fatal, a panic),
//   - "signal: killed" and other "signal: ..." lines, printed when the program is killed (e.g. for
//     using too much memory).
//
// `kernel exec` gives the same pattern to its Python runner, which stops at the first cell that
// matches, so both sides agree on what a failure is.
const MarkerPattern = `(?m)^(?:panic: |fatal error: |exit status [0-9]+[ \t\r]*$|signal: [a-z ]+[ \t\r]*$)`

var (
	markerRE   = regexp.MustCompile(MarkerPattern)
	ansiRE     = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]`)
	cellLineRE = regexp.MustCompile(`\[\[ Cell \[[0-9]+\] Line [0-9]+ \]\]`)
)

// detailLines bounds the number of output lines kept in Failure.Detail.
const detailLines = 20

// Failure describes a cell that failed.
type Failure struct {
	// Cell is the 1-based position of the cell in the notebook, counting every cell (markdown too),
	// as shown by Jupyter's "go to cell" and nbformat tools.
	Cell int
	// ExecutionCount is the cell's execution count (the N of "In [N]"), or 0 if it was not executed.
	ExecutionCount int
	// Message is a one-line description, e.g. "panic: boom (Cell [2] Line 1)".
	Message string
	// Detail holds the last lines of the relevant output (stderr or traceback), ANSI colours removed.
	Detail string
}

// String formats the failure as "cell 3 (In [2]): message".
func (f Failure) String() string {
	if f.ExecutionCount > 0 {
		return fmt.Sprintf("cell %d (In [%d]): %s", f.Cell, f.ExecutionCount, f.Message)
	}
	return fmt.Sprintf("cell %d: %s", f.Cell, f.Message)
}

// StripANSI removes terminal colour and cursor escape sequences, which GoNB puts in stderr.
func StripANSI(s string) string { return ansiRE.ReplaceAllString(s, "") }

// Failures returns the failed cells of an executed notebook, in order. A cell fails when its stderr
// matches MarkerPattern or when it has an error output, unless it is tagged "raises-exception".
func (nb *Notebook) Failures() []Failure {
	var out []Failure
	for _, c := range nb.Cells {
		if f, ok := CellFailure(c); ok {
			out = append(out, f)
		}
	}
	return out
}

// CellFailure reports whether the executed cell failed, and how.
func CellFailure(c Cell) (Failure, bool) {
	if c.Type != "code" || c.HasTag("raises-exception") {
		return Failure{}, false
	}
	f := Failure{Cell: c.Index + 1, ExecutionCount: c.ExecutionCount}
	stderr := StripANSI(c.Stderr())
	if msg, ok := stderrFailure(stderr); ok {
		f.Message = msg
		f.Detail = lastLines(stderr, detailLines)
		return f, true
	}
	for _, o := range c.Outputs {
		if o.Type != "error" {
			continue
		}
		f.Message = errorMessage(o)
		if lines := gonbCompileErrors(c, o); len(lines) > 0 {
			f.Message = lines[0]
			if len(lines) > 1 {
				f.Message += fmt.Sprintf(" (and %d more)", len(lines)-1)
			}
			f.Detail = lastLines(strings.Join(lines, "\n"), detailLines)
			return f, true
		}
		var tb []string
		for _, line := range o.Traceback {
			tb = append(tb, StripANSI(line))
		}
		f.Detail = lastLines(strings.Join(tb, "\n"), detailLines)
		if f.Detail == "" {
			f.Detail = lastLines(StripANSI(o.EValue), detailLines)
		}
		return f, true
	}
	return Failure{}, false
}

// stderrFailure finds the runtime-failure markers in a cell's stderr and words the failure.
func stderrFailure(stderr string) (string, bool) {
	locs := markerRE.FindAllStringIndex(stderr, -1)
	if len(locs) == 0 {
		return "", false
	}
	where := ""
	if m := cellLineRE.FindString(stderr); m != "" {
		where = " (" + strings.TrimSpace(strings.Trim(m, "[] ")) + ")"
	}
	// A panic or fatal error line says the most; prefer it to "exit status 2".
	for _, loc := range locs {
		line := lineAt(stderr, loc[0])
		if strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") {
			return line + where, true
		}
	}
	// "exit status N": add the last line printed before it, usually the reason (log.Fatal's message).
	first := locs[0][0]
	msg := lineAt(stderr, first)
	if prev := lastNonEmptyLine(stderr[:first]); prev != "" {
		msg += ": " + prev
	}
	return msg + where, true
}

// lineAt returns the (trimmed) line of s that starts at offset i.
func lineAt(s string, i int) string {
	end := strings.IndexByte(s[i:], '\n')
	if end < 0 {
		return strings.TrimSpace(s[i:])
	}
	return strings.TrimSpace(s[i : i+end])
}

func lastNonEmptyLine(s string) string {
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}

// errorMessage words an error output: its first informative line (GoNB prefixes compiler errors with
// "# <package>"), with the exception name unless it is GoNB's generic "ERROR".
func errorMessage(o Output) string {
	msg := ""
	for _, line := range strings.Split(StripANSI(o.EValue), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "# ") {
			msg = line
			break
		}
	}
	switch {
	case msg == "" && o.EName == "":
		return "error output without a message"
	case msg == "":
		return o.EName
	case o.EName == "" || o.EName == "ERROR":
		return msg
	default:
		return o.EName + ": " + msg
	}
}

var (
	// GoNB's HTML compile error report (kernel installed without --raw_error).
	gonbHTMLErrRE = regexp.MustCompile(`gonb-cell-line-info">([^<]*)</span>\s*<span class="gonb-err-location">([^<]*)</span></span>([^<]*)`)
	// GoNB's plain-text compile error (--raw_error): "Cell[5]: Line 1\n<code context>\n<message>".
	gonbRawErrRE = regexp.MustCompile(`^Cell\[[0-9]+\]: Line [0-9]+\n`)
)

// gonbCompileErrors extracts GoNB's per-line compiler errors ("Cell[5]: Line 1: declared and not
// used: x") from an error output and the HTML report GoNB may have displayed before it.
func gonbCompileErrors(c Cell, errOut Output) []string {
	var lines []string
	for _, tb := range errOut.Traceback {
		tb = StripANSI(tb)
		if loc := gonbRawErrRE.FindString(tb); loc != "" {
			lines = append(lines, strings.TrimSpace(loc)+": "+lastNonEmptyLine(tb[len(loc):]))
		}
	}
	if len(lines) > 0 {
		return lines
	}
	for _, o := range c.Outputs {
		page := o.Data["text/html"]
		if o.Type != "display_data" || !strings.Contains(page, "gonb-err-location") {
			continue
		}
		for _, m := range gonbHTMLErrRE.FindAllStringSubmatch(page, -1) {
			where := html.UnescapeString(strings.TrimSpace(m[1]))
			msg := html.UnescapeString(strings.TrimSpace(m[3]))
			lines = append(lines, where+": "+msg)
		}
	}
	return lines
}

// lastLines returns at most n trailing non-blank-terminated lines of s.
func lastLines(s string, n int) string {
	s = strings.TrimRight(s, "\n\r\t ")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines above)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
