package imageexp

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/internal/errtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/objective"
	"github.com/mixflow/mixflow/mixflowlib/slowflow"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// microSiT is the smallest useful SiT for 28×28 Fashion-MNIST: 16 tokens of 7×7 patches.
func microSiT(t testing.TB) ModelSpec {
	cfg, err := sit.Preset("micro")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ImageSize, cfg.PatchSize, cfg.Depth, cfg.Hidden, cfg.Heads = 28, 7, 1, 32, 2
	cfg.TimeFreqDim = 32
	return SiT(cfg)
}

func microBase(t testing.TB) BaseSpec {
	return BaseSpec{
		Data:      FashionMNIST(FashionMNISTParams{Size: 28, HeldOut: 64}, 3),
		Model:     microSiT(t),
		Objective: FM("", 0.1),
		Train:     TrainSpec{Steps: 12, BatchSize: 8, LR: 1e-3, EMADecay: 0.9, Seed: 5, LogEvery: 4},
	}
}

func TestObjectiveSpec(t *testing.T) {
	for _, tc := range []struct {
		spec ObjectiveSpec
		want string // error substring; "" for valid
	}{
		{MixFlow(0.8, 0.1), ""},
		{FM("logit-normal(0,1)", 0), ""},
		{MixFlow(1.3, 0), "gamma 1.3 outside [0, 1]"},
		{MixFlow(math.NaN(), 0), "gamma NaN"},
		{MixFlow(0.5, -0.1), "objective: label dropout probability -0.1 outside [0, 1]"},
		{ObjectiveSpec{Kind: "ddpm"}, `kind "ddpm"`},
		{ObjectiveSpec{Kind: KindFM, Gamma: 0.5}, "takes no gamma"},
		{ObjectiveSpec{Kind: KindFM, Wrap: "nope"}, `unknown objective wrapper kind "nope"`},
		{ObjectiveSpec{Kind: KindFM, WrapParams: json.RawMessage(`{"a":1}`)}, "without a wrapper"},
	} {
		err := tc.spec.Validate()
		if tc.want == "" {
			if err != nil {
				t.Errorf("%+v: unexpected error %v", tc.spec, err)
			}
			continue
		}
		// objective.Spec's fields are validated (and named) by package objective, the wrapper by imageexp.
		if err == nil || !strings.Contains(err.Error(), tc.want) ||
			!(strings.HasPrefix(err.Error(), "imageexp: ") || strings.HasPrefix(err.Error(), "objective: ")) ||
			strings.Count(err.Error(), "objective:") > 1 {
			t.Errorf("%+v: error %v, want one starting with imageexp: or objective: and containing %q", tc.spec, err, tc.want)
		}
	}
	obj, err := MixFlow(0.6, 0.25).Build()
	if err != nil {
		t.Fatal(err)
	}
	mf, ok := obj.(objective.MixFlow)
	if !ok || mf.Gamma != 0.6 || mf.LabelDropout != 0.25 {
		t.Errorf("MixFlow(0.6, 0.25).Build() = %#v", obj)
	}
	obj, err = FM("", 0.1).Build()
	if err != nil {
		t.Fatal(err)
	}
	if fm, ok := obj.(objective.FlowMatching); !ok || fm.LabelDropout != 0.1 {
		t.Errorf("FM(\"\", 0.1).Build() = %#v", obj)
	}
	if got := MixFlow(0.8, 0.1).Label(); got != "MixFlow γ=0.8" {
		t.Errorf("label %q", got)
	}
}

type namedObjective struct {
	trainer.Objective
	tag string
}

func (n namedObjective) Name() string { return n.tag + "(" + n.Objective.Name() + ")" }

