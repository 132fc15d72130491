package imagefolder

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// pngHeader returns the signature and IHDR chunk of a w×h 8-bit RGB PNG (no image data).
func pngHeader(w, h uint32) []byte {
	b := []byte("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	chunk := append([]byte("IHDR"), ihdr...)
	b = binary.BigEndian.AppendUint32(b, 13)
	b = append(b, chunk...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(chunk))
}

// FuzzDecode feeds arbitrary bytes to the image decoder and converts what decodes to 1 and 3 channels at
// the image's size and resized: a named error or pixels of the right length, never a panic, and never an
// allocation bigger than MaxPixels allows (the seed testdata/fuzz/FuzzDecode/huge-png-header claims a
// 100000×100000 PNG).
func FuzzDecode(f *testing.F) {
	var p, j bytes.Buffer
	png.Encode(&p, solid(3, 2, color.RGBA{10, 20, 30, 128}))
	jpeg.Encode(&j, grayImg(5, 4, 77), nil)
	f.Add(p.Bytes())
	f.Add(j.Bytes())
	f.Add(pngHeader(100000, 100000))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := decodeFrom(bytes.NewReader(data), "fuzz.png")
		if err != nil {
			if img != nil {
				t.Fatal("image returned with an error")
			}
			return
		}
		b := img.Bounds()
		for _, c := range []int{1, 3} {
			for _, size := range [][2]int{{b.Dy(), b.Dx()}, {3, 5}} {
				for _, fit := range []Fit{Stretch, CenterCrop} {
					opt := Options{Channels: c, Height: size[0], Width: size[1], Fit: fit}
					dst := make([]uint8, size[0]*size[1]*c)
					if err := convert(img, "fuzz.png", opt, "", dst); err != nil {
						t.Fatalf("decoded %v but convert to %+v failed: %v", b, opt, err)
					}
				}
			}
		}
	})
}

// TestHugeImageRefused: an image header claiming more than MaxPixels is a named error, not an allocation.
func TestHugeImageRefused(t *testing.T) {
	_, err := decodeFrom(bytes.NewReader(pngHeader(100000, 100000)), "big.png")
	if err == nil || err.Error() != "imagefolder: big.png: 100000×100000 image is larger than the 64-megapixel limit" {
		t.Fatalf("got %v", err)
	}
}
