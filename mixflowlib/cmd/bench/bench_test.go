package main

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/internal/cli/clitest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/mlp"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/backend"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{2, 2, 9, 1, 2}, 2},
	} {
		in := append([]float64(nil), c.in...)
		if got := Median(in); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.in, got, c.want)
		}
		for i := range in {
			if in[i] != c.in[i] {
				t.Fatalf("Median modified its input: %v, was %v", in, c.in)
			}
		}
	}
	if got := Median(nil); !math.IsNaN(got) {
		t.Errorf("Median(nil) = %v, want NaN", got)
	}
}

func TestSideMedianAndCPU(t *testing.T) {
	s := Side{Runs: []Run{
		{Steps: 10, Seconds: 1, CPUSeconds: 2},   // 10 steps/s, 200 ms/step
		{Steps: 10, Seconds: 0.5, CPUSeconds: 1}, // 20 steps/s, 100 ms/step
		{Steps: 10, Seconds: 2, CPUSeconds: 3},   // 5 steps/s, 300 ms/step
	}}
	if got := s.Median(); got != 10 {
		t.Errorf("Median = %v, want 10", got)
	}
	if got := s.CPUMillisPerStep(); got != 200 {
		t.Errorf("CPUMillisPerStep = %v, want 200", got)
	}
	if got := (Run{Steps: 3}).StepsPerSecond(); got != 0 {
		t.Errorf("StepsPerSecond of an empty run = %v, want 0", got)
	}
}

func TestCheckParams(t *testing.T) {
	if err := CheckParams("mlp", 149250, 149250); err != nil {
		t.Errorf("equal counts: %v", err)
	}
	err := CheckParams("sit-tiny", 1275408, 1275280)
	if err == nil {
		t.Fatal("different counts were accepted")
	}
	for _, want := range []string{"bench:", "sit-tiny", "1275408", "1275280", "-128", "not the same architecture"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// parseLine splits a result line into its keys (in order) and values.
func parseLine(t *testing.T, line string) ([]string, map[string]string) {
	t.Helper()
	var keys []string
	vals := map[string]string{}
	for _, f := range strings.Fields(line) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			t.Fatalf("field %q of %q is not key=value", f, line)
		}
		keys = append(keys, k)
		vals[k] = v
	}
	return keys, vals
}

// runLine runs the command with args, stopping t unless it exits with 0, and returns its output, its
// last "workload=…" line and that line's values.
func runLine(t *testing.T, args ...string) (out, line string, vals map[string]string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, l := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(l, "workload=") {
			line = l
		}
	}
	_, vals = parseLine(t, line)
	return stdout.String(), line, vals
}

