package cifar10

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// record returns a CIFAR-10 record whose red value at (y, x) is y, green is x and blue is seed.
func record(label, seed byte) []byte {
	r := []byte{label}
	for c := range 3 {
		for y := range Size {
			for x := range Size {
				r = append(r, [3]byte{byte(y), byte(x), seed}[c])
			}
		}
	}
	return r
}

// writeDir writes the six batch files (batch k holds records with labels k, k+1 mod 10) into dir.
func writeDir(t *testing.T, dir string) map[string][]byte {
	files := map[string][]byte{}
	names, _ := Train.Files()
	names = append(names, "test_batch.bin")
	for k, n := range names {
		var b []byte
		for j := range 2 {
			b = append(b, record(byte((k+j)%10), byte(10*k+j))...)
		}
		files[n] = b
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func TestParseRecord(t *testing.T) {
	px, labels, err := Parse(append(record(3, 77), record(9, 5)...), "mem", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(labels, []int32{3, 9}) || len(px) != 2*Size*Size*3 {
		t.Fatalf("labels %v, %d pixel bytes", labels, len(px))
	}
	// Image 0 at (y=5, x=17): HWC interleaves the planes as R=y, G=x, B=seed.
	at := (5*Size + 17) * 3
	if got := px[at : at+3]; !slices.Equal(got, []uint8{5, 17, 77}) {
		t.Fatalf("pixel (5, 17) = %v, want [5 17 77]", got)
	}
	at = Size*Size*3 + (31*Size+2)*3
	if got := px[at : at+3]; !slices.Equal(got, []uint8{31, 2, 5}) {
		t.Fatalf("image 1 pixel (31, 2) = %v", got)
	}
	_, _, err = Parse(record(3, 0)[:3000], "cut", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "cut: 3000 bytes is not a whole number of 3073-byte records") {
		t.Fatalf("truncated record: %v", err)
	}
	_, _, err = Parse(record(12, 0), "lbl", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "record 0 has label 12") {
		t.Fatalf("bad label: %v", err)
	}
	if _, _, err = Parse(nil, "empty", nil, nil); err == nil || !strings.Contains(err.Error(), "empty is empty") {
		t.Fatalf("empty: %v", err)
	}
}

func TestLoadDirAndArchive(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, SubDir)
	os.Mkdir(dir, 0o755)
	files := writeDir(t, dir)
	train, err := LoadDir(root, Train) // finds the sub-folder
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 10 || train.Channels != 3 || train.Height != 32 || !slices.Equal(train.ClassNames, ClassNames) {
		t.Fatalf("train: %v", train)
	}
	if !slices.Equal(train.Labels, []int32{0, 1, 1, 2, 2, 3, 3, 4, 4, 5}) {
		t.Fatalf("train labels %v", train.Labels)
	}
	if got := train.ImagePixels(9)[2]; got != 41 { // batch 5 (k=4), record 1: blue = 10·4+1
		t.Fatalf("image 9 blue = %d, want 41", got)
	}
	t.Setenv(DirVar, dir)
	test, err := Load(Test)
	if err != nil || test.Len() != 2 || !slices.Equal(test.Labels, []int32{5, 6}) {
		t.Fatalf("test: %v %v", test, err)
	}
	// Class names from batches.meta.txt.
	meta := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n"
	os.WriteFile(filepath.Join(dir, "batches.meta.txt"), []byte(meta), 0o644)
	if test, _ = LoadDir(dir, Test); test.ClassNames[9] != "j" {
		t.Fatalf("class names %v", test.ClassNames)
	}
	// The same from a .tar.gz archive laid out like the official one.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	files["batches.meta.txt"] = []byte(meta)
	files["readme.html"] = []byte("<html>")
	for name, b := range files {
		tw.WriteHeader(&tar.Header{Name: SubDir + "/" + name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg})
		tw.Write(b)
	}
	tw.Close()
	zw.Close()
	archive := filepath.Join(root, "cifar-10-binary.tar.gz")
	os.WriteFile(archive, buf.Bytes(), 0o644)
	fromArchive, err := LoadArchive(archive, Train)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fromArchive.Pixels, train.Pixels) || !slices.Equal(fromArchive.Labels, train.Labels) ||
		fromArchive.ClassNames[0] != "a" {
		t.Fatal("archive and folder disagree")
	}
	os.WriteFile(archive, buf.Bytes()[:buf.Len()/2], 0o644)
	if _, err := LoadArchive(archive, Train); err == nil || !strings.Contains(err.Error(), archive) {
		t.Fatalf("truncated archive: %v", err)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadDir(dir, Test)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "test_batch.bin")) || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("missing file: %v", err)
	}
	t.Setenv(DirVar, "")
	if _, err := Load(Train); err == nil || !strings.Contains(err.Error(), DirVar) {
		t.Fatalf("unset dir: %v", err)
	}
	writeDir(t, dir)
	b, _ := os.ReadFile(filepath.Join(dir, "data_batch_3.bin"))
	os.WriteFile(filepath.Join(dir, "data_batch_3.bin"), b[:len(b)-1], 0o644)
	if _, err := LoadDir(dir, Train); err == nil || !strings.Contains(err.Error(), "data_batch_3.bin: 6145 bytes") {
		t.Fatalf("truncated batch: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "batches.meta.txt"), []byte("a\nb\n"), 0o644)
	if _, err := LoadDir(dir, Test); err == nil || !strings.Contains(err.Error(), "names 2 classes") {
		t.Fatalf("bad meta: %v", err)
	}
	if _, err := LoadDir(dir, Split(3)); err == nil {
		t.Fatal("unknown split accepted")
	}
}
