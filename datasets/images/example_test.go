package images_test

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets/images"
)

// Stream a small labelled set as shuffled, flipped batches padded from 2×2 to 4×4.
func ExampleNewSource() {
	pixels := []uint8{ // four 2×2 grayscale images
		0, 255, 0, 255,
		10, 20, 30, 40,
		255, 255, 255, 255,
		1, 2, 3, 4,
	}
	set, err := images.New("tiny", 2, 2, 1, pixels, []int32{0, 1, 1, 0}, []string{"even", "odd"})
	if err != nil {
		panic(err)
	}
	src, err := images.NewSource(set, images.Options{Seed: 42, Flip: true, Height: 4, Width: 4})
	if err != nil {
		panic(err)
	}
	batch, err := src.Batch(0, 3) // step 0, batch size 3
	if err != nil {
		panic(err)
	}
	x := tensors.MustCopyFlatData[float32](batch.X)
	fmt.Println(src.Name())
	fmt.Println("X:", batch.X.Shape(), "labels:", batch.Cond.Labels.Shape())
	fmt.Println("corner (padding):", x[0])
	// Every image appears once per epoch: steps per epoch for batch size 2.
	fmt.Println("steps per epoch:", src.StepsPerEpoch(2))
	// Output:
	// images(tiny,n=4,4x4x1,fit=pad,seed=42,flip)
	// X: (Float32)[3, 4, 4, 1] labels: (Int32)[3]
	// corner (padding): -1
	// steps per epoch: 2
}

// Normalize maps pixels to [−1, 1]; Denormalize inverts it (clipping model overshoot) for display.
func ExampleDenormalize() {
	fmt.Println(images.Normalize(0), images.Normalize(255), images.Normalize(51))
	fmt.Println(images.Denormalize(-1), images.Denormalize(images.Normalize(51)), images.Denormalize(1.3))
	// Output:
	// -1 1 -0.6
	// 0 51 255
}

// A class subset renumbered for a class-conditional model, and the fixed evaluation set.
func ExampleSet_Classes() {
	set, _ := images.New("digits", 1, 1, 1, []uint8{0, 1, 2, 3, 4, 5}, []int32{0, 1, 2, 0, 1, 2},
		[]string{"zero", "one", "two"})
	sub, err := set.Classes([]int{2, 0}, true)
	if err != nil {
		panic(err)
	}
	fmt.Println(sub.Labels, sub.ClassNames, sub.Pixels)
	held, _ := images.HeldOut(set, 2, images.Options{})
	fmt.Println(tensors.MustCopyFlatData[int32](held.Cond.Labels))
	// Output:
	// [1 0 1 0] [two zero] [0 2 3 5]
	// [0 1]
}
