package trainer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/checkpoint"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// tinyConfig is a fast configuration for tests.
func tinyConfig() Config {
	cfg := DefaultConfig()
	cfg.LR = 3e-3
	cfg.BatchSize = 64
	cfg.Steps = 40
	cfg.Seed = 5
	cfg.LogEvery = 10
	return cfg
}

var src0 = gaussSource{seed: 9, mean: [2]float32{2, -1}, std: 0.5}

func newTiny(t *testing.T, cfg Config, hidden int, obj Objective) *Trainer {
	t.Helper()
	tr, err := New(cfg, graphtest.MLP{Width: hidden}, obj, src0)
	if err != nil {
		t.Fatal(err)
	}
	tr.SetLog(nil)
	return tr
}

// trainErr builds a silent trainer and trains it to the end, returning the first error of the two.
func trainErr(cfg Config, net nn.Backbone, obj Objective, src datasets.Source) error {
	tr, err := New(cfg, net, obj, src)
	if err != nil {
		return err
	}
	tr.SetLog(nil)
	_, err = tr.Train(context.Background())
	return err
}

// values returns the bytes of every variable under prefix, by path.
func values(t *testing.T, s *model.Store, prefix string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for v := range s.IterVariables() {
		if !checkpoint.Under(v.Path(), prefix) {
			continue
		}
		if err := v.MustValue().ConstBytes(func(b []byte) { out[v.Path()] = append([]byte{}, b...) }); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func floats(t *testing.T, s *model.Store, path string) []float32 {
	t.Helper()
	v := s.GetVariable(path)
	if v == nil {
		t.Fatalf("no variable %s", path)
	}
	return tensors.MustCopyFlatData[float32](v.MustValue())
}

func sameValues(t *testing.T, what string, want, got map[string][]byte) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s: nothing to compare", what)
	}
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: variable %s missing", what, k)
		} else if !bytes.Equal(g, want[k]) {
			t.Errorf("%s: variable %s differs", what, k)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d variables, want %d", what, len(got), len(want))
	}
}

func TestScheduleClosedForms(t *testing.T) {
	const lr, final, total = 1e-3, 1e-5, 1000
	cos := Schedule{Kind: WarmupCosine, WarmupSteps: 100, FinalLR: final}
	lin := Schedule{Kind: ConstantLinear, DecayStart: 400, EndStep: 800, FinalLR: 2e-4}
	warmConst := Schedule{Kind: Constant, WarmupSteps: 10}
	cases := []struct {
		s    Schedule
		step int64
		want float64
	}{
		{Schedule{}, 0, lr}, {Schedule{Kind: Constant}, 999, lr},
		{warmConst, 0, lr / 10}, {warmConst, 4, lr * 5 / 10}, {warmConst, 9, lr}, {warmConst, 10, lr}, {warmConst, 5000, lr},
		{cos, 0, lr / 100}, {cos, 49, lr / 2}, {cos, 99, lr}, {cos, 100, lr},
		{cos, 550, final + (lr-final)*0.5*(1+math.Cos(math.Pi*0.5))}, // half way: the mean of lr and final
		{cos, 325, final + (lr-final)*0.5*(1+math.Cos(math.Pi*0.25))},
		{cos, 1000, final}, {cos, 2000, final},
		{lin, 0, lr}, {lin, 399, lr}, {lin, 400, lr}, {lin, 600, (lr + 2e-4) / 2}, {lin, 700, lr + (2e-4-lr)*0.75},
		{lin, 800, 2e-4}, {lin, 900, 2e-4},
		{Schedule{Kind: ConstantLinear, WarmupSteps: 50, DecayStart: 10, FinalLR: 0}, 30, lr * 31 / 50},
		{Schedule{Kind: ConstantLinear, WarmupSteps: 50, DecayStart: 10, FinalLR: 0}, 525, lr / 2},
	}
	for _, c := range cases {
		if got := c.s.LR(lr, c.step, total); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%+v at step %d: LR %.10g, want %.10g", c.s, c.step, got, c.want)
		}
	}
	// Monotone decay after warm-up for both decaying schedules.
	for _, s := range []Schedule{cos, lin} {
		prev := math.Inf(1)
		for step := s.WarmupSteps; step < 1200; step++ {
			v := s.LR(lr, step, total)
			if v > prev+1e-15 {
				t.Fatalf("%s increases at step %d", s.Kind, step)
			}
			prev = v
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	bad := []struct {
		mut  func(*Config)
		want string
	}{
		{func(c *Config) { c.Optimizer = "sgd" }, `unknown optimizer "sgd"`},
		{func(c *Config) { c.LR = 0 }, "learning rate 0"},
		{func(c *Config) { c.LR = math.NaN() }, "learning rate NaN"},
		{func(c *Config) { c.Beta1 = 1 }, "beta1 1 outside"},
		{func(c *Config) { c.Beta2 = -0.1 }, "beta2 -0.1 outside"},
		{func(c *Config) { c.Eps = 0 }, "eps 0"},
		{func(c *Config) { c.WeightDecay = -1 }, "weight decay -1"},
		{func(c *Config) { c.ClipGradNorm = math.Inf(1) }, "clip grad norm +Inf"},
		{func(c *Config) { c.EMADecay = 1.5 }, "EMA decay 1.5 outside"},
		{func(c *Config) { c.EMADecay = math.NaN() }, "EMA decay NaN"},
		{func(c *Config) { c.BatchSize = 0 }, "batch size 0"},
		{func(c *Config) { c.Steps = 0 }, "steps 0"},
		{func(c *Config) { c.LogEvery = 0 }, "log every 0"},
		{func(c *Config) { c.CheckpointEvery = -1 }, "checkpoint every -1"},
		{func(c *Config) { c.Schedule.Kind = "step" }, `unknown schedule kind "step"`},
		{func(c *Config) { c.Schedule = Schedule{Kind: WarmupCosine, WarmupSteps: 2000} }, "ends at step 1000"},
		{func(c *Config) { c.Schedule = Schedule{Kind: ConstantLinear, DecayStart: 5000} }, "decay start (5000)"},
		{func(c *Config) { c.Schedule = Schedule{Kind: WarmupCosine, FinalLR: -1} }, "final LR -1"},
	}
	for _, b := range bad {
		c := DefaultConfig()
		b.mut(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), b.want) || !strings.HasPrefix(err.Error(), "trainer: ") {
			t.Errorf("want error containing %q, got %v", b.want, err)
		}
		if _, err := New(c, graphtest.MLP{Width: 4}, testFM{}, src0); err == nil {
			t.Errorf("New accepted an invalid config (%s)", b.want)
		}
	}
	if _, err := New(DefaultConfig(), nil, testFM{}, src0); err == nil {
		t.Error("New accepted a nil backbone")
	}
}

