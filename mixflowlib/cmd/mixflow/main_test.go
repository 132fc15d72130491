package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mixflow/mixflow/internal/cli"
	"github.com/mixflow/mixflow/mixflowlib/env"
	"github.com/mixflow/mixflow/mixflowlib/experiment/toyexp"
)

// tinyBase and tinyPost are flags that make every subcommand take a fraction of a second.
var (
	tinyBase = []string{"-base-steps", "40", "-base-batch", "64", "-width", "16", "-depth", "1"}
	tinyPost = []string{"-post-steps", "20", "-post-batch", "64"}
)

func runCmd(t *testing.T, cmd string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), cmd, args, &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		cmd  string
		args []string
		want string
	}{
		{"train", nil, `unknown subcommand "train"`},
		{"toy-posttrain", []string{"-gamma", "1.5"}, "gamma 1.5 outside [0, 1]"},
		{"toy-posttrain", []string{"-objective", "fm", "-mixture", "absolute"}, "mixflowonly"},
		{"toy-eval", []string{"-steps", "5,x"}, `-steps: "x" is not an integer`},
		{"toy-eval", []string{"-methods", "rk4"}, `method "rk4"`},
		{"toy-eval", []string{"-model", "best"}, `-model "best"`},
		{"slowflow", []string{"-protocol", "closest"}, `protocol "closest"`},
		{"ablation", []string{"-seeds", ""}, "no seeds"},
		{"toy-train", []string{"-toy", "dragon"}, `toy "dragon"`},
		{"toy-train", []string{"extra"}, "unexpected arguments"},
		{"toy-train", []string{"-nope"}, "flag provided but not defined: -nope (run 'mixflow toy-train -h' for the flags)"},
		{"toy-train", []string{"-base-batch", "0"}, "-base-batch 0: must be > 0"},
		{"toy-train", []string{"-base-steps", "0"}, "-base-steps 0: must be > 0"},
		{"toy-posttrain", []string{"-post-lr", "0"}, "-post-lr 0: must be > 0"},
		{"toy-train", []string{"-base-lr", "NaN"}, "-base-lr NaN: must be > 0"},
		{"toy-eval", []string{"-steps", "0"}, "-steps 0: must be > 0"},
		{"toy-eval", []string{"-steps", "5,0"}, "-steps 5,0: 0 must be > 0"},
		{"slowflow", []string{"-n", "0"}, "-n 0: must be > 0"},
	}
	for _, c := range cases {
		out, err := runCmd(t, c.cmd, c.args...)
		var ue cli.UsageError
		if err == nil || !errors.As(err, &ue) {
			t.Errorf("%s %v: error %v, want a usage error", c.cmd, c.args, err)
			continue
		}
		if out != "" {
			t.Errorf("%s %v: printed %q; the error must be printed once, by main", c.cmd, c.args, out)
		}
		msg := strings.ReplaceAll(err.Error(), " ", "")
		if !strings.Contains(msg, strings.ReplaceAll(c.want, " ", "")) {
			t.Errorf("%s %v: %q does not mention %q", c.cmd, c.args, err, c.want)
		}
	}
}

func TestPrintSpec(t *testing.T) {
	out, err := runCmd(t, "ablation", "-print-spec", "-gammas", "0.5,1", "-seeds", "4,5")
	if err != nil {
		t.Fatal(err)
	}
	var spec toyexp.SweepSpec
	if err := json.Unmarshal([]byte(out), &spec); err != nil {
		t.Fatalf("-print-spec output is not a sweep spec: %v\n%s", err, out)
	}
	var names []string
	for _, v := range spec.Variants {
		names = append(names, v.Name)
	}
	// γ = 1 is swept, so the timestep cell t~Beta(2,1), m~U[0,t] (the same objective) is not repeated.
	want := "FM (standard)|MixFlow γ=0.5|MixFlow γ=1|t~U[0,1], m~U[0,1]|t~Beta(2,1), m~U[0,1]|t~U[0,1], m~U[0,t]"
	if got := strings.Join(names, "|"); got != want {
		t.Errorf("variants %s, want %s", got, want)
	}
	if len(spec.Seeds) != 2 || spec.Seeds[0] != 4 || !spec.IncludeBase || spec.Reference != "FM (standard)" {
		t.Errorf("spec %+v", spec)
	}
}

