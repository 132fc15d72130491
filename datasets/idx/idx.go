// Package idx reads and writes IDX files, the format of MNIST and Fashion-MNIST (LeCun's "ubyte" files), raw
// or gzip-compressed, and loads an images/labels pair as an images.Set.
//
// An IDX file is a 4-byte magic number 0x0000TTNN (TT the element type, NN the number of dimensions), NN
// big-endian uint32 dimensions, then the elements in row-major order. MNIST-format images are unsigned bytes
// with 3 dimensions (magic 0x00000803: count, rows, columns) and labels unsigned bytes with 1 (0x00000801).
// Only unsigned-byte files are supported. Every size is checked against the file: a truncated, padded or
// corrupt file (bad magic, dimensions that disagree with its length, a damaged gzip stream) is an error that
// names the file and the problem, never a panic.
package idx

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

const (
	// ImagesMagic is the magic number of an MNIST-format images file: unsigned bytes, 3 dimensions.
	ImagesMagic = 0x00000803
	// LabelsMagic is the magic number of an MNIST-format labels file: unsigned bytes, 1 dimension.
	LabelsMagic = 0x00000801
	// typeUbyte is the IDX element-type code of unsigned bytes.
	typeUbyte = 0x08
	// maxElements bounds what a header may claim (1 TiB), so a corrupt header cannot overflow sizes.
	maxElements = 1 << 40
	// MaxBytes is the largest data block Decode and ReadFile accept (4 GiB, some 90 times Fashion-MNIST's
	// training images): a header claiming more is an error before anything is allocated.
	MaxBytes = 1 << 32
	// unknownSizeHint is what decode allocates up front when the input's length is unknown (Decode): the
	// buffer then grows only as data actually arrives, so a lying header cannot exhaust memory.
	unknownSizeHint = 1 << 20
)

// typeNames names the IDX element types, for errors about files this package does not read.
var typeNames = map[byte]string{0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "int16", 0x0C: "int32",
	0x0D: "float32", 0x0E: "float64"}

// Array is the content of an IDX file of unsigned bytes.
type Array struct {
	// Dims are the dimensions, outermost first (e.g. [60000, 28, 28] for Fashion-MNIST train images).
	Dims []int
	// Data holds the product of Dims bytes in row-major order.
	Data []byte
}

// Magic returns the array's IDX magic number, 0x0000080N for N dimensions.
func (a *Array) Magic() uint32 { return typeUbyte<<8 | uint32(len(a.Dims)) }

// size returns the product of dims, checking that each is non-negative and the product is at most 2^40.
func size(dims []int) (int64, error) {
	n := int64(1)
	for _, d := range dims {
		if d < 0 || int64(d) > maxElements {
			return 0, fmt.Errorf("dimension %d out of range", d)
		}
		if d == 0 {
			n = 0
			continue
		}
		if n != 0 && n > maxElements/int64(d) {
			return 0, fmt.Errorf("more than 2^40 elements")
		}
		n *= int64(d)
	}
	return n, nil
}

// ReadFile reads an IDX file of unsigned bytes, raw or gzip-compressed (recognised by its content, not its
// name).
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("idx: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("idx: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("idx: %s is a directory, want an IDX file", path)
	}
	a, err := decode(f, st.Size(), path)
	if err != nil {
		return nil, fmt.Errorf("idx: %s: %w", path, err)
	}
	return a, nil
}

// Decode reads an IDX array of unsigned bytes from r, raw or gzip-compressed; name is used in errors.
func Decode(r io.Reader, name string) (*Array, error) {
	a, err := decode(r, -1, name)
	if err != nil {
		return nil, fmt.Errorf("idx: %s: %w", name, err)
	}
	return a, nil
}

