package imagefolder_test

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"

	"github.com/mixflow/mixflow/datasets/imagefolder"
)

// Load root/<class>/<image>.png as 8×8 grayscale images; classes follow the sorted folder names.
func ExampleLoad() {
	root, _ := os.MkdirTemp("", "imagefolder-example")
	defer os.RemoveAll(root)
	for i, class := range []string{"squares", "circles", "circles"} {
		img := image.NewRGBA(image.Rect(0, 0, 16, 16))
		img.Set(8, 8, color.White)
		os.MkdirAll(filepath.Join(root, class), 0o755)
		f, _ := os.Create(filepath.Join(root, class, fmt.Sprintf("%d.png", i)))
		png.Encode(f, img)
		f.Close()
	}
	set, err := imagefolder.Load(root, imagefolder.Options{Channels: 1, Height: 8, Width: 8})
	if err != nil {
		panic(err)
	}
	fmt.Println(set.Len(), set.Height, set.Width, set.Channels, set.ClassNames, set.Labels)
	// Output:
	// 3 8 8 1 [circles squares] [0 0 1]
}
