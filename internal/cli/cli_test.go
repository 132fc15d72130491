package cli_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/mixflow/mixflow/internal/cli"
)

func TestParse(t *testing.T) {
	var out bytes.Buffer
	fs := cli.NewFlagSet("tool sub", "does one thing", &out)
	n := fs.Int("n", 3, "a count")
	if err := cli.Parse(fs, []string{"-n", "x"}); err == nil || out.Len() != 0 ||
		err.Error() != `invalid value "x" for flag -n: parse error (run 'tool sub -h' for the flags)` {
		t.Errorf("bad value: error %v, printed %q", err, out.String())
	}
	if cli.Report(io.Discard, "tool", cli.Parse(fs, []string{"-m"})) != 2 {
		t.Error("unknown flag: want exit status 2")
	}
	if err := cli.Parse(fs, []string{"-n", "4", "extra"}); err == nil || err.Error() != `unexpected arguments ["extra"]` {
		t.Errorf("extra argument: %v", err)
	}
	out.Reset()
	if err := cli.Parse(fs, []string{"-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	if !strings.HasPrefix(out.String(), "tool sub: does one thing\n\nusage: tool sub [flags]\n") || !strings.Contains(out.String(), "a count (default 3)") {
		t.Errorf("-h printed %q", out.String())
	}
	if err := cli.Parse(fs, []string{"-n", "5"}); err != nil || *n != 5 {
		t.Errorf("-n 5: %v, n %d", err, *n)
	}
}

func TestReport(t *testing.T) {
	var out bytes.Buffer
	for _, c := range []struct {
		err    error
		status int
		text   string
	}{
		{nil, 0, ""}, {flag.ErrHelp, 0, ""}, {cli.Usagef("-x 0: bad"), 2, "tool: -x 0: bad\n"},
		{fmt.Errorf("wrapped: %w", cli.Usagef("-y")), 2, "tool: wrapped: -y\n"}, {errors.New("disk full"), 1, "tool: disk full\n"},
	} {
		out.Reset()
		if s := cli.Report(&out, "tool", c.err); s != c.status || out.String() != c.text {
			t.Errorf("Report(%v) = %d, printed %q; want %d, %q", c.err, s, out.String(), c.status, c.text)
		}
	}
}

func TestCheckPositiveAndSetUnset(t *testing.T) {
	fs := cli.NewFlagSet("tool", "does one thing", io.Discard)
	fs.Int("batch", 8, "")
	fs.Int64("steps", 10, "")
	fs.Float64("lr", 1e-3, "")
	fs.Uint64("seed", 1, "")
	fs.String("name", "a", "")
	if err := cli.Parse(fs, []string{"-steps", "20"}); err != nil {
		t.Fatal(err)
	}
	if err := cli.SetUnset(fs, map[string]string{"steps": "2", "batch": "0", "absent": "1"}); err != nil {
		t.Fatal(err)
	}
	if fs.Lookup("steps").Value.String() != "20" || fs.Lookup("batch").Value.String() != "0" {
		t.Errorf("SetUnset: steps %s (set on the command line: kept), batch %s", fs.Lookup("steps").Value, fs.Lookup("batch").Value)
	}
	if err := cli.CheckPositive(fs, "steps", "lr", "batch"); err == nil || err.Error() != "-batch 0: must be > 0" {
		t.Errorf("batch 0: %v", err)
	}
	for _, v := range []string{"0", "-1", "NaN", "+Inf"} {
		_ = fs.Set("lr", v)
		var ue cli.UsageError
		if err := cli.CheckPositive(fs, "lr"); err == nil || err.Error() != "-lr "+v+": must be > 0" || !errors.As(err, &ue) {
			t.Errorf("lr %s: %v", v, err)
		}
	}
	_ = fs.Set("seed", "0")
	if cli.CheckPositive(fs, "seed") == nil || cli.CheckPositive(fs, "name") == nil || cli.CheckPositive(fs, "absent") == nil {
		t.Error("seed 0, a string flag and an absent flag must be errors")
	}
	if !cli.IsSet(fs, "steps") || cli.IsSet(fs, "name") {
		t.Error("IsSet")
	}
}

func TestParseQuick(t *testing.T) {
	for _, c := range []struct {
		args        []string
		steps, name string
	}{
		{[]string{"-name", "b"}, "10", "b"},
		{[]string{"-quick", "-name", "b"}, "2", "b"},
		{[]string{"-quick", "-steps", "5"}, "5", "q"},
	} {
		fs := cli.NewFlagSet("tool", "does one thing", io.Discard)
		fs.Int("steps", 10, "")
		fs.String("name", "a", "")
		if err := cli.ParseQuick(fs, c.args, "2 steps", map[string]string{"steps": "2", "name": "q"}); err != nil {
			t.Fatal(c.args, err)
		}
		if got := [2]string{fs.Lookup("steps").Value.String(), fs.Lookup("name").Value.String()}; got != [2]string{c.steps, c.name} {
			t.Errorf("%q: steps, name = %q, want %q %q", c.args, got, c.steps, c.name)
		}
	}
	fs := cli.NewFlagSet("tool", "does one thing", io.Discard)
	if err := cli.ParseQuick(fs, []string{"-quick", "x"}, "", nil); err == nil || !strings.Contains(err.Error(), "unexpected arguments") {
		t.Errorf("left-over argument: %v", err)
	}
}

// A tool's main: parse, check the sizes, report an error once.
func Example() {
	fs := cli.NewFlagSet("mytool", "trains one model", io.Discard)
	batch := fs.Int("batch", 64, "batch size")
	err := cli.ParseQuick(fs, []string{"-batch", "0"}, "batch 8", map[string]string{"batch": "8"})
	if err == nil {
		err = cli.CheckPositive(fs, "batch")
	}
	var stderr bytes.Buffer
	status := cli.Report(&stderr, "mytool", err) // main calls cli.Exit("mytool", err)
	fmt.Print(stderr.String())
	fmt.Println("exit status", status, "batch", *batch)
	// Output:
	// mytool: -batch 0: must be > 0
	// exit status 2 batch 0
}
