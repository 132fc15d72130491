package toyexp_test

import (
	"context"
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/experiment/toyexp"
)

// Train a base model, post-train it with MixFlow, evaluate it and measure its Slow Flow, in sizes small
// enough for an example (the notebooks use toyexp.DefaultBaseSpec and friends as they are). A second
// call with the same spec comes from the cache.
func Example() {
	cache, remove := experiment.TempCache("toyexp-example")
	defer remove()
	lab := toyexp.Lab{Cache: cache} // default: expcache.Default(), no observer
	ctx := context.Background()

	base := toyexp.DefaultBaseSpec()                // 8 Gaussians, MLP 64×3, flow matching, t ~ U[0,1]
	base.Train.Steps, base.Train.BatchSize = 50, 64 // the default is 20 000 steps of 256
	baseRun, err := lab.TrainBase(ctx, base)
	if err != nil {
		panic(err)
	}
	post := toyexp.DefaultPostSpec(toyexp.MixFlowObjective(0.8)) // t ~ Beta(2,1), m ~ U[0.2t, t]
	post.Train.Steps, post.Train.BatchSize = 20, 64
	mix, err := lab.PostTrain(ctx, baseRun, post)
	if err != nil {
		panic(err)
	}

	eval := toyexp.DefaultEvalSpec()
	eval.Steps, eval.Samples, eval.MMDSamples = []int{5, 20}, 500, 200
	ev, err := lab.Evaluate(ctx, mix, eval)
	if err != nil {
		panic(err)
	}
	sf := toyexp.DefaultSlowFlowSpec()
	sf.Steps, sf.N, sf.ReferenceSize = []int{10}, 100, 500
	slow, err := lab.MeasureSlowFlow(ctx, mix, sf)
	if err != nil {
		panic(err)
	}
	again, _ := lab.PostTrain(ctx, baseRun, post)

	fmt.Println("post-trained:", mix.Label, "from", mix.Post.Objective.Times, "times")
	fmt.Println("evaluation rows:", len(ev.Rows), "(2 methods × 2 step counts × 2 metrics)")
	fmt.Println("slow flow states at 10 steps:", len(slow.ForSteps(10).Stats))
	fmt.Println("second call from the cache:", again.FromCache, again.Key == mix.Key)
	// Output:
	// post-trained: MixFlow γ=0.8 from beta21 times
	// evaluation rows: 8 (2 methods × 2 step counts × 2 metrics)
	// slow flow states at 10 steps: 11
	// second call from the cache: true true
}

// A sweep: standard post-training against MixFlow γ = 0.8 over two seeds, as a tidy table with
// summaries and paired differences.
func ExampleLab_Sweep() {
	cache, remove := experiment.TempCache("toyexp-sweep")
	defer remove()
	lab := toyexp.Lab{Cache: cache}

	spec := toyexp.SweepSpec{
		Base:        toyexp.DefaultBaseSpec(),
		Post:        toyexp.DefaultPostSpec(toyexp.FMObjective()), // each variant's objective replaces it
		Eval:        toyexp.DefaultEvalSpec(),
		Seeds:       []uint64{1, 2},
		IncludeBase: true,
		Variants:    []toyexp.Variant{toyexp.StandardVariant(), toyexp.GammaVariants(0.8)[0]},
		Reference:   toyexp.StandardVariant().Name,
	}
	spec.Base.Train.Steps, spec.Post.Train.Steps = 40, 20 // tiny, for the example
	spec.Eval.Methods, spec.Eval.Steps, spec.Eval.Samples, spec.Eval.MMDSamples = []string{"euler"}, []int{5}, 300, 0
	res, err := lab.Sweep(context.Background(), spec)
	if err != nil {
		panic(err)
	}
	fmt.Println("variants:", res.Variants)
	fmt.Println("rows:", len(res.Rows), "summaries:", len(res.Summaries))
	s, _ := res.Summary("MixFlow γ=0.8", "euler", 5, toyexp.MetricSW)
	fmt.Println("seeds per summary:", s.Summary.N, "paired difference to", res.Reference+":", s.Diff != nil)
	// Output:
	// variants: [no post-training FM (standard) MixFlow γ=0.8]
	// rows: 6 summaries: 3
	// seeds per summary: 2 paired difference to FM (standard): true
}
