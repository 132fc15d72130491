// Package checkpoint writes and reads MixFlow checkpoint files: one self-describing, checksummed file per
// checkpoint holding named tensors (model weights, EMA copies, optimiser moments, step counters, the RNG
// state) and a free-form metadata map (configuration, step, objective, data source, library versions).
//
// File layout (all integers little-endian):
//
//	offset 0      8 bytes   magic "MXFLCKPT"
//	offset 8      uint32    format version (FormatVersion)
//	offset 12     uint64    header length H
//	offset 20     H bytes   JSON header: creation time, writer, metadata, data length and the variable table
//	                        (path, dtype, shape, trainable flag, byte offset and length within the data block)
//	offset 20+H   D bytes   raw little-endian variable data, in table order
//	offset 20+H+D 32 bytes  SHA-256 of every byte before it
//
// Writes are atomic: the file is written to a temporary file in the same directory, synced, renamed over
// the destination and the directory is synced, so a reader sees either the old complete file or the new
// complete file, never a partial one. Reads verify the magic, the version, every size and the checksum,
// and fail with an error naming the file and the problem (truncated, bad magic, checksum mismatch,
// unknown dtype, ...).
//
// Save and Load move variables between a file and a model.Store (all of them, or the ones below given
// path prefixes); Dir manages a directory of step-numbered checkpoints (keep the last K, find the latest).
package checkpoint

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/internal/fsutil"
)

// Magic is the 8-byte signature at the start of every checkpoint file.
const Magic = "MXFLCKPT"

// FormatVersion is the file format version written by this package; Read accepts only this version.
const FormatVersion = 1

// Ext is the file-name extension used for checkpoint files written by Dir.
const Ext = ".mfckpt"

const (
	prefixLen   = 8 + 4 + 8 // magic, version, header length
	checksumLen = sha256.Size
	// maxHeaderLen bounds the JSON header so that a corrupt length field cannot make Read allocate
	// gigabytes before the checksum is known.
	maxHeaderLen = 256 << 20
)

// ErrCorrupt is wrapped by every error of Read, ReadHeader, Verify and Load that says the file is damaged
// (truncated, bad magic, a header that disagrees with itself or the file, checksum mismatch), as opposed
// to one that cannot be opened or was written by a newer format version: a caller holding older
// checkpoints can fall back to one of them (errors.Is(err, ErrCorrupt)).
var ErrCorrupt = errors.New("corrupt checkpoint")

// corruptError is an error that also matches ErrCorrupt, with its own message only.
type corruptError struct{ error }

func (e corruptError) Unwrap() []error { return []error{e.error, ErrCorrupt} }

// corruptf formats an error that wraps ErrCorrupt.
func corruptf(format string, args ...any) error { return corruptError{fmt.Errorf(format, args...)} }

// Metadata is the free-form part of a checkpoint header: any JSON-serialisable values by key, e.g. the
// training configuration, the step, the objective and the data source. After Read, numbers are
// json.Number values (exact for int64 steps); use Decode to get typed values back.
type Metadata map[string]any

// Decode unmarshals the value stored under key into dst (a pointer), e.g.
//
//	var step int64
//	err := meta.Decode("step", &step)
//
// It returns an error if the key is missing or the value does not fit dst.
func (m Metadata) Decode(key string, dst any) error {
	v, ok := m[key]
	if !ok {
		return fmt.Errorf("checkpoint: metadata has no key %q", key)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("checkpoint: metadata key %q: %w", key, err)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("checkpoint: metadata key %q: %w", key, err)
	}
	return nil
}

// VarInfo describes one variable in a checkpoint's table.
type VarInfo struct {
	// Path is the variable's absolute path in the model.Store, e.g. "/model/mlp/dense_0/weights".
	Path string
	// Shape is the variable's dtype and dimensions.
	Shape shapes.Shape
	// Trainable is the variable's trainable flag when it was saved (optimiser moments, counters and the
	// RNG state are not trainable).
	Trainable bool
	// Offset and Length locate the variable's bytes within the data block.
	Offset, Length int64
}

// Header is the decoded header of a checkpoint file.
type Header struct {
	// Version is the file format version.
	Version int
	// Created is when the file was written (UTC).
	Created time.Time
	// Writer names the software that wrote the file (module, GoMLX and Go versions).
	Writer string
	// Metadata is the free-form metadata given to Write.
	Metadata Metadata
	// Variables is the variable table, in file order.
	Variables []VarInfo
	// DataLength is the size of the data block in bytes.
	DataLength int64
}

