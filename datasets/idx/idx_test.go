package idx

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	t.Log(err)
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not contain %q", err, p)
		}
	}
}

// tiny writes a 3-image 2×4 images file and its labels, raw or gzipped, and returns their paths.
func tiny(t *testing.T, gz bool) (imgPath, lblPath string, px []byte) {
	dir := t.TempDir()
	ext := ""
	if gz {
		ext = ".gz"
	}
	px = make([]byte, 3*2*4)
	for i := range px {
		px[i] = byte(i * 10)
	}
	imgPath, lblPath = filepath.Join(dir, "img-idx3-ubyte"+ext), filepath.Join(dir, "lbl-idx1-ubyte"+ext)
	if err := WriteFile(imgPath, &Array{Dims: []int{3, 2, 4}, Data: px}); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(lblPath, &Array{Dims: []int{3}, Data: []byte{2, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	return imgPath, lblPath, px
}

func TestRoundTrip(t *testing.T) {
	for _, gz := range []bool{false, true} {
		imgPath, lblPath, px := tiny(t, gz)
		raw, _ := os.ReadFile(imgPath)
		if isGz := raw[0] == 0x1f && raw[1] == 0x8b; isGz != gz {
			t.Fatalf("gz=%v: file compressed=%v", gz, isGz)
		}
		if !gz && (binary.BigEndian.Uint32(raw) != ImagesMagic || len(raw) != 16+len(px)) {
			t.Fatalf("raw file: magic %#x, %d bytes", binary.BigEndian.Uint32(raw), len(raw))
		}
		a, err := ReadFile(imgPath)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a.Dims, []int{3, 2, 4}) || !bytes.Equal(a.Data, px) || a.Magic() != ImagesMagic {
			t.Fatalf("gz=%v: read back dims %v magic %#x", gz, a.Dims, a.Magic())
		}
		set, err := LoadSet("tiny", imgPath, lblPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		if set.Len() != 3 || set.Height != 2 || set.Width != 4 || set.Channels != 1 ||
			!slices.Equal(set.Labels, []int32{2, 0, 1}) || !slices.Equal(set.ClassNames, []string{"0", "1", "2"}) ||
			set.ImagePixels(1)[0] != 80 {
			t.Fatalf("LoadSet: %v labels %v names %v", set, set.Labels, set.ClassNames)
		}
	}
	// Decode from a reader, and a 4-dimensional array.
	var buf bytes.Buffer
	if err := Encode(&buf, &Array{Dims: []int{1, 1, 2, 3}, Data: []byte{1, 2, 3, 4, 5, 6}}); err != nil {
		t.Fatal(err)
	}
	a, err := Decode(&buf, "mem")
	if err != nil || a.Magic() != 0x804 || a.Data[5] != 6 {
		t.Fatalf("Decode: %v %v", a, err)
	}
}

// write stores raw bytes in a temp file, gzipping them if gz.
func write(t *testing.T, name string, b []byte, gz bool) string {
	p := filepath.Join(t.TempDir(), name)
	if gz {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		b = buf.Bytes()
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func header(magic uint32, dims ...uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return b
}

func TestCorruptFiles(t *testing.T) {
	good := append(header(ImagesMagic, 2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8)
	for _, gz := range []bool{false, true} {
		_, err := ReadFile(write(t, "bad-magic", append(header(0x12340803, 2, 2, 2), make([]byte, 8)...), gz))
		wantErr(t, err, "idx:", "bad-magic", "bad magic number 0x12340803")
		_, err = ReadFile(write(t, "float", append(header(0x0D03, 1, 1, 1), 0, 0, 0, 0), gz))
		wantErr(t, err, "float32 elements are not supported")
		_, err = ReadFile(write(t, "short", good[:len(good)-3], gz))
		wantErr(t, err, "short", "truncated", "8 data bytes")
		_, err = ReadFile(write(t, "long", append(slices.Clone(good), 9, 9), gz))
		wantErr(t, err, "long", "trailing", "8 data bytes")
		_, err = ReadFile(write(t, "cut-header", good[:9], gz))
		wantErr(t, err, "cut-header", "truncated", "header")
		_, err = ReadFile(write(t, "empty", nil, gz))
		wantErr(t, err, "empty")
		// A header claiming a huge array must fail on the data, not allocate it.
		_, err = ReadFile(write(t, "huge", append(header(ImagesMagic, 1<<30, 1<<10, 1<<10), 1, 2, 3), gz))
		wantErr(t, err, "huge", "dimensions")
		_, err = ReadFile(write(t, "big", append(header(ImagesMagic, 60000, 28, 28), 1, 2, 3), gz))
		wantErr(t, err, "big", "truncated", "47040000 data bytes")
	}
	// Damaged gzip: a flipped byte inside the compressed data, a cut stream, and a bad checksum.
	p := write(t, "ok.gz", append(good, make([]byte, 4000)...), true)
	_, err := ReadFile(p)
	wantErr(t, err, "trailing") // (the 4000 zeros) proves the file decodes before we damage it
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(good)
	zw.Close()
	z := buf.Bytes()
	badCRC := slices.Clone(z)
	badCRC[len(badCRC)-8] ^= 0xff
	_, err = ReadFile(write(t, "crc.gz", badCRC, false))
	wantErr(t, err, "crc.gz", "corrupt gzip stream", "checksum")
	_, err = ReadFile(write(t, "cut.gz", z[:len(z)-10], false))
	wantErr(t, err, "cut.gz", "truncated")
	badData := slices.Clone(z)
	badData[12] ^= 0xff
	_, err = ReadFile(write(t, "flip.gz", badData, false))
	wantErr(t, err, "flip.gz")
	_, err = ReadFile(write(t, "hdr.gz", []byte{0x1f, 0x8b, 0, 0}, false))
	wantErr(t, err, "hdr.gz", "gzip")
	_, err = ReadFile(filepath.Join(t.TempDir(), "missing"))
	wantErr(t, err, "idx:", "missing", "no such file")
	_, err = ReadFile(t.TempDir())
	wantErr(t, err, "is a directory")
}

func TestLoadSetErrors(t *testing.T) {
	imgPath, lblPath, _ := tiny(t, true)
	_, err := LoadSet("x", lblPath, lblPath, nil)
	wantErr(t, err, "want 0x00000803 for an images file")
	_, err = LoadSet("x", imgPath, imgPath, nil)
	wantErr(t, err, "want 0x00000801 for a labels file")
	_, err = LoadSet("x", imgPath, lblPath, []string{"a", "b"})
	wantErr(t, err, lblPath, "label 2 of example 0 outside [0, 2)")
	short := write(t, "lbl", append(header(LabelsMagic, 2), 0, 1), true)
	_, err = LoadSet("x", imgPath, short, nil)
	wantErr(t, err, "count mismatch", "2 labels", "3 images")
	if err := WriteFile(filepath.Join(t.TempDir(), "x"), &Array{Dims: []int{2, 2}, Data: []byte{1}}); err == nil {
		t.Fatal("WriteFile accepted 1 byte for dimensions [2 2]")
	}
}