func TestSubcommands(t *testing.T) {
	cache := t.TempDir()
	out, err := runCmd(t, "toy-train", append([]string{"-cache", cache, "-q"}, tinyBase...)...)
	if err != nil {
		t.Fatal(err, out)
	}
	if !strings.Contains(out, "base: base (FM)") || !strings.Contains(out, "checkpoint "+cache) {
		t.Errorf("toy-train output:\n%s", out)
	}
	common := append(append([]string{"-cache", cache, "-q"}, tinyBase...), tinyPost...)
	jsonPath := filepath.Join(t.TempDir(), "eval.json")
	out, err = runCmd(t, "toy-eval", append(common, "-objective", "mixflow", "-gamma", "0.5", "-steps", "3", "-samples", "200",
		"-mmd-samples", "50", "-json", jsonPath)...)
	if err != nil {
		t.Fatal(err, out)
	}
	if !strings.Contains(out, "| MixFlow γ=0.5 |") || !strings.Contains(out, "euler 3") {
		t.Errorf("toy-eval output:\n%s", out)
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var ev toyexp.EvalResult
	if err := json.Unmarshal(raw, &ev); err != nil || len(ev.Rows) != 4 {
		t.Errorf("eval JSON (%v): %s", err, raw)
	}
	out, err = runCmd(t, "slowflow", append(common, "-model", "oracle", "-steps", "4", "-n", "40", "-ref", "100")...)
	if err != nil {
		t.Fatal(err, out)
	}
	if !strings.Contains(out, "| exact velocity |") || !strings.Contains(out, "frac m\\* < t") {
		t.Errorf("slowflow output:\n%s", out)
	}
	out, err = runCmd(t, "ablation", append(common, "-gammas", "0.8", "-timestep-variants=false", "-seeds", "1,2",
		"-methods", "euler", "-steps", "3", "-samples", "200", "-mmd-samples", "0")...)
	if err != nil {
		t.Fatal(err, out)
	}
	for _, want := range []string{"| no post-training |", "| MixFlow γ=0.8 |", `difference to "FM (standard)"`} {
		if !strings.Contains(out, want) {
			t.Errorf("ablation output lacks %q:\n%s", want, out)
		}
	}
}

// TestGammaChecksOnce feeds γ = 1.3 and NaN at the top: the error is objective.Spec's one text, named once.
func TestGammaChecksOnce(t *testing.T) {
	for _, g := range []string{"1.3", "NaN"} {
		_, err := runCmd(t, "toy-posttrain", "-gamma", g)
		if err == nil || err.Error() != "objective: gamma "+g+" outside [0, 1]" {
			t.Errorf("-gamma %s: error %v, want %q", g, err, "objective: gamma "+g+" outside [0, 1]")
		}
	}
}

// TestHelp: every subcommand's -h starts with its one-line description and exits 0.
func TestHelp(t *testing.T) {
	for cmd, summary := range summaries {
		out, err := runCmd(t, cmd, "-h")
		if !errors.Is(err, flag.ErrHelp) || cli.Report(io.Discard, "mixflow", err) != 0 {
			t.Errorf("%s -h: error %v, want flag.ErrHelp (exit 0)", cmd, err)
		}
		if first, _, _ := strings.Cut(out, "\n"); first != "mixflow "+cmd+": "+summary {
			t.Errorf("%s -h starts with %q, want %q", cmd, first, "mixflow "+cmd+": "+summary)
		}
		if !strings.Contains(out, "-quick") {
			t.Errorf("%s -h lists no -quick:\n%s", cmd, out)
		}
	}
}

// TestQuick: -quick and MIXFLOW_QUICK give the smoke-test sizes; flags given on the command line win.
func TestQuick(t *testing.T) {
	spec := func(args ...string) toyexp.SweepSpec {
		t.Helper()
		out, err := runCmd(t, "ablation", append([]string{"-print-spec"}, args...)...)
		if err != nil {
			t.Fatal(err)
		}
		var s toyexp.SweepSpec
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return s
	}
	t.Setenv(env.QuickVar, "0")
	full := spec()
	if full.Base.Train.Steps != toyexp.DefaultTrainSpec().Steps || len(full.Seeds) != 3 {
		t.Errorf("full sizes: base %d steps, %d seeds", full.Base.Train.Steps, len(full.Seeds))
	}
	q := spec("-quick")
	if q.Base.Train.Steps != 300 || q.Post.Train.Steps != 100 || q.Eval.Samples != 1000 || len(q.Seeds) != 1 {
		t.Errorf("-quick: base %d steps, post %d, %d samples, %d seeds", q.Base.Train.Steps, q.Post.Train.Steps, q.Eval.Samples, len(q.Seeds))
	}
	if q2 := spec("-quick", "-base-steps", "50"); q2.Base.Train.Steps != 50 || q2.Post.Train.Steps != 100 {
		t.Errorf("-quick -base-steps 50: base %d steps, post %d", q2.Base.Train.Steps, q2.Post.Train.Steps)
	}
	t.Setenv(env.QuickVar, "1")
	if e := spec(); e.Base.Train.Steps != 300 {
		t.Errorf("%s=1: base %d steps, want 300", env.QuickVar, e.Base.Train.Steps)
	}
	if e := spec("-quick=false"); e.Base.Train.Steps != full.Base.Train.Steps {
		t.Errorf("%s=1 -quick=false: base %d steps, want %d", env.QuickVar, e.Base.Train.Steps, full.Base.Train.Steps)
	}
}
