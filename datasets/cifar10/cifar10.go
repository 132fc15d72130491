// Package cifar10 loads CIFAR-10 (Krizhevsky 2009) from its binary distribution: 32×32 RGB images of 10
// classes, 50000 for training in data_batch_1.bin … data_batch_5.bin and 10000 for testing in
// test_batch.bin. Each file is a sequence of 3073-byte records: one label byte (0–9) then 1024 red, 1024
// green and 1024 blue bytes, each plane row-major. The images are returned in NHWC order.
//
// Get the files from https://www.cs.toronto.edu/~kriz/cifar.html ("CIFAR-10 binary version",
// cifar-10-binary.tar.gz); LoadDir reads the extracted folder and LoadArchive the .tar.gz itself.
package cifar10

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/datasets/images"
)

const (
	// Size is the side of a CIFAR-10 image in pixels.
	Size = 32
	// RecordSize is the length of one record: a label byte and 3·32·32 pixel bytes.
	RecordSize = 1 + 3*Size*Size
	// DirVar is the environment variable Load reads the folder of binary batches from.
	DirVar = "MIXFLOW_CIFAR10_DIR"
	// SubDir is the folder the official archive extracts to.
	SubDir = "cifar-10-batches-bin"
)

// ClassNames are the names of the 10 classes, indexed by label.
var ClassNames = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// Split selects the training or the test images.
type Split int

const (
	// Train is the 50000 training images (data_batch_1.bin … data_batch_5.bin).
	Train Split = iota
	// Test is the 10000 test images (test_batch.bin).
	Test
)

// String returns "train" or "test".
func (s Split) String() string { return datasets.SplitName(int(s)) }

// Files returns the file names of a split, in order.
func (s Split) Files() ([]string, error) {
	switch s {
	case Train:
		return []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
			"data_batch_5.bin"}, nil
	case Test:
		return []string{"test_batch.bin"}, nil
	}
	return nil, fmt.Errorf("cifar10: unknown split %d, want Train or Test", int(s))
}

// Parse decodes CIFAR-10 records into HWC pixels and labels, appending to the given slices; name is used
// in errors. The data must be a whole number of records, each label in 0–9.
func Parse(data []byte, name string, pixels []uint8, labels []int32) ([]uint8, []int32, error) {
	if len(data) == 0 {
		return nil, nil, fmt.Errorf("cifar10: %s is empty", name)
	}
	if len(data)%RecordSize != 0 {
		return nil, nil, fmt.Errorf("cifar10: %s: %d bytes is not a whole number of %d-byte records (%d records and %d bytes left over: truncated or not a CIFAR-10 binary batch)",
			name, len(data), RecordSize, len(data)/RecordSize, len(data)%RecordSize)
	}
	const plane = Size * Size
	n := len(data) / RecordSize
	pixels, labels = growU8(pixels, n*3*plane), growI32(labels, n)
	for r := range n {
		rec := data[r*RecordSize : (r+1)*RecordSize]
		if rec[0] >= 10 {
			return nil, nil, fmt.Errorf("cifar10: %s: record %d has label %d, want 0–9 (CIFAR-100 records are 3074 bytes and not read here)",
				name, r, rec[0])
		}
		labels = append(labels, int32(rec[0]))
		red, green, blue := rec[1:1+plane], rec[1+plane:1+2*plane], rec[1+2*plane:]
		for i := range plane {
			pixels = append(pixels, red[i], green[i], blue[i])
		}
	}
	return pixels, labels, nil
}

func growU8(s []uint8, n int) []uint8 {
	if cap(s)-len(s) < n {
		s = append(make([]uint8, 0, len(s)+n), s...)
	}
	return s
}

func growI32(s []int32, n int) []int32 {
	if cap(s)-len(s) < n {
		s = append(make([]int32, 0, len(s)+n), s...)
	}
	return s
}

