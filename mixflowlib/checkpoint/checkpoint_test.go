package checkpoint

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/dtypes/bfloat16"
	"github.com/gomlx/compute/dtypes/float16"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/mixflow/mixflow/mixflowlib/backend"
)

// testStore builds a store with variables of many dtypes and shapes, with mixed trainable flags.
func testStore(t *testing.T) *model.Store {
	t.Helper()
	s := model.NewStore()
	add := func(path string, v *tensors.Tensor, trainable bool) {
		variable, err := s.CreateVariable(path, v)
		if err != nil {
			t.Fatal(err)
		}
		variable.SetTrainable(trainable)
	}
	add("/model/dense/weights", tensors.FromValue([][]float32{{1, -2, 3.5}, {4, 5e-8, -6}}), true)
	add("/model/dense/biases", tensors.FromValue([]float32{0.25, -0.5, 1e30}), true)
	add("/ema/model/dense/weights", tensors.FromValue([][]float32{{0.5, 0.5, 0.5}, {1, 1, 1}}), false)
	add("/global_step", tensors.FromValue(int64(1234567890123)), false)
	add("/#rngState", tensors.FromValue([]uint64{1, 1<<63 + 7, 42}), false)
	add("/misc/f64", tensors.FromValue(3.141592653589793), false)
	add("/misc/i32", tensors.FromValue([][]int32{{-1, 2}, {3, -4}, {5, 6}}), false)
	add("/misc/u8", tensors.FromValue([]uint8{0, 255, 7}), false)
	add("/misc/bool", tensors.FromValue([]bool{true, false, true}), false)
	add("/misc/f16", tensors.FromValue([]float16.Float16{float16.FromFloat32(1.5), float16.FromFloat32(-2)}), false)
	add("/misc/bf16", tensors.FromValue([]bfloat16.BFloat16{bfloat16.FromFloat32(0.75)}), false)
	add("/misc/c64", tensors.FromValue([]complex64{complex(1, -2), complex(3.5, 4)}), false)
	add("/misc/empty", tensors.FromShape(shapes.Make(dtypes.Float32, 0, 3)), false)
	return s
}

func tensorBytes(t *testing.T, v *tensors.Tensor) []byte {
	t.Helper()
	var out []byte
	if err := v.ConstBytes(func(b []byte) { out = append([]byte{}, b...) }); err != nil {
		t.Fatal(err)
	}
	return out
}

