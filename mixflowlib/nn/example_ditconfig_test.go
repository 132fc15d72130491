package nn_test

import (
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// A backbone fills the zero fields of its DiT sizes from its defaults, then validates them with its
// package's name.
func ExampleDiTConfig() {
	defaults := nn.DiTConfig{ImageSize: 32, Channels: 1, PatchSize: 4, Depth: 4, Hidden: 128, Heads: 4, MLPRatio: 4,
		TimeFreqDim: 256, TimeScale: 1}
	c := nn.DiTConfig{ImageSize: 28, PatchSize: 7, Hidden: 96}.WithDefaults(defaults)
	fmt.Println(c.Grid(), "×", c.Grid(), "tokens of", c.Hidden, "; block MLP", c.MLPHidden(), "; valid:", c.Validate("mybackbone") == nil)
	c.Hidden = 90
	fmt.Println(c.Validate("mybackbone"))
	// Output:
	// 4 × 4 tokens of 96 ; block MLP 384 ; valid: true
	// mybackbone: Hidden 90 must be a multiple of 4 (2-D sin-cos position embedding)
}
