//go:build soak

// Package soak kills training runs with SIGKILL at random moments, resumes them, and checks what the
// issue-14 soak measured: every file on disk is valid, no temporary file is left behind, and every
// resumed run ends bit-identical (all checkpoint variables and the loss history) to an uninterrupted
// run. Two kinds of runs take turns: a bare trainer with a checkpoint directory, and a cached toy
// experiment (toyexp through expcache, as the notebooks and CLIs run it). Run it with scripts/soak.sh,
// or
//
//	go test -tags soak -run TestSoak -v ./tests/soak/ -soak.kills 100
//
// It prints one summary line starting "soak:".
package soak

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mixflow/mixflow/datasets/toy2d"
	"github.com/mixflow/mixflow/mixflowlib/backbone/mlp"
	"github.com/mixflow/mixflow/mixflowlib/checkpoint"
	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/experiment/toyexp"
	"github.com/mixflow/mixflow/mixflowlib/objective"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

var (
	kills      = flag.Int("soak.kills", 100, "number of SIGKILLs in all (half trainer, half cached runs)")
	perRun     = flag.Int("soak.per-run", 5, "most kills of one run before it is let finish")
	maxDelay   = flag.Duration("soak.max-delay", 4*time.Second, "longest time a child runs before it is killed")
	seed       = flag.Uint64("soak.seed", 1, "seed of the kill times")
	steps      = flag.Int64("soak.steps", 2000, "training steps of each run")
	keepFailed = flag.Bool("soak.keep", false, "keep the work directory (printed) for inspection")
)

// summary is what a finished child reports: the final checkpoint's variables (hashed) and the history's
// numeric columns (wall times and notes differ between runs by nature).
type summary struct {
	Step          int64                `json:"step"`
	Weights       string               `json:"weights"`
	HistSteps     []int64              `json:"hist_steps"`
	Loss          []float64            `json:"loss"`
	ObjectiveLoss []float64            `json:"objective_loss"`
	GradNorm      []float64            `json:"grad_norm"`
	LR            []float64            `json:"lr"`
	Aux           map[string][]float64 `json:"aux,omitempty"`
	TrainSeconds  float64              `json:"train_seconds"`
}

func (s summary) same(o summary) bool {
	return s.Step == o.Step && s.Weights == o.Weights && slices.Equal(s.HistSteps, o.HistSteps) &&
		slices.Equal(s.Loss, o.Loss) && slices.Equal(s.ObjectiveLoss, o.ObjectiveLoss) &&
		slices.Equal(s.GradNorm, o.GradNorm) && slices.Equal(s.LR, o.LR) && len(s.Aux) == len(o.Aux)
}

func summarize(ckpt string, h *trainer.History, secs float64) (summary, error) {
	ck, err := checkpoint.Read(ckpt)
	if err != nil {
		return summary{}, err
	}
	hash := sha256.New()
	for _, v := range ck.Variables {
		fmt.Fprintf(hash, "%s %s %v\n", v.Path, v.Value.Shape(), v.Trainable)
		if err := v.Value.ConstBytes(func(b []byte) { hash.Write(b) }); err != nil {
			return summary{}, err
		}
	}
	var step int64
	if err := ck.Header.Metadata.Decode("step", &step); err != nil {
		return summary{}, err
	}
	return summary{Step: step, Weights: hex.EncodeToString(hash.Sum(nil)), HistSteps: h.Step, Loss: h.Loss,
		ObjectiveLoss: h.ObjectiveLoss, GradNorm: h.GradNorm, LR: h.LR, Aux: h.Aux, TrainSeconds: secs}, nil
}

const summaryFile = "soak-summary.json"

