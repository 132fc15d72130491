package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The CPU-side parts of scripts/gpu-check.sh, tested here (no GPU is needed): its usage, the argument
// paths of "run" (no binary, no GPU, no plugin), the commands of --dry-run (accepted by the bench's own
// flag parser), and the summary of a full "run" against a fake bench binary that writes the bench's real
// JSON (writeJSON) and fakes nvidia-smi: PASS, FAIL when the GPU loss drifts, and the one-line messages for
// a CUDA out-of-memory and a PJRT API version mismatch. "build" is exercised by TestGPUCheckBuild.

// fakeBenchEnv makes the test binary act as the bench binary (see TestMain): it writes one result with the
// loss of GPUCHECK_FAKE_LOSS_<backend kind> to -json, or fails as GPUCHECK_FAKE_FAIL says on the xla side.
const fakeBenchEnv = "GPUCHECK_FAKE_BENCH"

func TestMain(m *testing.M) {
	if os.Getenv(fakeBenchEnv) != "" {
		os.Exit(fakeBench(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeBench parses the bench's flags as the bench does and writes a go-only result like the real one.
func fakeBench(args []string) int {
	o, err := parseFlags(args, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	kind := "go"
	if strings.HasPrefix(o.goBackend, "xla:") {
		kind = "xla"
		if msg := os.Getenv("GPUCHECK_FAKE_FAIL"); msg != "" {
			fmt.Fprintln(os.Stderr, msg)
			return 1
		}
	}
	var loss float64
	if _, err := fmt.Sscan(os.Getenv("GPUCHECK_FAKE_LOSS_"+kind), &loss); err != nil {
		fmt.Fprintln(os.Stderr, "fake bench: no loss for", kind)
		return 1
	}
	r := Result{Workload: o.workloads, Kind: "train", Unit: "steps", PerStep: 1}
	r.Go = Side{Label: "go", Threads: 1, Runs: []Run{{Steps: o.steps, Seconds: 2, CPUSeconds: 2}}}
	r.Go.setLoss(loss)
	if err := writeJSON(o.jsonOut, []Result{r}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// gpuCheckTree copies scripts/gpu-check.sh into a fresh tree (so that a bin/gpu-check of the checkout
// does not matter) and returns the tree and a directory for fake tools put first on PATH.
func gpuCheckTree(t *testing.T, withBench bool) (root, tools string) {
	t.Helper()
	script, err := os.ReadFile("../../../scripts/gpu-check.sh")
	if err != nil {
		t.Fatal(err)
	}
	root, tools = t.TempDir(), t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "scripts", "gpu-check.sh"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	if withBench {
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		writeExec(t, filepath.Join(root, "bin", "gpu-check", "bench"), fmt.Sprintf("#!/bin/sh\n%s=1 exec %q \"$@\"\n", fakeBenchEnv, self))
	}
	return root, tools
}

func writeExec(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
}

// fakeGPU puts an nvidia-smi on tools that lists a GPU (ok) or fails as on a machine without one.
func fakeGPU(t *testing.T, tools string, ok bool) {
	t.Helper()
	if ok {
		writeExec(t, filepath.Join(tools, "nvidia-smi"), "#!/bin/sh\necho 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0)'\n")
	} else {
		writeExec(t, filepath.Join(tools, "nvidia-smi"), "#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2\nexit 9\n")
	}
}

// runGPUCheck runs the copied script with env added and returns its exit status and output.
func runGPUCheck(t *testing.T, root, tools string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join(root, "scripts", "gpu-check.sh")}, args...)...)
	cmd.Env = append(os.Environ(), "PATH="+tools+":"+os.Getenv("PATH"), "OUT="+t.TempDir(), "PJRT_PLUGIN=")
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String()
}

func TestGPUCheckUsageAndMissingPieces(t *testing.T) {
	root, tools := gpuCheckTree(t, false)
	if code, out := runGPUCheck(t, root, tools, nil); code != 2 || !strings.Contains(out, "gpu-check.sh build") {
		t.Errorf("no arguments: exit %d, output %q; want 2 and the usage", code, out)
	}
	if code, out := runGPUCheck(t, root, tools, nil, "--help"); code != 0 || !strings.Contains(out, "gpu-check.sh run") {
		t.Errorf("--help: exit %d, output %q; want 0 and the usage", code, out)
	}
	if code, out := runGPUCheck(t, root, tools, nil, "run"); code != 1 || !strings.Contains(out, "no bin/gpu-check/bench: run 'scripts/gpu-check.sh build'") {
		t.Errorf("run without the binary: exit %d, output %q", code, out)
	}
	root, tools = gpuCheckTree(t, true)
	fakeGPU(t, tools, false)
	if code, out := runGPUCheck(t, root, tools, nil, "run"); code != 1 || !strings.Contains(out, "no GPU (nvidia-smi finds none)") || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("run without a GPU: exit %d, output %q; want 1 and one line", code, out)
	}
	fakeGPU(t, tools, true)
	missing := "PJRT_PLUGIN=" + filepath.Join(t.TempDir(), "xla_cuda_plugin.so")
	if code, out := runGPUCheck(t, root, tools, []string{missing}, "run"); code != 1 || !strings.Contains(out, "no CUDA PJRT plugin: pip install jax-cuda13-pjrt") {
		t.Errorf("run without the plugin: exit %d, output %q", code, out)
	}
}

func TestGPUCheckDryRun(t *testing.T) {
	root, tools := gpuCheckTree(t, true)
	fakeGPU(t, tools, false)
	code, out := runGPUCheck(t, root, tools, []string{"STEPS=7", "STEPS_B2=2"}, "run", "--dry-run")
	if code != 0 {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	var cmds [][]string
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.HasSuffix(f[0], "bin/gpu-check/bench") {
			cmds = append(cmds, f[1:])
		}
	}
	if len(cmds) != 4 || !strings.Contains(out, "dry-run sit-tiny gpu=no plugin=none") || !strings.Contains(out, "dry-run sit-b2") {
		t.Fatalf("dry run printed %d bench commands, want 4 (sit-tiny and sit-b2, GPU and CPU):\n%s", len(cmds), out)
	}
	for i, args := range cmds {
		o, err := parseFlags(args, &bytes.Buffer{})
		if err != nil {
			t.Fatalf("command %d %q: the bench rejects it: %v", i, args, err)
		}
		wantW, wantSteps, wantBackend := "sit-tiny", 7, "xla:"
		if i >= 2 {
			wantW, wantSteps = "sit-b2", 2
		}
		if i%2 == 1 {
			wantBackend = "go"
		}
		if !o.goOnly || o.workloads != wantW || o.steps != wantSteps || o.settings.Seed != 1 || o.runs != 1 || o.warmup != 0 ||
			!strings.HasPrefix(o.goBackend, wantBackend) || o.jsonOut == "" {
			t.Errorf("command %d %q: parsed %+v", i, args, o)
		}
	}
}

func TestGPUCheckRunSummary(t *testing.T) {
	root, tools := gpuCheckTree(t, true)
	fakeGPU(t, tools, true)
	plugin := filepath.Join(t.TempDir(), "xla_cuda_plugin.so")
	writeExec(t, plugin, "")
	base := []string{"PJRT_PLUGIN=" + plugin, "STEPS=3", "STEPS_B2=1"}
	code, out := runGPUCheck(t, root, tools, append(base, "GPUCHECK_FAKE_LOSS_xla=1.02", "GPUCHECK_FAKE_LOSS_go=1.0"), "run")
	if code != 0 || strings.Count(out, " PASS") != 2 || !strings.Contains(out, "gpu-check sit-tiny: gpu_steps_per_s=1.50 cpu_steps_per_s=1.50 gpu_loss=1.02 cpu_loss=1 rtol=0.05 PASS") ||
		!strings.Contains(out, "gpu-check sit-b2: gpu_steps_per_s=0.50") {
		t.Errorf("matching losses: exit %d, output:\n%s", code, out)
	}
	code, out = runGPUCheck(t, root, tools, append(base, "GPUCHECK_FAKE_LOSS_xla=1.2", "GPUCHECK_FAKE_LOSS_go=1.0"), "run")
	if code != 1 || !strings.Contains(out, "gpu_loss=1.2 cpu_loss=1 rtol=0.05 FAIL") {
		t.Errorf("drifting loss: exit %d, output:\n%s", code, out)
	}
	for _, c := range []struct{ fail, want string }{
		{"RESOURCE_EXHAUSTED: Out of memory while trying to allocate 2.1GiB", "sit-tiny: CUDA out of memory: lower the batch or use a smaller preset"},
		{"PJRT_Api version 0.54 does not match", "sit-tiny: the plugin's PJRT API version does not match go-xla"},
		{"segmentation fault", "sit-tiny: GPU run failed, see"},
	} {
		code, out = runGPUCheck(t, root, tools, append(base, "GPUCHECK_FAKE_FAIL="+c.fail, "GPUCHECK_FAKE_LOSS_go=1.0"), "run")
		if code != 1 || !strings.Contains(out, c.want) || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("GPU side failing with %q: exit %d, output %q; want 1 and one line containing %q", c.fail, code, out, c.want)
		}
	}
}

// TestGPUCheckBuild runs "scripts/gpu-check.sh build" (cgo, XLA backend linked) in a copy of the script's
// tree pointing at this module, and checks the binary's size limit and that it runs. Slow (a full link):
// skipped with -short.
func TestGPUCheckBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the cgo build of the bench")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no gcc: the build path needs cgo")
	}
	repo, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", filepath.Join(repo, "scripts", "gpu-check.sh"), "build")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	bin := filepath.Join(repo, "bin", "gpu-check", "bench")
	_, existed := os.Stat(bin)
	if err := cmd.Run(); err != nil {
		t.Fatalf("build: %v\n%s", err, out.String())
	}
	if existed != nil {
		defer os.RemoveAll(filepath.Join(repo, "bin", "gpu-check"))
	}
	if !strings.Contains(out.String(), "gpu-check: built bin/gpu-check/bench (") {
		t.Errorf("build output %q", out.String())
	}
	st, err := os.Stat(bin)
	if err != nil || st.Size() > 64<<20 {
		t.Fatalf("binary: %v, size %d (limit 64 MiB)", err, st.Size())
	}
	help, _ := exec.Command(bin, "-h").CombinedOutput()
	if !strings.Contains(string(help), "-go-backend") {
		t.Errorf("%s -h: %q", bin, help)
	}
}
