package images

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/internal/graphtest"
)

// indexedSet returns n images of h×w×c whose every pixel value (channel k adds 50·k) identifies the image:
// pixel(i) = i mod 200. Labels are i mod classes.
func indexedSet(t testing.TB, n, h, w, c, classes int) *Set {
	t.Helper()
	px := make([]uint8, n*h*w*c)
	labels := make([]int32, n)
	for i := range n {
		for p := range h * w {
			for k := range c {
				px[(i*h*w+p)*c+k] = uint8(i%200 + 50*k%56)
			}
		}
		labels[i] = int32(i % classes)
	}
	names := make([]string, classes)
	for k := range names {
		names[k] = string(rune('a' + k))
	}
	s, err := New("indexed", h, w, c, px, labels, names)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func labelsOf(t testing.TB, b datasets.Batch) []int32 {
	t.Helper()
	v, err := tensors.CopyFlatData[int32](b.Cond.Labels)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not contain %q", err, p)
		}
	}
}

func TestNewValidates(t *testing.T) {
	_, err := New("x", 2, 2, 2, make([]uint8, 8), []int32{0}, []string{"a"})
	wantErr(t, err, "images:", `"x"`, "2 channels")
	_, err = New("x", 2, 2, 1, make([]uint8, 7), []int32{0, 0}, []string{"a"})
	wantErr(t, err, "7 pixel values for 2 labels")
	_, err = New("x", 2, 2, 1, make([]uint8, 8), []int32{0, 3}, []string{"a", "b"})
	wantErr(t, err, "label 3 of image 1 outside [0, 2)")
	_, err = New("x", 0, 2, 1, nil, nil, []string{"a"})
	wantErr(t, err, "0×2 must be positive")
	_, err = New("x", 1, 1, 1, []uint8{1}, []int32{0}, nil)
	wantErr(t, err, "no class names")
	_, err = NewSource(&Set{Name: "empty", Height: 1, Width: 1, Channels: 1, ClassNames: []string{"a"}}, Options{})
	wantErr(t, err, `set "empty" is empty`)
}

func TestSetSubsets(t *testing.T) {
	s := indexedSet(t, 20, 2, 3, 1, 4)
	h, err := s.Head(5)
	if err != nil || h.Len() != 5 || h.ImagePixels(4)[0] != 4 {
		t.Fatalf("Head(5): %v, %v", h, err)
	}
	if _, err := s.Slice(3, 21); err == nil {
		t.Fatal("Slice past the end succeeded")
	}
	sel, err := s.Select([]int{7, 2})
	if err != nil || sel.ImagePixels(0)[5] != 7 || sel.Labels[1] != 2 {
		t.Fatalf("Select: %v %v", sel, err)
	}
	sub, err := s.Classes([]int{3, 1}, true)
	if err != nil {
		t.Fatal(err)
	}
	if sub.Len() != 10 || !slices.Equal(sub.ClassNames, []string{"d", "b"}) {
		t.Fatalf("Classes: %d images, names %v", sub.Len(), sub.ClassNames)
	}
	for i := range sub.Len() {
		orig := int(sub.ImagePixels(i)[0])
		want := int32(0) // original class 3 → 0, class 1 → 1
		if orig%4 == 1 {
			want = 1
		} else if orig%4 != 3 {
			t.Fatalf("image %d of class %d in subset {3,1}", orig, orig%4)
		}
		if sub.Labels[i] != want {
			t.Fatalf("relabelled image %d has label %d, want %d", orig, sub.Labels[i], want)
		}
	}
	kept, err := s.Classes([]int{2}, false)
	if err != nil || kept.Len() != 5 || kept.Labels[0] != 2 || kept.NumClasses() != 4 {
		t.Fatalf("Classes without relabel: %v %v", kept, err)
	}
	_, err = s.Classes([]int{1, 1}, true)
	wantErr(t, err, "class 1 listed twice")
	_, err = s.Classes([]int{9}, true)
	wantErr(t, err, "class 9 outside [0, 4)")
	if got := s.ClassCounts(); !slices.Equal(got, []int{5, 5, 5, 5}) {
		t.Fatalf("ClassCounts = %v", got)
	}
	rest, held, err := s.Split(6, 1)
	if err != nil || rest.Len() != 14 || held.Len() != 6 {
		t.Fatalf("Split: %v %v %v", rest, held, err)
	}
	seen := map[uint8]bool{}
	for _, part := range []*Set{rest, held} {
		for i := range part.Len() {
			seen[part.ImagePixels(i)[0]] = true
		}
	}
	if len(seen) != 20 {
		t.Fatalf("Split lost images: %d distinct of 20", len(seen))
	}
	_, held2, _ := s.Split(6, 1)
	_, held3, _ := s.Split(6, 2)
	if !slices.Equal(held.Pixels, held2.Pixels) || slices.Equal(held.Pixels, held3.Pixels) {
		t.Fatal("Split is not a function of its seed")
	}
}

