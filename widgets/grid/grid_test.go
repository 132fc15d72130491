package grid

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mixflow/mixflow/widgets/internal/nb"
)

func TestFromFloatsGrayscaleAndRGB(t *testing.T) {
	// Two 2×3 grayscale images: image 0 is −1 (black) .. 1 (white) along x, image 1 is constant 0.
	data := []float32{
		-1, 0, 1,
		-1, 0, 1,
		0, 0, 0,
		0, 0, 0,
	}
	g, err := FromFloats(data, 2, 2, 3, 1, Options{Cols: 2, Scale: 1, Pad: 1})
	if err != nil {
		t.Fatal(err)
	}
	img := g.Image()
	// Cells are 3×2 with pad 1: image 0 at (1,1), image 1 at (5,1).
	if img.Bounds().Dx() != 1+2*(3+1) || img.Bounds().Dy() != 1+(2+1) {
		t.Fatalf("bounds %v", img.Bounds())
	}
	checks := []struct {
		x, y int
		v    uint8
	}{{1, 1, 0}, {2, 1, 128}, {3, 2, 255}, {5, 1, 128}, {0, 0, 255}}
	for _, c := range checks {
		r, gg, b, _ := img.At(c.x, c.y).RGBA()
		if uint8(r>>8) != c.v || uint8(gg>>8) != c.v || uint8(b>>8) != c.v {
			t.Errorf("pixel (%d,%d) = %d,%d,%d want gray %d", c.x, c.y, r>>8, gg>>8, b>>8, c.v)
		}
	}
	// One 1×2 RGB image, channels first: R plane, G plane, B plane; values beyond ±1 are clipped.
	rgb := []float32{1, -1, -1, 1, -1, 5}
	g, err = FromFloats(rgb, 1, 1, 2, 3, Options{Layout: ChannelsFirst, Scale: 1, Pad: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []color.RGBA{{255, 0, 0, 255}, {0, 255, 255, 255}}
	for x, w := range want {
		r, gg, b, _ := g.Image().At(1+x, 1).RGBA()
		if uint8(r>>8) != w.R || uint8(gg>>8) != w.G || uint8(b>>8) != w.B {
			t.Errorf("rgb pixel %d = %d,%d,%d want %v", x, r>>8, gg>>8, b>>8, w)
		}
	}
}

// TestWideGridsWrapIntoBands: 20 test images above their 20 reconstructions (Cols 20, as notebook 06
// draws them) come out 10 columns wide, as two bands of two rows, each image still above its pair.
func TestWideGridsWrapIntoBands(t *testing.T) {
	const n, cols = 40, 20
	imgs := make([]image.Image, n)
	for i := range imgs {
		im := image.NewGray(image.Rect(0, 0, 8, 8))
		for p := range im.Pix {
			im.Pix[p] = uint8(5 + 6*i)
		}
		imgs[i] = im
	}
	o := Options{Cols: cols, Scale: 1, Pad: 2, RowLabels: []string{"test", "reconstruction"}}
	g, err := FromImages(imgs, o)
	if err != nil {
		t.Fatal(err)
	}
	narrow, err := FromImages(imgs[:2*MaxCols], Options{Cols: MaxCols, Scale: 1, Pad: 2, RowLabels: o.RowLabels})
	if err != nil {
		t.Fatal(err)
	}
	if w, want := g.Image().Bounds().Dx(), narrow.Image().Bounds().Dx(); w != want {
		t.Errorf("grid of %d columns is %d pixels wide, want %d (%d columns)", cols, w, want, MaxCols)
	}
	// Find each image by its grey level: the centre of every cell.
	lay := layout{cols: cols, rows: 2, bandCols: MaxCols, pad: 2, cellW: 8, cellH: 8, bandGap: bandPad}
	lay.left = g.Image().Bounds().Dx() - (MaxCols*(8+2) + 2)
	at := map[int][2]int{}
	for y := 0; y < g.Image().Bounds().Dy(); y++ {
		for x := lay.left; x < g.Image().Bounds().Dx(); x++ {
			v, _, _, _ := g.Image().At(x, y).RGBA()
			if i := (int(v>>8) - 5) / 6; (int(v>>8)-5)%6 == 0 && i >= 0 && i < n {
				if _, ok := at[i]; !ok {
					at[i] = [2]int{x, y}
				}
			}
		}
	}
	for i := range n {
		r, c := i/cols, i%cols
		wx, wy := lay.cell(r, c)
		if got, ok := at[i]; !ok || got != [2]int{wx, wy} {
			t.Errorf("image %d (row %d, column %d) at %v, want its band's cell at (%d, %d)", i, r, c, got, wx, wy)
		}
	}
	// Pairs stay together: image c of the test row is right above image c of the reconstructions.
	for c := range cols {
		top, below := at[c], at[cols+c]
		if top[0] != below[0] || below[1]-top[1] != 8+2 {
			t.Errorf("column %d: test image at %v, reconstruction at %v: want it one row below", c, top, below)
		}
	}
}

func TestScaleIsNearestNeighbour(t *testing.T) {
	g, err := FromFloats([]float32{-1, 1}, 1, 1, 2, 1, Options{Scale: 4, Pad: 2})
	if err != nil {
		t.Fatal(err)
	}
	for x := 0; x < 8; x++ {
		r, _, _, _ := g.Image().At(2+x, 3).RGBA()
		want := uint32(0)
		if x >= 4 {
			want = 255
		}
		if r>>8 != want {
			t.Errorf("x=%d: %d, want %d", x, r>>8, want)
		}
	}
}

func TestCaptionsAndLabels(t *testing.T) {
	imgs := make([]image.Image, 6)
	for i := range imgs {
		im := image.NewGray(image.Rect(0, 0, 8, 8))
		for p := range im.Pix {
			im.Pix[p] = uint8(40 * i)
		}
		imgs[i] = im
	}
	plain, err := FromImages(imgs, Options{Cols: 3})
	if err != nil {
		t.Fatal(err)
	}
	g, err := FromImages(imgs, Options{Cols: 3, Title: "samples", Captions: []string{"a", "b", "c", "d", "e", "a rather long caption that will not fit"},
		RowLabels: []string{"baseline", "MixFlow"}, ColLabels: []string{"5 steps", "10 steps", "50 steps"}})
	if err != nil {
		t.Fatal(err)
	}
	pb, gb := plain.Image().Bounds(), g.Image().Bounds()
	if gb.Dx() <= pb.Dx() || gb.Dy() <= pb.Dy() {
		t.Errorf("labels did not add room: %v vs %v", gb, pb)
	}
	// Text was drawn: dark pixels exist in the title strip.
	dark := 0
	for y := 0; y < 20; y++ {
		for x := 0; x < gb.Dx(); x++ {
			if r, _, _, _ := g.Image().At(x, y).RGBA(); r < 0x8000 {
				dark++
			}
		}
	}
	if dark < 10 {
		t.Errorf("no title drawn (%d dark pixels)", dark)
	}
	// The images themselves are drawn under the labels: image i has gray level 40·i, and every level
	// appears in a large block of pixels.
	count := map[uint32]int{}
	for y := 0; y < gb.Dy(); y++ {
		for x := 0; x < gb.Dx(); x++ {
			r, gg, b, _ := g.Image().At(x, y).RGBA()
			if r == gg && gg == b {
				count[r>>8]++
			}
		}
	}
	for i := 0; i < 6; i++ {
		// 8×8 images scaled ×8 (to reach 64 pixels): 4096 pixels each.
		if count[uint32(40*i)] < 4096 {
			t.Errorf("image %d (gray %d) covers %d pixels, want 4096: the images were not drawn", i, 40*i, count[uint32(40*i)])
		}
	}
	if s := fit("a rather long caption that will not fit", 40); !strings.HasSuffix(s, "…") || textWidthPx(s, textPx) > 40 {
		t.Errorf("fit = %q", s)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{func() error { _, e := FromFloats(make([]float32, 5), 1, 2, 2, 1, Options{}); return e }(), "data has 5 values"},
		{func() error { _, e := FromFloats(make([]float32, 8), 1, 2, 2, 2, Options{}); return e }(), "2 channels"},
		{func() error {
			d := make([]float32, 4)
			d[3] = float32(math.NaN())
			_, e := FromFloats(d, 1, 2, 2, 1, Options{})
			return e
		}(), "pixel (y=1, x=1) channel 0 is NaN"},
		{func() error {
			_, e := FromFloats(make([]float32, 8), 2, 2, 2, 1, Options{Captions: []string{"x"}})
			return e
		}(), "1 captions for 2 images"},
		{func() error {
			_, e := FromFloats(make([]float32, 8), 2, 2, 2, 1, Options{Cols: 1, RowLabels: []string{"x"}})
			return e
		}(), "1 row labels for 2 rows"},
		{func() error { _, e := FromImages(nil, Options{}); return e }(), "no images"},
		{func() error { _, e := FromImages([]image.Image{nil}, Options{}); return e }(), "image 0 is nil"},
		{func() error { _, e := FromFloats(make([]float32, 4), 1, 2, 2, 1, Options{Scale: 100}); return e }(), "Scale 100"},
		{func() error {
			_, e := FromFloats(make([]float32, 200*200), 1, 200, 200, 1, Options{Scale: 64})
			return e
		}(), "larger than"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.HasPrefix(c.err.Error(), "grid: ") || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("error %v, want %q", c.err, c.want)
		}
	}
}

func TestDisplayAndSave(t *testing.T) {
	g, err := FromFloats(make([]float32, 4*28*28), 4, 28, 28, 1, Options{Title: "zeros"})
	if err != nil {
		t.Fatal(err)
	}
	var got []nb.Output
	nb.SetSink(func(_ string, o nb.Output) { got = append(got, o) })
	defer nb.SetSink(nil)
	if err := g.Display(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].PNG) != 0 || !strings.Contains(got[0].HTML, "data:image/png;base64,") || !strings.Contains(got[0].Text, "4 image(s)") {
		t.Fatalf("display (want the PNG once, inside the HTML): %+v", got)
	}
	b64 := strings.SplitN(strings.SplitN(got[0].HTML, "base64,", 2)[1], `"`, 2)[0]
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	im, err := png.Decode(bytes.NewReader(raw))
	if err != nil || im.Bounds() != g.Image().Bounds() {
		t.Fatalf("PNG decodes to %v (%v), want %v", im.Bounds(), err, g.Image().Bounds())
	}
	// 28-pixel images are scaled ×3 to reach 64 pixels: 2 columns of 84 + pads.
	if w := im.Bounds().Dx(); w != 2*(84+4)+4 {
		t.Errorf("width %d", w)
	}
	p := filepath.Join(t.TempDir(), "g.png")
	if err := g.Save(p); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	if err := g.Save(filepath.Join(t.TempDir(), "g.jpg")); err == nil {
		t.Error("Save accepted .jpg")
	}
}
