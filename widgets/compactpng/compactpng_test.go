package compactpng

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// meanError is the mean absolute channel difference of two images of the same size.
func meanError(a, b image.Image) float64 {
	sum, n := 0, 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := color.NRGBAModel.Convert(a.At(x, y)).(color.NRGBA)
			q := color.NRGBAModel.Convert(b.At(x-r.Min.X+b.Bounds().Min.X, y-r.Min.Y+b.Bounds().Min.Y)).(color.NRGBA)
			sum += abs(int(p.R)-int(q.R)) + abs(int(p.G)-int(q.G)) + abs(int(p.B)-int(q.B)) + abs(int(p.A)-int(q.A))
			n += 4
		}
	}
	return float64(sum) / float64(n)
}

// chartLike draws a white image with grid lines and anti-aliased curves: many colours, most pixels
// in a few of them.
func chartLike() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for x := 0; x < 400; x++ {
		for y := 0; y < 300; y++ {
			if x%50 == 0 || y%50 == 0 {
				img.Set(x, y, color.RGBA{0xE3, 0xE3, 0xE3, 255})
			}
		}
		// An anti-aliased curve: fractional coverage gives intermediate colours.
		fy := 150 + 100*float64(x*x%397)/397*0.3
		y0 := int(fy)
		f := fy - float64(y0)
		mix := func(w float64) color.RGBA {
			return color.RGBA{uint8(255 - w*(255-0x4C)), uint8(255 - w*(255-0x72)), uint8(255 - w*(255-0xB0)), 255}
		}
		img.Set(x, y0, mix(1-f))
		img.Set(x, y0+1, color.RGBA{0x4C, 0x72, 0xB0, 255})
		img.Set(x, y0+2, mix(f))
	}
	return img
}

func TestEncodeFewColoursIsLossless(t *testing.T) {
	img := image.NewRGBA(image.Rect(3, 4, 103, 84))
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(img.Pix); i += 4 {
		v := uint8(r.IntN(200))
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = v, v, v, 255
	}
	b, err := Encode(img)
	if err != nil {
		t.Fatal(err)
	}
	if e := meanError(img, decode(t, b)); e != 0 {
		t.Errorf("a 200-colour image changed (mean error %g)", e)
	}
}

func TestEncodeChartUsesAPalette(t *testing.T) {
	img := chartLike()
	var lossless bytes.Buffer
	_ = (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&lossless, img)
	b, err := Encode(img)
	if err != nil {
		t.Fatal(err)
	}
	got := decode(t, b)
	if _, ok := got.(*image.Paletted); !ok {
		t.Errorf("a chart-like image was stored as %T, want a palette image", got)
	}
	if e := meanError(img, got); e > MaxMeanError {
		t.Errorf("mean error %g > %g", e, MaxMeanError)
	}
	if b2, _ := Recompress(lossless.Bytes()); !bytes.Equal(b2, b) {
		t.Error("Recompress of the lossless PNG differs from Encode of the image")
	}
}

func TestEncodeNoiseStaysLossless(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	r := rand.New(rand.NewPCG(3, 4))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	b, err := Encode(img)
	if err != nil {
		t.Fatal(err)
	}
	if e := meanError(img, decode(t, b)); e != 0 {
		t.Errorf("a photograph-like image changed (mean error %g)", e)
	}
	// Recompress never returns something larger than its input.
	if out, err := Recompress(b); err != nil || len(out) > len(b) {
		t.Errorf("Recompress: %d bytes from %d, %v", len(out), len(b), err)
	}
	if _, err := Recompress([]byte("not a png")); err == nil {
		t.Error("Recompress accepted garbage")
	}
}

func TestWriteFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.png")
	if err := WriteFile("test", p, func() ([]byte, error) { return []byte("png"), nil }); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "png" {
		t.Errorf("file holds %q (%v)", b, err)
	}
	boom := errors.New("boom")
	if err := WriteFile("test", p, func() ([]byte, error) { return nil, boom }); err != boom {
		t.Errorf("encoding error: %v", err)
	}
	bad := filepath.Join(p, "no", "such.png")
	if err := WriteFile("test", bad, func() ([]byte, error) { return []byte("png"), nil }); err == nil ||
		!strings.HasPrefix(err.Error(), "test: writing "+bad+": ") {
		t.Errorf("unwritable path: %v", err)
	}
}
