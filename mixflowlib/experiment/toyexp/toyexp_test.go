package toyexp

import (
	"context"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/mixflow/mixflow/datasets/toy2d"
	"github.com/mixflow/mixflow/internal/errtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/slowflow"
)

// tinyBase is a base spec small enough for unit tests (a fraction of a second of training).
func tinyBase() BaseSpec {
	b := DefaultBaseSpec()
	b.Model = ModelSpec{Width: 16, Depth: 1}
	b.Train = TrainSpec{Steps: 60, BatchSize: 64, LR: 3e-3, EMADecay: 0.9, Seed: 1}
	return b
}

func tinyPost(obj ObjectiveSpec) PostSpec {
	p := DefaultPostSpec(obj)
	p.Train = TrainSpec{Steps: 30, BatchSize: 64, LR: 3e-3, EMADecay: 0.9, Seed: 1}
	return p
}

func tinyEval() EvalSpec {
	return EvalSpec{Methods: []string{MethodEuler, MethodHeun}, Steps: []int{2, 4}, Samples: 200, MMDSamples: 100,
		Projections: 64, Seeds: []uint64{0}, UseEMA: true}
}

// recorder is an Observer that keeps the events.
type recorder struct {
	mu     sync.Mutex
	events []experiment.Event
}

func (r *recorder) Observe(e experiment.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// ends returns the StageEnd events and clears the record.
func (r *recorder) ends() []experiment.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []experiment.Event
	for _, e := range r.events {
		if e.Kind == experiment.StageEnd {
			out = append(out, e)
		}
	}
	r.events = nil
	return out
}

func finite(t *testing.T, what string, v float64) {
	t.Helper()
	if math.IsNaN(v) || math.IsInf(v, 0) {
		t.Errorf("%s = %v, want finite", what, v)
	}
}

