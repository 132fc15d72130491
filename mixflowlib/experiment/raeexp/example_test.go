package raeexp_test

import (
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/experiment/raeexp"
)

// The shift and the two post-training objectives of notebook 06, for the project encoder's 4×4×64 latent.
func ExampleShift() {
	stage1 := raeexp.DefaultStage1(false)
	dim, _ := raeexp.LatentDim(stage1)
	s, err := raeexp.Shift(stage1)
	if err != nil {
		panic(err)
	}
	fmt.Printf("latent %d values, shift %.4f\n", dim, s)
	base, _ := raeexp.BaseObjective(s, 0.1)
	mix, _ := raeexp.MixFlowObjective(rae.DefaultGamma, s, 0.1)
	for _, spec := range []imageexp.ObjectiveSpec{base, mix} {
		o, err := spec.Build()
		if err != nil {
			panic(err)
		}
		fmt.Println(o.Name())
	}
	// Output:
	// latent 1024 values, shift 1.1429
	// flow-matching(path=linear,times=shift(1.1428571428571428,logit-normal(0,1)),label-dropout=0.1)
	// mixflow(gamma=0.4,path=linear,times=beta21,shift=1.14286,label-dropout=0.1)
}