// TestSoakChild is the process that gets killed: SOAK_CHILD=trainer|cached trains in SOAK_DIR and, when
// it finishes, writes soak-summary.json there.
func TestSoakChild(t *testing.T) {
	mode, dir := os.Getenv("SOAK_CHILD"), os.Getenv("SOAK_DIR")
	if mode == "" {
		t.Skip("run by TestSoak")
	}
	var s summary
	var err error
	switch mode {
	case "trainer":
		s, err = trainerRun(dir)
	case "cached":
		s, err = cachedRun(dir)
	default:
		err = fmt.Errorf("unknown SOAK_CHILD %q", mode)
	}
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(s)
	if err := os.WriteFile(filepath.Join(dir, summaryFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

func trainerRun(dir string) (summary, error) {
	cfg := trainer.DefaultConfig()
	cfg.LR, cfg.BatchSize, cfg.Steps, cfg.Seed, cfg.EMADecay, cfg.LogEvery = 2e-3, 128, *steps, 3, 0.99, 50
	cfg.CheckpointDir, cfg.CheckpointEvery, cfg.KeepCheckpoints = filepath.Join(dir, "ckpt"), *steps/4, 3
	cfg.CheckpointSeconds = 0.3 // wall-time checkpoints, short so that kills land in them often
	toy, err := toy2d.ByName("8gaussians(std=0.05)")
	if err != nil {
		return summary{}, err
	}
	src, err := toy2d.NewSource(toy, 7)
	if err != nil {
		return summary{}, err
	}
	net, err := mlp.New(mlp.Config{Dim: 2, Width: 128, Depth: 3})
	if err != nil {
		return summary{}, err
	}
	obj, err := objective.MixFlowSpec(0.8, 0).Build()
	if err != nil {
		return summary{}, err
	}
	tr, err := trainer.New(cfg, net, obj, src.WithoutLabels())
	if err != nil {
		return summary{}, err
	}
	tr.SetLog(io.Discard)
	h, err := tr.Train(context.Background())
	if err != nil {
		return summary{}, err
	}
	return summarize(tr.LastCheckpoint(), h, tr.TrainSeconds())
}

func cachedRun(dir string) (summary, error) {
	lab := toyexp.Lab{Cache: expcache.New(filepath.Join(dir, "cache")).WithLog(io.Discard)}
	spec := toyexp.DefaultBaseSpec()
	spec.Model = toyexp.ModelSpec{Width: 128, Depth: 3}
	spec.Train = toyexp.TrainSpec{Steps: *steps, BatchSize: 128, LR: 2e-3, EMADecay: 0.99, Seed: 2}
	run, err := lab.TrainBase(context.Background(), spec)
	if err != nil {
		return summary{}, err
	}
	return summarize(run.Checkpoint, run.History, run.TrainSeconds)
}

// child starts one child process; with kill > 0 it is killed after that long if it has not finished.
// It reports whether the process was killed.
func child(t *testing.T, mode, dir string, kill time.Duration) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSoakChild$", "-soak.steps="+fmt.Sprint(*steps))
	cmd.Env = append(os.Environ(), "SOAK_CHILD="+mode, "SOAK_DIR="+dir)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var timer <-chan time.Time
	if kill > 0 {
		timer = time.After(kill)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s child in %s failed: %v\n%s", mode, dir, err, out.String())
		}
		return false
	case <-timer:
		_ = cmd.Process.Signal(syscall.SIGKILL)
		err := <-done
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return true
			}
		}
		if err != nil {
			t.Fatalf("%s child in %s failed: %v\n%s", mode, dir, err, out.String())
		}
		return false // it finished just before the kill
	}
}

// scan checks every file under dir: checkpoints verify, expcache entries verify, and temporary files
// (checkpoint writes, expcache entries) are counted.
func scan(t *testing.T, dir string) (corrupt, temps int, problems []string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		name := d.Name()
		switch {
		case strings.HasPrefix(name, ".tmp-"):
			temps++
		case strings.HasSuffix(name, checkpoint.Ext):
			if err := checkpoint.Verify(p); err != nil {
				corrupt++
				problems = append(problems, err.Error())
			}
		case name == "MANIFEST.json":
			raw, err := os.ReadFile(p)
			if err == nil && strings.Contains(string(raw), ".tmp-") {
				corrupt++
				problems = append(problems, p+" lists a temporary file")
			}
		}
		return nil
	})
	cache := expcache.New(filepath.Join(dir, "cache"))
	entries, err := cache.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Problem != "" {
			corrupt++
			problems = append(problems, e.Key+": "+e.Problem)
		}
	}
	return corrupt, temps, problems
}

