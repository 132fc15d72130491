package captions_test

import (
	"fmt"

	"github.com/mixflow/mixflow/datasets/captions"
)

// A captioned batch for text-to-image training, its tokens, and checking images against captions.
func Example() {
	src, err := captions.NewSource(captions.Options{Seed: 1, Size: 32})
	if err != nil {
		panic(err)
	}
	batch, err := src.Batch(0, 8) // X [8, 32, 32, 3] in [−1, 1], Cond.Tokens [8, 12]
	if err != nil {
		panic(err)
	}
	fmt.Println(batch.X.Shape(), batch.Cond.Tokens.Shape())

	tok := src.Tokenizer()
	ids, _ := tok.Encode("two red squares at the top left")
	text, _ := tok.Decode(ids)
	fmt.Println(len(ids), text)
	_, err = tok.Encode("two red zebras")
	fmt.Println(err)

	// Score generated images against the attributes of the captions they were asked for; here the
	// training images themselves, which match exactly.
	ex, _ := src.Examples(0, 8)
	want := make([]captions.Attributes, len(ex))
	for i, e := range ex {
		want[i] = e.Attributes
	}
	s, _ := captions.Score(batch.X, want)
	fmt.Printf("all attributes right: %.0f%%\n", 100*s.All)
	// Output:
	// (Float32)[8, 32, 32, 3] (Int32)[8, 12]
	// 12 two red squares at the top left
	// captions: unknown word "zebras" in caption "two red zebras" (the vocabulary has 30 words; see Vocabulary)
	// all attributes right: 100%
}
