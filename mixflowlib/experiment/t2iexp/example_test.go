package t2iexp_test

import (
	"fmt"

	"github.com/mixflow/mixflow/datasets/captions"
	"github.com/mixflow/mixflow/mixflowlib/experiment/t2iexp"
)

// The evaluator parses each caption back into attributes and checks them against what
// captions.Analyze reads from the image. Real renders score 1 on every metric.
func ExampleScore() {
	a, err := t2iexp.ParseCaption("At the bottom right there are four white crosses.")
	fmt.Println(a.Count, a.Color, a.Shape, a.Position, err)

	src, _ := captions.NewSource(captions.Options{Seed: 1})
	_, batch, _ := src.HeldOut(16)
	s, err := t2iexp.Score(batch.X, batch.Cond.Tokens)
	if err != nil {
		panic(err)
	}
	fmt.Printf("all %.0f%%, count %.0f%%, found %.0f%%\n", 100*s.All, 100*s.Count, 100*s.Found)
	// Output:
	// 4 white cross at the bottom right <nil>
	// all 100%, count 100%, found 100%
}
