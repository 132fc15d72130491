// Package fashionmnist loads Fashion-MNIST (Xiao, Rasul & Vollgraf 2017), the default real data set for
// class-conditional generation: 28×28 grayscale images of 10 kinds of clothing, 60000 for training and 10000
// for testing.
//
// The files come from the Debian package dataset-fashion-mnist (`apt-get install dataset-fashion-mnist`),
// which installs the four IDX files into /usr/share/datasets/fashion-mnist. Set MIXFLOW_FASHION_MNIST_DIR to
// read them from elsewhere (raw or .gz, with the original file names).
package fashionmnist

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/datasets/idx"
	"github.com/mixflow/mixflow/datasets/images"
)

// DefaultDir is where the Debian package dataset-fashion-mnist installs the files.
const DefaultDir = "/usr/share/datasets/fashion-mnist"

// DirVar is the environment variable that overrides DefaultDir.
const DirVar = "MIXFLOW_FASHION_MNIST_DIR"

// Size is the side of a Fashion-MNIST image in pixels.
const Size = 28

// Split selects the training or the test images.
type Split int

const (
	// Train is the 60000 training images.
	Train Split = iota
	// Test is the 10000 test images.
	Test
)

// String returns "train" or "test".
func (s Split) String() string { return datasets.SplitName(int(s)) }

// Len returns the number of images of the split (60000 or 10000).
func (s Split) Len() int {
	if s == Test {
		return 10000
	}
	return 60000
}

// ClassNames are the names of the 10 classes, indexed by label.
var ClassNames = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
	"Bag", "Ankle boot"}

// Dir returns the directory the files are read from: $MIXFLOW_FASHION_MNIST_DIR if set, else DefaultDir.
func Dir() string {
	if d := os.Getenv(DirVar); d != "" {
		return d
	}
	return DefaultDir
}

// Files returns the paths of the images and labels files of split in dir, preferring the .gz files and
// falling back to uncompressed ones. A missing file is an error that says how to install it.
func Files(dir string, split Split) (imagesPath, labelsPath string, err error) {
	var prefix string
	switch split {
	case Train:
		prefix = "train"
	case Test:
		prefix = "t10k"
	default:
		return "", "", fmt.Errorf("fashionmnist: unknown split %d, want Train or Test", int(split))
	}
	find := func(base string) (string, error) {
		for _, p := range []string{filepath.Join(dir, base+".gz"), filepath.Join(dir, base)} {
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, nil
			} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("fashionmnist: %w", err)
			}
		}
		hint := fmt.Sprintf("install the Debian package with `apt-get install dataset-fashion-mnist` (it puts the files in %s)", DefaultDir)
		if dir != DefaultDir {
			hint = fmt.Sprintf("put the Fashion-MNIST IDX files in %s, or unset %s and `apt-get install dataset-fashion-mnist`", dir, DirVar)
		}
		return "", fmt.Errorf("fashionmnist: %s split file %s(.gz) not found: %s", split, filepath.Join(dir, base), hint)
	}
	if imagesPath, err = find(prefix + "-images-idx3-ubyte"); err != nil {
		return "", "", err
	}
	if labelsPath, err = find(prefix + "-labels-idx1-ubyte"); err != nil {
		return "", "", err
	}
	return imagesPath, labelsPath, nil
}

// Load reads a split from Dir().
func Load(split Split) (*images.Set, error) { return LoadDir(Dir(), split) }

// LoadDir reads a split from dir as a Set of 28×28×1 images with 10 classes named by ClassNames. Decoding the
// 60000 training images takes about half a second.
func LoadDir(dir string, split Split) (*images.Set, error) {
	imagesPath, labelsPath, err := Files(dir, split)
	if err != nil {
		return nil, err
	}
	set, err := idx.LoadSet("fashion-mnist/"+split.String(), imagesPath, labelsPath, ClassNames)
	if err != nil {
		return nil, fmt.Errorf("fashionmnist: %w", err)
	}
	if set.Height != Size || set.Width != Size {
		return nil, fmt.Errorf("fashionmnist: %s holds %d×%d images, want %d×%d", imagesPath, set.Height, set.Width, Size, Size)
	}
	return set, nil
}

// NewSource loads the training split and streams it with the given options (e.g. Height and Width 32 to pad
// to a size divisible by patch sizes 2, 4 and 8).
func NewSource(opt images.Options) (*images.Source, error) {
	set, err := Load(Train)
	if err != nil {
		return nil, err
	}
	return images.NewSource(set, opt)
}

// HeldOut returns the fixed evaluation set: the first n test images (all 10000 if n ≤ 0), fitted and
// normalised as opt says, never flipped.
func HeldOut(n int, opt images.Options) (datasets.Batch, error) {
	set, err := Load(Test)
	if err != nil {
		return datasets.Batch{}, err
	}
	return images.HeldOut(set, n, opt)
}
