// Command bench times one training step of MixFlow's networks on the project's CPU backend and, in the
// same run, of the same networks in PyTorch (Debian's python3-torch, used only here, as the baseline),
// and prints one line per workload ending in ratio_vs_pytorch=<Go steps/s ÷ PyTorch steps/s at its best
// thread count>:
//
//	export GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd
//	go run ./mixflowlib/cmd/bench                        # workloads mlp, sit-tiny, sampling, features
//	go run ./mixflowlib/cmd/bench -workloads dit-notes -runs 7 -json bench.json
//	go run ./mixflowlib/cmd/bench -go-only -cpuprofile go.pprof
//
// Workloads (-workloads, comma-separated):
//
//   - mlp: mixflowlib/backbone/mlp with its defaults (3 hidden layers of 256, SiLU, 64-d sinusoidal time
//     embedding; 149,250 parameters), two moons, batch 1024.
//   - sit-tiny: mixflowlib/backbone/sit preset "tiny" (4 adaLN-Zero blocks, width 128, 4 heads, patch 4,
//     32×32×1, 10 classes + null class; 1,275,408 parameters), batch 64, label dropout 0.1.
//   - dit-notes: the DiT shape of the GoMLX benchmark notes (1 block, width 128, 4 heads, patch 4,
//     32×32×4, unconditional; 395,840 parameters), batch 64.
//   - sit-b2: SiT preset SiT-B/2 (12 blocks, width 768, 12 heads, patch 2, 32×32×4 latents, 1000
//     classes), batch 8: the size the GPU check trains; minutes per step on a CPU.
//   - sampling: mixflowlib/sampler, Euler, 20 steps, batch 256, SiT preset tiny with class labels, no
//     guidance; a step is one sampling run of the batch (rates also in samples/s).
//   - features: mixflowlib/evaluator's Embed of a batch of 256 32×32 images (checks, clip, centre crop,
//     the feature network); rates also in images/s.
//
// The Go step is mixflowlib/trainer's compiled step (objective loss, gradients, global gradient norm,
// optional clipping, Adam/AdamW, optional EMA, the non-finite guard) with the MixFlow objective
// (γ = 0.8, t ~ Beta(2,1); -objective flow-matching for plain flow matching), on the backend that
// mixflowlib/backend picks (the pure-Go backend on a CPU machine). The PyTorch worker (torch_baseline.py,
// embedded) re-implements each network layer by layer and the same step (host batch, draws, loss,
// backward, gradient norm, optimiser, loss.item()).
//
// Fairness checks: the trainable-parameter counts of both sides are printed and must be equal, and the
// forward pass of both sides, with the Go model's random weights loaded into PyTorch, must agree to
// float32 rounding; otherwise the run fails with exit status 1.
//
// Protocol: a first step (Go: graph build and compilation) and -warmup steps are excluded; then -runs
// timed runs of -steps steps each, interleaved Go / PyTorch 1 thread / PyTorch 2 threads (rotating the
// order) so that a change of machine load hits every side alike; the median steps/s of each side is
// reported. PyTorch runs at every -torch-threads count with OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and
// MKL_NUM_THREADS set to the same count, and the best median is the baseline.
//
// Several PyTorch versions are measured in the same run when -torch-python lists several interpreters
// (scripts/bench-torch2.sh passes Debian's 1.13 and a pinned 2.x): each line then has
// ratio_vs_torch<major.minor> and cpu_ratio_vs_torch<major.minor> per version, and ratio_vs_pytorch against
// the best configuration of any version.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/internal/cli"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// summary is the first line of -h.
const summary = "time one training step of the Go library against PyTorch on the same workloads (steps/s ratios)"

func main() {
	// An interrupted bench stops its PyTorch workers and removes its temporary script.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		killWorkers()
		removeScript()
		fmt.Fprintf(os.Stderr, "bench: stopped by %v\n", s)
		os.Exit(130)
	}()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command-line settings.
type options struct {
	workloads    string
	warmup       int
	runs         int
	steps        int
	torchPython  []string
	torchThreads []int
	goOnly       bool
	noVerify     bool
	jsonOut      string
	cpuProfile   string
	goMaxProcs   int
	goBackend    string
	settings     Settings
}

