package fashionmnist_test

import (
	"fmt"

	"github.com/mixflow/mixflow/datasets/fashionmnist"
	"github.com/mixflow/mixflow/datasets/images"
)

// Training batches of Fashion-MNIST padded to 32×32 (patch sizes 2, 4, 8 divide it), and the fixed
// held-out set for evaluation. Needs `apt-get install dataset-fashion-mnist`.
func Example() {
	opt := images.Options{Seed: 1, Flip: true, Height: 32, Width: 32}
	src, err := fashionmnist.NewSource(opt)
	if err != nil {
		panic(err) // the error says which package to install
	}
	batch, err := src.Batch(0, 256) // a pure function of (seed, step): resumed runs see the same batches
	if err != nil {
		panic(err)
	}
	fmt.Println(src.Name())
	fmt.Println(batch.X.Shape(), batch.Cond.Labels.Shape())
	held, err := fashionmnist.HeldOut(1000, opt) // first 1000 test images, never flipped
	if err != nil {
		panic(err)
	}
	fmt.Println(held.X.Shape(), fashionmnist.ClassNames[9])
	// Output:
	// images(fashion-mnist/train,n=60000,32x32x1,fit=pad,seed=1,flip)
	// (Float32)[256, 32, 32, 1] (Int32)[256]
	// (Float32)[1000, 32, 32, 1] Ankle boot
}
