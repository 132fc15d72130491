package evaluator_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets/fashionmnist"
	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/mixflowlib/evaluator"
)

// Evaluate scores a batch of images the way a notebook scores a generator's samples: here 500 real
// Fashion-MNIST training images padded to 32×32 as the SiT experiments train on them, with their labels as
// the requested classes, and the same images with Gaussian noise of standard deviation 0.4.
func ExampleEvaluator_Evaluate() {
	ev, err := evaluator.Default() // shipped weights and reference statistics
	if err != nil {
		panic(err)
	}
	src, err := fashionmnist.NewSource(images.Options{Height: 32, Width: 32, Seed: 1})
	if err != nil {
		panic(err)
	}
	batch, err := src.Batch(0, 500) // X float32 [500, 32, 32, 1] in [−1, 1], Cond.Labels int32 [500]
	if err != nil {
		panic(err)
	}
	real, err := ev.Evaluate(batch.X, batch.Cond.Labels)
	if err != nil {
		panic(err)
	}
	noisy, err := ev.Evaluate(addNoise(batch.X, 0.4), batch.Cond.Labels)
	if err != nil {
		panic(err)
	}
	fmt.Println("images:", real.Images)
	fmt.Println("real: FID below 10:", real.FID < 10)
	fmt.Println("real: precision and recall above 0.6:", real.Precision > 0.6 && real.Recall > 0.6)
	fmt.Println("real: conditional accuracy above 0.85:", real.Class.Accuracy > 0.85)
	fmt.Println("noisy: FID above 50:", noisy.FID > 50)
	fmt.Println("noisy: lower precision, recall and accuracy:", noisy.Precision < real.Precision &&
		noisy.Recall < real.Recall && noisy.Class.Accuracy < real.Class.Accuracy)
	// Output:
	// images: 500
	// real: FID below 10: true
	// real: precision and recall above 0.6: true
	// real: conditional accuracy above 0.85: true
	// noisy: FID above 50: true
	// noisy: lower precision, recall and accuracy: true
}

// FID of generated images needs no data set on disk: the reference statistics of the test split are
// shipped with the weights. Here the "generated" images are blank (all background).
func ExampleFID() {
	blank := make([]float32, 100*28*28)
	for i := range blank {
		blank[i] = -1
	}
	fid, err := evaluator.FID(tensors.FromFlatDataAndDimensions(blank, 100, 28, 28, 1))
	if err != nil {
		panic(err)
	}
	ref, err := evaluator.ShippedReference()
	if err != nil {
		panic(err)
	}
	fmt.Printf("reference: %d images of %s, %d features\n", ref.Images, ref.Split, ref.Stats.Dim())
	fmt.Println("blank images are far from it:", fid > 100)
	// Output:
	// reference: 10000 images of fashion-mnist/test, 128 features
	// blank images are far from it: true
}

// addNoise returns x + σ·ε with ε ~ N(0, 1) (seeded), clipped to [−1, 1] like a saved image.
func addNoise(x *tensors.Tensor, sigma float64) *tensors.Tensor {
	rng := rand.New(rand.NewPCG(1, 2))
	flat := tensors.MustCopyFlatData[float32](x)
	for i := range flat {
		flat[i] = min(max(flat[i]+float32(sigma*rng.NormFloat64()), -1), 1)
	}
	return tensors.FromFlatDataAndDimensions(flat, x.Shape().Dimensions...)
}