func TestLossDecreasesAndHistory(t *testing.T) {
	cfg := tinyConfig()
	cfg.Steps = 300
	cfg.LogEvery = 25
	tr := newTiny(t, cfg, 32, testFM{auxWeight: 0.01})
	var log bytes.Buffer
	tr.SetLog(&log)
	var reports []StepReport
	tr.OnStep(func(r StepReport) error { reports = append(reports, r); return nil })
	h, err := tr.Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tr.Step() != 300 || len(reports) != 300 {
		t.Fatalf("step %d, %d reports; want 300", tr.Step(), len(reports))
	}
	mean := func(rs []StepReport) float64 {
		s := 0.0
		for _, r := range rs {
			s += r.ObjectiveLoss
		}
		return s / float64(len(rs))
	}
	first, last := mean(reports[:25]), mean(reports[275:])
	t.Logf("objective loss: first 25 steps %.4f, last 25 steps %.4f", first, last)
	if !(last < 0.6*first) {
		t.Errorf("loss did not decrease enough: %.4f → %.4f", first, last)
	}
	// Aux terms are reported, added to the loss and logged.
	for _, r := range reports[:3] {
		reg, ok := r.Aux["reg"]
		if !ok || !(reg > 0) || math.Abs(r.Loss-(r.ObjectiveLoss+reg)) > 1e-5*r.Loss {
			t.Fatalf("step %d: loss %v, objective %v, aux %v: want loss = objective + reg", r.Step, r.Loss, r.ObjectiveLoss, r.Aux)
		}
		if r.LR != float64(float32(cfg.LR)) || r.Duration <= 0 || !(r.GradNorm > 0) {
			t.Errorf("step %d report: %+v", r.Step, r)
		}
	}
	if names := tr.AuxLossNames(); len(names) != 1 || names[0] != "reg" {
		t.Errorf("AuxLossNames = %v", names)
	}
	// History: one entry per LogEvery steps, each the mean of its window.
	if h.Len() != 12 || h.Step[0] != 25 || h.Step[11] != 300 || len(h.Aux["reg"]) != 12 {
		t.Fatalf("history has %d entries at %v (aux %d)", h.Len(), h.Step, len(h.Aux["reg"]))
	}
	if math.Abs(h.ObjectiveLoss[0]-first) > 1e-9 || math.Abs(h.ObjectiveLoss[11]-last) > 1e-9 {
		t.Errorf("history means %v / %v, want %v / %v", h.ObjectiveLoss[0], h.ObjectiveLoss[11], first, last)
	}
	raw, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var back History
	if err := json.Unmarshal(raw, &back); err != nil || back.Len() != 12 || back.Loss[3] != h.Loss[3] || back.Objective != tr.obj.Name() {
		t.Errorf("history JSON round trip: %v, %+v", err, back)
	}
	if lines := strings.Count(log.String(), "\n"); lines != 12 || !strings.Contains(log.String(), "step 300") || !strings.Contains(log.String(), "reg ") {
		t.Errorf("log has %d lines:\n%s", lines, log.String())
	}
	if n := tr.NumParameters(); n != (3*32+32)+(32*2+2) {
		t.Errorf("NumParameters = %d", n)
	}
}