// assertSameStores checks that every variable of want (under prefix) is in got with the same shape,
// bytes and trainable flag, and that got has nothing else under prefix.
func assertSameStores(t *testing.T, want, got *model.Store, prefix string) {
	t.Helper()
	n := 0
	for v := range want.IterVariables() {
		if !Under(v.Path(), prefix) {
			continue
		}
		n++
		g := got.GetVariable(v.Path())
		if g == nil {
			t.Errorf("variable %s missing after load", v.Path())
			continue
		}
		if !g.Shape().Equal(v.Shape()) {
			t.Errorf("variable %s: shape %s, want %s", v.Path(), g.Shape(), v.Shape())
		}
		if g.Trainable != v.Trainable {
			t.Errorf("variable %s: trainable %v, want %v", v.Path(), g.Trainable, v.Trainable)
		}
		if !bytes.Equal(tensorBytes(t, g.MustValue()), tensorBytes(t, v.MustValue())) {
			t.Errorf("variable %s: values differ: got %v, want %v", v.Path(), g.MustValue(), v.MustValue())
		}
	}
	m := 0
	for v := range got.IterVariables() {
		if Under(v.Path(), prefix) {
			m++
		}
	}
	if n != m || n == 0 {
		t.Errorf("loaded %d variables under %q, want %d (>0)", m, prefix, n)
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.mfckpt")
	src := testStore(t)
	meta := Metadata{
		"step":      int64(1234567890123),
		"objective": "mixflow(gamma=0.8)",
		"config":    map[string]any{"lr": 1e-4, "batch": 256, "names": []string{"a", "b"}},
	}
	if err := Save(p, src, meta); err != nil {
		t.Fatal(err)
	}
	dst := model.NewStore()
	hdr, err := Load(p, dst)
	if err != nil {
		t.Fatal(err)
	}
	assertSameStores(t, src, dst, "/")
	// Order is preserved (it matters for bit-exact resumes).
	var wantOrder, gotOrder []string
	for v := range src.IterVariables() {
		wantOrder = append(wantOrder, v.Path())
	}
	for v := range dst.IterVariables() {
		gotOrder = append(gotOrder, v.Path())
	}
	if strings.Join(wantOrder, ",") != strings.Join(gotOrder, ",") {
		t.Errorf("variable order changed:\n got %v\nwant %v", gotOrder, wantOrder)
	}
	var step int64
	if err := hdr.Metadata.Decode("step", &step); err != nil || step != 1234567890123 {
		t.Errorf("metadata step = %d, %v; want 1234567890123", step, err)
	}
	var cfg struct {
		LR    float64  `json:"lr"`
		Batch int      `json:"batch"`
		Names []string `json:"names"`
	}
	if err := hdr.Metadata.Decode("config", &cfg); err != nil || cfg.LR != 1e-4 || cfg.Batch != 256 || len(cfg.Names) != 2 {
		t.Errorf("metadata config = %+v, %v", cfg, err)
	}
	var obj string
	if err := hdr.Metadata.Decode("objective", &obj); err != nil || obj != "mixflow(gamma=0.8)" {
		t.Errorf("metadata objective = %q, %v", obj, err)
	}
	if err := hdr.Metadata.Decode("missing", &obj); err == nil {
		t.Error("Decode of a missing key should fail")
	}
	if hdr.Version != FormatVersion || !strings.Contains(hdr.Writer, "gomlx") || hdr.Created.IsZero() {
		t.Errorf("header version/writer/created = %d %q %v", hdr.Version, hdr.Writer, hdr.Created)
	}
	if err := Verify(p); err != nil {
		t.Errorf("Verify: %v", err)
	}
	h2, err := ReadHeader(p)
	if err != nil || len(h2.Variables) != len(wantOrder) {
		t.Errorf("ReadHeader: %v, %d variables", err, len(h2.Variables))
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after Save, want 1: %v", len(entries), entries)
	}
}

func TestLoadSubsetAndRestoreRename(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.mfckpt")
	src := testStore(t)
	if err := Save(p, src, nil); err != nil {
		t.Fatal(err)
	}
	dst := model.NewStore()
	if _, err := Load(p, dst, "/model"); err != nil {
		t.Fatal(err)
	}
	assertSameStores(t, src, dst, "/model")
	if dst.NumVariables() != 2 {
		t.Errorf("Load with prefix /model created %d variables, want 2", dst.NumVariables())
	}

	// Saving a subset writes only that subset.
	p2 := filepath.Join(t.TempDir(), "b.mfckpt")
	if err := Save(p2, src, nil, "/ema", "/global_step"); err != nil {
		t.Fatal(err)
	}
	h, err := ReadHeader(p2)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Variables) != 2 || h.Variables[0].Path != "/ema/model/dense/weights" || h.Variables[1].Path != "/global_step" {
		t.Errorf("subset save wrote %+v", h.Variables)
	}

	// Restore the EMA weights as /model: what SamplingStore does.
	ck, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	s3 := model.NewStore()
	n, err := Restore(s3, ck.Variables, "/ema/model", "/model")
	if err != nil || n != 1 {
		t.Fatalf("Restore = %d, %v", n, err)
	}
	ema, _ := ck.Get("/ema/model/dense/weights")
	got := s3.GetVariable("/model/dense/weights")
	if got == nil || !bytes.Equal(tensorBytes(t, got.MustValue()), tensorBytes(t, ema)) {
		t.Fatalf("restored /model/dense/weights = %v, want EMA values %v", got, ema)
	}
	// Restore copies: changing the store does not touch the checkpoint's tensors.
	tensors.MustMutableFlatData(got.MustValue(), func(f []float32) { f[0] = 99 })
	if v := tensors.MustCopyFlatData[float32](ema)[0]; v != 0.5 {
		t.Errorf("Restore shares memory with the checkpoint: ema[0] = %v", v)
	}

	// A shape mismatch names the variable.
	bad := model.NewStore()
	if _, err := bad.CreateVariable("/model/dense/weights", tensors.FromValue([]float32{1, 2})); err != nil {
		t.Fatal(err)
	}
	_, err = Load(p, bad)
	if err == nil || !strings.Contains(err.Error(), "/model/dense/weights") || !strings.Contains(err.Error(), p) {
		t.Errorf("loading into a store with a mismatched variable: err = %v", err)
	}
}