// Variable is a named tensor as stored in a checkpoint.
type Variable struct {
	// Path is the absolute variable path, e.g. "/model/out/weights".
	Path string
	// Value holds the variable's value.
	Value *tensors.Tensor
	// Trainable is the variable's trainable flag.
	Trainable bool
}

// Checkpoint is a checkpoint file read into memory.
type Checkpoint struct {
	// Path is the file the checkpoint was read from.
	Path string
	// Header is the file's header.
	Header Header
	// Variables holds the values, in file order.
	Variables []Variable
}

// Get returns the value of the variable at path, or false if the checkpoint does not hold it.
func (c *Checkpoint) Get(path string) (*tensors.Tensor, bool) {
	for _, v := range c.Variables {
		if v.Path == path {
			return v.Value, true
		}
	}
	return nil, false
}

// jsonVar and jsonHeader are the on-disk JSON forms of VarInfo and Header.
type jsonVar struct {
	Path      string `json:"path"`
	DType     string `json:"dtype"`
	Shape     []int  `json:"shape"`
	Trainable bool   `json:"trainable"`
	Offset    int64  `json:"offset"`
	Length    int64  `json:"length"`
}

type jsonHeader struct {
	Created    time.Time `json:"created"`
	Writer     string    `json:"writer"`
	ByteOrder  string    `json:"byte_order"`
	DataLength int64     `json:"data_length"`
	Metadata   Metadata  `json:"metadata"`
	Variables  []jsonVar `json:"variables"`
}

// writerString describes this software for every header: the MixFlow module version (when known from
// the build), GoMLX's version and Go's.
func writerString() string {
	mixflow, gomlx := "(devel)", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Path == "github.com/mixflow/mixflow" && bi.Main.Version != "" {
			mixflow = bi.Main.Version
		}
		for _, d := range bi.Deps {
			switch d.Path {
			case "github.com/mixflow/mixflow":
				mixflow = d.Version
			case "github.com/gomlx/gomlx":
				gomlx = d.Version
			}
		}
	}
	return fmt.Sprintf("mixflow %s; gomlx %s; %s", mixflow, gomlx, runtime.Version())
}

// hostLittleEndian reports whether this machine stores multi-byte numbers little-endian.
var hostLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// swapUnit returns the size of the unit whose bytes must be reversed to convert dtype between byte
// orders (complex numbers are pairs of floats).
func swapUnit(dtype dtypes.DType) int {
	if dtype.IsComplex() {
		return dtype.Size() / 2
	}
	return dtype.Size()
}

// swapBytes reverses the byte order of each unit-sized element of b in place.
func swapBytes(b []byte, unit int) {
	if unit <= 1 {
		return
	}
	for i := 0; i+unit <= len(b); i += unit {
		e := b[i : i+unit]
		for l, r := 0, unit-1; l < r; l, r = l+1, r-1 {
			e[l], e[r] = e[r], e[l]
		}
	}
}

// checkStorable returns an error if a tensor of this shape cannot be stored.
func checkStorable(path string, shape shapes.Shape) error {
	if !shape.Ok() || shape.DType == dtypes.InvalidDType {
		return fmt.Errorf("variable %q has an invalid shape", path)
	}
	if shape.DType.IsPacked() {
		return fmt.Errorf("variable %q has packed dtype %s, which checkpoints do not support", path, shape.DType)
	}
	if !shape.DType.IsSupported() || shape.DType.Size() <= 0 {
		return fmt.Errorf("variable %q has unsupported dtype %s", path, shape.DType)
	}
	return nil
}