// Dir returns the folder Load reads: $MIXFLOW_CIFAR10_DIR, or an error saying how to get the data.
func Dir() (string, error) {
	if d := os.Getenv(DirVar); d != "" {
		return d, nil
	}
	return "", fmt.Errorf("cifar10: %s is not set: download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html, extract it and set %s to the folder holding data_batch_1.bin … test_batch.bin (or use LoadArchive on the .tar.gz)",
		DirVar, DirVar)
}

// Load reads a split from the folder named by $MIXFLOW_CIFAR10_DIR.
func Load(split Split) (*images.Set, error) {
	dir, err := Dir()
	if err != nil {
		return nil, err
	}
	return LoadDir(dir, split)
}

// LoadDir reads a split from dir, which holds the .bin files directly or in a cifar-10-batches-bin
// sub-folder. Class names are read from batches.meta.txt when it is there (one per line), else ClassNames.
func LoadDir(dir string, split Split) (*images.Set, error) {
	names, err := split.Files()
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(filepath.Join(dir, SubDir)); err == nil && st.IsDir() {
		dir = filepath.Join(dir, SubDir)
	}
	var pixels []uint8
	var labels []int32
	for _, name := range names {
		p := filepath.Join(dir, name)
		data, err := os.ReadFile(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("cifar10: %s split file %s not found: extract cifar-10-binary.tar.gz (https://www.cs.toronto.edu/~kriz/cifar.html) there, or point %s at the right folder",
					split, p, DirVar)
			}
			return nil, fmt.Errorf("cifar10: %w", err)
		}
		if pixels, labels, err = Parse(data, p, pixels, labels); err != nil {
			return nil, err
		}
	}
	classes := ClassNames
	if meta, err := os.ReadFile(filepath.Join(dir, "batches.meta.txt")); err == nil {
		if classes, err = parseMeta(meta, filepath.Join(dir, "batches.meta.txt")); err != nil {
			return nil, err
		}
	}
	return images.New("cifar10/"+split.String(), Size, Size, 3, pixels, labels, classes)
}

// parseMeta reads the class names of batches.meta.txt (one per line, blank lines ignored).
func parseMeta(meta []byte, name string) ([]string, error) {
	var classes []string
	for _, line := range strings.Split(string(meta), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			classes = append(classes, line)
		}
	}
	if len(classes) != 10 {
		return nil, fmt.Errorf("cifar10: %s names %d classes, want 10", name, len(classes))
	}
	return classes, nil
}

// LoadArchive reads a split straight from the official cifar-10-binary.tar.gz (or an uncompressed .tar).
func LoadArchive(archive string, split Split) (*images.Set, error) {
	names, err := split.Files()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(archive)
	if err != nil {
		return nil, fmt.Errorf("cifar10: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var in io.Reader = br
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("cifar10: %s: bad gzip header: %w", archive, err)
		}
		defer zr.Close()
		in = zr
	}
	found := map[string][]byte{}
	var meta []byte
	tr := tar.NewReader(in)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cifar10: %s: corrupt archive: %w", archive, err)
		}
		base := path.Base(h.Name)
		want := base == "batches.meta.txt"
		for _, n := range names {
			want = want || base == n
		}
		if !want || h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Size > 64<<20 {
			return nil, fmt.Errorf("cifar10: %s: member %s is %d bytes, too large for a CIFAR-10 batch", archive, h.Name, h.Size)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("cifar10: %s: reading %s: %w", archive, h.Name, err)
		}
		if base == "batches.meta.txt" {
			meta = data
		} else {
			found[base] = data
		}
	}
	var pixels []uint8
	var labels []int32
	for _, n := range names {
		data, ok := found[n]
		if !ok {
			return nil, fmt.Errorf("cifar10: %s holds no %s: not the CIFAR-10 binary archive?", archive, n)
		}
		if pixels, labels, err = Parse(data, archive+":"+n, pixels, labels); err != nil {
			return nil, err
		}
	}
	classes := ClassNames
	if meta != nil {
		if classes, err = parseMeta(meta, archive+":batches.meta.txt"); err != nil {
			return nil, err
		}
	}
	return images.New("cifar10/"+split.String(), Size, Size, 3, pixels, labels, classes)
}
