package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// LogVar names the environment variable that selects the server log: unset (or "quiet") for GoNB's
// warnings and errors only, "raw" for everything GoNB writes.
const LogVar = "MIXFLOW_KERNEL_LOG"

// rawLog reads LogVar: whether GoNB's log passes through unfiltered. An unknown value is reported
// in one line (on stderr, the server log) and shows the raw log, so nothing is hidden by a typo.
func rawLog(value string, stderr io.Writer) bool {
	switch value {
	case "", "quiet":
		return false
	case "raw":
		return true
	}
	fmt.Fprintf(stderr, "mixflow kernel: %s=%q is not a log mode (use raw, or unset it for warnings and errors only); showing the raw log\n", LogVar, value)
	return true
}

// klogHeader matches the first line of a klog entry: severity, date, time, thread id, file:line, then
// GoNB's kernel id (coloured) and the message.
var klogHeader = regexp.MustCompile(`^([IWEF])\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ ([^ \]]+:\d+)\] (?:\x1b\[[0-9;]*m)?(?:\[[0-9a-f]+\])?(?:\x1b\[0m)? ?(.*)$`)

// noise lists the warning and error messages of GoNB v0.11.5 that say nothing about a problem: the
// test lines it logs at every start, the kernel id it cannot read from nbclient's temporary
// connection files, and the "failure" of the gopls it has just killed at shutdown.
var noise = []string{
	"Warning message",
	"Error message",
	"Could not parse Jupyter KernelId from kernel configuration path",
	"gopls failed with: signal: killed",
}

// realTrouble matches the lines that start a Go runtime failure; they are never part of a dropped
// entry.
var realTrouble = regexp.MustCompile(`^(panic: |fatal error: |runtime: |SIG[A-Z]+: )`)

// tempDirLine is GoNB's start-up line naming its directory of generated code.
var tempDirLine = regexp.MustCompile(`tmp Go code in ("(?:[^"\\]|\\.)*")`)

// logFilter copies GoNB's stderr (klog entries: a header line and continuation lines, such as stack
// traces) to a writer. Unless raw, it drops info entries (GoNB's chatter about every cell, its
// start-up test lines and the goroutine stack it logs when it stops gopls) and the noise warnings,
// with their continuation lines; warnings, errors and anything that is not a klog entry (a panic of
// GoNB itself) pass.
type logFilter struct {
	w         io.Writer
	raw       bool
	dropping  bool         // the current entry is dropped, with its continuation lines
	onTempDir func(string) // called with GoNB's generated-code directory when the log names it
}

// copy filters r into the writer until r ends; it returns the first write error, if any.
func (f *logFilter) copy(r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			if werr := f.line(line); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// line handles one line of the log, with its newline if it had one.
func (f *logFilter) line(line string) error {
	text := strings.TrimRight(line, "\r\n")
	if m := klogHeader.FindStringSubmatch(text); m != nil {
		if t := tempDirLine.FindStringSubmatch(m[3]); t != nil && f.onTempDir != nil {
			if dir, err := strconv.Unquote(t[1]); err == nil {
				f.onTempDir(dir)
			}
		}
		f.dropping = !f.raw && (m[1] == "I" || isNoise(m[3]))
	} else if f.dropping && realTrouble.MatchString(text) {
		f.dropping = false
	}
	if f.dropping {
		return nil
	}
	_, err := io.WriteString(f.w, line)
	return err
}

func isNoise(msg string) bool {
	for _, n := range noise {
		if msg == n || strings.HasPrefix(msg, n+" ") {
			return true
		}
	}
	return false
}