// Write writes vars and meta to path atomically: it writes a temporary file in the same directory,
// syncs it, renames it to path and syncs the directory. On any error the temporary file is removed and
// an existing file at path is left untouched. Variable paths must be unique and non-empty.
func Write(path string, vars []Variable, meta Metadata) (err error) {
	hdr := jsonHeader{
		Created:   time.Now().UTC(),
		Writer:    writerString(),
		ByteOrder: "little-endian",
		Metadata:  meta,
		Variables: make([]jsonVar, len(vars)),
	}
	if hdr.Metadata == nil {
		hdr.Metadata = Metadata{}
	}
	seen := make(map[string]bool, len(vars))
	var offset int64
	for i, v := range vars {
		if v.Path == "" {
			return fmt.Errorf("checkpoint: writing %s: variable #%d has an empty path", path, i)
		}
		if seen[v.Path] {
			return fmt.Errorf("checkpoint: writing %s: variable %q appears twice", path, v.Path)
		}
		seen[v.Path] = true
		if v.Value == nil || !v.Value.Ok() {
			return fmt.Errorf("checkpoint: writing %s: variable %q has no value", path, v.Path)
		}
		shape := v.Value.Shape()
		if err := checkStorable(v.Path, shape); err != nil {
			return fmt.Errorf("checkpoint: writing %s: %w", path, err)
		}
		length := shape.ByteSize()
		hdr.Variables[i] = jsonVar{
			Path: v.Path, DType: strings.ToLower(shape.DType.String()), Shape: append([]int{}, shape.Dimensions...),
			Trainable: v.Trainable, Offset: offset, Length: length,
		}
		offset += length
	}
	hdr.DataLength = offset
	hdrJSON, err := json.Marshal(hdr)
	if err != nil {
		return fmt.Errorf("checkpoint: writing %s: metadata is not JSON-serialisable: %w", path, err)
	}

	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPattern(filepath.Base(path)))
	if err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()

	h := sha256.New()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := io.MultiWriter(bw, h)
	var prefix [prefixLen]byte
	copy(prefix[:8], Magic)
	binary.LittleEndian.PutUint32(prefix[8:12], FormatVersion)
	binary.LittleEndian.PutUint64(prefix[12:20], uint64(len(hdrJSON)))
	if _, err = w.Write(prefix[:]); err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	if _, err = w.Write(hdrJSON); err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	for i, v := range vars {
		if testHookWriteVar != nil {
			if err = testHookWriteVar(i); err != nil {
				return fmt.Errorf("checkpoint: writing %s: variable %q: %w", path, v.Path, err)
			}
		}
		want := hdr.Variables[i].Length
		var werr error
		accessErr := v.Value.ConstBytes(func(data []byte) {
			if int64(len(data)) != want {
				werr = fmt.Errorf("variable %q holds %d bytes, its shape %s needs %d", v.Path, len(data), v.Value.Shape(), want)
				return
			}
			if hostLittleEndian {
				_, werr = w.Write(data)
				return
			}
			buf := append([]byte(nil), data...)
			swapBytes(buf, swapUnit(v.Value.DType()))
			_, werr = w.Write(buf)
		})
		if accessErr != nil {
			werr = fmt.Errorf("variable %q: %w", v.Path, accessErr)
		}
		if werr != nil {
			err = werr
			return fmt.Errorf("checkpoint: writing %s: %w", path, err)
		}
	}
	if _, err = bw.Write(h.Sum(nil)); err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("checkpoint: writing %s: sync: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	if err = fsutil.SyncDir(dir); err != nil {
		return fmt.Errorf("checkpoint: writing %s: syncing directory: %w", path, err)
	}
	return nil
}

// testHookWriteVar, when set by tests, is called before each variable's data is written; an error
// simulates a failure in the middle of a write.
var testHookWriteVar func(i int) error

// hashReader hashes everything read through it.
type hashReader struct {
	r io.Reader
	h hash.Hash
}

func (hr *hashReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	return n, err
}

// openResult is an opened checkpoint positioned at the start of its data block.
type openResult struct {
	f      *os.File
	hr     *hashReader
	header Header
	size   int64
}

