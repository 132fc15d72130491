package imagefolder

import (
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func save(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if strings.HasSuffix(path, ".png") {
		err = png.Encode(f, img)
	} else {
		err = jpeg.Encode(f, img, &jpeg.Options{Quality: 100})
	}
	if err != nil {
		t.Fatal(err)
	}
}

func solid(w, h int, c color.Color) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, c)
		}
	}
	return m
}

func grayImg(w, h int, v uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = v
	}
	return g
}

// tree writes: zebra/a.png (red), zebra/sub/b.jpg (gray 100, JPEG), apple/x.PNG (gray 30), apple/y.jpeg
// (green), plus files that must be skipped.
func tree(t *testing.T) string {
	root := t.TempDir()
	save(t, filepath.Join(root, "zebra", "a.png"), solid(4, 3, color.RGBA{255, 0, 0, 255}))
	save(t, filepath.Join(root, "zebra", "sub", "b.jpg"), grayImg(4, 3, 100))
	save(t, filepath.Join(root, "apple", "x.PNG"), grayImg(4, 3, 30))
	save(t, filepath.Join(root, "apple", "y.jpeg"), solid(4, 3, color.RGBA{0, 200, 0, 255}))
	os.WriteFile(filepath.Join(root, "apple", "notes.txt"), []byte("skip me"), 0o644)
	os.WriteFile(filepath.Join(root, "apple", ".hidden.png"), []byte("not decoded"), 0o644)
	os.MkdirAll(filepath.Join(root, ".cache"), 0o755)
	os.WriteFile(filepath.Join(root, "README"), []byte("top-level file"), 0o644)
	return root
}

func near(a, b uint8, tol int) bool { return int(a)-int(b) <= tol && int(b)-int(a) <= tol }

func TestLoadRGBAndGray(t *testing.T) {
	root := tree(t)
	rgb, err := Load(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rgb.ClassNames, []string{"apple", "zebra"}) || !slices.Equal(rgb.Labels, []int32{0, 0, 1, 1}) {
		t.Fatalf("classes %v labels %v", rgb.ClassNames, rgb.Labels)
	}
	if rgb.Len() != 4 || rgb.Height != 3 || rgb.Width != 4 || rgb.Channels != 3 {
		t.Fatalf("set %v", rgb)
	}
	// Order: apple/x.PNG (gray 30 → 30,30,30), apple/y.jpeg (green, JPEG-approximate), zebra/a.png (red),
	// zebra/sub/b.jpg (gray 100).
	want := [][3]uint8{{30, 30, 30}, {0, 200, 0}, {255, 0, 0}, {100, 100, 100}}
	for i, w := range want {
		px := rgb.ImagePixels(i)
		for k := range 3 {
			if !near(px[5*3+k], w[k], 3) {
				t.Fatalf("image %d pixel 5 = %v, want ≈ %v", i, px[15:18], w)
			}
		}
	}
	gray, err := Load(root, Options{Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Luma 0.299 R + 0.587 G + 0.114 B: red → 76, green 200 → 117.
	for i, w := range []uint8{30, 117, 76, 100} {
		if px := gray.ImagePixels(i); len(px) != 12 || !near(px[7], w, 3) {
			t.Fatalf("gray image %d pixel = %d, want ≈ %d", i, px[7], w)
		}
	}
}

func TestResizeAndCrop(t *testing.T) {
	root := t.TempDir()
	// A 2×6 image: columns 0–1 black, 2–3 white, 4–5 black; center-crop to 2×2 keeps the white middle.
	m := image.NewGray(image.Rect(0, 0, 6, 2))
	for y := range 2 {
		m.Pix[y*6+2], m.Pix[y*6+3] = 255, 255
	}
	save(t, filepath.Join(root, "a", "bars.png"), m)
	save(t, filepath.Join(root, "b", "big.png"), grayImg(8, 8, 77))
	crop, err := Load(root, Options{Channels: 1, Height: 2, Width: 2, Fit: CenterCrop})
	if err != nil {
		t.Fatal(err)
	}
	if got := crop.ImagePixels(0); !slices.Equal(got, []uint8{255, 255, 255, 255}) {
		t.Fatalf("center crop of the bars: %v", got)
	}
	if got := crop.ImagePixels(1); !slices.Equal(got, []uint8{77, 77, 77, 77}) {
		t.Fatalf("8×8 constant shrunk to 2×2: %v", got)
	}
	stretch, err := Load(root, Options{Channels: 3, Height: 2, Width: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Stretching 6 → 3 columns averages pairs with the antialiasing triangle: the middle column is brightest.
	px := stretch.ImagePixels(0)
	if !(px[3] > px[0] && px[3] > px[6]) || px[0] != px[6] {
		t.Fatalf("stretched bars row %v", px[:9])
	}
	if _, err := Load(root, Options{Channels: 1}); err == nil || !strings.Contains(err.Error(), "big.png is 8×8") ||
		!strings.Contains(err.Error(), "bars.png is 2×6") {
		t.Fatalf("mixed sizes without a size: %v", err)
	}
}

func TestErrors(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "none"), Options{})
	if err == nil || !strings.Contains(err.Error(), "none not found") {
		t.Fatalf("missing root: %v", err)
	}
	empty := t.TempDir()
	if _, err := Load(empty, Options{}); err == nil || !strings.Contains(err.Error(), "no class sub-folders") {
		t.Fatalf("empty root: %v", err)
	}
	os.MkdirAll(filepath.Join(empty, "cls"), 0o755)
	os.WriteFile(filepath.Join(empty, "cls", "a.txt"), nil, 0o644)
	if _, err := Load(empty, Options{}); err == nil || !strings.Contains(err.Error(), filepath.Join(empty, "cls")+" holds no") {
		t.Fatalf("empty class: %v", err)
	}
	root := tree(t)
	bad := filepath.Join(root, "zebra", "c.png")
	os.WriteFile(bad, []byte("\x89PNG but not really"), 0o644)
	if _, err := Load(root, Options{}); err == nil || !strings.Contains(err.Error(), bad) ||
		!strings.Contains(err.Error(), "cannot decode") {
		t.Fatalf("undecodable image: %v", err)
	}
	for _, opt := range []Options{{Channels: 2}, {Height: 3}, {Height: -1, Width: -1}, {Fit: 9}} {
		if _, err := Load(root, opt); err == nil {
			t.Fatalf("options %+v accepted", opt)
		}
	}
}