// parseFlags parses args into options; errors name the flag and the problem.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := cli.NewFlagSet("bench", summary, stderr)
	fs.StringVar(&o.workloads, "workloads", "mlp,sit-tiny,sampling,features", "comma-separated workloads: "+strings.Join(workloadNames(), ", "))
	fs.IntVar(&o.warmup, "warmup", -1, "warm-up steps after the first step, excluded from timing (-1: the workload's default)")
	fs.IntVar(&o.runs, "runs", 5, "timed runs per side; the median steps/s is reported")
	fs.IntVar(&o.steps, "steps", -1, "training steps per timed run (-1: the workload's default)")
	pythons := fs.String("torch-python", "/usr/bin/python3", "comma-separated Python interpreters with PyTorch, each a baseline in the same run (Debian's python3-torch; scripts/bench-torch2.sh adds a pinned PyTorch 2.x)")
	threads := fs.String("torch-threads", "1,2", "PyTorch thread counts to measure; the best is the baseline")
	fs.BoolVar(&o.goOnly, "go-only", false, "time the Go side alone (no PyTorch)")
	fs.BoolVar(&o.noVerify, "no-verify", false, "skip the forward-pass comparison of the Go and PyTorch models")
	fs.StringVar(&o.jsonOut, "json", "", "also write every result, with all run values, to this JSON file")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the Go side's timed runs to this file (.<workload> appended for several workloads)")
	fs.IntVar(&o.goMaxProcs, "gomaxprocs", 0, "GOMAXPROCS for the Go side (0: leave the runtime's default)")
	fs.StringVar(&o.goBackend, "go-backend", "", "backend configuration for the Go side, e.g. go:ops_sequential (sets "+backend.EnvVar+"; empty: as set in the environment)")
	objName := fs.String("objective", "mixflow", "training objective: mixflow or flow-matching")
	gamma := fs.Float64("gamma", 0.8, "MixFlow's slowing range γ ∈ [0, 1]")
	drop := fs.Float64("label-dropout", 0.1, "label dropout of class-conditional workloads")
	opt := fs.String("optimizer", string(trainer.AdamW), "adamw or adam")
	lr := fs.Float64("lr", 1e-4, "learning rate")
	wd := fs.Float64("weight-decay", 0, "weight decay")
	clip := fs.Float64("clip", 0, "global gradient-norm clipping (0: off)")
	ema := fs.Float64("ema", 0, "EMA decay of the weights (0: off)")
	seed := fs.Int64("seed", 1, "seed of the Go trainer, the data and PyTorch")
	var quick bool
	cli.Quick(fs, &quick, "1 timed run of 3 steps after 1 warm-up step, PyTorch on 1 thread")
	if err := cli.Parse(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, fmt.Errorf("bench: %w", err)
	}
	if quick {
		if err := cli.SetUnset(fs, map[string]string{"runs": "1", "steps": "3", "warmup": "1", "torch-threads": "1"}); err != nil {
			return o, err
		}
	}
	var err error
	if o.torchThreads, err = parseThreads(*threads); err != nil {
		return o, err
	}
	if o.torchPython, err = parsePythons(*pythons); err != nil {
		return o, err
	}
	switch {
	case o.runs < 1:
		return o, fmt.Errorf("bench: -runs %d must be >= 1", o.runs)
	case o.steps == 0 || o.steps < -1:
		return o, fmt.Errorf("bench: -steps %d must be >= 1 (or -1 for the workload's default)", o.steps)
	case o.warmup < -1:
		return o, fmt.Errorf("bench: -warmup %d must be >= 0 (or -1 for the workload's default)", o.warmup)
	case o.goMaxProcs < 0:
		return o, fmt.Errorf("bench: -gomaxprocs %d must be >= 0", o.goMaxProcs)
	}
	cfg := trainer.DefaultConfig()
	cfg.Optimizer, cfg.LR, cfg.WeightDecay = trainer.OptimizerKind(*opt), *lr, *wd
	cfg.ClipGradNorm, cfg.EMADecay = *clip, *ema
	if err := cfg.Validate(); err != nil {
		return o, fmt.Errorf("bench: %w", err)
	}
	o.settings = Settings{Objective: *objName, Gamma: *gamma, LabelDropout: *drop, Train: cfg, Seed: *seed}
	if !(*drop >= 0 && *drop <= 1) {
		return o, fmt.Errorf("bench: -label-dropout %v outside [0, 1]", *drop)
	}
	for _, w := range workloads() { // validates objective, γ
		if _, err := o.settings.GoObjective(w); err != nil {
			return o, fmt.Errorf("bench: -objective %s, -gamma %v: %w", *objName, *gamma, err)
		}
	}
	if _, err := parseWorkloads(o.workloads); err != nil {
		return o, err
	}
	return o, nil
}

