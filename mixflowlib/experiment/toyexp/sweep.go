package toyexp

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
)

// BaseVariant is the variant name of the base model itself (no post-training) in a sweep with
// IncludeBase.
const BaseVariant = "no post-training"

// Variant is one post-training setting of a sweep.
type Variant struct {
	// Name labels the variant in tables and charts; "" means Objective.Label().
	Name string `json:"name"`
	// Objective is the post-training loss.
	Objective ObjectiveSpec `json:"objective"`
}

// StandardVariant is standard post-training: flow matching with t ~ U[0, 1], the loss of the base.
func StandardVariant() Variant { return Variant{Name: "FM (standard)", Objective: FMObjective()} }

// GammaVariants returns MixFlow (t ~ Beta(2,1), m ~ U[(1−γ)t, t]) for each γ, named "MixFlow γ=<γ>".
func GammaVariants(gammas ...float64) []Variant {
	vs := make([]Variant, len(gammas))
	for i, g := range gammas {
		vs[i] = Variant{Name: fmt.Sprintf("MixFlow γ=%g", g), Objective: MixFlowObjective(g)}
	}
	return vs
}

// TimestepVariants returns the four rows of the paper's timestep ablation (SiT-B/2): t ~ U[0,1] or
// Beta(2,1), crossed with m ~ U[0,1] (absolute mixture) or m ~ U[0,t] (relative mixture with γ = 1).
// The last one, Beta(2,1) with m ~ U[0,t], is MixFlow with γ = 1.
func TimestepVariants() []Variant {
	return []Variant{
		{Name: "t~U[0,1], m~U[0,1]", Objective: ObjectiveSpec{Kind: KindMixFlow, Times: "uniform", Gamma: 1, Mixture: "absolute"}},
		{Name: "t~Beta(2,1), m~U[0,1]", Objective: ObjectiveSpec{Kind: KindMixFlow, Times: "beta21", Gamma: 1, Mixture: "absolute"}},
		{Name: "t~U[0,1], m~U[0,t]", Objective: ObjectiveSpec{Kind: KindMixFlow, Times: "uniform", Gamma: 1}},
		{Name: "t~Beta(2,1), m~U[0,t]", Objective: ObjectiveSpec{Kind: KindMixFlow, Times: "beta21", Gamma: 1}},
	}
}

// SweepSpec describes a grid of post-training variants × seeds, each evaluated with one EvalSpec.
// For every seed s a base model is trained with Base (its data seed and training seed set to s), then
// post-trained with every variant (Post with the variant's objective and training seed s), so all the
// variants of one seed share their base, their data and their initial noise: differences between
// variants are paired by seed.
type SweepSpec struct {
	// Base is the base model's spec; its Data.Seed and Train.Seed are replaced by each seed.
	Base BaseSpec `json:"base"`
	// Post is the post-training spec; its Objective is replaced by each variant's and Train.Seed by
	// each seed.
	Post PostSpec `json:"post"`
	// Variants are the post-training settings (names must be unique).
	Variants []Variant `json:"variants"`
	// IncludeBase evaluates the base model too, as the variant BaseVariant.
	IncludeBase bool `json:"include_base"`
	// Seeds are the pipeline seeds (at least 1; 3 or more for error bars).
	Seeds []uint64 `json:"seeds"`
	// Eval evaluates every model.
	Eval EvalSpec `json:"eval"`
	// Reference names the variant the others are compared with, seed by seed ("" means the first
	// variant).
	Reference string `json:"reference"`
}

// SweepRow is one number of a sweep: a metric of one variant, seed and sampler setting (the mean over
// the evaluation seeds of Eval).
type SweepRow struct {
	Variant string  `json:"variant"`
	Seed    uint64  `json:"seed"`
	Method  string  `json:"method"`
	Steps   int     `json:"steps"`
	Metric  string  `json:"metric"`
	Value   float64 `json:"value"`
}

// SweepSummary summarises one (variant, method, steps, metric) over the seeds.
type SweepSummary struct {
	Variant string `json:"variant"`
	Method  string `json:"method"`
	Steps   int    `json:"steps"`
	Metric  string `json:"metric"`
	// Summary is the mean over seeds, its standard deviation and the 95 % confidence interval of the mean
	// (metrics.Summarize). With one seed Std is 0 and the interval is the single value.
	Summary metrics.Summary `json:"summary"`
	// Diff summarises the paired differences (this variant − the reference) over seeds; nil for the
	// reference itself. A confidence interval that excludes 0 means a difference the seeds agree on.
	Diff *metrics.Summary `json:"diff,omitempty"`
}

// SweepRun is one trained model of a sweep.
type SweepRun struct {
	Variant string `json:"variant"`
	Seed    uint64 `json:"seed"`
	Run     *Run   `json:"run"`
}