func TestDeterministic(t *testing.T) {
	run := func(seed int64) ([]float64, map[string][]byte) {
		cfg := tinyConfig()
		cfg.Steps = 25
		cfg.Seed = seed
		cfg.EMADecay = 0.9
		cfg.ClipGradNorm = 1
		tr := newTiny(t, cfg, 16, testFM{})
		var losses []float64
		tr.OnStep(func(r StepReport) error { losses = append(losses, r.Loss); return nil })
		if _, err := tr.Train(context.Background()); err != nil {
			t.Fatal(err)
		}
		return losses, values(t, tr.Store(), "/")
	}
	l1, v1 := run(5)
	l2, v2 := run(5)
	for i := range l1 {
		if l1[i] != l2[i] {
			t.Fatalf("same seed, different loss at step %d: %v vs %v", i+1, l1[i], l2[i])
		}
	}
	sameValues(t, "same seed", v1, v2)
	l3, _ := run(6)
	if l3[0] == l1[0] && l3[5] == l1[5] {
		t.Error("a different seed gave the same losses")
	}
}

// TestResumeExact compares N straight steps with k steps + checkpoint + a fresh trainer (a new Store,
// as a new process would build) for the remaining N − k steps: every variable must be bitwise equal.
func TestResumeExact(t *testing.T) {
	cfg := tinyConfig()
	cfg.Steps = 30
	cfg.EMADecay = 0.95
	cfg.ClipGradNorm = 0.5
	cfg.WeightDecay = 0.01
	cfg.Schedule = Schedule{Kind: WarmupCosine, WarmupSteps: 5, FinalLR: 1e-4}
	src := gaussSource{seed: 3, mean: [2]float32{1, 1}, std: 0.3, withLabels: true, numClasses: 4}

	straight, err := New(cfg, graphtest.MLP{Width: 16}, testFM{auxWeight: 0.01}, src)
	if err != nil {
		t.Fatal(err)
	}
	straight.SetLog(nil)
	var straightLosses []float64
	straight.OnStep(func(r StepReport) error { straightLosses = append(straightLosses, r.Loss); return nil })
	straightHist, err := straight.Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	cfgB := cfg
	cfgB.CheckpointDir = dir
	cfgB.CheckpointEvery = 13
	first, err := New(cfgB, graphtest.MLP{Width: 16}, testFM{auxWeight: 0.01}, src)
	if err != nil {
		t.Fatal(err)
	}
	first.SetLog(nil)
	ctx, cancel := context.WithCancel(context.Background())
	first.OnStep(func(r StepReport) error {
		if r.Step == 17 {
			cancel() // interrupted after step 17: the latest checkpoint is saved on the way out
		}
		return nil
	})
	if _, err := first.Train(ctx); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped at step 17") {
		t.Fatalf("cancelled run: err = %v", err)
	}
	list, _ := checkpoint.List(dir)
	if len(list) != 2 || list[0].Step != 13 || list[1].Step != 17 {
		t.Fatalf("checkpoints after interruption: %+v, want steps 13 and 17", list)
	}
	if h := first.History(); !slices.Equal(h.Step, []int64{10}) {
		t.Fatalf("interrupted history has entries at steps %v, want only 10 (steps 11-17 wait in the checkpoint)", h.Step)
	}
	ri17, err := ReadRunInfo(list[1].Path)
	if err != nil || !(ri17.TrainSeconds > 0) || ri17.TrainSeconds > first.TrainSeconds() {
		t.Fatalf("train seconds in the interrupt checkpoint: %v (%v), the attempt took %v", ri17, err, first.TrainSeconds())
	}

	resumed, err := New(cfgB, graphtest.MLP{Width: 16}, testFM{auxWeight: 0.01}, src)
	if err != nil {
		t.Fatal(err)
	}
	var resumeLog bytes.Buffer
	resumed.SetLog(&resumeLog)
	if resumed.Step() != 17 || resumed.LastCheckpoint() != list[1].Path {
		t.Fatalf("resumed at step %d from %q", resumed.Step(), resumed.LastCheckpoint())
	}
	if resumed.TrainSeconds() != ri17.TrainSeconds {
		t.Fatalf("resumed trainer starts at %v training seconds, the checkpoint says %v", resumed.TrainSeconds(), ri17.TrainSeconds)
	}
	var resumedLosses []float64
	resumed.OnStep(func(r StepReport) error { resumedLosses = append(resumedLosses, r.Loss); return nil })
	h, err := resumed.Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if first := strings.SplitN(resumeLog.String(), "\n", 2)[0]; !strings.Contains(first, "resuming test-fm(aux=0.01) at step 17 from "+list[1].Path) {
		t.Errorf("first log line of the resumed run: %q", first)
	}
	for i, l := range resumedLosses {
		if l != straightLosses[17+i] {
			t.Fatalf("resumed loss at step %d = %v, straight run %v", 18+i, l, straightLosses[17+i])
		}
	}
	want, got := values(t, straight.Store(), "/"), values(t, resumed.Store(), "/")
	sameValues(t, "resume", want, got)
	for _, p := range []string{"/model/l0/dense/weights", "/ema/model/out/dense/biases", "/AdamOptimizer/model/out/dense/weights_1st_moment", GlobalStepPath, RNGStatePath, EMACountPath} {
		if _, ok := want[p]; !ok {
			t.Errorf("expected variable %s in the store (layout changed?)", p)
		}
	}
	if len(h.Notes) != 1 || !strings.Contains(h.Notes[0].Text, "resumed from") || h.Step[len(h.Step)-1] != 30 {
		t.Errorf("resumed history: notes %v, steps %v", h.Notes, h.Step)
	}
	// The same history as the uninterrupted run, entry for entry (only wall times and notes differ).
	for what, pair := range map[string][2][]float64{"loss": {straightHist.Loss, h.Loss}, "objective loss": {straightHist.ObjectiveLoss, h.ObjectiveLoss},
		"grad norm": {straightHist.GradNorm, h.GradNorm}, "lr": {straightHist.LR, h.LR}, "aux reg": {straightHist.Aux["reg"], h.Aux["reg"]}} {
		if !slices.Equal(pair[0], pair[1]) {
			t.Errorf("resumed history %s %v, uninterrupted %v", what, pair[1], pair[0])
		}
	}
	if !slices.Equal(h.Step, straightHist.Step) {
		t.Errorf("resumed history steps %v, uninterrupted %v", h.Step, straightHist.Step)
	}
	if resumed.TrainSeconds() <= ri17.TrainSeconds {
		t.Errorf("train seconds after the resumed run %v, not more than the %v before it", resumed.TrainSeconds(), ri17.TrainSeconds)
	}
	// A completed run does nothing more.
	again, err := New(cfgB, graphtest.MLP{Width: 16}, testFM{auxWeight: 0.01}, src)
	if err != nil {
		t.Fatal(err)
	}
	var againLog bytes.Buffer
	again.SetLog(&againLog)
	if _, err := again.Train(context.Background()); err != nil || again.Step() != 30 || !strings.Contains(againLog.String(), "already complete at step 30") {
		t.Errorf("re-running a completed run: step %d, %v", again.Step(), err)
	}
	ri, err := ReadRunInfo(dir)
	if err != nil || ri.Step != 30 || ri.Config.Steps != 30 || ri.Objective != "test-fm(aux=0.01)" || ri.Source != src.Name() || ri.History.Len() == 0 {
		t.Errorf("ReadRunInfo = %+v, %v", ri, err)
	}
}

