package idx

import (
	"bytes"
	"compress/gzip"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the decoder, both as a reader of unknown length (Decode) and as a
// file of known length (ReadFile's path): it must return an array whose data matches its dimensions, or a
// named error, never panic or allocate what the input cannot hold. The seeds in testdata/fuzz/FuzzDecode
// include the header that claimed 2^40 bytes and made Decode allocate them.
func FuzzDecode(f *testing.F) {
	var raw, gz bytes.Buffer
	a := &Array{Dims: []int{2, 2, 3}, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}
	if err := Encode(&raw, a); err != nil {
		f.Fatal(err)
	}
	zw := gzip.NewWriter(&gz)
	if err := Encode(zw, &Array{Dims: []int{3}, Data: []byte{2, 0, 1}}); err != nil {
		f.Fatal(err)
	}
	zw.Close()
	f.Add(raw.Bytes())
	f.Add(gz.Bytes())
	f.Add([]byte{0, 0, 8, 1, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, known := range []int64{-1, int64(len(data))} {
			got, err := decode(bytes.NewReader(data), known, "fuzz")
			if err != nil {
				if got != nil {
					t.Fatalf("size %d: array %v returned with error %v", known, got.Dims, err)
				}
				continue
			}
			n, serr := size(got.Dims)
			if serr != nil || int64(len(got.Data)) != n {
				t.Fatalf("size %d: dims %v with %d data bytes (%v)", known, got.Dims, len(got.Data), serr)
			}
			if !(data[0] == 0x1f && data[1] == 0x8b) {
				var back bytes.Buffer
				if err := Encode(&back, got); err != nil || !bytes.Equal(back.Bytes(), data) {
					t.Fatalf("size %d: decoded %v does not encode back to the input (%v)", known, got.Dims, err)
				}
			}
		}
	})
}

// TestHugeHeaderIsNamedError: a header claiming more than MaxBytes is refused by name before any
// allocation, and one claiming less than that but more than the input holds reads as truncated.
func TestHugeHeaderIsNamedError(t *testing.T) {
	huge := []byte{0, 0, 8, 3, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0} // 2^16 × 2^16 × 2^8 = 1 TiB
	_, err := Decode(bytes.NewReader(huge), "huge")
	wantErr(t, err, "idx: huge: header dimensions [65536 65536 256]", "4 GiB", "limit")
	big := []byte{0, 0, 8, 3, 0, 1, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 1, 7} // 2^31 bytes claimed, 1 given
	_, err = Decode(bytes.NewReader(big), "big")
	wantErr(t, err, "idx: big: truncated", "data ends after 1")
}