// SweepResult is the outcome of a sweep: a tidy table (Rows), summaries over seeds, the runs, and the
// metrics' noise floor.
type SweepResult struct {
	// Spec is the sweep's spec.
	Spec SweepSpec `json:"spec"`
	// Variants lists the variant names in order (BaseVariant first when included).
	Variants []string `json:"variants"`
	// Reference is the variant the differences are taken against.
	Reference string `json:"reference"`
	// Rows holds every measured number.
	Rows []SweepRow `json:"rows"`
	// Summaries holds one entry per (variant, method, steps, metric).
	Summaries []SweepSummary `json:"summaries"`
	// Runs lists the models, per variant and seed.
	Runs []SweepRun `json:"runs"`
	// Floor is the mean noise floor of each metric (two independent sets of true points).
	Floor map[string]float64 `json:"floor"`
	// ComputeSeconds adds up the training and evaluation times of the runs when they were computed.
	ComputeSeconds float64 `json:"compute_seconds"`
}

// Summary returns the summary of (variant, method, steps, metric).
func (r *SweepResult) Summary(variant, method string, steps int, metric string) (SweepSummary, bool) {
	for _, s := range r.Summaries {
		if s.Variant == variant && s.Method == method && s.Steps == steps && s.Metric == metric {
			return s, true
		}
	}
	return SweepSummary{}, false
}

// Run returns the model of variant trained with seed, or nil.
func (r *SweepResult) Run(variant string, seed uint64) *Run {
	for _, x := range r.Runs {
		if x.Variant == variant && x.Seed == seed {
			return x.Run
		}
	}
	return nil
}

// Canonical validates the sweep and canonicalises its parts.
func (s SweepSpec) Canonical() (SweepSpec, error) {
	var err error
	if s.Base, err = s.Base.Canonical(); err != nil {
		return s, err
	}
	if s.Post.Objective.Kind == "" {
		s.Post.Objective = FMObjective() // replaced by each variant's
	}
	if s.Post, err = s.Post.Canonical(); err != nil {
		return s, err
	}
	if s.Eval, err = s.Eval.Canonical(); err != nil {
		return s, err
	}
	if len(s.Variants) == 0 && !s.IncludeBase {
		return s, errors.New("toyexp: sweep: no variants")
	}
	if len(s.Seeds) == 0 {
		return s, errors.New("toyexp: sweep: no seeds")
	}
	if d := experiment.FirstDuplicate(s.Seeds); d >= 0 {
		return s, fmt.Errorf("toyexp: sweep seeds: %d appears twice", s.Seeds[d])
	}
	for _, seed := range s.Seeds {
		if seed > math.MaxInt64 {
			return s, fmt.Errorf("toyexp: sweep seed %d too large", seed)
		}
	}
	vs := make([]Variant, len(s.Variants))
	var names []string
	if s.IncludeBase {
		names = append(names, BaseVariant)
	}
	for i, v := range s.Variants {
		o, err := v.Objective.Canonical()
		if err != nil {
			return s, fmt.Errorf("toyexp: sweep variant %d (%q): %w", i, v.Name, err)
		}
		if v.Name == "" {
			v.Name = o.Label()
		}
		vs[i] = Variant{Name: v.Name, Objective: o}
		names = append(names, v.Name)
	}
	if d := experiment.FirstDuplicate(names); d >= 0 {
		return s, fmt.Errorf("toyexp: sweep variant name %q appears twice", names[d])
	}
	s.Variants = vs
	if s.Reference != "" && !slices.Contains(names, s.Reference) {
		return s, fmt.Errorf("toyexp: sweep reference %q is not a variant", s.Reference)
	}
	return s, nil
}

// Validate reports the first problem of s.
func (s SweepSpec) Validate() error { return experiment.Validate(s) }

