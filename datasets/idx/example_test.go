package idx_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mixflow/mixflow/datasets/idx"
)

// Write a tiny MNIST-format pair of files and load them as an images.Set.
func ExampleLoadSet() {
	dir, _ := os.MkdirTemp("", "idx-example")
	defer os.RemoveAll(dir)
	imgPath := filepath.Join(dir, "images-idx3-ubyte.gz")
	lblPath := filepath.Join(dir, "labels-idx1-ubyte")
	pixels := make([]byte, 2*3*3) // two 3×3 images
	pixels[4], pixels[9+4] = 255, 128
	if err := idx.WriteFile(imgPath, &idx.Array{Dims: []int{2, 3, 3}, Data: pixels}); err != nil {
		panic(err)
	}
	if err := idx.WriteFile(lblPath, &idx.Array{Dims: []int{2}, Data: []byte{1, 0}}); err != nil {
		panic(err)
	}
	set, err := idx.LoadSet("tiny", imgPath, lblPath, []string{"dark", "bright"})
	if err != nil {
		panic(err)
	}
	fmt.Println(set)
	fmt.Println(set.Labels, set.ImagePixels(1)[4])
	// Output:
	// tiny: 2 images 3×3×1, 2 classes
	// [1 0] 128
}