// open opens path, checks the prefix and header and the total size, and leaves the reader at the
// start of the data block with the prefix and header already hashed.
func open(path string) (res *openResult, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("checkpoint: %s is a directory, not a checkpoint file", path)
	}
	size := st.Size()
	hr := &hashReader{r: bufio.NewReaderSize(f, 1<<20), h: sha256.New()}
	var prefix [prefixLen]byte
	n, rerr := io.ReadFull(hr, prefix[:])
	if n >= len(Magic) && string(prefix[:len(Magic)]) != Magic {
		return nil, corruptf("checkpoint: %s: bad magic %q: not a MixFlow checkpoint file", path, prefix[:len(Magic)])
	}
	if rerr != nil || size < prefixLen+checksumLen {
		if n < len(Magic) && string(prefix[:n]) != Magic[:n] {
			return nil, corruptf("checkpoint: %s: bad magic %q: not a MixFlow checkpoint file", path, prefix[:n])
		}
		return nil, corruptf("checkpoint: %s: truncated: %d bytes, a checkpoint has at least %d", path, size, prefixLen+checksumLen)
	}
	version := binary.LittleEndian.Uint32(prefix[8:12])
	if version != FormatVersion {
		return nil, fmt.Errorf("checkpoint: %s: unsupported format version %d (this build reads version %d)", path, version, FormatVersion)
	}
	hdrLen := binary.LittleEndian.Uint64(prefix[12:20])
	if hdrLen > uint64(size-prefixLen-checksumLen) || hdrLen > maxHeaderLen {
		return nil, corruptf("checkpoint: %s: truncated or corrupt: header length %d does not fit in a %d-byte file", path, hdrLen, size)
	}
	hdrJSON := make([]byte, hdrLen)
	if _, err := io.ReadFull(hr, hdrJSON); err != nil {
		return nil, corruptf("checkpoint: %s: truncated while reading the header: %w", path, err)
	}
	var jh jsonHeader
	dec := json.NewDecoder(bytes.NewReader(hdrJSON))
	dec.UseNumber()
	if err := dec.Decode(&jh); err != nil {
		if !wholeFileChecksumOK(f, size) {
			return nil, corruptf("checkpoint: %s: checksum mismatch: the file is corrupt (its header is not valid JSON: %v)", path, err)
		}
		return nil, corruptf("checkpoint: %s: corrupt header (invalid JSON: %v)", path, err)
	}
	want := prefixLen + int64(hdrLen) + jh.DataLength + checksumLen
	if jh.DataLength < 0 || want != size {
		what := "truncated"
		if size > want {
			what = "corrupt (trailing bytes)"
		}
		return nil, corruptf("checkpoint: %s: %s: header declares %d bytes in all, the file has %d", path, what, want, size)
	}
	header := Header{
		Version: int(version), Created: jh.Created, Writer: jh.Writer, Metadata: jh.Metadata,
		DataLength: jh.DataLength, Variables: make([]VarInfo, len(jh.Variables)),
	}
	if header.Metadata == nil {
		header.Metadata = Metadata{}
	}
	if jh.ByteOrder != "" && jh.ByteOrder != "little-endian" {
		return nil, corruptf("checkpoint: %s: unsupported byte order %q", path, jh.ByteOrder)
	}
	seen := make(map[string]bool, len(jh.Variables))
	var next int64
	for i, jv := range jh.Variables {
		if jv.Path == "" || seen[jv.Path] {
			return nil, corruptf("checkpoint: %s: corrupt header: variable #%d has an empty or repeated path %q", path, i, jv.Path)
		}
		seen[jv.Path] = true
		dtype, derr := dtypes.DTypeString(jv.DType)
		if derr != nil || dtype == dtypes.InvalidDType {
			return nil, corruptf("checkpoint: %s: variable %q has unknown dtype %q", path, jv.Path, jv.DType)
		}
		// More elements than the file has bytes is corrupt; checking it here also keeps ByteSize below
		// from overflowing on a forged shape.
		elems := int64(1)
		for _, d := range jv.Shape {
			if d < 0 {
				return nil, corruptf("checkpoint: %s: variable %q has a negative dimension in shape %v", path, jv.Path, jv.Shape)
			}
			switch {
			case elems > size:
			case d > 0 && elems > size/int64(d):
				elems = size + 1
			default:
				elems *= int64(d)
			}
		}
		if slices.Contains(jv.Shape, 0) {
			elems = 0
		}
		if elems > size {
			return nil, corruptf("checkpoint: %s: corrupt header: variable %q has shape %v, more elements than the %d-byte file holds", path, jv.Path, jv.Shape, size)
		}
		shape := shapes.Make(dtype, jv.Shape...)
		if err := checkStorable(jv.Path, shape); err != nil {
			return nil, corruptf("checkpoint: %s: %w", path, err)
		}
		if jv.Length != shape.ByteSize() || jv.Offset != next {
			return nil, corruptf("checkpoint: %s: corrupt header: variable %q at offset %d with %d bytes, expected offset %d and %d bytes for %s",
				path, jv.Path, jv.Offset, jv.Length, next, shape.ByteSize(), shape)
		}
		next += jv.Length
		header.Variables[i] = VarInfo{Path: jv.Path, Shape: shape, Trainable: jv.Trainable, Offset: jv.Offset, Length: jv.Length}
	}
	if next != jh.DataLength {
		return nil, corruptf("checkpoint: %s: corrupt header: variables hold %d bytes, data block is %d", path, next, jh.DataLength)
	}
	return &openResult{f: f, hr: hr, header: header, size: size}, nil
}