func TestSoak(t *testing.T) {
	if os.Getenv("SOAK_CHILD") != "" {
		t.Skip("child")
	}
	root, err := os.MkdirTemp("", "mixflow-soak-")
	if err != nil {
		t.Fatal(err)
	}
	if *keepFailed {
		t.Logf("work directory %s", root)
	} else {
		defer os.RemoveAll(root)
	}
	read := func(dir string) summary {
		raw, err := os.ReadFile(filepath.Join(dir, summaryFile))
		if err != nil {
			t.Fatalf("no summary in %s: %v", dir, err)
		}
		var s summary
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	start := time.Now()
	ref := map[string]summary{}
	refSecs := map[string]float64{}
	for _, mode := range []string{"trainer", "cached"} {
		dir := filepath.Join(root, "ref-"+mode)
		os.MkdirAll(dir, 0o755)
		t0 := time.Now()
		child(t, mode, dir, 0)
		refSecs[mode] = time.Since(t0).Seconds()
		ref[mode] = read(dir)
	}
	r := rand.New(rand.NewPCG(*seed, 14))
	count := map[string]int{}
	var runs, resumed, identical, corrupt, tempsAfterKills, tempsLeft int
	var problems []string
	var diffs []string
	for total := 0; total < *kills; runs++ {
		mode := []string{"trainer", "cached"}[runs%2]
		dir := filepath.Join(root, fmt.Sprintf("run-%03d-%s", runs, mode))
		os.MkdirAll(dir, 0o755)
		killed := 0
		for killed < *perRun && total < *kills {
			delay := time.Duration(r.Int64N(int64(*maxDelay-50*time.Millisecond))) + 50*time.Millisecond
			if !child(t, mode, dir, delay) {
				break // finished before the kill
			}
			killed++
			total++
			count[mode]++
			c, tmp, p := scan(t, dir)
			corrupt += c
			tempsAfterKills += tmp
			problems = append(problems, p...)
		}
		if _, err := os.Stat(filepath.Join(dir, summaryFile)); err != nil {
			child(t, mode, dir, 0) // let it finish
		}
		c, tmp, p := scan(t, dir)
		corrupt += c
		tempsLeft += tmp
		problems = append(problems, p...)
		s := read(dir)
		if killed > 0 {
			resumed++
		}
		if s.same(ref[mode]) {
			if killed > 0 {
				identical++
			}
		} else {
			diffs = append(diffs, fmt.Sprintf("%s: step %d weights %.12s history %d entries, reference step %d weights %.12s %d entries",
				dir, s.Step, s.Weights, len(s.Loss), ref[mode].Step, ref[mode].Weights, len(ref[mode].Loss)))
		}
	}
	line := fmt.Sprintf("soak: %d kills (%d trainer, %d cached run) in %d runs of %d steps: %d corrupt files, %d orphaned temporary files (%d seen right after kills, removed on resume), %d/%d killed runs resumed identical to an uninterrupted run (weights and history); %.0f s (uninterrupted run: trainer %.1f s, cached %.1f s)",
		count["trainer"]+count["cached"], count["trainer"], count["cached"], runs, *steps, corrupt, tempsLeft, tempsAfterKills,
		identical, resumed, time.Since(start).Seconds(), refSecs["trainer"], refSecs["cached"])
	fmt.Println(line)
	for _, p := range problems {
		t.Error(p)
	}
	for _, d := range diffs {
		t.Error("not identical: " + d)
	}
	if corrupt > 0 || tempsLeft > 0 || identical != resumed {
		t.Fail()
	}
}
