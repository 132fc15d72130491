package main

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Run is one timed run of a side: Steps training steps in Seconds of wall time and CPUSeconds of
// process CPU time.
type Run struct {
	Steps      int     `json:"steps"`
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
}

// StepsPerSecond returns Steps/Seconds (0 for an empty run).
func (r Run) StepsPerSecond() float64 {
	if r.Seconds <= 0 {
		return 0
	}
	return float64(r.Steps) / r.Seconds
}

// Side is the timing of one implementation (Go, or PyTorch at one thread count).
type Side struct {
	// Label names the side: "go" or "torch<major.minor>-<k>t", e.g. "torch2.11-1t".
	Label string `json:"label"`
	// Version, BLAS and Python describe a PyTorch side: torch.__version__, the BLAS library it loaded
	// (openblas, mkl, reference or unknown) and the interpreter that ran it. Empty for Go.
	Version string `json:"torch_version,omitempty"`
	BLAS    string `json:"torch_blas,omitempty"`
	Python  string `json:"python,omitempty"`
	// Threads is GOMAXPROCS for Go and torch.get_num_threads() (= OPENBLAS_NUM_THREADS) for PyTorch.
	Threads int `json:"threads"`
	// FirstStepSeconds is the wall time of the first step (graph building and compilation for Go).
	FirstStepSeconds float64 `json:"first_step_s"`
	// Runs are the timed runs, in the order they ran.
	Runs []Run `json:"runs"`
	// LastLoss is the loss of the last timed step (a sanity check that training runs); nil if it was
	// not finite.
	LastLoss *float64 `json:"last_loss,omitempty"`
}

// setLoss records the last loss, dropping a non-finite one (JSON cannot hold it).
func (s *Side) setLoss(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		s.LastLoss = nil
		return
	}
	s.LastLoss = &v
}

// Median returns the median steps/s over the runs.
func (s Side) Median() float64 {
	v := make([]float64, len(s.Runs))
	for i, r := range s.Runs {
		v[i] = r.StepsPerSecond()
	}
	return Median(v)
}

// CPUMillisPerStep returns the median CPU milliseconds per step over the runs: less sensitive than wall
// time to other processes on a shared machine (but blind to a side's own parallelism).
func (s Side) CPUMillisPerStep() float64 {
	v := make([]float64, 0, len(s.Runs))
	for _, r := range s.Runs {
		if r.Steps > 0 {
			v = append(v, 1000*r.CPUSeconds/float64(r.Steps))
		}
	}
	return Median(v)
}

// Median returns the median of v (the mean of the two middle values for an even count), or NaN for an
// empty slice. v is not modified.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Result is the outcome of one workload.
type Result struct {
	Workload string `json:"workload"`
	// Kind is what a step is: train, sample (a sampling run of the batch) or features (the evaluator's
	// feature extraction of the batch).
	Kind string `json:"kind"`
	// Unit is what the throughput counts (steps, samples, images) and PerStep how many of them one step
	// gives (1 for training, the batch otherwise).
	Unit        string `json:"unit"`
	PerStep     int    `json:"per_step"`
	Description string `json:"description"`
	Objective   string `json:"objective"`
	Batch       int    `json:"batch"`
	ParamsGo    int    `json:"params_go"`
	ParamsTorch int    `json:"params_torch,omitempty"`
	Go          Side   `json:"go"`
	Torch       []Side `json:"torch,omitempty"`
	// CPUFlags lists the SIMD flags of the CPU that matter to both sides' kernels (see simdFlags).
	CPUFlags   string  `json:"cpu_flags"`
	VerifyDiff float64 `json:"verify_max_abs_diff"`
	Verified   bool    `json:"verified"`
	// LoadAvg is the 1-minute load average when the workload started and ended.
	LoadAvg [2]float64 `json:"load_avg"`
}

// BestTorch returns the PyTorch side with the highest median steps/s (any version, any thread count), or
// false if there is none.
func (r Result) BestTorch() (Side, bool) { return bestOf(r.Torch) }

// bestOf returns the side with the highest median steps/s, or false for none.
func bestOf(sides []Side) (Side, bool) {
	best, ok := Side{}, false
	for _, s := range sides {
		if !ok || s.Median() > best.Median() {
			best, ok = s, true
		}
	}
	return best, ok
}

// TorchVersions returns the PyTorch versions measured, in the order they ran.
func (r Result) TorchVersions() []string {
	var out []string
	for _, s := range r.Torch {
		if !slices.Contains(out, s.Version) {
			out = append(out, s.Version)
		}
	}
	return out
}

// sidesOf returns the PyTorch sides of one version.
func (r Result) sidesOf(version string) []Side {
	var out []Side
	for _, s := range r.Torch {
		if s.Version == version {
			out = append(out, s)
		}
	}
	return out
}

// Ratio returns Go's median steps/s over PyTorch's best median steps/s, or NaN without PyTorch.
func (r Result) Ratio() float64 { return wallRatio(r.Go, r.Torch) }

// CPURatio returns PyTorch's CPU time per step (at its best configuration) over Go's: the work-efficiency
// ratio, ≥ 1 when Go needs less CPU time per step. Unlike Ratio it does not reward using more cores,
// which matters on a loaded machine, where a process with more threads gets a larger share of the CPUs.
// NaN without PyTorch.
func (r Result) CPURatio() float64 { return cpuRatio(r.Go, r.Torch) }

