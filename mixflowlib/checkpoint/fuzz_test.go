package checkpoint

import (
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// rawFile assembles a checkpoint file around a JSON header and a data block, with a correct checksum:
// for forging headers that only the header checks can reject.
func rawFile(header string, data []byte) []byte {
	b := []byte(Magic)
	b = binary.LittleEndian.AppendUint32(b, FormatVersion)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(header)))
	b = append(b, header...)
	b = append(b, data...)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// forgedHuge declares a float32 variable of 2^62 elements whose byte size overflows to 0, in a file with
// an empty data block and a valid checksum: Read allocated it before the fix.
var forgedHuge = rawFile(`{"data_length":0,"variables":[{"path":"/x","dtype":"float32","shape":[4611686018427387904],"offset":0,"length":0}]}`, nil)

// FuzzRead feeds arbitrary bytes as a checkpoint file to ReadHeader, Verify and Read: each either
// accepts the file or fails with an error naming it; Verify and Read agree; nothing panics or allocates
// more than the file could hold.
func FuzzRead(f *testing.F) {
	dir := f.TempDir()
	p := filepath.Join(dir, "seed"+Ext)
	vars := []Variable{
		{Path: "/model/w", Value: tensors.FromValue([][]float32{{1, 2}, {3, 4}}), Trainable: true},
		{Path: "/global_step", Value: tensors.FromValue(int64(7))},
		{Path: "/misc/u8", Value: tensors.FromValue([]uint8{1, 2, 3})},
	}
	if err := Write(p, vars, Metadata{"step": 7, "cfg": map[string]any{"lr": 0.001}}); err != nil {
		f.Fatal(err)
	}
	seed, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:len(seed)-5])
	f.Add(forgedHuge)
	f.Add(rawFile(`{"data_length":8,"variables":[{"path":"/a","dtype":"int64","shape":[],"offset":0,"length":8}]}`, make([]byte, 8)))
	f.Add([]byte(Magic))
	// One file, rewritten by every input: no per-input directory or fsync, so the fuzzer stays fast.
	p = filepath.Join(dir, "f"+Ext)
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		named := func(what string, err error) {
			if err != nil && !strings.HasPrefix(err.Error(), "checkpoint: "+p) {
				t.Fatalf("%s: error does not name the file: %v", what, err)
			}
		}
		h, herr := ReadHeader(p)
		named("ReadHeader", herr)
		verr := Verify(p)
		named("Verify", verr)
		ck, rerr := Read(p)
		named("Read", rerr)
		if (verr == nil) != (rerr == nil) || (herr != nil && rerr == nil) {
			t.Fatalf("ReadHeader %v, Verify %v, Read %v disagree", herr, verr, rerr)
		}
		if rerr != nil {
			return
		}
		// An accepted file holds exactly its table's variables, with the declared shapes and sizes.
		if len(ck.Variables) != len(h.Variables) {
			t.Fatalf("%d variables read, the table has %d", len(ck.Variables), len(h.Variables))
		}
		var total int64
		for i, v := range ck.Variables {
			vi := h.Variables[i]
			n := int64(len(tensorBytes(t, v.Value)))
			if v.Path != vi.Path || !v.Value.Shape().Equal(vi.Shape) || n != vi.Length {
				t.Fatalf("variable %d: %s %s %d bytes, table says %s %s %d", i, v.Path, v.Value.Shape(), n, vi.Path, vi.Shape, vi.Length)
			}
			total += n
		}
		if total != h.DataLength || int64(len(data)) != prefixLen+int64(binary.LittleEndian.Uint64(data[12:20]))+total+checksumLen {
			t.Fatalf("%d data bytes in a %d-byte file, header says %d", total, len(data), h.DataLength)
		}
	})
}

// TestForgedShapeRejected: a header whose shape has more elements than the file has bytes is corrupt,
// named as such, before anything is allocated.
func TestForgedShapeRejected(t *testing.T) {
	p := filepath.Join(t.TempDir(), "forged"+Ext)
	if err := os.WriteFile(p, forgedHuge, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Read(p)
	if err == nil || !strings.Contains(err.Error(), `corrupt header: variable "/x" has shape [4611686018427387904], more elements than the`) {
		t.Fatalf("got %v", err)
	}
}
