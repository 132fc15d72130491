package cifar10

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to every CIFAR-10 reader: Parse (binary batch records), parseMeta
// (batches.meta.txt) and LoadArchive (the .tar.gz): each returns well-formed data or a named error,
// never panics.
func FuzzParse(f *testing.F) {
	rec := record(3, 7)
	f.Add(rec)
	f.Add(append(append([]byte{}, rec...), rec[:100]...))
	f.Add([]byte("airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n"))
	var tb bytes.Buffer
	zw := gzip.NewWriter(&tb)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: SubDir + "/test_batch.bin", Mode: 0o644, Size: int64(len(rec)), Typeflag: tar.TypeReg})
	tw.Write(rec)
	tw.Close()
	zw.Close()
	f.Add(tb.Bytes())
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		px, lb, err := Parse(data, "fuzz", nil, nil)
		if err == nil && (len(lb) != len(data)/RecordSize || len(px) != len(lb)*3*Size*Size) {
			t.Fatalf("Parse: %d labels and %d pixels from %d bytes", len(lb), len(px), len(data))
		}
		if classes, err := parseMeta(data, "fuzz"); err == nil && len(classes) != 10 {
			t.Fatalf("parseMeta: %d classes", len(classes))
		}
		p := filepath.Join(dir, "archive.tar.gz")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if set, err := LoadArchive(p, Test); err == nil && set == nil {
			t.Fatal("LoadArchive: nil set without error")
		}
	})
}