// handImage is a 2×3 grayscale image:
//
//	10 20 30
//	40 50 60
func handImage(t *testing.T) *Set {
	s, err := New("hand", 2, 3, 1, []uint8{10, 20, 30, 40, 50, 60}, []int32{0}, []string{"only"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// render returns image 0 of a Source with the given options, flipped or not, as pixel values.
func render(t *testing.T, s *Set, opt Options, flip bool) []int {
	t.Helper()
	src, err := NewSource(s, opt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := src.Gather([]int{0}, []bool{flip})
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, v := range graphtest.Flat(t, b.X) {
		out = append(out, int(Denormalize(v)))
	}
	return out
}

func TestPadFlipCrop(t *testing.T) {
	s := handImage(t)
	cases := []struct {
		name string
		opt  Options
		flip bool
		want []int
	}{
		{"identity", Options{}, false, []int{10, 20, 30, 40, 50, 60}},
		{"flip", Options{}, true, []int{30, 20, 10, 60, 50, 40}},
		// 2×3 → 4×6: one row above and below; columns 1 left, 2 right (odd margin goes right).
		{"pad", Options{Height: 4, Width: 6}, false, []int{
			0, 0, 0, 0, 0, 0,
			0, 10, 20, 30, 0, 0,
			0, 40, 50, 60, 0, 0,
			0, 0, 0, 0, 0, 0}},
		{"pad value flip", Options{Height: 2, Width: 5, PadValue: 255}, true, []int{
			255, 30, 20, 10, 255,
			255, 60, 50, 40, 255}},
		{"pad edge", Options{Height: 4, Width: 5, Fit: PadEdge}, false, []int{
			10, 10, 20, 30, 30,
			10, 10, 20, 30, 30,
			40, 40, 50, 60, 60,
			40, 40, 50, 60, 60}},
		{"pad edge flip", Options{Height: 2, Width: 4, Fit: PadEdge}, true, []int{
			30, 30, 20, 10,
			60, 60, 50, 40}},
		{"crop", Options{Height: 1, Width: 1}, false, []int{20}},
		{"crop and pad", Options{Height: 1, Width: 5}, false, []int{0, 10, 20, 30, 0}},
	}
	for _, c := range cases {
		if got := render(t, s, c.opt, c.flip); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPadRGB(t *testing.T) {
	// 1×2 RGB image padded to 1×4 with PadEdge, then flipped: channels must stay together.
	s, err := New("rgb", 1, 2, 3, []uint8{1, 2, 3, 4, 5, 6}, []int32{0}, []string{"c"})
	if err != nil {
		t.Fatal(err)
	}
	got := render(t, s, Options{Height: 1, Width: 4, Fit: PadEdge}, true)
	want := []int{4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestResize(t *testing.T) {
	// Enlarging a 1×2 row [0, 100] to 1×4 matches bilinear with half-pixel centres
	// (PyTorch align_corners=False): source coordinates −0.25, 0.25, 0.75, 1.25 clamp to 0, 25, 75, 100.
	row, err := New("row", 1, 2, 1, []uint8{0, 100}, []int32{0}, []string{"c"})
	if err != nil {
		t.Fatal(err)
	}
	if got := render(t, row, Options{Height: 1, Width: 4, Fit: Resize}, false); !slices.Equal(got, []int{0, 25, 75, 100}) {
		t.Fatalf("enlarge: got %v", got)
	}
	if got := render(t, row, Options{Height: 1, Width: 4, Fit: Resize}, true); !slices.Equal(got, []int{100, 75, 25, 0}) {
		t.Fatalf("enlarge flipped: got %v", got)
	}
	// Shrinking 1×4 [0, 70, 140, 210] to 1×2 averages with a triangle of half-width 2 (antialiasing):
	// output 0 is centred at 1.0: weights 0.75, 0.75, 0.25 on pixels 0, 1, 2 → (52.5 + 35) / 1.75 = 50.
	wide, _ := New("wide", 1, 4, 1, []uint8{0, 70, 140, 210}, []int32{0}, []string{"c"})
	if got := render(t, wide, Options{Height: 1, Width: 2, Fit: Resize}, false); !slices.Equal(got, []int{50, 160}) {
		t.Fatalf("shrink: got %v", got)
	}
	// Same size is an exact copy; a constant image stays constant at any size.
	s := handImage(t)
	if got := render(t, s, Options{Fit: Resize}, false); !slices.Equal(got, []int{10, 20, 30, 40, 50, 60}) {
		t.Fatalf("identity resize: %v", got)
	}
	c := indexedSet(t, 1, 5, 7, 3, 1)
	for _, size := range [][2]int{{3, 2}, {11, 13}, {5, 7}} {
		src, _ := NewSource(c, Options{Height: size[0], Width: size[1], Fit: Resize})
		b, _ := src.Range(0, 1)
		v := graphtest.Flat(t, b.X)
		if len(v) != size[0]*size[1]*3 {
			t.Fatalf("resize to %v: %d values", size, len(v))
		}
		for i, x := range v {
			if want := Normalize(uint8(50 * (i % 3) % 56)); math.Abs(float64(x-want)) > 1e-5 {
				t.Fatalf("resize to %v: value %d is %v, want %v", size, i, x, want)
			}
		}
	}
	// Resample (the uint8 form) agrees.
	out, err := Resample([]uint8{0, 100}, 1, 2, 1, 1, 4, Resize, 0)
	if err != nil || !slices.Equal(out, []uint8{0, 25, 75, 100}) {
		t.Fatalf("Resample: %v %v", out, err)
	}
	if _, err := Resample([]uint8{1, 2, 3}, 1, 2, 1, 1, 4, Resize, 0); err == nil {
		t.Fatal("Resample accepted 3 values for a 1×2 image")
	}
	if _, err := Resample([]uint8{1, 2}, 1, 2, 1, 1, 4, Fit(7), 0); err == nil {
		t.Fatal("Resample accepted an unknown fit")
	}
}

func TestNormalize(t *testing.T) {
	if Normalize(0) != -1 || Normalize(255) != 1 {
		t.Fatalf("Normalize(0), Normalize(255) = %v, %v", Normalize(0), Normalize(255))
	}
	for p := range 256 {
		if got := Denormalize(Normalize(uint8(p))); int(got) != p {
			t.Fatalf("Denormalize(Normalize(%d)) = %d", p, got)
		}
	}
	for x, want := range map[float32]uint8{-3: 0, 2: 255, float32(math.NaN()): 0, float32(math.Inf(1)): 255, 0: 128} {
		if got := Denormalize(x); got != want {
			t.Errorf("Denormalize(%v) = %d, want %d", x, got, want)
		}
	}
}

func TestSourceDeterminism(t *testing.T) {
	s := indexedSet(t, 50, 4, 4, 1, 10)
	opt := Options{Seed: 7, Flip: true, Height: 6, Width: 6}
	a, _ := NewSource(s, opt)
	b, _ := NewSource(s, opt) // a fresh source: nothing cached
	other, _ := NewSource(s, Options{Seed: 8, Flip: true, Height: 6, Width: 6})
	// Visit steps out of order on a: a resumed run starts in the middle.
	for _, step := range []int64{9, 0, 3, 1000, 3} {
		x, err := a.Batch(step, 16)
		if err != nil {
			t.Fatal(err)
		}
		y, _ := b.Batch(step, 16)
		if !slices.Equal(graphtest.Flat(t, x.X), graphtest.Flat(t, y.X)) || !slices.Equal(labelsOf(t, x), labelsOf(t, y)) {
			t.Fatalf("step %d: two sources with the same options differ", step)
		}
		if sh := x.X.Shape().Dimensions; !slices.Equal(sh, []int{16, 6, 6, 1}) {
			t.Fatalf("X shape %v", sh)
		}
		z, _ := other.Batch(step, 16)
		if slices.Equal(graphtest.Flat(t, x.X), graphtest.Flat(t, z.X)) {
			t.Fatalf("step %d: seeds 7 and 8 give the same batch", step)
		}
	}
	x0, _ := a.Batch(0, 16)
	x1, _ := a.Batch(1, 16)
	if slices.Equal(graphtest.Flat(t, x0.X), graphtest.Flat(t, x1.X)) {
		t.Fatal("steps 0 and 1 give the same batch")
	}
	if _, err := a.Batch(-1, 4); err == nil {
		t.Fatal("negative step accepted")
	}
	if _, err := a.Batch(0, 0); err == nil {
		t.Fatal("batch size 0 accepted")
	}
	if _, err := a.Batch(math.MaxInt64/2, 4); err == nil {
		t.Fatal("overflowing step accepted")
	}
	if !strings.Contains(a.Name(), "seed=7") || !strings.Contains(a.Name(), "flip") || !strings.Contains(a.Name(), "6x6x1") {
		t.Fatalf("Name %q does not describe the settings", a.Name())
	}
}

func TestEpochCoverage(t *testing.T) {
	const n = 100
	s := indexedSet(t, n, 2, 2, 1, 10)
	for _, size := range []int{10, 7, 100, 130} {
		src, _ := NewSource(s, Options{Seed: 3})
		var stream []int
		for step := int64(0); len(stream) < 3*n; step++ {
			b, err := src.Batch(step, size)
			if err != nil {
				t.Fatal(err)
			}
			v, labels := graphtest.Flat(t, b.X), labelsOf(t, b)
			for k := range size {
				img := int(Denormalize(v[k*4]))
				if labels[k] != int32(img%10) {
					t.Fatalf("label %d for image %d", labels[k], img)
				}
				stream = append(stream, img)
			}
		}
		var epochs [3][]int
		for e := range epochs {
			epochs[e] = slices.Clone(stream[e*n : (e+1)*n])
		}
		if slices.Equal(epochs[0], epochs[1]) {
			t.Fatalf("batch size %d: epochs 0 and 1 in the same order", size)
		}
		for e := range epochs {
			slices.Sort(epochs[e])
			for i, v := range epochs[e] {
				if v != i {
					t.Fatalf("batch size %d: epoch %d does not visit every image once (sorted: %v)", size, e, epochs[e])
				}
			}
		}
	}
	seq, _ := NewSource(s, Options{Sequential: true})
	b, _ := seq.Batch(14, 7) // positions 98..104: 98, 99, 0, 1, ...
	if got := labelsOf(t, b); !slices.Equal(got, []int32{8, 9, 0, 1, 2, 3, 4}) {
		t.Fatalf("sequential batch straddling the epoch: labels %v", got)
	}
}

func TestFlipDistribution(t *testing.T) {
	s := indexedSet(t, 64, 3, 3, 1, 2)
	// Make each image asymmetric: left column black, right column white.
	for i := range s.Len() {
		px := s.ImagePixels(i)
		for y := range 3 {
			px[y*3], px[y*3+2] = 0, 255
		}
	}
	src, _ := NewSource(s, Options{Seed: 1, Flip: true})
	flipped, total := 0, 0
	for step := range int64(20) {
		idx, flips, err := src.Indices(step, 32)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := src.Batch(step, 32)
		v := graphtest.Flat(t, b.X)
		for k := range idx {
			left, right := v[k*9], v[k*9+2]
			if (left == -1) == flips[k] || (right == 1) == flips[k] {
				t.Fatalf("step %d image %d: flip=%v but left %v right %v", step, k, flips[k], left, right)
			}
			if flips[k] {
				flipped++
			}
			total++
		}
	}
	if frac := float64(flipped) / float64(total); frac < 0.4 || frac > 0.6 {
		t.Fatalf("%.2f of images flipped, want about 0.5", frac)
	}
	// Flips are drawn per (seed, step): they change from step to step and with the seed.
	_, f0, _ := src.Indices(0, 32)
	_, f1, _ := src.Indices(1, 32)
	_, f0again, _ := src.Indices(0, 32)
	other, _ := NewSource(s, Options{Seed: 2, Flip: true})
	_, g0, _ := other.Indices(0, 32)
	if slices.Equal(f0, f1) || !slices.Equal(f0, f0again) || slices.Equal(f0, g0) {
		t.Fatalf("flips are not a function of (seed, step): step 0 %v, step 1 %v, seed 2 %v", f0, f1, g0)
	}
	noFlip, _ := NewSource(s, Options{Seed: 1})
	if _, flips, _ := noFlip.Indices(0, 32); slices.Contains(flips, true) {
		t.Fatal("flip without Options.Flip")
	}
}

func TestRangeHeldOutToImages(t *testing.T) {
	s := indexedSet(t, 30, 2, 2, 3, 3)
	b, err := HeldOut(s, 5, Options{Flip: true, Height: 4, Width: 4})
	if err != nil {
		t.Fatal(err)
	}
	if got := labelsOf(t, b); !slices.Equal(got, []int32{0, 1, 2, 0, 1}) {
		t.Fatalf("held-out labels %v", got)
	}
	imgs, err := ToImages(b.X)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 5 || imgs[3].Bounds().Dx() != 4 {
		t.Fatalf("%d images of width %d", len(imgs), imgs[3].Bounds().Dx())
	}
	r, g, bl, _ := imgs[3].At(1, 1).RGBA()
	if r>>8 != 3 || g>>8 != 53 || bl>>8 != 103-56 {
		t.Fatalf("image 3 pixel (1,1) = %d %d %d", r>>8, g>>8, bl>>8)
	}
	if r, _, _, _ := imgs[3].At(0, 0).RGBA(); r != 0 {
		t.Fatalf("padding pixel %d, want 0", r)
	}
	all, _ := HeldOut(s, 0, Options{})
	if all.X.Shape().Dimensions[0] != 30 {
		t.Fatalf("HeldOut(0) gave %v", all.X.Shape())
	}
	src, _ := NewSource(s, Options{})
	if _, err := src.Range(28, 5); err == nil {
		t.Fatal("Range past the end accepted")
	}
	if _, err := src.Gather([]int{30}, nil); err == nil {
		t.Fatal("Gather of index 30 of 30 accepted")
	}
	if _, err := ToImages(tensors.FromValue([][]float32{{1}})); err == nil {
		t.Fatal("ToImages accepted a rank-2 tensor")
	}
	if s.Image(0).Bounds().Dx() != 2 || s.Image(30) != nil {
		t.Fatal("Set.Image")
	}
}

func TestConcurrentBatches(t *testing.T) {
	s := indexedSet(t, 37, 3, 3, 1, 5)
	src, _ := NewSource(s, Options{Seed: 11, Flip: true, Height: 5, Width: 5})
	ref, _ := NewSource(s, Options{Seed: 11, Flip: true, Height: 5, Width: 5})
	const workers, steps = 4, 40
	got := make([][]float32, steps)
	done := make(chan bool)
	for w := range workers {
		go func() {
			for step := w; step < steps; step += workers {
				b, err := src.Batch(int64(step), 8) // 8 does not divide 37: batches straddle epochs
				if err != nil {
					t.Error(err)
				}
				got[step] = graphtest.Flat(t, b.X)
			}
			done <- true
		}()
	}
	for range workers {
		<-done
	}
	for step := range steps {
		b, _ := ref.Batch(int64(step), 8)
		if !slices.Equal(got[step], graphtest.Flat(t, b.X)) {
			t.Fatalf("step %d differs when batches are drawn concurrently", step)
		}
	}
}