func TestEMAMatchesHandComputation(t *testing.T) {
	const d = 0.8
	cfg := tinyConfig()
	cfg.EMADecay = d
	cfg.Steps = 4
	tr := newTiny(t, cfg, 8, testFM{})
	if err := tr.Init(); err != nil {
		t.Fatal(err)
	}
	paths := []string{"/model/l0/dense/weights", "/model/out/dense/biases"}
	thetas := map[string][][]float32{}
	snap := func() {
		for _, p := range paths {
			thetas[p] = append(thetas[p], floats(t, tr.Store(), p))
		}
	}
	snap() // θ0
	tr.OnStep(func(StepReport) error { snap(); return nil })
	if _, err := tr.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		th := thetas[p]
		ema := make([]float64, len(th[0]))
		for i := range ema {
			ema[i] = float64(th[0][i]) // starts from the weights before the first update
		}
		for k := 1; k < len(th); k++ {
			for i := range ema {
				ema[i] = d*ema[i] + (1-d)*float64(th[k][i])
			}
		}
		got := floats(t, tr.Store(), emaPath(p))
		changed := false
		for i := range ema {
			if math.Abs(float64(got[i])-ema[i]) > 1e-6*(1+math.Abs(ema[i])) {
				t.Fatalf("%s[%d]: EMA %v, hand computation %v", p, i, got[i], ema[i])
			}
			changed = changed || th[4][i] != th[0][i]
		}
		if !changed {
			t.Fatalf("%s did not change during training", p)
		}
	}
	// SamplingStore serves the EMA or the raw weights under /model.
	s, err := tr.SamplingStore(true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := floats(t, s, paths[0]), floats(t, tr.Store(), emaPath(paths[0])); got[0] != want[0] || got[5] != want[5] {
		t.Error("SamplingStore(true) does not hold the EMA weights")
	}
	s, _ = tr.SamplingStore(false)
	if got, want := floats(t, s, paths[0]), floats(t, tr.Store(), paths[0]); got[0] != want[0] {
		t.Error("SamplingStore(false) does not hold the raw weights")
	}
	for v := range s.IterVariables() {
		if !checkpoint.Under(v.Path(), ModelScope) {
			t.Errorf("sampling store holds %s", v.Path())
		}
	}
}

// TestGradientClipping uses Adam with a huge ε, so that the first update is ≈ −lr·g/ε: its norm
// measures the (clipped) gradient that reached the optimiser.
func TestGradientClipping(t *testing.T) {
	const eps, lr = 1e4, 1.0
	update := func(clip float64) (float64, float64) {
		cfg := tinyConfig()
		cfg.Eps, cfg.LR, cfg.ClipGradNorm, cfg.Steps = eps, lr, clip, 1
		tr := newTiny(t, cfg, 8, testFM{})
		if err := tr.Init(); err != nil {
			t.Fatal(err)
		}
		before := values(t, tr.Store(), ModelScope)
		r, err := tr.TrainStep()
		if err != nil {
			t.Fatal(err)
		}
		after := values(t, tr.Store(), ModelScope)
		sq := 0.0
		for p, b := range before {
			x0 := tensors.FromFlatDataAndDimensions(bytesToF32(b), len(b)/4)
			x1 := tensors.FromFlatDataAndDimensions(bytesToF32(after[p]), len(b)/4)
			f0, f1 := tensors.MustCopyFlatData[float32](x0), tensors.MustCopyFlatData[float32](x1)
			for i := range f0 {
				dlt := float64(f1[i]) - float64(f0[i])
				sq += dlt * dlt
			}
		}
		return math.Sqrt(sq) * eps / lr, r.GradNorm
	}
	free, norm := update(0)
	t.Logf("gradient norm %.4f; implied update norm without clipping %.4f", norm, free)
	if math.Abs(free-norm) > 0.02*norm {
		t.Fatalf("without clipping the update implies gradient norm %.4f, reported %.4f", free, norm)
	}
	clip := norm / 4
	clipped, norm2 := update(clip)
	t.Logf("clip %.4f: implied update norm %.4f (reported pre-clip norm %.4f)", clip, clipped, norm2)
	if norm2 != norm {
		t.Errorf("reported gradient norm should be the pre-clipping one: %v vs %v", norm2, norm)
	}
	if clipped > clip*1.02 || clipped < clip*0.97 {
		t.Errorf("clipped update implies gradient norm %.4f, want ≈ %.4f", clipped, clip)
	}
	// A bound above the norm changes nothing.
	same, _ := update(norm * 2)
	if math.Abs(same-free) > 1e-3*free {
		t.Errorf("clip above the norm changed the update: %.5f vs %.5f", same, free)
	}
}

