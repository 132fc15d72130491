package grid_test

import (
	"fmt"

	"github.com/mixflow/mixflow/widgets/grid"
)

// A grid of 8 generated 28×28 grayscale samples in [−1, 1] (NHWC), captioned with their class.
func ExampleFromFloats() {
	const n, h, w = 8, 28, 28
	data := make([]float32, n*h*w)
	for i := range data {
		data[i] = float32(i%w)/float32(w-1)*2 - 1 // a horizontal ramp
	}
	g, err := grid.FromFloats(data, n, h, w, 1, grid.Options{
		Cols:     4,
		Captions: []string{"T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(g.Image().Bounds().Dx(), "×", g.Image().Bounds().Dy())
	_ = g.Display() // shows it in a notebook; does nothing elsewhere
	// Output: 356 × 216
}
