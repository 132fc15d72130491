package repa_test

import (
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/backbone/repa"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/encoder"
	"github.com/mixflow/mixflow/mixflowlib/experiment/repaexp"
	"github.com/mixflow/mixflow/mixflowlib/objective"
)

// A REPA-SiT for 28×28 Fashion-MNIST (patch 7: a 4×4 token grid) aligned with the shipped encoder, and
// the objectives to train it with: flow matching for the base model, MixFlow for post-training. Pass the
// model and a wrapped objective to trainer.New / trainer.PostTrain; sample with the model as with SiT.
func Example() {
	s, _ := sit.Preset("tiny")
	s.ImageSize, s.PatchSize = 28, 7
	enc, err := encoder.Default()
	if err != nil {
		panic(err)
	}
	m, err := repa.New(repa.DefaultConfig(s), enc)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Config())
	fmt.Println("head parameters:", m.HeadParams())

	base := repaexp.Wrap(objective.FlowMatching{LabelDropout: 0.1})
	mix, _ := objective.NewMixFlow(0.8)
	post := repaexp.Wrap(mix)
	fmt.Println(base.Name())
	fmt.Println(post.Validate())
	// Output:
	// REPA(λ 0.5, block 2, head 256) on SiT(depth 4, hidden 128, heads 4, patch 7, 28×28×1, 10 classes)
	// head parameters: 115264
	// repa+flow-matching(path=linear,times=uniform,label-dropout=0.1)
	// <nil>
}
