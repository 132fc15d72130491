package expcache

import (
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// FuzzEntry replaces a real entry's MANIFEST.json and result.json with arbitrary bytes and then lists,
// inspects and computes it: a damaged entry is reported with a problem and recomputed, never served, and
// nothing panics. The seeds are the entry's own files and a few damaged versions of them.
func FuzzEntry(f *testing.F) {
	cfg := cfgT{Steps: 3, LR: 0.5}
	seedRoot := f.TempDir()
	var n atomic.Int32
	if _, _, err := Compute(New(seedRoot).WithLog(io.Discard), "fz", cfg, counted(&n, 0.25)); err != nil {
		f.Fatal(err)
	}
	key, _ := New(seedRoot).Key("fz", cfg)
	man, _ := os.ReadFile(filepath.Join(seedRoot, key, manifestName))
	res, _ := os.ReadFile(filepath.Join(seedRoot, key, resultFile))
	f.Add(man, res)
	f.Add(man[:len(man)/2], res)
	f.Add(man, []byte(`{"loss": "high"}`))
	f.Add([]byte(`{"format":1,"key":"`+key+`","files":[{"path":"../x","size":1}]}`), res)
	f.Add([]byte(`{"format":1,"key":"`+key+`","files":[{"path":"ckpt/.tmp-ckpt-1","size":0},{"path":"ckpt","size":4096}]}`), []byte("null"))
	f.Fuzz(func(t *testing.T, manifestJSON, resultJSON []byte) {
		root := t.TempDir()
		c := New(root).WithLog(io.Discard)
		if err := os.CopyFS(filepath.Join(root, key), os.DirFS(filepath.Join(seedRoot, key))); err != nil {
			t.Fatal(err)
		}
		write := func(name string, b []byte) {
			if err := os.WriteFile(filepath.Join(root, key, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write(manifestName, manifestJSON)
		write(resultFile, resultJSON)
		if _, err := c.List(); err != nil {
			t.Fatalf("List: %v", err)
		}
		e, err := c.Inspect("fz", cfg)
		if err != nil {
			t.Fatalf("Inspect: %v", err)
		}
		var calls atomic.Int32
		got, info, err := Compute(c, "fz", cfg, counted(&calls, 0.75))
		if err != nil {
			t.Fatalf("Compute: %v", err)
		}
		switch {
		case info.Hit && e.Problem != "":
			t.Fatalf("served an entry Inspect called corrupt (%s)", e.Problem)
		case !info.Hit && (calls.Load() != 1 || got.Loss != 0.75):
			t.Fatalf("miss without one recomputation: %d calls, %+v", calls.Load(), got)
		}
	})
}