func bytesToF32(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24)
	}
	return out
}

func TestScheduleReachesOptimizer(t *testing.T) {
	cfg := tinyConfig()
	cfg.Steps = 12
	cfg.Schedule = Schedule{Kind: ConstantLinear, WarmupSteps: 3, DecayStart: 6, FinalLR: 1e-4}
	tr := newTiny(t, cfg, 8, testFM{})
	tr.OnStep(func(r StepReport) error {
		want := float32(cfg.LRAt(r.Step - 1))
		if got := floats(t, tr.Store(), "/optimizers/learning_rate")[0]; got != want || r.LR != float64(want) {
			return fmt.Errorf("step %d: learning rate variable %v, report %v, schedule %v", r.Step, got, r.LR, want)
		}
		return nil
	})
	if _, err := tr.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestNonFiniteLossStops(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig()
	cfg.CheckpointDir = dir
	cfg.CheckpointEvery = 4
	src := src0
	src.poisonAt = 6 // the 7th update sees data scaled by 1e30: its loss overflows
	tr, err := New(cfg, graphtest.MLP{Width: 8}, testFM{}, src)
	if err != nil {
		t.Fatal(err)
	}
	tr.SetLog(nil)
	var after6 map[string][]byte
	tr.OnStep(func(r StepReport) error {
		if r.Step == 6 {
			after6 = values(t, tr.Store(), "/")
		}
		return nil
	})
	_, err = tr.Train(context.Background())
	if err == nil {
		t.Fatal("training on overflowing data succeeded")
	}
	msg := err.Error()
	ck4 := filepath.Join(dir, checkpoint.FileName(4))
	for _, want := range []string{"trainer: step 7:", "loss is", "step-6 state", ck4} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q should contain %q", msg, want)
		}
	}
	if tr.Step() != 6 {
		t.Errorf("step counter %d after the failed step, want 6", tr.Step())
	}
	sameValues(t, "state after a non-finite step", after6, values(t, tr.Store(), "/"))
	if list, _ := checkpoint.List(dir); len(list) != 1 || list[0].Path != ck4 || checkpoint.Verify(ck4) != nil {
		t.Errorf("checkpoints after the failure: %+v", list)
	}
	// The in-memory model is still usable.
	if _, err := tr.SamplingStore(false); err != nil {
		t.Error(err)
	}
}

// wrongSizeSource returns batches of the wrong size.
type wrongSizeSource struct{ gaussSource }

func (s wrongSizeSource) Batch(step int64, size int) (datasets.Batch, error) {
	return s.gaussSource.Batch(step, size+1)
}

func TestBadBatches(t *testing.T) {
	cases := []struct {
		src  interface{ Name() string }
		want string
	}{
		{gaussSource{seed: 1, std: 1, nanAt: 2}, "trainer: step 3: batch from source"},
		{gaussSource{seed: 1, std: 1, reshapeAt: 4}, "step 5: batch from source"},
		{wrongSizeSource{gaussSource{seed: 1, std: 1}}, "batch size 65, want 64"},
	}
	wants := []string{"X contains NaN at flat index 3", "batch shape changed", "step 1"}
	for i, c := range cases {
		err := trainErr(tinyConfig(), graphtest.MLP{Width: 4}, testFM{}, c.src.(datasets.Source))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), wants[i]) || !strings.Contains(err.Error(), c.src.Name()) {
			t.Errorf("%s: err = %v, want %q and %q", c.src.Name(), err, c.want, wants[i])
		}
	}
}