// parseThreads parses "1,2" into distinct positive thread counts.
func parseThreads(s string) ([]int, error) {
	return parseList(s, func(f string) (int, int, error) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return 0, 0, fmt.Errorf("bench: -torch-threads %q: %q is not a positive integer", s, f)
		}
		return n, n, nil
	}, fmt.Errorf("bench: -torch-threads %q names no thread count", s))
}

// parsePythons parses "/usr/bin/python3,/venv/bin/python" into distinct interpreter paths.
func parsePythons(s string) ([]string, error) {
	return parseList(s, func(f string) (string, string, error) { return f, f, nil },
		fmt.Errorf("bench: -torch-python %q names no interpreter", s))
}

// parseList parses the comma-separated list s: each non-empty field (spaces trimmed), in order, through
// parse, which returns the value and the key that makes two values the same (only the first is kept).
// A list with no field gives the error empty.
func parseList[T any, K comparable](s string, parse func(string) (T, K, error), empty error) ([]T, error) {
	var out []T
	seen := map[K]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, k, err := parse(f)
		if err != nil {
			return nil, err
		}
		if !seen[k] {
			out = append(out, v)
			seen[k] = true
		}
	}
	if len(out) == 0 {
		return nil, empty
	}
	return out, nil
}

// run is the command; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	defer removeScript()
	results, err := bench(o, stdout, stderr)
	if o.jsonOut != "" && len(results) > 0 {
		if jerr := writeJSON(o.jsonOut, results); jerr != nil {
			err = errors.Join(err, jerr)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// bench runs every workload and prints its line; it stops at the first error.
func bench(o options, stdout, stderr io.Writer) ([]Result, error) {
	ws, err := parseWorkloads(o.workloads)
	if err != nil {
		return nil, err
	}
	if o.goBackend != "" {
		if err := os.Setenv(backend.EnvVar, o.goBackend); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}
	if o.goMaxProcs > 0 {
		runtime.GOMAXPROCS(o.goMaxProcs)
	}
	be, err := backend.New()
	if err != nil {
		return nil, err
	}
	printHeader(stdout, o, be)
	var results []Result
	for _, w := range ws {
		r, err := benchWorkload(o, be, w, stdout, stderr, len(ws) > 1)
		if err != nil {
			return results, err
		}
		results = append(results, r)
		fmt.Fprintln(stdout, r.Line())
	}
	return results, nil
}

// printHeader prints the context of the measurement as comment lines.
func printHeader(w io.Writer, o options, be compute.Backend) {
	simd := "GOEXPERIMENT=" + buildSetting("GOEXPERIMENT")
	if !strings.Contains(simd, "simd") {
		simd += " (WARNING: built without GOEXPERIMENT=simd; the pure-Go backend is about 10x slower)"
	}
	host, _ := os.Hostname()
	fmt.Fprintf(w, "# bench %s: %s %s GOMAXPROCS=%d NumCPU=%d cpu=%q cpu_flags=%s host=%s load=%s\n",
		time.Now().Format(time.RFC3339), runtime.Version(), simd, runtime.GOMAXPROCS(0), runtime.NumCPU(),
		cpuModel(), cpuSIMDFlags(), host, loadString())
	fmt.Fprintf(w, "# go backend: %s — %s\n", be.Description(), backend.Current().Reason)
	s := o.settings
	t := s.Train
	fmt.Fprintf(w, "# step: mixflowlib/trainer, objective %s (gamma %g, label dropout %g on conditional workloads), %s lr %g wd %g clip %g ema %g\n",
		s.Objective, s.Gamma, s.LabelDropout, t.Optimizer, t.LR, t.WeightDecay, t.ClipGradNorm, t.EMADecay)
	if o.goOnly {
		fmt.Fprintf(w, "# pytorch: not run (-go-only)\n")
	} else {
		fmt.Fprintf(w, "# pytorch: %s, threads %v each (OPENBLAS/OMP/MKL_NUM_THREADS matched); runs interleaved with Go\n",
			strings.Join(o.torchPython, " and "), o.torchThreads)
	}
}

// benchWorkload measures one workload.
func benchWorkload(o options, be compute.Backend, w Workload, stdout, stderr io.Writer, several bool) (Result, error) {
	r := Result{Workload: w.Name, Kind: w.kind(), Unit: w.Unit(), PerStep: w.PerStep(), Description: w.Description, Batch: w.Batch, VerifyDiff: -1}
	r.LoadAvg[0] = loadAvg()
	r.CPUFlags = cpuSIMDFlags()
	warmup, steps := w.Warmup, w.Steps
	if o.warmup >= 0 {
		warmup = o.warmup
	}
	if o.steps > 0 {
		steps = o.steps
	}
	fmt.Fprintf(stdout, "# workload %s: %s, batch %d; first step + %d warm-up steps excluded, %d runs × %d steps\n",
		w.Name, w.Description, w.Batch, warmup, o.runs, steps)

	// Go side: the project's trainer, sampler or evaluator.
	start := time.Now()
	g, err := newGoStepper(o, be, w)
	if err != nil {
		return r, err
	}
	defer g.close()
	r.ParamsGo, r.Objective = g.params, g.objective
	r.Go = Side{Label: "go", Threads: runtime.GOMAXPROCS(0), FirstStepSeconds: time.Since(start).Seconds()}
	goSteps := func(n int) (Run, error) {
		t0, c0 := time.Now(), cpuSeconds()
		for range n {
			loss, err := g.step()
			if err != nil {
				return Run{}, err
			}
			r.Go.setLoss(loss)
		}
		return Run{Steps: n, Seconds: time.Since(t0).Seconds(), CPUSeconds: cpuSeconds() - c0}, nil
	}

	// PyTorch side: one worker per thread count.
	var workers []*torchWorker
	defer func() {
		for _, wk := range workers {
			wk.Close()
		}
	}()
	if !o.goOnly {
		for _, py := range o.torchPython {
			first := len(workers) // this interpreter's first worker: the one that verifies
			for _, n := range o.torchThreads {
				t0 := time.Now()
				wk, err := startTorch(py, o.settings.TorchSpec(w, n), n)
				if err != nil {
					return r, err
				}
				workers = append(workers, wk)
				if err := CheckParams(w.Name, r.ParamsGo, wk.ready.Params); err != nil {
					return r, err
				}
				r.ParamsTorch = wk.ready.Params
				if wk.ready.BLAS == "reference" && len(workers) == first+1 {
					fmt.Fprintf(stderr, "bench: WARNING: PyTorch %s (%s) is using the reference BLAS (Debian's libblas3), many times slower than OpenBLAS: "+
						"the ratio would flatter Go; apt-get install libopenblas0 for a fair baseline\n", wk.ready.Torch, py)
				}
				firstStep, _, err := wk.Steps(1)
				if err != nil {
					return r, err
				}
				r.Torch = append(r.Torch, Side{Label: fmt.Sprintf("torch%s-%dt", shortVersion(wk.ready.Torch), n), Threads: wk.ready.Threads,
					FirstStepSeconds: firstStep.Seconds, Version: wk.ready.Torch, BLAS: wk.ready.BLAS, Python: py})
				fmt.Fprintf(stderr, "bench: %s: PyTorch %s worker with %d threads ready in %.1fs\n", w.Name, wk.ready.Torch, wk.ready.Threads, time.Since(t0).Seconds())
			}
			if !o.noVerify {
				d, err := verifyAgainstTorch(be, w, workers[first], uint64(o.settings.Seed))
				if err != nil {
					return r, err
				}
				if !r.Verified || d > r.VerifyDiff {
					r.VerifyDiff = d
				}
				r.Verified = true
				fmt.Fprintf(stdout, "# workload %s: params_go=%d params_torch=%d (PyTorch %s); same weights → outputs agree to %.2g (max |Go − PyTorch|)\n",
					w.Name, r.ParamsGo, r.ParamsTorch, workers[first].ready.Torch, d)
			}
		}
	}

	// Warm-up, then the timed runs, interleaved.
	if warmup > 0 {
		if _, err := goSteps(warmup); err != nil {
			return r, err
		}
		for _, wk := range workers {
			if _, _, err := wk.Steps(warmup); err != nil {
				return r, err
			}
		}
	}
	if o.cpuProfile != "" {
		file := o.cpuProfile
		if several {
			file += "." + w.Name
		}
		f, err := os.Create(file)
		if err != nil {
			return r, fmt.Errorf("bench: -cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return r, fmt.Errorf("bench: -cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	sides := 1 + len(workers)
	for run := range o.runs {
		for k := range sides {
			side := (run + k) % sides // rotate which side goes first
			if side == 0 {
				res, err := goSteps(steps)
				if err != nil {
					return r, err
				}
				r.Go.Runs = append(r.Go.Runs, res)
				continue
			}
			res, loss, err := workers[side-1].Steps(steps)
			if err != nil {
				return r, err
			}
			r.Torch[side-1].Runs = append(r.Torch[side-1].Runs, res)
			r.Torch[side-1].setLoss(loss)
		}
		fmt.Fprintf(stderr, "bench: %s: run %d/%d done\n", w.Name, run+1, o.runs)
	}
	r.LoadAvg[1] = loadAvg()
	return r, nil
}

// trainableParams counts the trainable scalar parameters under the scope path prefix.
func trainableParams(store *model.Store, scope string) int {
	n := 0
	for v := range store.IterVariables() {
		if v.Trainable && strings.HasPrefix(v.Path(), scope+"/") {
			n += v.Shape().Size()
		}
	}
	return n
}

// writeJSON writes the results with every run value.
func writeJSON(file string, results []Result) error {
	type out struct {
		Result
		GoStepsPerS   float64  `json:"go_steps_per_s"`
		TorchBestPerS float64  `json:"torch_best_steps_per_s,omitempty"`
		TorchThreads  int      `json:"torch_threads,omitempty"`
		CPURatioVsPT  *float64 `json:"cpu_ratio_vs_pytorch,omitempty"`
		// By PyTorch version (torch.__version__), at that version's best thread count.
		RatioByTorch    map[string]float64 `json:"ratio_vs_torch_version,omitempty"`
		CPURatioByTorch map[string]float64 `json:"cpu_ratio_vs_torch_version,omitempty"`
		RatioVsPyTorch  *float64           `json:"ratio_vs_pytorch"`
		Line            string             `json:"line"`
	}
	var all []out
	for _, r := range results {
		e := out{Result: r, GoStepsPerS: r.Go.Median(), Line: r.Line()}
		if best, ok := r.BestTorch(); ok {
			e.TorchBestPerS, e.TorchThreads = best.Median(), best.Threads
			ratio, cpu := r.Ratio(), r.CPURatio()
			e.RatioVsPyTorch, e.CPURatioVsPT = &ratio, &cpu
			e.RatioByTorch, e.CPURatioByTorch = map[string]float64{}, map[string]float64{}
			for _, v := range r.TorchVersions() {
				e.RatioByTorch[v], e.CPURatioByTorch[v] = wallRatio(r.Go, r.sidesOf(v)), cpuRatio(r.Go, r.sidesOf(v))
			}
		}
		all = append(all, e)
	}
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: -json: %w", err)
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: -json: %w", err)
	}
	return nil
}

// buildSetting returns a build setting of this binary (e.g. GOEXPERIMENT), or "unset".
func buildSetting(key string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == key {
				return s.Value
			}
		}
	}
	return "unset"
}

// simdFlagNames are the /proc/cpuinfo flags reported with every figure: the kernels of GoMLX's pure-Go
// backend and of OpenBLAS/MKL pick their AVX2 or AVX-512 paths from them.
var simdFlagNames = []string{"avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni"}

// cpuSIMDFlags returns the SIMD flags of this machine's CPU (Linux), or "unknown".
func cpuSIMDFlags() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	return simdFlags(string(b))
}

// simdFlags returns, comma-separated in simdFlagNames order, which of those flags the first "flags" line of
// a /proc/cpuinfo text lists: "none" if it lists none of them, "unknown" if there is no flags line.
func simdFlags(cpuinfo string) string {
	for line := range strings.Lines(cpuinfo) {
		name, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(name) != "flags" {
			continue
		}
		have := map[string]bool{}
		for _, f := range strings.Fields(value) {
			have[f] = true
		}
		var out []string
		for _, f := range simdFlagNames {
			if have[f] {
				out = append(out, f)
			}
		}
		if len(out) == 0 {
			return "none"
		}
		return strings.Join(out, ",")
	}
	return "unknown"
}

// loadAvg returns the 1-minute load average (Linux), or -1 where it is unknown.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// loadString returns the three load averages, e.g. "9.02,10.25,8.49", or "unknown".
func loadString() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ",")
}

// cpuModel returns the CPU model name (Linux), or the architecture.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}