// writeRaw writes a checkpoint file from raw parts with a correct checksum, to build files this
// package would never write (unknown dtypes, other versions).
func writeRaw(t *testing.T, p string, version uint32, hdr any, data []byte) {
	t.Helper()
	hj, ok := hdr.([]byte)
	if !ok {
		var err error
		if hj, err = json.Marshal(hdr); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	buf.WriteString(Magic)
	_ = binary.Write(&buf, binary.LittleEndian, version)
	_ = binary.Write(&buf, binary.LittleEndian, uint64(len(hj)))
	buf.Write(hj)
	buf.Write(data)
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptFilesRejected(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.mfckpt")
	if err := Save(good, testStore(t), Metadata{"note": "hello world"}); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	hdrLen := int(binary.LittleEndian.Uint64(raw[12:20]))
	dataStart := prefixLen + hdrLen

	type tc struct {
		name  string
		bytes []byte
		want  string
	}
	flip := func(i int) []byte {
		b := append([]byte{}, raw...)
		b[i] ^= 0x10
		return b
	}
	noteAt := bytes.Index(raw, []byte("hello world"))
	cases := []tc{
		{"empty", nil, "truncated"},
		{"magic only", raw[:8], "truncated"},
		{"prefix only", raw[:prefixLen], "truncated"},
		{"mid header", raw[:prefixLen+hdrLen/2], "truncated"},
		{"mid data", raw[:dataStart+10], "truncated"},
		{"no checksum", raw[:len(raw)-checksumLen], "truncated"},
		{"one byte short", raw[:len(raw)-1], "truncated"},
		{"trailing bytes", append(append([]byte{}, raw...), 0), "trailing"},
		{"bit flip in data", flip(dataStart + 3), "checksum mismatch"},
		{"bit flip in metadata", flip(noteAt + 2), "checksum mismatch"},
		{"bit flip in checksum", flip(len(raw) - 5), "checksum mismatch"},
		{"bit flip in last data byte", flip(len(raw) - checksumLen - 1), "checksum mismatch"},
		{"wrong magic", append([]byte("PK\x03\x04XXXX"), raw[8:]...), "bad magic"},
		{"short wrong magic", []byte("GIF8"), "bad magic"},
		{"header length too large", func() []byte {
			b := append([]byte{}, raw...)
			binary.LittleEndian.PutUint64(b[12:20], 1<<40)
			return b
		}(), "header length"},
		{"garbage header", func() []byte {
			b := append([]byte{}, raw...)
			b[prefixLen] = '#'
			return b
		}(), "checksum mismatch"},
	}
	for _, c := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".mfckpt")
		if err := os.WriteFile(p, c.bytes, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Read(p)
		if err == nil {
			t.Errorf("%s: Read succeeded on a corrupt file", c.name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.want) || !strings.Contains(msg, p) || !strings.HasPrefix(msg, "checkpoint: ") {
			t.Errorf("%s: error %q should start with the package, name the file and say %q", c.name, msg, c.want)
		}
		verr := Verify(p)
		_, herr := ReadHeader(p)
		if verr == nil {
			t.Errorf("%s: Verify succeeded on a corrupt file", c.name)
		}
		_, lerr := Load(p, model.NewStore())
		if lerr == nil {
			t.Errorf("%s: Load succeeded on a corrupt file", c.name)
		}
		for what, e := range map[string]error{"Read": err, "Verify": verr, "Load": lerr, "ReadHeader": herr} {
			if e != nil && !errors.Is(e, ErrCorrupt) {
				t.Errorf("%s: %s error %q does not wrap ErrCorrupt", c.name, what, e)
			}
		}
	}

	// A damaged last checksum byte: the message prints both full SHA-256 sums, which differ (8-byte prefixes
	// would print the same bytes twice).
	p0 := filepath.Join(dir, "last_checksum_byte.mfckpt")
	if err := os.WriteFile(p0, flip(len(raw)-1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Read(p0)
	sums := regexp.MustCompile(`[0-9a-f]{64}`).FindAllString(fmt.Sprint(err), -1)
	if len(sums) != 2 || sums[0] == sums[1] {
		t.Errorf("checksum mismatch in the last byte: error %q should print two different full SHA-256 sums", err)
	}

	// Well-formed files this build must refuse.
	vars := []map[string]any{{"path": "/x", "dtype": "float99", "shape": []int{2}, "offset": 0, "length": 8}}
	p := filepath.Join(dir, "dtype.mfckpt")
	writeRaw(t, p, FormatVersion, map[string]any{"data_length": 8, "variables": vars}, make([]byte, 8))
	if _, err := Read(p); err == nil || !strings.Contains(err.Error(), `unknown dtype "float99"`) || !strings.Contains(err.Error(), `"/x"`) {
		t.Errorf("unknown dtype: err = %v", err)
	}
	p = filepath.Join(dir, "version.mfckpt")
	writeRaw(t, p, 7, map[string]any{"data_length": 0}, nil)
	if _, err := Read(p); err == nil || !strings.Contains(err.Error(), "unsupported format version 7") || errors.Is(err, ErrCorrupt) {
		t.Errorf("future version: err = %v, want one not wrapping ErrCorrupt", err)
	}
	p = filepath.Join(dir, "badjson.mfckpt")
	writeRaw(t, p, FormatVersion, []byte(`{"data_length": 0,}`), nil)
	if _, err := Read(p); err == nil || !strings.Contains(err.Error(), "corrupt header (invalid JSON") {
		t.Errorf("invalid JSON written as such: err = %v", err)
	}
	p = filepath.Join(dir, "overlap.mfckpt")
	vars = []map[string]any{{"path": "/x", "dtype": "float32", "shape": []int{2}, "offset": 4, "length": 8}}
	writeRaw(t, p, FormatVersion, map[string]any{"data_length": 8, "variables": vars}, make([]byte, 8))
	if _, err := Read(p); err == nil || !strings.Contains(err.Error(), "corrupt header") {
		t.Errorf("bad offsets: err = %v", err)
	}
	// A hand-built but valid file reads fine (so the cases above fail for the stated reason).
	p = filepath.Join(dir, "valid.mfckpt")
	vars = []map[string]any{{"path": "/x", "dtype": "float32", "shape": []int{2}, "offset": 0, "length": 8}}
	data := make([]byte, 8)
	binary.LittleEndian.PutUint32(data[4:], 0x40490fdb) // float32(π)
	writeRaw(t, p, FormatVersion, map[string]any{"data_length": 8, "variables": vars}, data)
	ck, err := Read(p)
	if err != nil {
		t.Fatalf("valid hand-built file: %v", err)
	}
	x, _ := ck.Get("/x")
	if got := tensors.MustCopyFlatData[float32](x); got[0] != 0 || got[1] != 3.1415927 {
		t.Errorf("hand-built file values = %v, want [0 π]", got)
	}

	if _, err := Read(filepath.Join(dir, "missing.mfckpt")); err == nil || !errors.Is(err, os.ErrNotExist) || errors.Is(err, ErrCorrupt) {
		t.Errorf("missing file: err = %v, want one wrapping os.ErrNotExist", err)
	}
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory instead of file: err = %v", err)
	}
}

func TestFailedWriteKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "ck.mfckpt")
	if err := Save(p, testStore(t), Metadata{"gen": 1}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(p)
	a := tensors.FromValue(make([]float32, 1<<16))

	// The second writer fails in the middle of the data block, after 256 KiB were written.
	testHookWriteVar = func(i int) error {
		if i == 1 {
			return errors.New("simulated disk failure")
		}
		return nil
	}
	err := Write(p, []Variable{{Path: "/a", Value: a}, {Path: "/b", Value: a}}, Metadata{"gen": 2})
	testHookWriteVar = nil
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), `"/b"`) ||
		!strings.Contains(err.Error(), "simulated disk failure") {
		t.Fatalf("failing write: err = %v, want one naming the file, the variable and the cause", err)
	}
	after, _ := os.ReadFile(p)
	if !bytes.Equal(before, after) {
		t.Error("a failed write changed the existing checkpoint")
	}
	if err := Verify(p); err != nil {
		t.Errorf("old checkpoint no longer verifies: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}

	// A freed tensor, non-serialisable metadata and duplicate paths are refused before anything is written.
	freed := tensors.FromValue([]float32{1, 2, 3})
	if err := freed.FinalizeAll(); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []Variable{{Path: "/a", Value: a}, {Path: "/freed", Value: freed}}, nil); err == nil ||
		!strings.Contains(err.Error(), `"/freed" has no value`) {
		t.Errorf("freed tensor: err = %v", err)
	}
	if err := Write(p, []Variable{{Path: "/a", Value: a}}, Metadata{"f": func() {}}); err == nil {
		t.Error("non-JSON metadata accepted")
	}
	if err := Write(p, []Variable{{Path: "/a", Value: a}, {Path: "/a", Value: a}}, nil); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate paths: err = %v", err)
	}
	if err := Write(filepath.Join(dir, "nodir", "x.mfckpt"), []Variable{{Path: "/a", Value: a}}, nil); err == nil {
		t.Error("write into a missing directory succeeded")
	}
	after, _ = os.ReadFile(p)
	if !bytes.Equal(before, after) {
		t.Error("refused writes changed the existing checkpoint")
	}
	entries, _ = os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}

	// A successful overwrite replaces the file completely.
	if err := Write(p, []Variable{{Path: "/a", Value: a}}, Metadata{"gen": 5}); err != nil {
		t.Fatal(err)
	}
	h, err := ReadHeader(p)
	var gen int
	if err != nil || h.Metadata.Decode("gen", &gen) != nil || gen != 5 || len(h.Variables) != 1 {
		t.Errorf("overwrite: gen %d, %v", gen, err)
	}
}