func TestCheckpointMismatchAndMissing(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig()
	cfg.CheckpointDir = dir
	cfg.Steps = 3
	tr := newTiny(t, cfg, 8, testFM{})
	if _, err := tr.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	ck := filepath.Join(dir, checkpoint.FileName(3))
	cfg.Steps = 5

	// Wider hidden layer: the first mismatching variable is named.
	err := trainErr(cfg, graphtest.MLP{Width: 16}, testFM{}, src0)
	if err == nil || !strings.Contains(err.Error(), "/model/l0/dense/") || !strings.Contains(err.Error(), ck) {
		t.Errorf("wider model: err = %v", err)
	}
	t.Logf("wider model: %v", err)
	// A model with an extra layer name: its variables are not in the checkpoint.
	err = trainErr(cfg, renamedMLP{graphtest.MLP{Width: 8}}, testFM{}, src0)
	if err == nil || !strings.Contains(err.Error(), "/model/") || !strings.Contains(err.Error(), ck) {
		t.Errorf("renamed model: err = %v", err)
	}
	t.Logf("renamed model: %v", err)
	// Another objective in the same directory.
	if _, err := New(cfg, graphtest.MLP{Width: 8}, testFM{name: "other"}, src0); err == nil || !strings.Contains(err.Error(), `objective "test-fm(aux=0)"`) {
		t.Errorf("other objective: err = %v", err)
	}
	// A corrupt only checkpoint is set aside and reported, and the run starts afresh (see also
	// TestCorruptLatestFallsBack).
	raw, _ := os.ReadFile(ck)
	raw[len(raw)-40] ^= 1 // in the data block
	_ = os.WriteFile(ck, raw, 0o644)
	fresh, err := New(cfg, graphtest.MLP{Width: 8}, testFM{}, src0)
	if err != nil || fresh.Step() != 0 {
		t.Fatalf("corrupt checkpoint: step %d, err = %v", fresh.Step(), err)
	}
	var log bytes.Buffer
	fresh.SetLog(&log)
	fresh.announce(1)
	if !strings.Contains(log.String(), "checksum mismatch") || !strings.Contains(log.String(), "starting afresh") {
		t.Errorf("corrupt checkpoint: log %q", log.String())
	}
	// Missing bases for post-training.
	if _, err := PostTrain(cfg, graphtest.MLP{Width: 8}, testFM{}, src0, PostTrainOptions{Base: filepath.Join(dir, "nope.mfckpt")}); err == nil || !errors.Is(err, os.ErrNotExist) && !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing base file: err = %v", err)
	}
	empty := t.TempDir()
	if _, err := PostTrain(cfg, graphtest.MLP{Width: 8}, testFM{}, src0, PostTrainOptions{Base: empty}); err == nil || !strings.Contains(err.Error(), "no checkpoint") || !strings.Contains(err.Error(), empty) {
		t.Errorf("empty base dir: err = %v", err)
	}
	if _, err := SamplingStoreFromCheckpoint(empty, false); err == nil {
		t.Error("SamplingStoreFromCheckpoint on an empty directory succeeded")
	}
}

// renamedMLP puts its layers under other names.
type renamedMLP struct{ graphtest.MLP }

func (m renamedMLP) Velocity(scope *model.Scope, x, t *graph.Node, c nn.Cond) *graph.Node {
	return m.MLP.Velocity(scope.In("renamed"), x, t, c)
}

