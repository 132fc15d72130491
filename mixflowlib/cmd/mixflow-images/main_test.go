package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/mixflow/mixflow/internal/cli"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/experiment/raeexp"
	"github.com/mixflow/mixflow/mixflowlib/experiment/repaexp"
)

// TestDefaultsMatchNotebook checks that the command's defaults describe exactly notebook 03's workflow,
// so that the two share their cache entries.
func TestDefaultsMatchNotebook(t *testing.T) {
	for _, quick := range []bool{false, true} {
		args := []string{"-print-spec"}
		if quick {
			args = append(args, "-quick")
		}
		var out bytes.Buffer
		if err := run(context.Background(), "run", args, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		want, err := json.MarshalIndent(imageexp.DefaultWorkflow(quick), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(out.String()) != string(want) {
			t.Errorf("quick=%v: the command's default workflow differs from imageexp.DefaultWorkflow:\n%s\nvs\n%s", quick, out.String(), want)
		}
	}
}

func TestFlags(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), "run", []string{"-print-spec", "-quick", "-gamma", "0.5", "-steps", "3,7", "-cfg", "0",
		"-seeds", "4,5", "-methods", "heun", "-slowflow=false"}, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var wf imageexp.Workflow
	if err := json.Unmarshal(out.Bytes(), &wf); err != nil {
		t.Fatal(err)
	}
	if wf.Variants[1].Gamma != 0.5 || len(wf.Eval.Samplers) != 2 || wf.Eval.Samplers[1].Steps != 7 ||
		wf.Eval.Samplers[0].Method != "heun" || wf.Eval.Seeds[1] != 5 || wf.SlowFlow.Steps != nil {
		t.Errorf("flags not applied: %+v", wf)
	}
	for _, tc := range []struct {
		sub  string
		args []string
		want string
	}{
		{"run", []string{"-gamma", "2", "-print-spec"}, "gamma 2 outside [0, 1]"},
		{"run", []string{"-steps", "a", "-print-spec"}, "-steps"},
		{"run", []string{"-steps", "0", "-print-spec"}, "sampler steps 0"},
		{"fly", nil, "unknown subcommand"},
	} {
		err := run(context.Background(), tc.sub, tc.args, io.Discard, io.Discard)
		var ue cli.UsageError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.As(err, &ue) {
			t.Errorf("%s %v: error %v, want a usage error containing %q", tc.sub, tc.args, err, tc.want)
		}
	}
	for _, sub := range []string{"run", "sample"} {
		var help bytes.Buffer
		if err := run(context.Background(), sub, []string{"-h"}, io.Discard, &help); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%s -h: %v", sub, err)
		}
		first, _, _ := strings.Cut(help.String(), "\n")
		if want := "mixflow-images " + sub + ": " + map[string]string{"run": runSummary, "sample": sampleSummary}[sub]; first != want {
			t.Errorf("%s -h starts with %q, want %q", sub, first, want)
		}
	}
	var errOut bytes.Buffer
	if err := run(context.Background(), "sample", []string{"-cols", "0"}, io.Discard, &errOut); err == nil ||
		err.Error() != "-cols 0: must be > 0" || errOut.Len() != 0 {
		t.Errorf("sample -cols 0: error %v, printed %q", err, errOut.String())
	}
}

// TestStudies checks that -study repa and -study rae describe notebooks 05's and 06's workflows (so that
// they share cache entries) and that the SiT-only flags are refused with -study rae.
func TestStudies(t *testing.T) {
	for _, quick := range []bool{false, true} {
		repaWant, err := repaexp.Workflow(imageexp.DefaultWorkflow(quick), nil)
		if err != nil {
			t.Fatal(err)
		}
		raeWant, err := raeexp.DefaultWorkflow(quick)
		if err != nil {
			t.Fatal(err)
		}
		for study, want := range map[string]imageexp.Workflow{"repa": repaWant, "rae": raeWant} {
			args := []string{"-print-spec", "-study", study}
			if quick {
				args = append(args, "-quick")
			}
			var out bytes.Buffer
			if err := run(context.Background(), "run", args, &out, io.Discard); err != nil {
				t.Fatalf("%s: %v", study, err)
			}
			wantJSON, err := json.MarshalIndent(want, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(out.String()) != string(wantJSON) {
				t.Errorf("-study %s quick=%v: workflow differs from the notebook's:\n%s\nvs\n%s", study, quick, out.String(), wantJSON)
			}
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), "run", []string{"-print-spec", "-study", "rae", "-post-steps", "7", "-n", "33"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var wf imageexp.Workflow
	if err := json.Unmarshal(out.Bytes(), &wf); err != nil {
		t.Fatal(err)
	}
	if wf.Post.Steps != 7 || wf.Eval.N != 33 {
		t.Errorf("-study rae: size flags not applied: post %d steps, n %d", wf.Post.Steps, wf.Eval.N)
	}
	for _, args := range [][]string{{"-study", "rae", "-gamma", "0.5"}, {"-study", "rae", "-steps", "3"}, {"-study", "vit"}} {
		err := run(context.Background(), "run", append(args, "-print-spec"), io.Discard, io.Discard)
		var ue cli.UsageError
		if err == nil || !errors.As(err, &ue) {
			t.Errorf("%v: error %v, want a usage error", args, err)
		}
	}
}

// TestGammaChecksOnce feeds γ = 1.3 and NaN at the top: the error is objective.Spec's one text, named once.
func TestGammaChecksOnce(t *testing.T) {
	for _, g := range []string{"1.3", "NaN"} {
		err := run(context.Background(), "run", []string{"-gamma", g, "-print-spec"}, io.Discard, io.Discard)
		if err == nil || err.Error() != "objective: gamma "+g+" outside [0, 1]" {
			t.Errorf("-gamma %s: error %v, want %q", g, err, "objective: gamma "+g+" outside [0, 1]")
		}
	}
}
