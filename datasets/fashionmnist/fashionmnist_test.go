package fashionmnist

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets/images"
	"github.com/mixflow/mixflow/internal/graphtest"
)

// needData skips the test when the Debian package is not installed in DefaultDir (on this project's
// machines it is).
func needData(t testing.TB) {
	t.Helper()
	if _, _, err := Files(DefaultDir, Train); err != nil {
		t.Skipf("Fashion-MNIST not installed: %v", err)
	}
}

// loaded caches the two splits across tests: decoding the training set takes about half a second.
var loaded = map[Split]func() (*images.Set, error){
	Train: sync.OnceValues(func() (*images.Set, error) { return Load(Train) }),
	Test:  sync.OnceValues(func() (*images.Set, error) { return Load(Test) }),
}

func TestLoadCountsShapesLabels(t *testing.T) {
	needData(t)
	for _, split := range []Split{Train, Test} {
		s, err := loaded[split]()
		if err != nil {
			t.Fatal(err)
		}
		if s.Len() != split.Len() || s.Height != 28 || s.Width != 28 || s.Channels != 1 || s.NumClasses() != 10 {
			t.Fatalf("%s: %v", split, s)
		}
		if len(s.Pixels) != split.Len()*28*28 {
			t.Fatalf("%s: %d pixel bytes", split, len(s.Pixels))
		}
		// Fashion-MNIST is balanced: 6000 (train) or 1000 (test) images per class.
		for c, n := range s.ClassCounts() {
			if n != split.Len()/10 {
				t.Fatalf("%s: class %d (%s) has %d images", split, c, ClassNames[c], n)
			}
		}
		lo, hi := slices.Min(s.Pixels), slices.Max(s.Pixels)
		if lo != 0 || hi != 255 {
			t.Fatalf("%s: pixel range [%d, %d], want [0, 255]", split, lo, hi)
		}
		// The published files start with an ankle boot (9) and a T-shirt (0) in train, ankle boot and
		// pullover (2) in test.
		want := map[Split][]int32{Train: {9, 0}, Test: {9, 2}}[split]
		if !slices.Equal(s.Labels[:2], want) {
			t.Fatalf("%s: first labels %v, want %v", split, s.Labels[:2], want)
		}
	}
}

func TestSourceAndHeldOut(t *testing.T) {
	needData(t)
	train, err := loaded[Train]()
	if err != nil {
		t.Fatal(err)
	}
	src, err := images.NewSource(train, images.Options{Seed: 1, Flip: true, Height: 32, Width: 32})
	if err != nil {
		t.Fatal(err)
	}
	b, err := src.Batch(5, 64)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.X.Shape().Dimensions; !slices.Equal(got, []int{64, 32, 32, 1}) {
		t.Fatalf("X shape %v", got)
	}
	x := tensors.MustCopyFlatData[float32](b.X)
	if lo, hi := slices.Min(x), slices.Max(x); lo != -1 || hi > 1 || hi < 0.9 {
		t.Fatalf("X range [%v, %v], want [-1, ≈1]", lo, hi)
	}
	// The 2-pixel border is padding: −1 everywhere.
	for k := range 64 {
		for i := range 32 {
			for _, p := range [][2]int{{0, i}, {1, i}, {30, i}, {31, i}, {i, 0}, {i, 31}} {
				if v := x[k*1024+p[0]*32+p[1]]; v != -1 {
					t.Fatalf("image %d border pixel %v = %v", k, p, v)
				}
			}
		}
	}
	labels := tensors.MustCopyFlatData[int32](b.Cond.Labels)
	if len(labels) != 64 || slices.Min(labels) < 0 || slices.Max(labels) > 9 {
		t.Fatalf("labels %v", labels)
	}
	held, err := HeldOut(100, images.Options{Height: 32, Width: 32}) // loads the test split itself
	if err != nil {
		t.Fatal(err)
	}
	test, _ := loaded[Test]()
	if got := held.X.Shape().Dimensions; !slices.Equal(got, []int{100, 32, 32, 1}) {
		t.Fatalf("held-out shape %v", got)
	}
	again, _ := images.HeldOut(test, 100, images.Options{Height: 32, Width: 32, Seed: 99})
	if !slices.Equal(tensors.MustCopyFlatData[float32](held.X), tensors.MustCopyFlatData[float32](again.X)) {
		t.Fatal("held-out set depends on the seed")
	}
}

func TestMissingAndCorrupt(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(DirVar, dir)
	_, err := Load(Train)
	if err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte") || !strings.Contains(err.Error(), dir) ||
		!strings.Contains(err.Error(), "apt-get install dataset-fashion-mnist") {
		t.Fatalf("missing files: %v", err)
	}
	_, err = LoadDir(filepath.Join(dir, "nowhere"), Test)
	if err == nil || !strings.Contains(err.Error(), "t10k-images-idx3-ubyte") {
		t.Fatalf("missing dir: %v", err)
	}
	// Images present but the labels file is garbage.
	needData(t)
	img, _, _ := Files(DefaultDir, Test)
	raw, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), raw, 0o644)
	os.WriteFile(filepath.Join(dir, "t10k-labels-idx1-ubyte"), []byte("not an idx file"), 0o644)
	_, err = Load(Test)
	if err == nil || !strings.Contains(err.Error(), "fashionmnist:") || !strings.Contains(err.Error(), "t10k-labels-idx1-ubyte") ||
		!strings.Contains(err.Error(), "bad magic") {
		t.Fatalf("corrupt labels: %v", err)
	}
	if _, _, err := Files(dir, Split(5)); err == nil {
		t.Fatal("unknown split accepted")
	}
}

// BenchmarkBatch256At32 measures batch throughput: 256 Fashion-MNIST training images padded from 28×28 to
// 32×32, flipped at random, normalised, as float32 tensors (reported as images/s).
func BenchmarkBatch256At32(b *testing.B) {
	benchmarkBatch(b, images.Options{Seed: 1, Flip: true, Height: 32, Width: 32})
}

// BenchmarkBatch256ResizeTo32 is the same with bilinear resizing instead of padding.
func BenchmarkBatch256ResizeTo32(b *testing.B) {
	benchmarkBatch(b, images.Options{Seed: 1, Flip: true, Height: 32, Width: 32, Fit: images.Resize})
}

func benchmarkBatch(b *testing.B, opt images.Options) {
	needData(b)
	src, err := NewSource(opt)
	if err != nil {
		b.Fatal(err)
	}
	graphtest.BenchBatches(b, src, 256)
}

// BenchmarkLoadTrain measures decoding the 60000 training images and labels from the .gz files.
func BenchmarkLoadTrain(b *testing.B) {
	needData(b)
	for b.Loop() {
		if _, err := Load(Train); err != nil {
			b.Fatal(err)
		}
	}
}