func TestLineFormat(t *testing.T) {
	r := Result{
		Workload: "sit-tiny", Batch: 64, ParamsGo: 1275408, ParamsTorch: 1275408,
		Go: Side{Threads: 2, Runs: []Run{{Steps: 8, Seconds: 4, CPUSeconds: 6}, {Steps: 8, Seconds: 2, CPUSeconds: 6}, {Steps: 8, Seconds: 8, CPUSeconds: 7}}},
		Torch: []Side{
			{Threads: 1, Version: "1.13.1", BLAS: "openblas", Runs: []Run{{Steps: 8, Seconds: 4, CPUSeconds: 3}, {Steps: 8, Seconds: 5, CPUSeconds: 3}, {Steps: 8, Seconds: 4, CPUSeconds: 3}}},
			{Threads: 2, Version: "1.13.1", BLAS: "openblas", Runs: []Run{{Steps: 8, Seconds: 16}, {Steps: 8, Seconds: 16}, {Steps: 8, Seconds: 16}}},
		},
		Verified: true, VerifyDiff: 1.5e-6, LoadAvg: [2]float64{3.3, 4},
	}
	line := r.Line()
	keys, vals := parseLine(t, line)
	wantPrefix := []string{"workload", "params_go", "params_torch", "go_steps_per_s", "torch_best_steps_per_s", "torch_threads"}
	for i, k := range wantPrefix {
		if i >= len(keys) || keys[i] != k {
			t.Fatalf("line %q: key %d is %q, want %q", line, i, keys[i], k)
		}
	}
	if keys[len(keys)-1] != "ratio_vs_pytorch" {
		t.Fatalf("line %q does not end in ratio_vs_pytorch", line)
	}
	want := map[string]string{
		"workload": "sit-tiny", "params_go": "1275408", "params_torch": "1275408",
		"go_steps_per_s": "2", "torch_best_steps_per_s": "2", "torch_threads": "1",
		"torch1.13_1t_steps_per_s": "2", "torch1.13_2t_steps_per_s": "0.5", "go_cpu_ms_per_step": "750",
		"torch": "1.13.1", "torches": "1.13.1:openblas", "ratio_vs_torch1.13": "1", "cpu_ratio_vs_torch1.13": "0.5",
		"go_runs": "[2.00,4.00,1.00]", "torch_blas": "openblas", "verify_max_abs_diff": "1.5e-06",
		"load": "3.3-4.0", "ratio_vs_pytorch": "1", "torch_cpu_ms_per_step": "375", "cpu_ratio_vs_pytorch": "0.5",
	}
	for k, v := range want {
		if vals[k] != v {
			t.Errorf("%s = %q, want %q (line %q)", k, vals[k], v, line)
		}
	}

	// The ratio is Go's median over the best PyTorch median, whichever thread count that is.
	r.Torch[1].Runs = []Run{{Steps: 8, Seconds: 1}, {Steps: 8, Seconds: 2}, {Steps: 8, Seconds: 2}}
	_, vals = parseLine(t, r.Line())
	if vals["torch_threads"] != "2" || vals["torch_best_steps_per_s"] != "4" || vals["ratio_vs_pytorch"] != "0.5" {
		t.Errorf("best thread count not picked: %v", vals)
	}
	ratio, err := strconv.ParseFloat(vals["ratio_vs_pytorch"], 64)
	if err != nil || math.Abs(ratio-r.Go.Median()/4) > 1e-12 {
		t.Errorf("ratio %q, want %v", vals["ratio_vs_pytorch"], r.Go.Median()/4)
	}

	// Two versions: a ratio against each at its best thread count; ratio_vs_pytorch against the best of all.
	r.Torch = append(r.Torch,
		Side{Threads: 1, Version: "2.11.0+cu130", BLAS: "mkl", Runs: []Run{{Steps: 8, Seconds: 1, CPUSeconds: 1}}},
		Side{Threads: 2, Version: "2.11.0+cu130", BLAS: "mkl", Runs: []Run{{Steps: 8, Seconds: 8, CPUSeconds: 16}}})
	_, vals = parseLine(t, r.Line())
	for k, v := range map[string]string{
		"torch": "2.11.0+cu130", "torch_blas": "mkl", "torches": "1.13.1:openblas,2.11.0+cu130:mkl",
		"torch_threads": "1", "torch_best_steps_per_s": "8", "torch2.11_1t_steps_per_s": "8", "torch2.11_2t_steps_per_s": "1",
		"ratio_vs_torch1.13": "0.5", "ratio_vs_torch2.11": "0.25", "ratio_vs_pytorch": "0.25",
		"cpu_ratio_vs_torch2.11": "0.1667", "cpu_ratio_vs_pytorch": "0.1667",
	} {
		if vals[k] != v {
			t.Errorf("two versions: %s = %q, want %q (line %q)", k, vals[k], v, r.Line())
		}
	}

	// Go alone: no PyTorch fields, ratio nan.
	r.Torch = nil
	keys, vals = parseLine(t, r.Line())
	if vals["params_torch"] != "na" || vals["torch_best_steps_per_s"] != "na" || vals["ratio_vs_pytorch"] != "nan" ||
		keys[len(keys)-1] != "ratio_vs_pytorch" {
		t.Errorf("Go-only line: %v", vals)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-workloads", "mlp,resnet"}, `unknown workload "resnet"`},
		{[]string{"-workloads", ","}, "names no workload"},
		{[]string{"-runs", "0"}, "-runs 0"},
		{[]string{"-steps", "0"}, "-steps 0"},
		{[]string{"-torch-threads", "1,x"}, `"x" is not a positive integer`},
		{[]string{"-gamma", "1.5"}, "gamma"},
		{[]string{"-gamma", "NaN"}, "gamma"},
		{[]string{"-objective", "ddpm"}, `unknown -objective "ddpm"`},
		{[]string{"-label-dropout", "2"}, "-label-dropout 2"},
		{[]string{"-optimizer", "sgd"}, `unknown optimizer "sgd"`},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-torch-python", " , "}, "names no interpreter"},
	} {
		_, err := parseFlags(c.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "bench: ") {
			t.Errorf("parseFlags(%q) = %v, want an error containing %q", c.args, err, c.want)
		}
	}
	o, err := parseFlags([]string{"-workloads", "sit-tiny, mlp", "-torch-threads", "2,1,2"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	ws, _ := parseWorkloads(o.workloads)
	if len(ws) != 2 || ws[0].Name != "sit-tiny" || ws[1].Name != "mlp" {
		t.Errorf("workloads %v", ws)
	}
	if len(o.torchThreads) != 2 || o.torchThreads[0] != 2 || o.torchThreads[1] != 1 {
		t.Errorf("torch threads %v, want [2 1]", o.torchThreads)
	}
}

func TestCompareOutputs(t *testing.T) {
	a := []float32{1, -2, 30, 0.5}
	if d, err := compareOutputs("w", a, []float32{1, -2, 30.0001, 0.5}); err != nil || d == 0 {
		t.Errorf("float32 rounding rejected: %v, %v", d, err)
	}
	if _, err := compareOutputs("w", a, []float32{1, -2, 30, 0.6}); err == nil || !strings.Contains(err.Error(), "not the same function") {
		t.Errorf("a real difference was accepted: %v", err)
	}
	if _, err := compareOutputs("w", a, []float32{1, -2, 30, float32(math.NaN())}); err == nil || !strings.Contains(err.Error(), "not finite") {
		t.Errorf("NaN was accepted: %v", err)
	}
	if _, err := compareOutputs("w", a, a[:3]); err == nil || !strings.Contains(err.Error(), "3") {
		t.Errorf("length mismatch was accepted: %v", err)
	}
}

func TestImageSource(t *testing.T) {
	src := imageSource{size: 8, channels: 2, classes: 3, seed: 5}
	b1, err := src.Batch(7, 4)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := src.Batch(7, 4)
	b3, _ := src.Batch(8, 4)
	if got := b1.X.Shape().Dimensions; len(got) != 4 || got[0] != 4 || got[1] != 8 || got[2] != 8 || got[3] != 2 {
		t.Fatalf("X shape %v", got)
	}
	x1, x2, x3 := tensors.MustCopyFlatData[float32](b1.X), tensors.MustCopyFlatData[float32](b2.X), tensors.MustCopyFlatData[float32](b3.X)
	same := true
	for i := range x1 {
		if x1[i] != x2[i] {
			t.Fatal("Batch is not a pure function of (seed, step)")
		}
		if x1[i] < -1 || x1[i] > 1 {
			t.Fatalf("value %v outside [-1, 1]", x1[i])
		}
		same = same && x1[i] == x3[i]
	}
	if same {
		t.Error("steps 7 and 8 gave the same batch")
	}
	for _, l := range tensors.MustCopyFlatData[int32](b1.Cond.Labels) {
		if l < 0 || l >= 3 {
			t.Errorf("label %d outside [0, 3)", l)
		}
	}
	if _, err := src.Batch(0, 0); err == nil {
		t.Error("batch size 0 accepted")
	}
}

// TestRunGoOnly runs the whole command on the MLP without PyTorch.
func TestRunGoOnly(t *testing.T) {
	jsonFile := filepath.Join(t.TempDir(), "r.json")
	_, line, vals := runLine(t, "-workloads", "mlp", "-go-only", "-runs", "2", "-steps", "2", "-warmup", "1", "-json", jsonFile)
	if vals["workload"] != "mlp" || vals["params_go"] != strconv.Itoa(mlp.Config{}.NumParams()) || vals["ratio_vs_pytorch"] != "nan" {
		t.Errorf("line %q", line)
	}
	if v, err := strconv.ParseFloat(vals["go_steps_per_s"], 64); err != nil || !(v > 0) {
		t.Errorf("go_steps_per_s %q", vals["go_steps_per_s"])
	}
	b, err := os.ReadFile(jsonFile)
	if err != nil || !strings.Contains(string(b), `"ratio_vs_pytorch": null`) || !strings.Contains(string(b), `"go_steps_per_s"`) {
		t.Errorf("JSON output: %v\n%s", err, b)
	}
}

// torchPython returns Debian's Python if it can import torch, or skips the test.
func torchPython(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch").Run(); err != nil {
		t.Skipf("PyTorch not available (%v): apt-get install python3-torch", err)
	}
	return py
}

func TestMissingTorch(t *testing.T) {
	w := workloads()["mlp"]
	s := Settings{Objective: "mixflow", Gamma: 0.8, Seed: 1}
	_, err := startTorch(filepath.Join(t.TempDir(), "no-such-python"), s.TorchSpec(w, 1), 1)
	if !errors.Is(err, errNoTorch) || !strings.Contains(err.Error(), "apt-get install python3-torch") || !strings.Contains(err.Error(), "-go-only") {
		t.Errorf("missing interpreter: %v", err)
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	// A Python without site packages cannot import torch.
	fake := filepath.Join(t.TempDir(), "python-without-torch")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nexec /usr/bin/python3 -S \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = startTorch(fake, s.TorchSpec(w, 1), 1)
	if !errors.Is(err, errNoTorch) || !strings.Contains(err.Error(), "cannot import torch") || !strings.Contains(err.Error(), "apt-get install python3-torch") {
		t.Errorf("Python without torch: %v", err)
	}
}

// TestTorchMatchesGo checks, for small configurations of both networks, that the PyTorch worker builds
// the same parameter count as the Go backbone and, with the Go weights loaded, the same function; and
// that a changed PyTorch architecture is caught. One worker serves every configuration (Rebuild).
func TestTorchMatchesGo(t *testing.T) {
	py := torchPython(t)
	be := backend.Must()
	small := sit.Config{ImageSize: 8, Channels: 2, PatchSize: 2, Depth: 2, Hidden: 16, Heads: 2, MLPRatio: 1.5,
		NumClasses: 3, TimeFreqDim: 8, TimeScale: 1000}.WithDefaults()
	uncond := small
	uncond.NumClasses, uncond.Depth = 0, 1
	mcfg := mlp.Config{Width: 24, Depth: 2, TimeDim: 8}.WithDefaults()
	s := Settings{Objective: "mixflow", Gamma: 0.8, LabelDropout: 0.1, Seed: 3}
	s.Train.Optimizer, s.Train.LR, s.Train.Beta1, s.Train.Beta2, s.Train.Eps = "adamw", 1e-3, 0.9, 0.999, 1e-8
	ws := []Workload{
		{Name: "small-sit", Batch: 4, sitCfg: &small},
		{Name: "small-dit", Batch: 4, sitCfg: &uncond},
		{Name: "small-mlp", Batch: 16, MoonsNoise: 0.05, mlpCfg: &mcfg},
	}
	wk, err := startTorch(py, s.TorchSpec(ws[0], 1), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer wk.Close()
	for i, w := range ws {
		if i > 0 {
			if _, err := wk.Rebuild(s.TorchSpec(w, 1)); err != nil {
				t.Fatal(err)
			}
		}
		_, want, err := w.Network()
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckParams(w.Name, want, wk.ready.Params); err != nil {
			t.Fatal(err)
		}
		d, err := verifyAgainstTorch(be, w, wk, 11)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d parameters, max |Go − PyTorch| = %.2g", w.Name, want, d)
		run, loss, err := wk.Steps(2)
		if err != nil || run.Steps != 2 || !(run.Seconds > 0) || math.IsNaN(loss) {
			t.Errorf("%s: PyTorch steps: %+v, loss %v, %v", w.Name, run, loss, err)
		}
	}

	// A PyTorch model with another head split has the same parameter count but computes another
	// function: verification must fail.
	w := Workload{Name: "wrong-heads", Batch: 4, sitCfg: &small}
	spec := s.TorchSpec(w, 1)
	spec["model"].(map[string]any)["heads"] = 4
	if _, err := wk.Rebuild(spec); err != nil {
		t.Fatal(err)
	}
	if n, _ := small.NumParams(); wk.ready.Params != n {
		t.Fatalf("the head count changed the parameter count: %d, want %d", wk.ready.Params, n)
	}
	if _, err := verifyAgainstTorch(be, w, wk, 11); err == nil || !strings.Contains(err.Error(), "not the same function") {
		t.Errorf("a different head count was not caught: %v", err)
	}
}

// TestRunWithTorch runs the whole command, PyTorch included, on the MLP with a few steps.
func TestRunWithTorch(t *testing.T) {
	py := torchPython(t)
	_, line, vals := runLine(t, "-workloads", "mlp", "-torch-python", py, "-torch-threads", "1", "-runs", "1", "-steps", "2", "-warmup", "0")
	if vals["params_go"] != vals["params_torch"] || vals["torch1.13_1t_steps_per_s"] == "" || vals["torch_threads"] != "1" {
		t.Errorf("line %q", line)
	}
	if v, err := strconv.ParseFloat(vals["ratio_vs_pytorch"], 64); err != nil || !(v > 0) {
		t.Errorf("ratio_vs_pytorch %q", vals["ratio_vs_pytorch"])
	}
	if _, err := strconv.ParseFloat(vals["verify_max_abs_diff"], 64); err != nil {
		t.Errorf("verify_max_abs_diff %q", vals["verify_max_abs_diff"])
	}
}

// TestRunTwoTorches runs Debian's PyTorch and the pinned PyTorch 2.x of scripts/bench-torch2.sh (when its
// virtualenv exists) in one run: one ratio against each version.
func TestRunTwoTorches(t *testing.T) {
	py := torchPython(t)
	home, _ := os.UserHomeDir()
	py2 := filepath.Join(home, ".cache", "mixflow", "torch2-2.11.0", "bin", "python")
	if err := exec.Command(py2, "-c", "import torch").Run(); err != nil {
		t.Skipf("no PyTorch 2.x virtualenv at %s (scripts/bench-torch2.sh --install-only makes it): %v", py2, err)
	}
	out, line, vals := runLine(t, "-workloads", "mlp", "-torch-python", py+","+py2, "-torch-threads", "1", "-runs", "1", "-steps", "2", "-warmup", "0")
	for _, k := range []string{"ratio_vs_torch1.13", "ratio_vs_torch2.11", "cpu_ratio_vs_torch2.11", "torch1.13_1t_steps_per_s", "torch2.11_1t_steps_per_s"} {
		if v, err := strconv.ParseFloat(vals[k], 64); err != nil || !(v > 0) {
			t.Errorf("%s = %q in line %q", k, vals[k], line)
		}
	}
	if !strings.Contains(vals["torches"], "1.13") || !strings.Contains(vals["torches"], "2.11") {
		t.Errorf("torches = %q", vals["torches"])
	}
	// PyPI's wheels link MKL statically: the BLAS must be named from torch's build config, not from the
	// libraries mapped (numpy's OpenBLAS is mapped too).
	if cfg, err := exec.Command(py2, "-c", "import torch; print(torch.__config__.show())").Output(); err == nil &&
		strings.Contains(string(cfg), "BLAS_INFO=mkl") && !strings.Contains(vals["torches"], "2.11.0+cu130:mkl") && !strings.Contains(vals["torches"], "2.11.0:mkl") {
		t.Errorf("PyTorch 2.x is built with MKL, but torches = %q", vals["torches"])
	}
	if n := strings.Count(out, "same weights"); n != 2 {
		t.Errorf("%d verification lines, want one per PyTorch version:\n%s", n, out)
	}
}

func TestShortVersion(t *testing.T) {
	for in, want := range map[string]string{"2.11.0+cu130": "2.11", "1.13.1": "1.13", "2.5": "2.5", "2.6a0": "2.6", "": "unknown", "x": "unknown"} {
		if got := shortVersion(in); got != want {
			t.Errorf("shortVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSIMDFlags(t *testing.T) {
	cases := []struct{ in, want string }{
		{"processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma avx512f avx512_vnni avx512_bf16\n\nprocessor\t: 1\nflags\t\t: fpu\n", "avx2,fma,avx512f,avx512_bf16,avx512_vnni"},
		{"flags\t: fpu sse2 avx avx2 fma\n", "avx2,fma"},
		{"flags\t: fpu sse2\n", "none"},
		{"processor\t: 0\nvendor_id\t: AuthenticAMD\n", "unknown"},
		{"", "unknown"},
	}
	for _, c := range cases {
		if got := simdFlags(c.in); got != c.want {
			t.Errorf("simdFlags(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestSampleAndFeatureWorkloads runs small sampling and feature-extraction workloads end to end: with
// PyTorch when it is available (parameter counts and forward passes checked), else the Go side alone.
func TestSampleAndFeatureWorkloads(t *testing.T) {
	small := sit.Config{ImageSize: 8, Channels: 1, PatchSize: 2, Depth: 1, Hidden: 16, Heads: 2, NumClasses: 3}.WithDefaults()
	ws := []Workload{
		{Name: "small-sampling", Kind: KindSample, SampleSteps: 3, Batch: 4, Steps: 1, sitCfg: &small},
		{Name: "small-features", Kind: KindFeatures, FeatureImageSize: 32, Batch: 8, Steps: 1},
	}
	o, err := parseFlags([]string{"-runs", "1", "-warmup", "0", "-torch-threads", "1"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import torch").Run(); err != nil {
		o.goOnly = true
		t.Logf("PyTorch not available (%v): Go side only", err)
	}
	be := backend.Must()
	for _, w := range ws {
		var out bytes.Buffer
		r, err := benchWorkload(o, be, w, &out, &bytes.Buffer{}, false)
		if err != nil {
			t.Fatalf("%s: %v", w.Name, err)
		}
		_, vals := parseLine(t, r.Line())
		unit := map[string]string{KindSample: "samples", KindFeatures: "images"}[w.Kind]
		if r.Unit != unit || r.PerStep != w.Batch || vals["go_"+unit+"_per_s"] == "" {
			t.Errorf("%s: unit %q per step %d, line %q", w.Name, r.Unit, r.PerStep, r.Line())
		}
		if sps, _ := strconv.ParseFloat(vals["go_steps_per_s"], 64); !(sps > 0) {
			t.Errorf("%s: go_steps_per_s %q", w.Name, vals["go_steps_per_s"])
		}
		if !o.goOnly && (!r.Verified || r.ParamsGo != r.ParamsTorch || !(r.Ratio() > 0)) {
			t.Errorf("%s: verified %v, params %d vs %d, ratio %v", w.Name, r.Verified, r.ParamsGo, r.ParamsTorch, r.Ratio())
		}
	}
}

// TestHelpAndFlagErrors: -h starts with the one-line description; flag errors come back once, unprinted.
func TestHelpAndFlagErrors(t *testing.T) {
	parse := func(args []string, _, stderr io.Writer) error { _, err := parseFlags(args, stderr); return err }
	clitest.Check(t, parse, "bench", summary, map[string][]string{
		"bench: flag provided but not defined: -nope (run 'bench -h' for the flags)":          {"-nope"},
		`bench: invalid value "x" for flag -runs: parse error (run 'bench -h' for the flags)`: {"-runs", "x"},
	})
	o, err := parseFlags([]string{"-quick", "-runs", "2"}, io.Discard)
	if err != nil || o.runs != 2 || o.steps != 3 || o.warmup != 1 || len(o.torchThreads) != 1 {
		t.Errorf("-quick -runs 2: %+v, %v", o, err)
	}
}