// wallRatio is Go's median steps/s over the best of sides, NaN without sides.
func wallRatio(g Side, sides []Side) float64 {
	best, ok := bestOf(sides)
	if !ok || best.Median() <= 0 {
		return math.NaN()
	}
	return g.Median() / best.Median()
}

// cpuRatio is the CPU time per step of the best (fastest) of sides over Go's, NaN without sides.
func cpuRatio(g Side, sides []Side) float64 {
	best, ok := bestOf(sides)
	gm := g.CPUMillisPerStep()
	if !ok || !(gm > 0) {
		return math.NaN()
	}
	return best.CPUMillisPerStep() / gm
}

// shortVersion returns major.minor of a torch.__version__ ("2.11.0+cu130" → "2.11"), or "unknown".
func shortVersion(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 || parts[0] == "" {
		return "unknown"
	}
	minor := parts[1]
	if i := strings.IndexFunc(minor, func(c rune) bool { return c < '0' || c > '9' }); i >= 0 {
		minor = minor[:i]
	}
	if minor == "" {
		return "unknown"
	}
	return parts[0] + "." + minor
}

// CheckParams returns an error unless the Go and PyTorch models have the same number of trainable
// parameters (the first evidence that they are the same architecture).
func CheckParams(workload string, goParams, torchParams int) error {
	if goParams != torchParams {
		return fmt.Errorf("bench: workload %s: parameter counts differ: Go %d, PyTorch %d (%+d): the two models are not the same architecture",
			workload, goParams, torchParams, torchParams-goParams)
	}
	return nil
}

// fmtFloat formats a rate or ratio with 4 significant digits.
func fmtFloat(v float64) string {
	if math.IsNaN(v) {
		return "nan"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// Line formats the result as one key=value line, with the ratios against each PyTorch version measured
// (ratio_vs_torch<major.minor>, cpu_ratio_vs_torch<major.minor>, at that version's best thread count) and
// ending in ratio_vs_pytorch, against the best PyTorch configuration of any version (nan when PyTorch was
// not run):
//
//	workload=mlp params_go=148994 params_torch=148994 go_steps_per_s=… torch_best_steps_per_s=… torch_threads=1 … ratio_vs_pytorch=…
func (r Result) Line() string {
	var b strings.Builder
	kv := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	kv("workload", r.Workload)
	kv("params_go", strconv.Itoa(r.ParamsGo))
	best, haveTorch := r.BestTorch()
	if haveTorch {
		kv("params_torch", strconv.Itoa(r.ParamsTorch))
	} else {
		kv("params_torch", "na")
	}
	kv("go_steps_per_s", fmtFloat(r.Go.Median()))
	if haveTorch {
		kv("torch_best_steps_per_s", fmtFloat(best.Median()))
		kv("torch_threads", strconv.Itoa(best.Threads))
		for _, s := range r.Torch {
			kv(fmt.Sprintf("torch%s_%dt_steps_per_s", shortVersion(s.Version), s.Threads), fmtFloat(s.Median()))
		}
	} else {
		kv("torch_best_steps_per_s", "na")
		kv("torch_threads", "na")
	}
	if r.PerStep > 1 {
		kv("go_"+r.Unit+"_per_s", fmtFloat(r.Go.Median()*float64(r.PerStep)))
		if haveTorch {
			kv("torch_best_"+r.Unit+"_per_s", fmtFloat(best.Median()*float64(r.PerStep)))
		}
	}
	kv("batch", strconv.Itoa(r.Batch))
	kv("go_procs", strconv.Itoa(r.Go.Threads))
	kv("go_cpu_ms_per_step", fmtFloat(r.Go.CPUMillisPerStep()))
	if haveTorch {
		kv("torch_cpu_ms_per_step", fmtFloat(best.CPUMillisPerStep()))
	}
	kv("go_runs", runsList(r.Go))
	if haveTorch {
		kv("torch_runs", runsList(best))
		kv("torch_blas", best.BLAS)
		kv("torch", best.Version)
		var all []string
		for _, v := range r.TorchVersions() {
			all = append(all, v+":"+r.sidesOf(v)[0].BLAS)
		}
		kv("torches", strings.Join(all, ","))
		if r.Verified {
			kv("verify_max_abs_diff", strconv.FormatFloat(r.VerifyDiff, 'e', 1, 64))
		}
	}
	if haveTorch {
		for _, v := range r.TorchVersions() {
			kv("ratio_vs_torch"+shortVersion(v), fmtFloat(wallRatio(r.Go, r.sidesOf(v))))
			kv("cpu_ratio_vs_torch"+shortVersion(v), fmtFloat(cpuRatio(r.Go, r.sidesOf(v))))
		}
		kv("cpu_ratio_vs_pytorch", fmtFloat(r.CPURatio()))
	}
	kv("load", fmt.Sprintf("%.1f-%.1f", r.LoadAvg[0], r.LoadAvg[1]))
	kv("cpu_flags", r.CPUFlags)
	kv("ratio_vs_pytorch", fmtFloat(r.Ratio()))
	return b.String()
}

// runsList formats a side's per-run steps/s as [a,b,c].
func runsList(s Side) string {
	parts := make([]string, len(s.Runs))
	for i, r := range s.Runs {
		parts[i] = strconv.FormatFloat(r.StepsPerSecond(), 'f', 2, 64)
	}
	return "[" + strings.Join(parts, ",") + "]"
}
