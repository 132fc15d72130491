package idx

import (
	"fmt"
	"strconv"

	"github.com/mixflow/mixflow/datasets/images"
)

// ReadImages reads an MNIST-format images file (magic 0x00000803, dimensions [N, rows, columns]) and
// returns its pixels (N·rows·columns bytes, one image after another) with N, rows and columns.
func ReadImages(path string) (pixels []byte, n, rows, cols int, err error) {
	a, err := ReadFile(path)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	if a.Magic() != ImagesMagic {
		return nil, 0, 0, 0, fmt.Errorf("idx: %s: magic number %#08x (%d dimensions), want %#08x for an images file",
			path, a.Magic(), len(a.Dims), ImagesMagic)
	}
	if a.Dims[1] == 0 || a.Dims[2] == 0 {
		return nil, 0, 0, 0, fmt.Errorf("idx: %s: images of size %d×%d", path, a.Dims[1], a.Dims[2])
	}
	return a.Data, a.Dims[0], a.Dims[1], a.Dims[2], nil
}

// ReadLabels reads an MNIST-format labels file (magic 0x00000801, dimensions [N]).
func ReadLabels(path string) ([]byte, error) {
	a, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	if a.Magic() != LabelsMagic {
		return nil, fmt.Errorf("idx: %s: magic number %#08x (%d dimensions), want %#08x for a labels file",
			path, a.Magic(), len(a.Dims), LabelsMagic)
	}
	return a.Data, nil
}

// LoadSet loads an MNIST-format pair of images and labels files (raw or .gz) from any path as a grayscale
// images.Set. classNames names the classes; nil names them "0", "1", … up to the largest label. Every label
// must be below len(classNames), and both files must hold the same number of examples.
func LoadSet(name, imagesPath, labelsPath string, classNames []string) (*images.Set, error) {
	pixels, n, rows, cols, err := ReadImages(imagesPath)
	if err != nil {
		return nil, err
	}
	raw, err := ReadLabels(labelsPath)
	if err != nil {
		return nil, err
	}
	if len(raw) != n {
		return nil, fmt.Errorf("idx: label/image count mismatch: %s holds %d labels but %s holds %d images",
			labelsPath, len(raw), imagesPath, n)
	}
	if n == 0 {
		return nil, fmt.Errorf("idx: %s holds no images", imagesPath)
	}
	labels := make([]int32, n)
	maxLabel := int32(0)
	for i, l := range raw {
		labels[i] = int32(l)
		maxLabel = max(maxLabel, int32(l))
	}
	if classNames == nil {
		for c := range int(maxLabel) + 1 {
			classNames = append(classNames, strconv.Itoa(c))
		}
	}
	if int(maxLabel) >= len(classNames) {
		for i, l := range labels {
			if int(l) >= len(classNames) {
				return nil, fmt.Errorf("idx: %s: label %d of example %d outside [0, %d) (%d classes)",
					labelsPath, l, i, len(classNames), len(classNames))
			}
		}
	}
	return images.New(name, rows, cols, 1, pixels, labels, classNames)
}