// Sweep trains, post-trains and evaluates every variant for every seed (each piece cached on its own, so
// an interrupted sweep resumes where it stopped and a grown sweep computes only what is new) and returns
// the tidy table with its summaries.
func (l *Lab) Sweep(ctx context.Context, spec SweepSpec) (*SweepResult, error) {
	c, err := spec.Canonical()
	if err != nil {
		return nil, err
	}
	res := &SweepResult{Spec: c, Floor: map[string]float64{}}
	if c.IncludeBase {
		res.Variants = append(res.Variants, BaseVariant)
	}
	for _, v := range c.Variants {
		res.Variants = append(res.Variants, v.Name)
	}
	res.Reference = c.Reference
	if res.Reference == "" {
		res.Reference = res.Variants[0]
	}
	perSeed := 1 + len(c.Variants)
	outer := l.begin(fmt.Sprintf("sweep: %d variants × %d seeds", len(res.Variants), len(c.Seeds)), 0, "run", perSeed*len(c.Seeds))
	inner := *l
	inner.level = l.level + 1
	floors := map[string][]float64{}
	done := 0
	fail := func(err error) (*SweepResult, error) {
		outer.End(false, "failed")
		return nil, err
	}
	allCached := true
	addEval := func(variant string, seed uint64, run *Run) error {
		ev, err := inner.Evaluate(ctx, run, c.Eval)
		if err != nil {
			return err
		}
		allCached = allCached && ev.FromCache
		res.ComputeSeconds += ev.Seconds
		for _, m := range c.Eval.Metrics() {
			floors[m] = append(floors[m], ev.FloorMean(m))
			for _, method := range c.Eval.Methods {
				for _, steps := range c.Eval.Steps {
					v, _ := ev.Mean(method, steps, m)
					res.Rows = append(res.Rows, SweepRow{Variant: variant, Seed: seed, Method: method, Steps: steps, Metric: m, Value: v})
				}
			}
		}
		res.Runs = append(res.Runs, SweepRun{Variant: variant, Seed: seed, Run: run})
		return nil
	}
	for _, seed := range c.Seeds {
		b := c.Base
		b.Data.Seed, b.Train.Seed = seed, int64(seed)
		base, err := inner.TrainBase(ctx, b)
		if err != nil {
			return fail(err)
		}
		res.ComputeSeconds += base.TrainSeconds
		allCached = allCached && base.FromCache
		if c.IncludeBase {
			if err := addEval(BaseVariant, seed, base); err != nil {
				return fail(err)
			}
		}
		done++
		if !allCached { // a sweep loaded whole from the cache reports no progress, only its end
			outer.Progress(done, nil)
		}
		for _, v := range c.Variants {
			p := c.Post
			p.Objective, p.Train.Seed = v.Objective, int64(seed)
			run, err := inner.PostTrain(ctx, base, p)
			if err != nil {
				return fail(err)
			}
			run.Label = v.Name
			res.ComputeSeconds += run.TrainSeconds
			allCached = allCached && run.FromCache
			if err := addEval(v.Name, seed, run); err != nil {
				return fail(err)
			}
			done++
			if !allCached {
				outer.Progress(done, nil)
			}
		}
	}
	for m, fs := range floors {
		var sum float64
		for _, f := range fs {
			sum += f
		}
		res.Floor[m] = sum / float64(len(fs))
	}
	var err2 error
	res.Summaries, err2 = summarise(res.Rows, res.Variants, res.Reference, c.Seeds)
	if err2 != nil {
		return fail(err2)
	}
	outer.End(allCached, "")
	return res, nil
}

// summarise groups rows by (variant, method, steps, metric) and summarises each group over seeds, with
// the paired differences to the reference variant.
func summarise(rows []SweepRow, variants []string, reference string, seeds []uint64) ([]SweepSummary, error) {
	type group struct {
		variant, method string
		steps           int
		metric          string
	}
	values := map[group]map[uint64]float64{}
	var order []group
	for _, r := range rows {
		g := group{r.Variant, r.Method, r.Steps, r.Metric}
		if values[g] == nil {
			values[g] = map[uint64]float64{}
			order = append(order, g)
		}
		values[g][r.Seed] = r.Value
	}
	rank := map[string]int{}
	for i, v := range variants {
		rank[v] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.metric != b.metric {
			return a.metric > b.metric // sw2 before mmd2
		}
		if a.method != b.method {
			return a.method < b.method
		}
		if a.steps != b.steps {
			return a.steps < b.steps
		}
		return rank[a.variant] < rank[b.variant]
	})
	var out []SweepSummary
	for _, g := range order {
		vals := make([]float64, 0, len(seeds))
		var diffs []float64
		ref := values[group{reference, g.method, g.steps, g.metric}]
		for _, s := range seeds {
			v, ok := values[g][s]
			if !ok {
				continue
			}
			vals = append(vals, v)
			if rv, ok := ref[s]; ok {
				diffs = append(diffs, v-rv)
			}
		}
		sum, err := summary(vals)
		if err != nil {
			return nil, fmt.Errorf("toyexp: sweep summary of %s, %s %d steps, %s: %w", g.variant, g.method, g.steps, g.metric, err)
		}
		ss := SweepSummary{Variant: g.variant, Method: g.method, Steps: g.steps, Metric: g.metric, Summary: sum}
		if g.variant != reference && len(diffs) > 0 {
			d, err := summary(diffs)
			if err != nil {
				return nil, fmt.Errorf("toyexp: sweep difference of %s to %s: %w", g.variant, reference, err)
			}
			ss.Diff = &d
		}
		out = append(out, ss)
	}
	return out, nil
}

// summary is metrics.Summarize, extended to a single value (no spread).
func summary(vals []float64) (metrics.Summary, error) {
	if len(vals) == 1 {
		return metrics.Summary{Estimate: vals[0], Lo: vals[0], Hi: vals[0], N: 1}, nil
	}
	return metrics.Summarize(vals)
}