func TestDir(t *testing.T) {
	root := filepath.Join(t.TempDir(), "ckpts")
	d, err := OpenDir(root, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Latest(); !errors.Is(err, ErrNoCheckpoint) || !strings.Contains(err.Error(), root) {
		t.Errorf("Latest on an empty dir: %v", err)
	}
	store := testStore(t)
	// A foreign file and a leftover temporary file are ignored and kept.
	_ = os.WriteFile(filepath.Join(root, "notes.txt"), []byte("x"), 0o644)
	_ = os.WriteFile(filepath.Join(root, ".tmp-ckpt-000000000009.mfckpt-123"), []byte("x"), 0o644)
	for _, step := range []int64{10, 5, 30, 20} {
		if _, err := d.Save(step, store, Metadata{"step": step}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Step != 20 || list[1].Step != 30 {
		t.Fatalf("List after keep-2 = %+v, want steps 20, 30", list)
	}
	latest, err := d.Latest()
	if err != nil || latest.Step != 30 || filepath.Base(latest.Path) != "ckpt-000000000030.mfckpt" {
		t.Errorf("Latest = %+v, %v", latest, err)
	}
	h, err := ReadHeader(latest.Path)
	var step int64
	if err != nil || h.Metadata.Decode("step", &step) != nil || step != 30 {
		t.Errorf("latest header step = %d, %v", step, err)
	}
	for _, name := range []string{"notes.txt", ".tmp-ckpt-000000000009.mfckpt-123"} {
		if _, err := os.Stat(filepath.Join(root, name)); err != nil {
			t.Errorf("Dir deleted a file it does not own: %s", name)
		}
	}
	// Saving an older step than those present keeps the new file (it is never pruned on its own save).
	if p, err := d.Save(7, store, nil); err != nil {
		t.Fatal(err)
	} else if _, err := os.Stat(p); err != nil {
		t.Errorf("the checkpoint just saved was pruned: %v", err)
	}
	if list, _ := d.List(); len(list) != 2 || list[0].Step != 7 || list[1].Step != 30 {
		t.Errorf("after saving step 7: %+v", list)
	}
	all, _ := OpenDir(root, 0)
	if _, err := all.Save(1, store, nil); err != nil {
		t.Fatal(err)
	}
	if list, _ := all.List(); len(list) != 3 {
		t.Errorf("keep 0 should keep everything, have %d", len(list))
	}
	if _, err := d.Save(-1, store, nil); err == nil {
		t.Error("negative step accepted")
	}
	if entries, _ := List(filepath.Join(root, "missing")); entries != nil {
		t.Error("a missing directory should list no checkpoints")
	}
}

// TestLoadedVariablesUsedByGraph checks that variables loaded into a fresh store are found by a later
// graph build (not re-initialised), and that the saved RNG state continues the random stream exactly.
func TestLoadedVariablesUsedByGraph(t *testing.T) {
	be, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	// fn uses a variable with a random initializer and draws random numbers from the Store's RNG.
	fn := func(scope *model.Scope, g *Graph) (*Node, *Node) {
		w := scope.In("model").WithInitializer(initializer.RandomNormalFn(scope, 1)).
			VariableWithShape("w", shapes.Make(dtypes.Float32, 3))
		return w.NodeValue(g), scope.RandomUniform(g, shapes.Make(dtypes.Float32, 4))
	}
	a := model.NewStore()
	a.SetParam(model.ParamInitialSeed, int64(7))
	e, err := model.NewExec(be, a, fn)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Call()
	if err != nil {
		t.Fatal(err)
	}
	w0 := tensors.MustCopyFlatData[float32](out[0])
	p := filepath.Join(t.TempDir(), "rng.mfckpt")
	if err := Save(p, a, nil); err != nil {
		t.Fatal(err)
	}
	out, _ = e.Call()
	wantRand := tensors.MustCopyFlatData[float32](out[1])

	b := model.NewStore() // no seed: only the checkpoint can make it agree
	if _, err := Load(p, b); err != nil {
		t.Fatal(err)
	}
	eb, err := model.NewExec(be, b, fn)
	if err != nil {
		t.Fatal(err)
	}
	out, err = eb.Call()
	if err != nil {
		t.Fatal(err)
	}
	gotW, gotRand := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	for i := range w0 {
		if gotW[i] != w0[i] {
			t.Fatalf("loaded weights were re-initialised: %v, want %v", gotW, w0)
		}
	}
	for i := range wantRand {
		if gotRand[i] != wantRand[i] {
			t.Fatalf("random stream after load = %v, want %v", gotRand, wantRand)
		}
	}
}

// A writer killed during a checkpoint's sync or rename leaves its temporary file: OpenDir removes it,
// but not the temporary file of a live writer nor files it does not recognise.
func TestOpenDirRemovesOrphans(t *testing.T) {
	root := t.TempDir()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Skip("no true command to obtain a finished process id:", err)
	}
	orphan := fmt.Sprintf(".tmp-%s-%d-123456", FileName(100), gone.Process.Pid)
	live := strings.Replace(tempPattern(FileName(200)), "*", "987", 1)
	other := ".tmp-notes"
	for _, name := range []string{orphan, live, other} {
		if err := os.WriteFile(filepath.Join(root, name), bytes.Repeat([]byte{1}, 100), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := OpenDir(root, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, orphan)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("orphan %s of a finished writer was kept (stat err %v)", orphan, err)
	}
	for _, name := range []string{live, other} {
		if _, err := os.Stat(filepath.Join(root, name)); err != nil {
			t.Errorf("%s was removed: %v", name, err)
		}
	}
	// Save's own temporary file carries the pid pattern RemoveOrphans recognises.
	if m := tempRE.FindStringSubmatch(live); m == nil || m[1] != strconv.Itoa(os.Getpid()) {
		t.Errorf("temporary name %q does not carry this process's id", live)
	}
}

// TestReadBytes reads a file's bytes as Read reads the file, and names the data (not its temporary
// file) in the error of corrupted bytes, which still wraps ErrCorrupt.
func TestReadBytes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a"+Ext)
	vars := []Variable{{Path: "/w", Value: tensors.FromValue([]float32{1, 2, 3})}}
	if err := Write(p, vars, Metadata{"k": 1}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := ReadBytes("embedded a", data)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := ck.Get("/w"); !ok || ck.Path != "embedded a" || fmt.Sprint(got.Value()) != "[1 2 3]" {
		t.Errorf("ReadBytes: path %q, /w %v (found %v), want \"embedded a\", [1 2 3]", ck.Path, got, ok)
	}
	data[len(data)-1] ^= 0xff
	_, err = ReadBytes("embedded a", data)
	if err == nil || !strings.Contains(err.Error(), "embedded a") || strings.Contains(err.Error(), os.TempDir()) ||
		!errors.Is(err, ErrCorrupt) {
		t.Errorf("ReadBytes of corrupted bytes: error %v, want one naming \"embedded a\" and wrapping ErrCorrupt", err)
	}
}
