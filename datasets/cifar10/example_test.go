package cifar10_test

import (
	"fmt"

	"github.com/mixflow/mixflow/datasets/cifar10"
)

// Parse one synthetic record: a label byte, then the red, green and blue planes.
func ExampleParse() {
	rec := make([]byte, cifar10.RecordSize)
	rec[0] = 3                  // cat
	rec[1] = 200                // red of pixel (0, 0)
	rec[1+32*32] = 100          // green of pixel (0, 0)
	rec[1+2*32*32+32*32-1] = 50 // blue of pixel (31, 31)
	pixels, labels, err := cifar10.Parse(rec, "synthetic", nil, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(cifar10.ClassNames[labels[0]], pixels[0:3], pixels[len(pixels)-3:])
	// Output:
	// cat [200 100 0] [0 0 50]
}