// The whole pipeline in quick sizes: train, post-train, evaluate, Slow Flow; then the same calls again
// come from the cache with equal results.
func TestPipelineAndCache(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	lab := Lab{Cache: expcache.New(t.TempDir()).WithLog(nil), Observer: rec}

	base, err := lab.TrainBase(ctx, tinyBase())
	if err != nil {
		t.Fatal(err)
	}
	if base.Kind != RunBase || base.History == nil || base.History.Len() == 0 || base.NumParams == 0 || !base.HasEMA {
		t.Fatalf("base run %+v", base)
	}
	finite(t, "base final loss", base.FinalLoss)
	post, err := lab.PostTrain(ctx, base, tinyPost(MixFlowObjective(0.8)))
	if err != nil {
		t.Fatal(err)
	}
	if post.Kind != RunPost || post.BaseKey != base.Key || post.Post.Objective.Gamma != 0.8 {
		t.Fatalf("post run %+v", post)
	}
	ev, err := lab.Evaluate(ctx, post, tinyEval())
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 * 2 * 2; len(ev.Rows) != want {
		t.Fatalf("%d eval rows, want %d", len(ev.Rows), want)
	}
	for _, r := range ev.Rows {
		finite(t, r.Metric, r.Value)
		if r.Metric == MetricSW && r.Value <= 0 {
			t.Errorf("sliced W2 %v, want > 0", r.Value)
		}
	}
	finite(t, "noise floor", ev.FloorMean(MetricSW))
	sfSpec := SlowFlowSpec{Protocol: slowflow.ProtocolNearestData, Method: MethodEuler, Steps: []int{4}, N: 50, ReferenceSize: 200, UseEMA: true}
	sf, err := lab.MeasureSlowFlow(ctx, post, sfSpec)
	if err != nil {
		t.Fatal(err)
	}
	if len(sf.Results) != 1 || len(sf.ForSteps(4).Stats) != 5 {
		t.Fatalf("slow flow result %+v", sf)
	}
	finite(t, "mean gap", MeanGap(sf.Results[0]))
	for _, e := range rec.ends() {
		if e.Cached {
			t.Errorf("first computation of %q reported as cached", e.Stage)
		}
	}

	// Second round: every call is a cache hit with the same numbers.
	base2, err := lab.TrainBase(ctx, tinyBase())
	if err != nil {
		t.Fatal(err)
	}
	post2, err := lab.PostTrain(ctx, base2, tinyPost(MixFlowObjective(0.8)))
	if err != nil {
		t.Fatal(err)
	}
	ev2, err := lab.Evaluate(ctx, post2, tinyEval())
	if err != nil {
		t.Fatal(err)
	}
	sf2, err := lab.MeasureSlowFlow(ctx, post2, sfSpec)
	if err != nil {
		t.Fatal(err)
	}
	ends := rec.ends()
	if len(ends) != 4 {
		t.Fatalf("%d stages on the second round, want 4", len(ends))
	}
	for _, e := range ends {
		if !e.Cached {
			t.Errorf("second call of %q not cached", e.Stage)
		}
	}
	if base2.Checkpoint != base.Checkpoint || post2.Key != post.Key {
		t.Errorf("cached runs differ: %s vs %s", base2.Checkpoint, base.Checkpoint)
	}
	if ev2.Rows[0] != ev.Rows[0] || sf2.Results[0].Stats[2].Mean != sf.Results[0].Stats[2].Mean {
		t.Errorf("cached results differ")
	}

	// Another γ is another run.
	post3, err := lab.PostTrain(ctx, base, tinyPost(MixFlowObjective(0.3)))
	if err != nil {
		t.Fatal(err)
	}
	if post3.Key == post.Key {
		t.Errorf("γ = 0.3 and γ = 0.8 share the key %s", post.Key)
	}

	// Samples and true points for plots.
	pts, err := lab.Samples(post, MethodHeun, 4, 10, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 10 {
		t.Errorf("%d samples", len(pts))
	}
	_, err = lab.PostTrain(ctx, post, tinyPost(FMObjective()))
	errtest.Contains(t, "post-training a post-trained run", err, "TrainBase")
}

// A sweep over 2 seeds: tidy rows, summaries and paired differences; the second run is all cache hits.
func TestSweep(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	lab := Lab{Cache: expcache.New(t.TempDir()).WithLog(nil), Observer: rec}
	ev := tinyEval()
	ev.Methods, ev.Steps, ev.MMDSamples = []string{MethodEuler}, []int{3}, 0
	spec := SweepSpec{
		Base: tinyBase(), Post: tinyPost(FMObjective()), Eval: ev, Seeds: []uint64{1, 2}, IncludeBase: true,
		Variants: []Variant{StandardVariant(), {Objective: MixFlowObjective(0.8)}}, Reference: StandardVariant().Name,
	}
	res, err := lab.Sweep(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{BaseVariant, "FM (standard)", "MixFlow γ=0.8"}; strings.Join(res.Variants, "|") != strings.Join(want, "|") {
		t.Errorf("variants %q, want %q", res.Variants, want)
	}
	if len(res.Rows) != 3*2 || len(res.Summaries) != 3 || len(res.Runs) != 6 {
		t.Fatalf("%d rows, %d summaries, %d runs", len(res.Rows), len(res.Summaries), len(res.Runs))
	}
	for _, s := range res.Summaries {
		if s.Summary.N != 2 {
			t.Errorf("%s: summary over %d seeds", s.Variant, s.Summary.N)
		}
		if (s.Variant == res.Reference) != (s.Diff == nil) {
			t.Errorf("%s: diff %v", s.Variant, s.Diff)
		}
	}
	// The paired difference is the mean of the per-seed differences.
	mf, _ := res.Summary("MixFlow γ=0.8", MethodEuler, 3, MetricSW)
	var want float64
	for _, seed := range spec.Seeds {
		var a, b float64
		for _, r := range res.Rows {
			if r.Seed == seed && r.Variant == "MixFlow γ=0.8" {
				a = r.Value
			}
			if r.Seed == seed && r.Variant == "FM (standard)" {
				b = r.Value
			}
		}
		want += (a - b) / 2
	}
	if math.Abs(mf.Diff.Estimate-want) > 1e-12 {
		t.Errorf("paired difference %v, want %v", mf.Diff.Estimate, want)
	}
	if res.Run("MixFlow γ=0.8", 2) == nil || res.Run("MixFlow γ=0.8", 3) != nil {
		t.Errorf("Run lookup")
	}
	rec.ends()
	if _, err := lab.Sweep(ctx, spec); err != nil {
		t.Fatal(err)
	}
	for _, e := range rec.ends() {
		if e.Level == 1 && !e.Cached {
			t.Errorf("rerun of the sweep recomputed %q", e.Stage)
		}
	}
}

// The oracle's velocity is the exact one of the toy: its samples score at the metric's noise floor,
// while a trained-for-nothing model does not.
func TestOracleMatchesToy(t *testing.T) {
	toy := toy2d.MustByName("8gaussians(std=0.05)")
	d := DataSpec{Toy: toy.Name()}
	run, err := OracleRun(d)
	if err != nil {
		t.Fatal(err)
	}
	// The components' means are the toy's cluster centres (same angles, same scale).
	pts, labels, _ := toy.Points(4000, 1)
	net, _, err := run.sampling(false)
	if err != nil {
		t.Fatal(err)
	}
	means := net.(*oracle.Mixture).Means()
	var sum [8][2]float64
	var cnt [8]float64
	for i, p := range pts {
		k := labels[i]
		sum[k][0] += p[0]
		sum[k][1] += p[1]
		cnt[k]++
	}
	for k := range 8 {
		dx, dy := sum[k][0]/cnt[k]-means[k][0], sum[k][1]/cnt[k]-means[k][1]
		if math.Hypot(dx, dy) > 0.02 {
			t.Errorf("component %d: toy centre differs from the oracle's mean by %.3f", k, math.Hypot(dx, dy))
		}
	}
	lab := Lab{Cache: expcache.New(t.TempDir()).WithLog(nil)}
	ev, err := lab.Evaluate(context.Background(), run, EvalSpec{Methods: []string{MethodHeun}, Steps: []int{20}, Samples: 1500,
		Projections: 128, Seeds: []uint64{0}})
	if err != nil {
		t.Fatal(err)
	}
	sw, _ := ev.Mean(MethodHeun, 20, MetricSW)
	floor := ev.FloorMean(MetricSW)
	t.Logf("oracle sliced W2 %.4f, noise floor %.4f", sw, floor)
	if sw > 2*floor+0.01 {
		t.Errorf("oracle sliced W2 %.4f, noise floor %.4f: the oracle does not match the toy", sw, floor)
	}
	for _, bad := range []DataSpec{{Toy: "checkerboard"}, {Toy: "8gaussians", Dim: 4}} {
		if _, err := OracleRun(bad); err == nil {
			t.Errorf("oracle of %+v: no error", bad)
		}
	}
}

// Zero-padded embeddings train and sample in Dim coordinates; the true points' extra coordinates are 0.
func TestPaddedData(t *testing.T) {
	d := DataSpec{Toy: "moons", Seed: 3, Dim: 5}
	src, err := newSource(mustCanonical(t, d), 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := src.Batch(7, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.X.Shape().Dimensions; len(got) != 2 || got[0] != 4 || got[1] != 5 {
		t.Fatalf("batch shape %v", got)
	}
	x, _ := truePoints(mustCanonical(t, d), 3, 1)
	for i := range 3 {
		for j := 2; j < 5; j++ {
			if x[i*5+j] != 0 {
				t.Fatalf("padded coordinate %d of point %d = %v", j, i, x[i*5+j])
			}
		}
	}
	spec := tinyBase()
	spec.Data = d
	lab := Lab{Cache: expcache.New(t.TempDir()).WithLog(nil)}
	run, err := lab.TrainBase(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := lab.Samples(run, MethodEuler, 3, 8, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		finite(t, "sample", p[0]+p[1])
	}
}

func mustCanonical(t *testing.T, d DataSpec) DataSpec {
	t.Helper()
	c, err := d.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSummariseSingleSeed(t *testing.T) {
	rows := []SweepRow{{Variant: "a", Seed: 1, Method: "euler", Steps: 5, Metric: MetricSW, Value: 0.3},
		{Variant: "b", Seed: 1, Method: "euler", Steps: 5, Metric: MetricSW, Value: 0.2}}
	sums, err := summarise(rows, []string{"a", "b"}, "a", []uint64{1})
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 2 || sums[1].Diff == nil || math.Abs(sums[1].Diff.Estimate+0.1) > 1e-12 || sums[0].Summary.Std != 0 {
		t.Errorf("summaries %+v", sums)
	}
}

// TestResumeAfterCancel interrupts a base and a post-training half-way (as a kernel interrupt would) and
// checks that the next call resumes each from the checkpoint expcache kept in its work directory and ends
// exactly where an uninterrupted run ends.
func TestResumeAfterCancel(t *testing.T) {
	ctx := context.Background()
	refLab := Lab{Cache: expcache.New(t.TempDir()).WithLog(nil)}
	refBase, err := refLab.TrainBase(ctx, tinyBase())
	if err != nil {
		t.Fatal(err)
	}
	post := tinyPost(MixFlowObjective(0.8))
	refPost, err := refLab.PostTrain(ctx, refBase, post)
	if err != nil {
		t.Fatal(err)
	}

	cache := expcache.New(t.TempDir()).WithLog(nil)
	// interrupted runs train with a context cancelled at step stop and returns the first step reported
	// by the call that follows it.
	interrupted := func(stop int, train func(context.Context, Lab) (*Run, error)) (*Run, int) {
		t.Helper()
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		lab := Lab{Cache: cache, Observer: experiment.ObserverFunc(func(e experiment.Event) {
			if e.Kind == experiment.StageProgress && e.Done == stop {
				cancel()
			}
		})}
		if _, err := train(cctx, lab); err == nil || !strings.Contains(err.Error(), "context canceled") {
			t.Fatalf("interrupted training: error %v, want context canceled", err)
		}
		first := 0
		lab.Observer = experiment.ObserverFunc(func(e experiment.Event) {
			if e.Kind == experiment.StageProgress && e.Done > 0 && first == 0 {
				first = e.Done
			}
		})
		run, err := train(ctx, lab)
		if err != nil {
			t.Fatal(err)
		}
		return run, first
	}
	last := func(r *Run) int64 { return r.History.Step[r.History.Len()-1] }

	base, first := interrupted(35, func(c context.Context, l Lab) (*Run, error) { return l.TrainBase(c, tinyBase()) })
	// Checkpoints every 15 steps, and one when stopped: the second call starts after step 35.
	if first != 36 {
		t.Errorf("the second base call started at step %d, want 36 (resumed from the step-35 checkpoint)", first)
	}
	if base.FromCache || base.FinalLoss != refBase.FinalLoss || last(base) != last(refBase) {
		t.Errorf("resumed base ends at step %d with loss %v, uninterrupted at %d with %v", last(base), base.FinalLoss,
			last(refBase), refBase.FinalLoss)
	}
	pr, first := interrupted(10, func(c context.Context, l Lab) (*Run, error) { return l.PostTrain(c, base, post) })
	if first != 11 {
		t.Errorf("the second post-training call started at step %d, want 11", first)
	}
	if pr.FinalLoss != refPost.FinalLoss || last(pr) != last(refPost) {
		t.Errorf("resumed post-training ends at step %d with loss %v, uninterrupted at %d with %v", last(pr), pr.FinalLoss,
			last(refPost), refPost.FinalLoss)
	}
}

// TestSDEMethods: the studies take the SDE samplers too. Their names are canonical in specs, and their
// samples come from the seed's SDE noise: reproducible, different from the ODE's and across seeds.
func TestSDEMethods(t *testing.T) {
	e := tinyEval()
	e.Methods = []string{"SDE", "heun-sde", "heun"}
	c, err := e.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Methods, ","); got != "euler-maruyama,heun-sde,heun" {
		t.Errorf("canonical methods %s", got)
	}
	lab := Lab{Cache: expcache.New(t.TempDir()).WithLog(nil)}
	run, err := lab.TrainBase(context.Background(), tinyBase())
	if err != nil {
		t.Fatal(err)
	}
	draw := func(method string, seed uint64) [][2]float64 {
		pts, err := lab.Samples(run, method, 8, 16, seed, true)
		if err != nil {
			t.Fatal(err)
		}
		return pts
	}
	em, again, ode, other := draw(MethodEulerMaruyama, 1), draw(MethodEulerMaruyama, 1), draw(MethodEuler, 1), draw(MethodEulerMaruyama, 2)
	for i := range em {
		if em[i] != again[i] {
			t.Fatalf("sample %d: %v then %v with the same seed", i, em[i], again[i])
		}
	}
	if em[0] == ode[0] || em[0] == other[0] {
		t.Errorf("Euler–Maruyama sample %v equals the Euler one %v or another seed's %v", em[0], ode[0], other[0])
	}
}