func TestPostTrain(t *testing.T) {
	baseDir := t.TempDir()
	cfg := tinyConfig()
	cfg.Steps = 20
	cfg.EMADecay = 0.9
	cfg.CheckpointDir = baseDir
	base := newTiny(t, cfg, 8, testFM{})
	if _, err := base.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	baseModel, baseEMA := values(t, base.Store(), ModelScope), values(t, base.Store(), EMAScope)

	postCfg := tinyConfig()
	postCfg.Steps = 6
	postCfg.Seed = 77
	postCfg.EMADecay = 0.9
	postCfg.CheckpointDir = t.TempDir()
	post, err := PostTrain(postCfg, graphtest.MLP{Width: 8}, testFM{name: "mixflow-ish"}, src0, PostTrainOptions{Base: baseDir})
	if err != nil {
		t.Fatal(err)
	}
	post.SetLog(nil)
	if post.Step() != 0 || post.Base() == nil || post.Base().Step != 20 || post.Base().Objective != "test-fm(aux=0)" {
		t.Fatalf("post-training start: step %d, base %+v", post.Step(), post.Base())
	}
	s, err := post.SamplingStore(false)
	if err != nil {
		t.Fatal(err)
	}
	sameValues(t, "post-training starts from the base weights", baseModel, values(t, s, ModelScope))
	sameValues(t, "post-training continues the base EMA", baseEMA, values(t, post.Store(), EMAScope))
	if _, err := post.TrainStep(); err != nil {
		t.Fatal(err)
	}
	changed := values(t, post.Store(), ModelScope)
	for p, b := range baseModel {
		if bytes.Equal(b, changed[p]) {
			t.Errorf("%s unchanged after a post-training step", p)
		}
	}
	if v := post.Store().GetVariable(GlobalStepPath).MustValue().Value().(int64); v != 1 {
		t.Errorf("post-training global step %d, want 1 (own counter)", v)
	}
	if v := floats(t, post.Store(), OptimizerScope+"/step")[0]; v != 1 {
		t.Errorf("Adam step %v, want 1 (fresh optimiser)", v)
	}
	if _, err := post.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	ri, err := ReadRunInfo(postCfg.CheckpointDir)
	if err != nil || ri.Base == nil || ri.Base.Step != 20 || ri.Step != 6 || ri.Objective != "mixflow-ish" {
		t.Fatalf("post-training checkpoint run info: %+v, %v", ri, err)
	}
	// Re-opening the post-training directory resumes it rather than starting again from the base.
	again, err := PostTrain(postCfg, graphtest.MLP{Width: 8}, testFM{name: "mixflow-ish"}, src0, PostTrainOptions{Base: baseDir})
	if err != nil || again.Step() != 6 {
		t.Fatalf("re-opened post-training run: step %v, %v", again, err)
	}

	// From EMA, keeping the optimiser, with a fresh EMA.
	otherBase := filepath.Join(t.TempDir(), "copy.mfckpt")
	raw, _ := os.ReadFile(filepath.Join(baseDir, checkpoint.FileName(20)))
	_ = os.WriteFile(otherBase, raw, 0o644)
	if _, err := PostTrain(postCfg, graphtest.MLP{Width: 8}, testFM{name: "mixflow-ish"}, src0, PostTrainOptions{Base: otherBase}); err == nil ||
		!strings.Contains(err.Error(), "did not post-train from "+otherBase) {
		t.Errorf("post-training into the directory of a run from another base: err = %v", err)
	}
	postCfg.CheckpointDir = ""
	post2, err := PostTrain(postCfg, graphtest.MLP{Width: 8}, testFM{name: "mixflow-ish"}, src0,
		PostTrainOptions{Base: filepath.Join(baseDir, checkpoint.FileName(20)), FromEMA: true, KeepOptimizer: true, ResetEMA: true})
	if err != nil {
		t.Fatal(err)
	}
	post2.SetLog(nil)
	s, _ = post2.SamplingStore(false)
	want := map[string][]byte{}
	for p, b := range baseEMA {
		if strings.HasPrefix(p, EMAScope+ModelScope+"/") {
			want[strings.TrimPrefix(p, EMAScope)] = b
		}
	}
	sameValues(t, "post-training from the base EMA", want, values(t, s, ModelScope))
	if _, err := post2.TrainStep(); err != nil {
		t.Fatal(err)
	}
	if v := floats(t, post2.Store(), OptimizerScope+"/step")[0]; v != 21 {
		t.Errorf("kept Adam step %v, want 21", v)
	}
	if v := post2.Store().GetVariable(EMACountPath).MustValue().Value().(int64); v != 1 {
		t.Errorf("reset EMA count %d, want 1", v)
	}
	// The base directory cannot hold the post-training run.
	postCfg.CheckpointDir = baseDir
	if _, err := PostTrain(postCfg, graphtest.MLP{Width: 8}, testFM{name: "x"}, src0, PostTrainOptions{Base: baseDir}); err == nil {
		t.Error("post-training into the base's own directory was accepted")
	}
}

func TestSamplingStoreErrors(t *testing.T) {
	cfg := tinyConfig()
	tr := newTiny(t, cfg, 8, testFM{})
	if _, err := tr.SamplingStore(false); err == nil || !strings.Contains(err.Error(), "no model weights yet") {
		t.Errorf("before training: %v", err)
	}
	if _, err := tr.TrainStep(); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.SamplingStore(true); err == nil || !strings.Contains(err.Error(), "EMADecay is 0") {
		t.Errorf("EMA without EMA: %v", err)
	}
	if _, err := tr.SaveCheckpoint(); err == nil || !strings.Contains(err.Error(), "CheckpointDir") {
		t.Errorf("SaveCheckpoint without a directory: %v", err)
	}
	// From a checkpoint file.
	dir := t.TempDir()
	cfg.CheckpointDir, cfg.Steps = dir, 2
	tr = newTiny(t, cfg, 8, testFM{})
	if _, err := tr.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, err := SamplingStoreFromCheckpoint(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	sameValues(t, "SamplingStoreFromCheckpoint", values(t, tr.Store(), ModelScope), values(t, s, ModelScope))
	if _, err := SamplingStoreFromCheckpoint(dir, true); err == nil || !strings.Contains(err.Error(), "no EMA weights") {
		t.Errorf("EMA from a run without EMA: %v", err)
	}
}

func TestHookErrorStops(t *testing.T) {
	tr := newTiny(t, tinyConfig(), 4, testFM{})
	tr.SetLog(io.Discard)
	stop := errors.New("enough")
	tr.OnStep(func(r StepReport) error {
		if r.Step == 3 {
			return stop
		}
		return nil
	})
	if _, err := tr.Train(context.Background()); !errors.Is(err, stop) || tr.Step() != 3 {
		t.Errorf("hook stop: step %d, err %v", tr.Step(), err)
	}
}

// badObjective returns a non-scalar loss, or panics like buggy graph code.
type badObjective struct{ panics bool }

func (o badObjective) Name() string { return fmt.Sprintf("bad(panics=%v)", o.panics) }

func (o badObjective) LossGraph(scope *model.Scope, net nn.Backbone, x1 *graph.Node, cond nn.Cond) *graph.Node {
	v := net.Velocity(scope, x1, graph.Zeros(x1.Graph(), tinyTShape(x1)), cond)
	if o.panics {
		var s []int
		_ = s[len(v.Shape().Dimensions)+3] // a runtime error while building the graph
	}
	return v
}

func TestBrokenObjectivesReturnErrors(t *testing.T) {
	for _, obj := range []badObjective{{panics: false}, {panics: true}} {
		tr := newTiny(t, tinyConfig(), 4, obj)
		_, err := tr.TrainStep()
		want := "want a scalar float loss"
		if obj.panics {
			want = "index out of range"
		}
		if err == nil || !strings.HasPrefix(err.Error(), "trainer: ") || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), obj.Name()) {
			t.Errorf("%s: err = %v", obj.Name(), err)
		}
		if tr.Step() != 0 {
			t.Errorf("%s: step counter moved", obj.Name())
		}
	}
}