func TestObjectiveWrapper(t *testing.T) {
	err := RegisterObjectiveWrapper("test-tag", func(params json.RawMessage, inner trainer.Objective) (trainer.Objective, error) {
		var p struct{ Tag string }
		if err := json.Unmarshal(params, &p); err != nil {
			return nil, err
		}
		return namedObjective{inner, p.Tag}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := RegisterObjectiveWrapper("test-tag", nil); err == nil {
		t.Error("registering a nil wrapper: no error")
	}
	spec := MixFlow(0.8, 0)
	spec.Wrap, spec.WrapParams = "test-tag", json.RawMessage(`{ "Tag": "aux" }`)
	obj, err := spec.Build()
	if err != nil {
		t.Fatal(err)
	}
	if got := obj.Name(); !strings.HasPrefix(got, "aux(mixflow(gamma=0.8") {
		t.Errorf("wrapped name %q", got)
	}
	c, _ := spec.Canonical()
	if string(c.WrapParams) != `{"Tag":"aux"}` {
		t.Errorf("wrap params not compacted: %s", c.WrapParams)
	}
	if got := spec.Label(); got != "MixFlow γ=0.8 +test-tag" {
		t.Errorf("label %q", got)
	}
}

func TestRegistryErrors(t *testing.T) {
	err := RegisterBackbone(BackboneSiT, ConfigBackbone("imageexp: sit", sit.New))
	errtest.Contains(t, "duplicate backbone", err, "already registered")
	if err := RegisterData(" x", TypedData("x", fillFashionMNIST, loadFashionMNIST)); err == nil {
		t.Error("kind with a space: no error")
	}
	if err := RegisterEvaluator("x", EvaluatorKind{}); err == nil || err.Error() != `imageexp: register evaluator "x": nil New` {
		t.Errorf("nil New: %v", err)
	}
	if err := RegisterObjectiveWrapper("w", nil); err == nil || err.Error() != `imageexp: register objective wrapper "w": nil wrapper` {
		t.Errorf("nil wrapper: %v", err)
	}
	// An evaluator kind is built once per canonical spec; a failed build is not kept, nil is an error.
	builds := 0
	if err := RegisterEvaluator("test-memo", EvaluatorKind{New: func(params json.RawMessage) (Evaluator, error) {
		builds++
		switch string(params) {
		case `"fail"`:
			return nil, errors.New("boom")
		case `"nil"`:
			return nil, nil
		}
		return func(*tensors.Tensor, datasets.Cond) (map[string]float64, error) { return nil, nil }, nil
	}}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := (EvaluatorSpec{Kind: "test-memo", Params: json.RawMessage(` "ok" `)}).New(); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{`"fail"`, `"fail"`, `"nil"`} {
		_, err := (EvaluatorSpec{Kind: "test-memo", Params: json.RawMessage(p)}).New()
		if want := map[string]string{`"fail"`: "imageexp: evaluator test-memo: boom", `"nil"`: "imageexp: evaluator test-memo: New returned nil"}[p]; err == nil || err.Error() != want {
			t.Errorf("params %s: %v, want %q", p, err, want)
		}
	}
	if builds != 4 {
		t.Errorf("%d builds, want 4 (one for the two equal specs, one per failed one)", builds)
	}
	_, err = (ModelSpec{Kind: "unet"}).Build()
	errtest.Contains(t, "unknown backbone", err, `unknown backbone kind "unet" (registered: `)
	_, err = (ModelSpec{Kind: BackboneSiT, Params: json.RawMessage(`{"Hiden": 64}`)}).Canonical()
	errtest.Contains(t, "typo in sit params", err, "Hiden")
	if _, err := (ModelSpec{Kind: BackboneSiT, Params: json.RawMessage(`{"Hidden": 30}`)}).Canonical(); err == nil {
		t.Error("invalid sit config: no error")
	}
	_, err = (ModelSpec{Kind: BackboneSiT, Params: json.RawMessage(`{"Hidden": `)}).Canonical()
	errtest.Contains(t, "broken JSON", err, "not valid JSON")
	_, err = FashionMNIST(FashionMNISTParams{Size: 30}, 0).Canonical()
	errtest.Contains(t, "size 30", err, "size 30")
	if _, err := (EvaluatorSpec{Kind: EvaluatorFMNIST, Params: json.RawMessage(`{"k":3}`)}).Canonical(); err == nil {
		t.Error("unknown evaluator param: no error")
	}
	if _, err := (EvaluatorSpec{Kind: EvaluatorFMNIST, Params: json.RawMessage(`{"weights":"abc"}`)}).Canonical(); err == nil {
		t.Error("foreign weights fingerprint: no error")
	}
}

func TestSpecValidation(t *testing.T) {
	// imageexp names itself in its own settings' errors, the core (experiment) in those of the settings
	// it validates (TrainSpec).
	check := func(name string, err error, want string) {
		t.Helper()
		errtest.Contains(t, name, err, want)
		if err != nil && !strings.HasPrefix(err.Error(), "imageexp: ") && !strings.HasPrefix(err.Error(), "experiment: ") {
			t.Errorf("%s: error %v names neither imageexp nor experiment", name, err)
		}
	}
	check("steps", TrainSpec{Steps: 0}.Validate(), "train steps 0")
	check("optimizer", TrainSpec{Steps: 1, Optimizer: "sgd"}.Validate(), "sgd")
	check("sampler steps", EvalSpec{Samplers: []SamplerSpec{{Steps: 0}}, N: 10, Seeds: []uint64{0}}.Validate(), "sampler steps 0")
	check("method", EvalSpec{Samplers: []SamplerSpec{{Method: "rk4", Steps: 3}}, N: 10, Seeds: []uint64{0}}.Validate(), `method "rk4"`)
	check("cfg", EvalSpec{Samplers: []SamplerSpec{{Steps: 3, CFG: -2}}, N: 10, Seeds: []uint64{0}}.Validate(), "sampler")
	check("cfg nan", EvalSpec{Samplers: []SamplerSpec{{Steps: 3, CFG: math.NaN()}}, N: 10, Seeds: []uint64{0}}.Validate(), "non-finite")
	check("n", EvalSpec{Samplers: []SamplerSpec{{Steps: 3}}, N: 2, Seeds: []uint64{0}}.Validate(), "eval n 2")
	check("seeds", EvalSpec{Samplers: []SamplerSpec{{Steps: 3}}, N: 10}.Validate(), "seeds: empty")
	check("dup seeds", EvalSpec{Samplers: []SamplerSpec{{Steps: 3}}, N: 10, Seeds: []uint64{1, 1}}.Validate(), "appears twice")
	check("dup samplers", EvalSpec{Samplers: []SamplerSpec{{Steps: 3}, {Method: "Euler", Steps: 3, CFG: 1}}, N: 10, Seeds: []uint64{0}}.Validate(), "appears twice")
	check("data kind", BaseSpec{Data: DataSpec{Kind: "imagenet"}}.Validate(), `unknown data kind "imagenet"`)
	if err := DefaultEvalSpec().Validate(); err != nil {
		t.Errorf("DefaultEvalSpec: %v", err)
	}
	s, err := SamplerSpec{Method: "SDE", Steps: 10, CFG: 1.5, CFGMin: 0.3, CFGMax: 1}.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if s.Method != MethodEulerMaruyama || s.CFGMax != 0 || s.Label() != "euler-maruyama 10 cfg=1.5 [0.3,1]" {
		t.Errorf("canonical sampler %+v, label %q", s, s.Label())
	}
	if got := len(SamplerGrid([]string{"euler", "heun"}, []int{5, 10, 20}, []Guidance{NoGuidance, {Scale: 2}})); got != 12 {
		t.Errorf("grid size %d, want 12", got)
	}
}

// TestHashStability pins the cache keys of specs: equivalent spellings hash alike, a changed field
// changes the key, and the key of a fixed spec does not drift between versions of the code (bump
// CacheSalt when it must).
func TestHashStability(t *testing.T) {
	c := expcache.New(t.TempDir()).WithSalt(CacheSalt)
	key := func(v any) string {
		k, err := c.Key(cacheBase, v)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	canon := func(b BaseSpec) BaseSpec {
		cb, err := b.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		return cb
	}
	b := microBase(t)
	k1 := key(canon(b))
	// The same spec spelled with explicit defaults and spaces in the JSON.
	alt := b
	alt.Data.Params = json.RawMessage(`{ "size": 28, "held_out": 64, "flip": false }`)
	alt.Objective = ObjectiveSpec{Kind: "FM", Path: "linear", Times: "uniform", LabelDropout: 0.1}
	alt.Train.Optimizer = "AdamW"
	if k2 := key(canon(alt)); k2 != k1 {
		t.Errorf("equivalent specs hash differently: %s vs %s", k1, k2)
	}
	changed := b
	changed.Objective.LabelDropout = 0.2
	if key(canon(changed)) == k1 {
		t.Error("a changed label dropout did not change the key")
	}
	// Round trip through JSON (what the cache stores) keeps the key.
	raw, err := json.Marshal(canon(b))
	if err != nil {
		t.Fatal(err)
	}
	var back BaseSpec
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if key(canon(back)) != k1 {
		t.Error("JSON round trip changed the key")
	}
	const want = "img-base-" // + 12 hex digits, pinned below
	if !strings.HasPrefix(k1, want) || len(k1) != len(want)+12 {
		t.Fatalf("key %q", k1)
	}
	if pinned := "img-base-" + pinnedBaseHash; k1 != pinned {
		t.Errorf("key of the micro base spec changed: %s, was %s (bump CacheSalt if the meaning changed)", k1, pinned)
	}
}

// pinnedBaseHash is the hash of microBase's canonical spec under CacheSalt.
const pinnedBaseHash = "bdeb5acf8036"

// TestMicroEndToEnd trains a tiny base, post-trains it with MixFlow, evaluates both with a cheap
// test evaluator and the real one, measures the Slow Flow, and checks that a second Lab call is a cache
// hit that returns equal results.
func TestMicroEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	var calls atomic.Int64
	if err := RegisterEvaluator("test-moments", EvaluatorKind{New: func(json.RawMessage) (Evaluator, error) {
		return func(x *tensors.Tensor, cond datasets.Cond) (map[string]float64, error) {
			calls.Add(1)
			v, err := tensors.CopyFlatData[float32](x)
			if err != nil {
				return nil, err
			}
			var s, s2 float64
			for _, f := range v {
				s += float64(f)
				s2 += float64(f) * float64(f)
			}
			n := float64(len(v))
			return map[string]float64{"mean": s / n, "std": math.Sqrt(s2/n - (s/n)*(s/n))}, nil
		}, nil
	}}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lab := &Lab{Cache: expcache.New(t.TempDir()).WithSalt(CacheSalt).WithLog(nil)}
	base, err := lab.TrainBase(ctx, microBase(t))
	if err != nil {
		t.Fatal(err)
	}
	if base.NumParams == 0 || !base.HasEMA || math.IsNaN(base.FinalLoss) || base.History.Len() != 3 {
		t.Errorf("base run %+v", base)
	}
	post, err := lab.PostTrain(ctx, base, PostSpec{Objective: MixFlow(0.8, 0.1), FromEMA: true,
		Train: TrainSpec{Steps: 6, BatchSize: 8, LR: 1e-3, EMADecay: 0.9, Seed: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if post.Kind != RunPost || post.BaseKey != base.Key || post.Label != "MixFlow γ=0.8" {
		t.Errorf("post run %+v", post)
	}
	spec := EvalSpec{
		Samplers: []SamplerSpec{{Method: "euler", Steps: 2}, {Method: "heun", Steps: 1, CFG: 2}, {Method: "euler-maruyama", Steps: 2}},
		N:        12, Seeds: []uint64{0, 1}, UseEMA: true, BatchSize: 8, Floor: true,
		Evaluator: EvaluatorSpec{Kind: "test-moments"},
	}
	cmp, err := lab.Compare(ctx, []*Run{base, post}, spec)
	if err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 2*3*2+2 {
		t.Errorf("evaluator called %d times, want 14 (2 runs × 3 settings × 2 seeds + 2 floor seeds)", n)
	}
	if len(cmp.Cells) != 2*3*2 || len(cmp.Floor) != 2*2 {
		t.Fatalf("%d cells, %d floor rows", len(cmp.Cells), len(cmp.Floor))
	}
	for _, c := range cmp.Cells {
		if math.IsNaN(c.Summary.Estimate) || c.Summary.N != 2 || (c.Run == post.Label) != (c.Diff != nil) {
			t.Errorf("cell %+v", c)
		}
	}
	if f, ok := cmp.FloorSummary("std"); !ok || math.Abs(f.Estimate-0.8) > 0.3 {
		t.Errorf("floor std of real images %+v (want roughly 0.8: Fashion-MNIST pixels in [−1, 1])", f)
	}
	// Second time: every piece from the cache, equal numbers.
	lab2 := &Lab{Cache: lab.Cache}
	base2, err := lab2.TrainBase(ctx, microBase(t))
	if err != nil || base2.Key != base.Key || base2.FinalLoss != base.FinalLoss {
		t.Fatalf("cached base: %v %+v", err, base2)
	}
	cmp2, err := lab2.Compare(ctx, []*Run{base2, post}, spec)
	if err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 14 {
		t.Errorf("second Compare called the evaluator again (%d calls)", n)
	}
	for i := range cmp.Cells {
		if cmp.Cells[i].Summary != cmp2.Cells[i].Summary {
			t.Errorf("cached cell %d differs: %+v vs %+v", i, cmp.Cells[i].Summary, cmp2.Cells[i].Summary)
		}
	}
	// Same seed, same noise and labels: samples of one run reproduce, and the first k do not depend on n.
	s8, err := lab.Generate(post, SamplerSpec{Steps: 3}, 8, 4, true)
	if err != nil {
		t.Fatal(err)
	}
	s3, err := lab.Generate(post, SamplerSpec{Steps: 3}, 3, 4, true)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := tensors.CopyFlatData[float32](s8.Images)
	b, _ := tensors.CopyFlatData[float32](s3.Images)
	for i := range b {
		if math.Abs(float64(a[i]-b[i])) > 1e-5 {
			t.Fatalf("sample value %d: %v with n=8, %v with n=3", i, a[i], b[i])
		}
	}
	if got := s8.Labels(); len(got) != 8 || got[3] != 3 {
		t.Errorf("labels %v", got)
	}
	if imgs, err := s8.ToImages(); err != nil || len(imgs) != 8 {
		t.Errorf("ToImages: %v, %d", err, len(imgs))
	}
	// Slow Flow on the held-out set.
	sf, err := lab.MeasureSlowFlow(ctx, post, SlowFlowSpec{Protocol: slowflow.ProtocolNearestData, Steps: []int{2, 4},
		N: 8, ReferenceSize: 32, UseEMA: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(sf.Results) != 2 || len(sf.ForSteps(4).Stats) != 5 || math.IsNaN(MeanGap(sf.ForSteps(4))) {
		t.Errorf("slow flow %+v", sf)
	}
	_, err = lab.MeasureSlowFlow(ctx, post, SlowFlowSpec{Steps: []int{2}, N: 8, ReferenceSize: 65})
	errtest.Contains(t, "reference larger than the held-out set", err, "exceeds the 64 held-out images")
	// The forward-process reference band of the same spec: its t = 0 state is x0 itself (m* = 0), and a
	// second call comes from the cache with the same numbers.
	sfSpec := SlowFlowSpec{Protocol: slowflow.ProtocolNearestData, Steps: []int{2, 4}, N: 8, ReferenceSize: 32, UseEMA: true}
	ref, err := lab.MeasureReferenceSlowFlow(ctx, post, sfSpec)
	if err != nil {
		t.Fatal(err)
	}
	again, err := lab.MeasureReferenceSlowFlow(ctx, base, sfSpec)
	if err != nil {
		t.Fatal(err)
	}
	if r4 := ref.ForSteps(4); ref.Run != ReferenceRun || r4 == nil || len(r4.Stats) != 5 || r4.Stats[0].Mean != 0 ||
		r4.Protocol != slowflow.ProtocolReferenceNearestData || again.ForSteps(4).Stats[4].Mean != r4.Stats[4].Mean {
		t.Errorf("reference %+v", ref)
	}
	_, err = lab.MeasureReferenceSlowFlow(ctx, post, SlowFlowSpec{Protocol: slowflow.ProtocolNearestData, Steps: []int{2}, N: 8, ReferenceSize: 65})
	errtest.Contains(t, "reference larger than the held-out set", err, "reference_size 65 exceeds the 64 held-out images")
	_, err = lab.MeasureReferenceSlowFlow(ctx, post, SlowFlowSpec{Protocol: slowflow.ProtocolNearestFinal, Steps: []int{2}, N: 8, ReferenceSize: 32})
	errtest.Contains(t, "nearest-final reference", err, "has no reference band")
}

// TestFMNISTEvaluator scores a handful of generated images with the real evaluator: finite metrics.
func TestFMNISTEvaluator(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the evaluator")
	}
	ctx := context.Background()
	lab := &Lab{Cache: expcache.New(t.TempDir()).WithSalt(CacheSalt).WithLog(nil)}
	base, err := lab.TrainBase(ctx, microBase(t))
	if err != nil {
		t.Fatal(err)
	}
	// Precision and recall need a pass of the classifier over the 10 000 test images (cached per machine):
	// too slow for a unit test on a fresh machine; mixflowlib/evaluator tests them.
	ev := EvaluatorSpec{Kind: EvaluatorFMNIST, Params: json.RawMessage(`{"no_precision_recall": true}`)}
	res, err := lab.Evaluate(ctx, base, EvalSpec{Samplers: []SamplerSpec{{Steps: 2}}, N: 20, Seeds: []uint64{0}, Floor: true, Evaluator: ev})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{MetricFID, MetricAccuracy, MetricIS}
	if got := res.Metrics(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("metrics %v, want %v", got, want)
	}
	fid, ok := res.Value(SamplerSpec{Steps: 2}, MetricFID)
	floor, ok2 := res.FloorSummary(MetricFID)
	if !ok || !ok2 || !(fid.Estimate > 0) || !(floor.Estimate > 0) || !(fid.Estimate > floor.Estimate) {
		t.Errorf("FID of a 12-step micro model %v, of real images %v: want both positive, the model's higher", fid, floor)
	}
}

func TestWorkflowValidate(t *testing.T) {
	for _, quick := range []bool{false, true} {
		if err := DefaultWorkflow(quick).Validate(); err != nil {
			t.Errorf("DefaultWorkflow(%v): %v", quick, err)
		}
	}
	w := DefaultWorkflow(true)
	w.Variants = append(w.Variants, MixFlow(0.8, 0))
	err := w.Validate()
	errtest.Contains(t, "duplicate labels", err, `two models are labelled "MixFlow γ=0.8"`)
	w = DefaultWorkflow(true)
	w.Variants = nil
	err = w.Validate()
	errtest.Contains(t, "no variants", err, "no post-training variants")
	w = DefaultWorkflow(true)
	w.SlowFlow.N = 1
	err = w.Validate()
	errtest.Contains(t, "bad slow flow", err, "imageexp: workflow slowflow")
	if m := SmallSiT(); m.Validate() != nil || m.NumTokens() != 16 {
		t.Errorf("SmallSiT %v: %v", m, m.Validate())
	}
}

// TestResumeAfterCancel interrupts a base training half-way (as a kernel interrupt would) and checks that
// the next call resumes it from its checkpoint and ends exactly where an uninterrupted run ends.
func TestResumeAfterCancel(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model three times")
	}
	spec := microBase(t)
	spec.Train.CheckpointEvery = 4
	ref, err := (&Lab{Cache: expcache.New(t.TempDir()).WithLog(nil)}).TrainBase(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	cache := expcache.New(t.TempDir()).WithLog(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lab := &Lab{Cache: cache, Observer: ObserverFunc(func(e Event) {
		if e.Done == 6 {
			cancel()
		}
	})}
	if _, err := lab.TrainBase(ctx, spec); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Fatalf("interrupted training: error %v, want context canceled", err)
	}
	var first int
	lab = &Lab{Cache: cache, Observer: ObserverFunc(func(e Event) {
		if e.Done > 0 && first == 0 {
			first = e.Done
		}
	})}
	run, err := lab.TrainBase(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if first <= 1 {
		t.Errorf("the second call started at step %d: it did not resume", first)
	}
	// The interrupted run logged an extra History entry where it stopped; the end state is the same.
	last := func(r *Run) int64 { return r.History.Step[r.History.Len()-1] }
	if run.FinalLoss != ref.FinalLoss || last(run) != last(ref) {
		t.Errorf("resumed run ends at step %d with loss %v, uninterrupted at %d with %v", last(run), run.FinalLoss,
			last(ref), ref.FinalLoss)
	}
	// The checkpoints lived in expcache's work directory, which became the entry: nothing is left
	// behind and the entry keeps the final checkpoint only.
	if des, err := os.ReadDir(filepath.Join(cache.Root(), ".work")); err != nil || len(des) != 0 {
		t.Errorf("work directories left behind after completion: %v (%v)", des, err)
	}
	ckpts, _ := filepath.Glob(filepath.Join(filepath.Dir(run.Checkpoint), "*"))
	if len(ckpts) != 1 || ckpts[0] != run.Checkpoint || filepath.Dir(filepath.Dir(run.Checkpoint)) != filepath.Join(cache.Root(), run.Key) {
		t.Errorf("entry checkpoints %v, want only %s inside the entry", ckpts, run.Checkpoint)
	}
}