// decode reads an array; fileSize is the length of the (possibly compressed) input when known, else −1.
func decode(r io.Reader, fileSize int64, name string) (*Array, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, err := br.Peek(2)
	if err != nil && len(head) < 2 {
		return nil, fmt.Errorf("empty or %d-byte file, too short for an IDX header", len(head))
	}
	var in io.Reader = br
	compressed := head[0] == 0x1f && head[1] == 0x8b
	if compressed {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("bad gzip header: %w", err)
		}
		defer zr.Close()
		in = zr
	}
	wrap := func(err error, what string) error {
		if compressed && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("corrupt gzip stream while reading %s: %w", what, err)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if compressed {
				return fmt.Errorf("truncated gzip stream: it ends inside the %s", what)
			}
			return fmt.Errorf("truncated: file ends inside the %s", what)
		}
		return fmt.Errorf("reading %s: %w", what, err)
	}
	var magic [4]byte
	if _, err := io.ReadFull(in, magic[:]); err != nil {
		return nil, wrap(err, "magic number")
	}
	m := binary.BigEndian.Uint32(magic[:])
	if magic[0] != 0 || magic[1] != 0 || magic[3] == 0 {
		return nil, fmt.Errorf("bad magic number %#08x: not an IDX file (want 0x0000TTNN, e.g. %#08x for images, %#08x for labels)",
			m, ImagesMagic, LabelsMagic)
	}
	if magic[2] != typeUbyte {
		t, ok := typeNames[magic[2]]
		if !ok {
			return nil, fmt.Errorf("bad magic number %#08x: unknown IDX element type %#02x", m, magic[2])
		}
		return nil, fmt.Errorf("magic number %#08x: %s elements are not supported, only unsigned bytes (0x08)", m, t)
	}
	dimBytes := make([]byte, 4*int(magic[3]))
	if _, err := io.ReadFull(in, dimBytes); err != nil {
		return nil, wrap(err, fmt.Sprintf("header (%d dimensions)", magic[3]))
	}
	dims := make([]int, magic[3])
	for i := range dims {
		d := binary.BigEndian.Uint32(dimBytes[4*i:])
		if d > 1<<31-1 {
			return nil, fmt.Errorf("dimension %d is %d: corrupt header", i, d)
		}
		dims[i] = int(d)
	}
	n, err := size(dims)
	if err != nil {
		return nil, fmt.Errorf("header dimensions %v: %w", dims, err)
	}
	if n > MaxBytes {
		return nil, fmt.Errorf("header dimensions %v claim %d data bytes, more than the %d-byte (4 GiB) limit: corrupt header or not an image data set", dims, n, int64(MaxBytes))
	}
	headerLen := int64(4 + len(dimBytes))
	if !compressed && fileSize >= 0 && fileSize != headerLen+n {
		if fileSize < headerLen+n {
			return nil, fmt.Errorf("truncated: header %v says %d data bytes but the file holds %d", dims, n, fileSize-headerLen)
		}
		return nil, fmt.Errorf("header %v says %d data bytes but the file holds %d: %d trailing bytes",
			dims, n, fileSize-headerLen, fileSize-headerLen-n)
	}
	// Allocate up front only what the input can hold (a raw file's size bounds its data; for gzip, allow up
	// to 1000:1 compression), growing beyond that as data actually arrives.
	capHint := min(n, unknownSizeHint)
	if fileSize >= 0 {
		capHint = min(n, 1000*fileSize)
	}
	data, got, err := readN(in, n, capHint)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("truncated: header %v says %d data bytes but the data ends after %d", dims, n, got)
		}
		return nil, wrap(err, "data")
	}
	// Read on to the end: finds trailing bytes and makes gzip verify its checksum and length.
	var extra [1]byte
	k, err := io.ReadFull(in, extra[:])
	if k > 0 {
		rest, _ := io.Copy(io.Discard, in)
		return nil, fmt.Errorf("header %v says %d data bytes but %d trailing bytes follow", dims, n, rest+1)
	}
	if !errors.Is(err, io.EOF) {
		if compressed {
			return nil, wrap(err, "gzip trailer")
		}
		return nil, wrap(err, "end of the file")
	}
	return &Array{Dims: dims, Data: data}, nil
}

// readN reads exactly n bytes from r, allocating at most capHint bytes before data arrives.
func readN(r io.Reader, n, capHint int64) ([]byte, int64, error) {
	buf := make([]byte, 0, max(capHint, 0))
	for int64(len(buf)) < n {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow by append's policy
		}
		lim := min(int64(cap(buf)), n)
		k, err := r.Read(buf[len(buf):lim])
		buf = buf[:len(buf)+k]
		if err != nil && int64(len(buf)) < n {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, int64(len(buf)), err
		}
	}
	return buf, n, nil
}

// Encode writes the array as an uncompressed IDX file.
func Encode(w io.Writer, a *Array) error {
	if a == nil || len(a.Dims) == 0 || len(a.Dims) > 255 {
		return fmt.Errorf("idx: encode: need 1 to 255 dimensions")
	}
	n, err := size(a.Dims)
	if err != nil {
		return fmt.Errorf("idx: encode: %w", err)
	}
	if int64(len(a.Data)) != n {
		return fmt.Errorf("idx: encode: %d data bytes for dimensions %v (want %d)", len(a.Data), a.Dims, n)
	}
	head := make([]byte, 4+4*len(a.Dims))
	binary.BigEndian.PutUint32(head, a.Magic())
	for i, d := range a.Dims {
		if d > 1<<31-1 {
			return fmt.Errorf("idx: encode: dimension %d too large", d)
		}
		binary.BigEndian.PutUint32(head[4+4*i:], uint32(d))
	}
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("idx: encode: %w", err)
	}
	if _, err := w.Write(a.Data); err != nil {
		return fmt.Errorf("idx: encode: %w", err)
	}
	return nil
}

// WriteFile writes the array to path, gzip-compressed when the path ends in ".gz".
func WriteFile(path string, a *Array) (err error) {
	var buf bytes.Buffer
	if strings.HasSuffix(path, ".gz") {
		zw := gzip.NewWriter(&buf)
		if err := Encode(zw, a); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return fmt.Errorf("idx: %s: %w", path, err)
		}
	} else if err := Encode(&buf, a); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("idx: %w", err)
	}
	return nil
}