// TestCorruptLatestFallsBack: a truncated or damaged latest checkpoint is set aside and the run resumes
// from the one before it, ending bit-identical to an uninterrupted run; with every checkpoint damaged it
// starts afresh.
func TestCorruptLatestFallsBack(t *testing.T) {
	cfg := tinyConfig()
	cfg.Steps = 30
	straight := newTiny(t, cfg, 8, testFM{})
	if _, err := straight.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := values(t, straight.Store(), "/")

	dir := t.TempDir()
	cfg.CheckpointDir, cfg.CheckpointEvery, cfg.KeepCheckpoints = dir, 10, 0
	first := newTiny(t, cfg, 8, testFM{})
	ctx, cancel := context.WithCancel(context.Background())
	first.OnStep(func(r StepReport) error {
		if r.Step == 25 {
			cancel()
		}
		return nil
	})
	if _, err := first.Train(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	latest := filepath.Join(dir, checkpoint.FileName(25))
	raw, err := os.ReadFile(latest)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(latest, raw[:len(raw)/2], 0o644); err != nil { // a truncated latest checkpoint
		t.Fatal(err)
	}
	resumed, err := New(cfg, graphtest.MLP{Width: 8}, testFM{}, src0)
	if err != nil {
		t.Fatalf("resuming past a truncated checkpoint: %v", err)
	}
	var log bytes.Buffer
	resumed.SetLog(&log)
	if resumed.Step() != 20 {
		t.Fatalf("resumed at step %d, want 20 (the checkpoint before the truncated one)", resumed.Step())
	}
	if _, err := resumed.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	sameValues(t, "resumed from the previous checkpoint", want, values(t, resumed.Store(), "/"))
	if first := strings.SplitN(log.String(), "\n", 2)[0]; !strings.Contains(first, "trainer: corrupt checkpoint "+latest+": truncated") ||
		!strings.Contains(first, "falling back to "+filepath.Join(dir, checkpoint.FileName(20))) {
		t.Errorf("first log line %q should name the corrupt checkpoint and the fallback", first)
	}
	if _, err := os.Stat(latest + ".corrupt"); err != nil {
		t.Errorf("the corrupt checkpoint was not set aside: %v", err)
	}

	// Every checkpoint damaged: a fresh start, not an error.
	list, _ := checkpoint.List(dir)
	for _, e := range list {
		if err := os.WriteFile(e.Path, []byte("MXFLCKPT garbage"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fresh, err := New(cfg, graphtest.MLP{Width: 8}, testFM{}, src0)
	if err != nil || fresh.Step() != 0 {
		t.Fatalf("all checkpoints corrupt: step %d, %v; want a fresh start", fresh.Step(), err)
	}
	if left, _ := checkpoint.List(dir); len(left) != 0 {
		t.Errorf("corrupt checkpoints still listed: %v", left)
	}
}

// TestCheckpointSeconds: a wall-time interval saves checkpoints between CheckpointEvery's, and the
// default (60 s) adds none to a short run.
func TestCheckpointSeconds(t *testing.T) {
	cfg := tinyConfig()
	cfg.Steps, cfg.CheckpointEvery, cfg.KeepCheckpoints = 6, 0, 0
	cfg.CheckpointDir = t.TempDir()
	cfg.CheckpointSeconds = 1e-9 // due after every step
	tr := newTiny(t, cfg, 4, testFM{})
	if _, err := tr.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	list, _ := checkpoint.List(cfg.CheckpointDir)
	if len(list) != 6 {
		t.Errorf("%d checkpoints with a 1 ns interval, want one per step: %v", len(list), list)
	}
	cfg.CheckpointDir, cfg.CheckpointSeconds = t.TempDir(), 0
	tr = newTiny(t, cfg, 4, testFM{})
	if _, err := tr.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	if list, _ := checkpoint.List(cfg.CheckpointDir); len(list) != 1 || list[0].Step != 6 {
		t.Errorf("default interval: checkpoints %v, want only the final one", list)
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		cfg.CheckpointSeconds = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "checkpoint seconds") {
			t.Errorf("CheckpointSeconds %v: %v", bad, err)
		}
	}
}

// TestConfigBackendIsUsed: a backend passed in Config.Backend is the one the run computes on, with the
// same numbers as the process-wide backend.
func TestConfigBackendIsUsed(t *testing.T) {
	cfg := tinyConfig()
	cfg.Steps = 5
	mine := graphtest.OwnBackend(t)
	cfg.Backend = mine
	tr := newTiny(t, cfg, 8, testFM{})
	if _, err := tr.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	graphtest.OnBackend(t, mine, tr.Store())
	ref := newTiny(t, cfg, 8, testFM{})
	if _, err := ref.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	sameValues(t, "weights on the passed backend", values(t, ref.Store(), "/model"), values(t, tr.Store(), "/model"))
}