// wholeFileChecksumOK reports whether the last checksumLen bytes of f are the SHA-256 of the rest. It
// tells a header damaged after writing (checksum mismatch) from one that was written wrong.
func wholeFileChecksumOK(f *os.File, size int64) bool {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, size-checksumLen)); err != nil {
		return false
	}
	stored := make([]byte, checksumLen)
	if _, err := f.ReadAt(stored, size-checksumLen); err != nil {
		return false
	}
	return bytes.Equal(h.Sum(nil), stored)
}

// finish reads the stored checksum and compares it with the hash of everything read so far.
func (o *openResult) finish(path string) error {
	sum := o.hr.h.Sum(nil)
	var stored [checksumLen]byte
	if _, err := io.ReadFull(o.hr.r, stored[:]); err != nil {
		return corruptf("checkpoint: %s: truncated while reading the checksum: %w", path, err)
	}
	if string(sum) != string(stored[:]) {
		return corruptf("checkpoint: %s: checksum mismatch: the file is corrupt (SHA-256 of its contents %x, stored %x)", path, sum, stored)
	}
	return nil
}

// ReadHeader reads and validates the header of the checkpoint at path (magic, version, sizes and the
// variable table) without reading the data or verifying the checksum; use Read or Verify for that.
// It is cheap, for listing directories.
func ReadHeader(path string) (*Header, error) {
	o, err := open(path)
	if err != nil {
		return nil, err
	}
	_ = o.f.Close()
	return &o.header, nil
}

// Verify checks the checkpoint at path completely (header, sizes and checksum) without keeping the data.
func Verify(path string) error {
	o, err := open(path)
	if err != nil {
		return err
	}
	defer o.f.Close()
	if _, err := io.CopyN(io.Discard, o.hr, o.header.DataLength); err != nil {
		return corruptf("checkpoint: %s: truncated while reading data: %w", path, err)
	}
	return o.finish(path)
}

// Read reads the checkpoint at path into memory, verifying the header, every size and the checksum.
// No value is returned unless the whole file checks out.
func Read(path string) (*Checkpoint, error) {
	return read(path, nil)
}

// ReadBytes reads a checkpoint held in memory (the bytes of a file Write wrote, e.g. embedded with
// go:embed) as Read does; name identifies the data in errors and becomes the checkpoint's Path. The bytes
// go through a temporary file, removed at once. Errors from the file keep their kind (errors.Is(err,
// ErrCorrupt)) and name the data, not the temporary file.
func ReadBytes(name string, data []byte) (*Checkpoint, error) {
	f, err := os.CreateTemp("", "mixflow-bytes-*"+Ext)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: %w", name, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: %w", name, err)
	}
	ck, err := Read(tmp)
	if err != nil {
		return nil, renamedError{strings.ReplaceAll(err.Error(), tmp, name), err}
	}
	ck.Path = name
	return ck, nil
}

// renamedError is an error with its text rewritten (a temporary file's name replaced by the data's)
// that still unwraps to the original.
type renamedError struct {
	text string
	err  error
}

func (e renamedError) Error() string { return e.text }
func (e renamedError) Unwrap() error { return e.err }

// read reads the checkpoint; if keep is not nil only variables for which keep returns true are
// materialised (the others are hashed and skipped).
func read(path string, keep func(p string) bool) (*Checkpoint, error) {
	o, err := open(path)
	if err != nil {
		return nil, err
	}
	defer o.f.Close()
	ck := &Checkpoint{Path: path, Header: o.header}
	for _, vi := range o.header.Variables {
		if keep != nil && !keep(vi.Path) {
			if _, err := io.CopyN(io.Discard, o.hr, vi.Length); err != nil {
				return nil, corruptf("checkpoint: %s: truncated while reading variable %q: %w", path, vi.Path, err)
			}
			continue
		}
		t := tensors.FromShape(vi.Shape)
		var rerr error
		if err := t.MutableBytes(func(data []byte) {
			if int64(len(data)) != vi.Length {
				rerr = fmt.Errorf("tensor for %s has %d bytes, expected %d", vi.Shape, len(data), vi.Length)
				return
			}
			if _, rerr = io.ReadFull(o.hr, data); rerr != nil {
				return
			}
			if !hostLittleEndian {
				swapBytes(data, swapUnit(vi.Shape.DType))
			}
		}); err != nil {
			rerr = err
		}
		if rerr != nil {
			return nil, corruptf("checkpoint: %s: reading variable %q: %w", path, vi.Path, rerr)
		}
		ck.Variables = append(ck.Variables, Variable{Path: vi.Path, Value: t, Trainable: vi.Trainable})
	}
	if err := o.finish(path); err != nil {
		return nil, err
	}
	return ck, nil
}
