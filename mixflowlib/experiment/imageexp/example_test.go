package imageexp_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
)

// The specs of the image experiments are plain values: build, validate and label them without touching
// data or models.
func ExampleSamplerGrid() {
	for _, s := range imageexp.SamplerGrid([]string{"euler", "heun"}, []int{10, 50},
		[]imageexp.Guidance{imageexp.NoGuidance, {Scale: 1.5, TMin: 0.3}}) {
		fmt.Println(s.Label())
	}
	fmt.Println(imageexp.MixFlow(0.8, 0.1).Label(), "|", imageexp.FM("logit-normal(0,1)", 0.1).Label())
	fmt.Println(imageexp.MixFlow(1.2, 0).Validate())
	// Output:
	// euler 10
	// euler 10 cfg=1.5 [0.3,1]
	// euler 50
	// euler 50 cfg=1.5 [0.3,1]
	// heun 10
	// heun 10 cfg=1.5 [0.3,1]
	// heun 50
	// heun 50 cfg=1.5 [0.3,1]
	// MixFlow γ=0.8 | FM t~logit-normal(0,1)
	// objective: gamma 1.2 outside [0, 1]
}

// A whole (tiny) experiment: train a base SiT on Fashion-MNIST, post-train it with MixFlow, and compare
// the two with an evaluator plugged in through the registry (here the mean pixel value of the images;
// the built-in "fmnist" evaluator gives our FID analogue, precision/recall and class accuracy).
func ExampleLab() {
	err := imageexp.RegisterEvaluator("example-mean", imageexp.EvaluatorKind{
		New: func(json.RawMessage) (imageexp.Evaluator, error) {
			return func(x *tensors.Tensor, _ datasets.Cond) (map[string]float64, error) {
				v, err := tensors.CopyFlatData[float32](x)
				if err != nil {
					return nil, err
				}
				var s float64
				for _, f := range v {
					s += float64(f)
				}
				return map[string]float64{"mean": s / float64(len(v))}, nil
			}, nil
		}})
	if err != nil {
		panic(err)
	}
	cache, remove := experiment.TempCache("imageexp-example")
	defer remove()
	lab := &imageexp.Lab{Cache: cache}
	ctx := context.Background()

	model := sit.Config{ImageSize: 28, PatchSize: 7, Depth: 1, Hidden: 32, Heads: 2, NumClasses: 10, TimeFreqDim: 32}
	base, err := lab.TrainBase(ctx, imageexp.BaseSpec{
		Data:      imageexp.FashionMNIST(imageexp.FashionMNISTParams{Size: 28, HeldOut: 100}, 1),
		Model:     imageexp.SiT(model),
		Objective: imageexp.FM("", 0.1),
		Train:     imageexp.TrainSpec{Steps: 10, BatchSize: 8, EMADecay: 0.9},
	})
	if err != nil {
		panic(err)
	}
	mix, err := lab.PostTrain(ctx, base, imageexp.PostSpec{Objective: imageexp.MixFlow(0.8, 0.1), FromEMA: true,
		Train: imageexp.TrainSpec{Steps: 5, BatchSize: 8, EMADecay: 0.9, Seed: 2}})
	if err != nil {
		panic(err)
	}
	cmp, err := lab.Compare(ctx, []*imageexp.Run{base, mix}, imageexp.EvalSpec{
		Samplers:  imageexp.SamplerGrid([]string{"euler"}, []int{2, 4}, nil),
		N:         16,
		Seeds:     []uint64{0, 1},
		UseEMA:    true,
		Evaluator: imageexp.EvaluatorSpec{Kind: "example-mean"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("runs:", cmp.Runs)
	for _, c := range cmp.Cells {
		fmt.Printf("%s, %s: %s summarised over %d seeds, paired diff: %v\n", c.Run, c.Sampler.Label(), c.Metric,
			c.Summary.N, c.Diff != nil)
	}
	// Output:
	// runs: [base (FM) MixFlow γ=0.8]
	// base (FM), euler 2: mean summarised over 2 seeds, paired diff: false
	// base (FM), euler 4: mean summarised over 2 seeds, paired diff: false
	// MixFlow γ=0.8, euler 2: mean summarised over 2 seeds, paired diff: true
	// MixFlow γ=0.8, euler 4: mean summarised over 2 seeds, paired diff: true
}
