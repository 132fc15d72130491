package expcache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mixflow/mixflow/mixflowlib/env"
)

type cfgT struct {
	Steps  int               `json:"steps"`
	LR     float64           `json:"lr"`
	Gamma  float64           `json:"gamma"`
	Labels map[string]string `json:"labels,omitempty"`
}

type resT struct {
	Loss float64 `json:"loss"`
	File string  `json:"file"` // relative to the entry directory
}

// counted returns a compute function that counts its calls and writes a "checkpoint" file.
func counted(n *atomic.Int32, loss float64) func(dir string) (resT, error) {
	return func(dir string) (resT, error) {
		n.Add(1)
		if err := os.MkdirAll(filepath.Join(dir, "ckpt"), 0o755); err != nil {
			return resT{}, err
		}
		if err := os.WriteFile(filepath.Join(dir, "ckpt", "w.bin"), bytes.Repeat([]byte{7}, 1000), 0o644); err != nil {
			return resT{}, err
		}
		return resT{Loss: loss, File: "ckpt/w.bin"}, nil
	}
}

func testCache(t *testing.T) (*Cache, *bytes.Buffer) {
	var log bytes.Buffer
	return New(filepath.Join(t.TempDir(), "experiments")).WithLog(&log), &log
}

func TestHitMissAndChangedConfig(t *testing.T) {
	c, _ := testCache(t)
	var n atomic.Int32
	cfg := cfgT{Steps: 100, LR: 1e-4, Gamma: 0.8, Labels: map[string]string{"b": "2", "a": "1"}}
	r1, i1, err := Compute(c, "mlp", cfg, counted(&n, 0.25))
	if err != nil {
		t.Fatal(err)
	}
	if i1.Hit || n.Load() != 1 || r1.Loss != 0.25 || !strings.HasPrefix(i1.Key, "mlp-") || i1.Dir != filepath.Join(c.Root(), i1.Key) {
		t.Fatalf("first call: %+v, %+v, %d computes", r1, i1, n.Load())
	}
	if b, err := os.ReadFile(filepath.Join(i1.Dir, r1.File)); err != nil || len(b) != 1000 {
		t.Fatalf("compute's file not kept in the entry: %v", err)
	}
	var rec configRecord
	raw, _ := os.ReadFile(filepath.Join(i1.Dir, configFile))
	var recCfg cfgT
	if err := json.Unmarshal(raw, &rec); err != nil || rec.Name != "mlp" || json.Unmarshal(rec.Config, &recCfg) != nil || recCfg.Gamma != 0.8 || recCfg.Labels["b"] != "2" {
		t.Errorf("config.json = %s (%v)", raw, err)
	}

	r2, i2, err := Compute(c, "mlp", cfg, counted(&n, 99))
	if err != nil {
		t.Fatal(err)
	}
	if !i2.Hit || n.Load() != 1 || r2 != r1 || i2.Key != i1.Key || !i2.Created.Equal(i1.Created) || i2.ComputeTime != i1.ComputeTime {
		t.Fatalf("second call should hit: %+v %+v, %d computes", r2, i2, n.Load())
	}
	if !strings.Contains(i2.String(), "cache hit "+i1.Key) || !strings.Contains(i1.String(), "cache miss") {
		t.Errorf("Info strings: %q / %q", i1.String(), i2.String())
	}

	// The same configuration written differently (map order, a struct with the same JSON) hits.
	same := map[string]any{"gamma": 0.8, "lr": 0.0001, "steps": 100, "labels": map[string]any{"a": "1", "b": "2"}}
	if _, i, err := Compute(c, "mlp", same, counted(&n, 99)); err != nil || !i.Hit {
		t.Errorf("equivalent config: hit %v, %v", i.Hit, err)
	}
	// Any change computes anew.
	for _, changed := range []any{
		cfgT{Steps: 101, LR: 1e-4, Gamma: 0.8, Labels: cfg.Labels},
		cfgT{Steps: 100, LR: 1e-4, Gamma: 0.81, Labels: cfg.Labels},
		cfgT{Steps: 100, LR: 1e-4, Gamma: 0.8},
	} {
		before := n.Load()
		if _, i, err := Compute(c, "mlp", changed, counted(&n, 1)); err != nil || i.Hit || n.Load() != before+1 {
			t.Errorf("changed config %+v: hit %v, %v", changed, i.Hit, err)
		}
	}
	before := n.Load()
	if _, i, err := Compute(c, "mlp2", cfg, counted(&n, 1)); err != nil || i.Hit || n.Load() != before+1 {
		t.Errorf("other name: hit %v, %v", i.Hit, err)
	}
	if _, i, err := Compute(c.WithSalt("v2"), "mlp", cfg, counted(&n, 1)); err != nil || i.Hit {
		t.Errorf("other salt: hit %v, %v", i.Hit, err)
	}
	list, err := c.List()
	if err != nil || len(list) != 6 {
		t.Fatalf("List: %d entries, %v", len(list), err)
	}
	for _, e := range list {
		if e.Problem != "" || e.Size == 0 || e.Name == "" || len(e.Config) == 0 {
			t.Errorf("listed entry %s", e)
		}
	}
	// Nothing is left in the work area.
	if des, _ := os.ReadDir(filepath.Join(c.Root(), workDir)); len(des) != 0 {
		t.Errorf("work directories left: %v", des)
	}
}

func TestKeyIsStable(t *testing.T) {
	c := New(t.TempDir())
	k1, err := c.Key("fm", cfgT{Steps: 3, LR: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	// Golden value: a change here silently invalidates every user's cache; bump Version instead.
	if want := "fm-4411aa6e92ec"; k1 != want {
		t.Errorf("Key = %s, want %s", k1, want)
	}
	k2, _ := c.Key("fm", map[string]any{"lr": 0.5, "steps": 3, "gamma": 0})
	if k1 != k2 {
		t.Errorf("struct and equivalent map give different keys: %s vs %s", k1, k2)
	}
}

func TestBadInput(t *testing.T) {
	c, _ := testCache(t)
	var n atomic.Int32
	for _, name := range []string{"", "a/b", "../x", ".hidden", strings.Repeat("x", 65), "sp ace"} {
		if _, _, err := Compute(c, name, 1, counted(&n, 0)); err == nil || !strings.Contains(err.Error(), "expcache: name") {
			t.Errorf("name %q: err = %v", name, err)
		}
	}
	if _, _, err := Compute(c, "x", map[string]any{"f": func() {}}, counted(&n, 0)); err == nil || !strings.Contains(err.Error(), "not JSON-serialisable") {
		t.Errorf("func config: %v", err)
	}
	if _, _, err := Compute(c, "x", math.NaN(), counted(&n, 0)); err == nil {
		t.Error("NaN config accepted")
	}
	if _, _, err := Compute[int](c, "x", 1, nil); err == nil {
		t.Error("nil compute accepted")
	}
	if n.Load() != 0 {
		t.Error("compute ran for bad input")
	}
	if err := c.RemoveKey("../../etc"); err == nil {
		t.Error("RemoveKey accepted a path")
	}
}

func TestComputeErrorsStoreNothing(t *testing.T) {
	c, _ := testCache(t)
	boom := errors.New("boom")
	_, info, err := Compute(c, "fails", 1, func(dir string) (int, error) {
		_ = os.WriteFile(filepath.Join(dir, "partial"), []byte("x"), 0o644)
		return 0, boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), info.Key) {
		t.Errorf("err = %v", err)
	}
	_, _, err = Compute(c, "panics", 1, func(dir string) (int, error) { panic("kaboom") })
	if err == nil || !strings.Contains(err.Error(), "kaboom") {
		t.Errorf("panic: err = %v", err)
	}
	_, _, err = Compute(c, "unserialisable", 1, func(dir string) (float64, error) { return math.Inf(1), nil })
	if err == nil || !strings.Contains(err.Error(), "not JSON-serialisable") {
		t.Errorf("Inf result: err = %v", err)
	}
	if list, _ := c.List(); len(list) != 0 {
		t.Errorf("failed computes left entries: %v", list)
	}
	if des, _ := os.ReadDir(filepath.Join(c.Root(), workDir)); len(des) != 0 {
		t.Errorf("failed computes left work directories: %v", des)
	}
	// After an error the next call computes again.
	v, info, err := Compute(c, "fails", 1, func(dir string) (int, error) { return 5, nil })
	if err != nil || v != 5 || info.Hit {
		t.Errorf("retry: %v %+v %v", v, info, err)
	}
}

// TestInterruptedComputeResumes: a compute stopped by a cancelled or expired context (as a trainer does
// after checkpointing on a notebook interrupt) keeps its work directory, and the next call continues in
// it; a genuine failure after that still starts the following call from scratch.
func TestInterruptedComputeResumes(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop error
	}{
		{"canceled", fmt.Errorf("trainer: stopped at step 6: %w", context.Canceled)},
		{"deadline", errors.Join(fmt.Errorf("trainer: stopped at step 6: %w", context.DeadlineExceeded), errors.New("disk full"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(env.CacheVar, t.TempDir())
			cfg := cfgT{Steps: 12, Gamma: 0.5}
			var firstDir string
			_, info, err := GetOrCompute("interrupted", cfg, func(dir string) (resT, error) {
				firstDir = dir
				if err := os.WriteFile(filepath.Join(dir, "ckpt-6"), []byte("step 6"), 0o644); err != nil {
					return resT{}, err
				}
				return resT{}, tc.stop
			})
			if err == nil || !errors.Is(err, tc.stop) || !strings.Contains(err.Error(), "interrupted") || !strings.Contains(err.Error(), info.Key) {
				t.Fatalf("interrupted compute: err = %v", err)
			}
			if b, err := os.ReadFile(filepath.Join(firstDir, "ckpt-6")); err != nil || string(b) != "step 6" {
				t.Fatalf("the interrupted compute's file is gone: %v", err)
			}
			if list, _ := Default().List(); len(list) != 0 {
				t.Errorf("an interrupted compute stored an entry: %v", list)
			}

			// The next call gets the same directory with the file, and completes.
			var secondDir string
			var found []byte
			res, info, err := GetOrCompute("interrupted", cfg, func(dir string) (resT, error) {
				secondDir = dir
				found, _ = os.ReadFile(filepath.Join(dir, "ckpt-6"))
				return resT{Loss: 0.5, File: "ckpt-6"}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if secondDir != firstDir || string(found) != "step 6" || !info.Resumed || info.Hit || res.Loss != 0.5 {
				t.Errorf("second call: dir %s (first %s), found %q, info %+v", secondDir, firstDir, found, info)
			}
			if b, err := os.ReadFile(filepath.Join(info.Dir, res.File)); err != nil || string(b) != "step 6" {
				t.Errorf("the resumed file is not in the stored entry: %v", err)
			}
			if _, err := os.Stat(firstDir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("work directory left after completion: %v", err)
			}
		})
	}

	// An interruption before compute wrote anything leaves nothing behind.
	c, _ := testCache(t)
	if _, _, err := Compute(c, "early", 1, func(string) (int, error) { return 0, context.Canceled }); !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "interrupted") {
		t.Errorf("early interruption: err = %v", err)
	}
	if des, _ := os.ReadDir(filepath.Join(c.Root(), workDir)); len(des) != 0 {
		t.Errorf("an interruption with nothing to resume left work directories: %v", des)
	}

	// Interrupted, then a genuine failure: the failure deletes the kept directory.
	stop := func(dir string) (int, error) {
		_ = os.WriteFile(filepath.Join(dir, "partial"), []byte("x"), 0o644)
		return 0, context.Canceled
	}
	if _, _, err := Compute(c, "flaky", 1, stop); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	boom := errors.New("boom")
	_, info, err := Compute(c, "flaky", 1, func(dir string) (int, error) { return 0, boom })
	if !errors.Is(err, boom) || !info.Resumed || strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("failure after an interruption: err = %v, info %+v", err, info)
	}
	if _, info, err = Compute(c, "flaky", 1, func(dir string) (int, error) { return 1, nil }); err != nil || info.Resumed {
		t.Errorf("after a failure the next call resumed (%+v, %v); want a fresh directory", info, err)
	}
}

func TestCorruptEntriesAreRecomputed(t *testing.T) {
	cases := []struct {
		name    string
		corrupt func(t *testing.T, dir string)
		want    string
	}{
		{"flipped result", func(t *testing.T, dir string) { flipByte(t, filepath.Join(dir, resultFile), 3) }, "result.json: checksum mismatch"},
		{"flipped checkpoint", func(t *testing.T, dir string) { flipByte(t, filepath.Join(dir, "ckpt/w.bin"), 500) }, "ckpt/w.bin: checksum mismatch"},
		{"truncated checkpoint", func(t *testing.T, dir string) { _ = os.Truncate(filepath.Join(dir, "ckpt/w.bin"), 10) }, "has 10 bytes"},
		{"missing file", func(t *testing.T, dir string) { _ = os.Remove(filepath.Join(dir, "ckpt/w.bin")) }, "ckpt/w.bin is missing"},
		{"no manifest", func(t *testing.T, dir string) { _ = os.Remove(filepath.Join(dir, manifestName)) }, "incomplete entry"},
		{"garbage manifest", func(t *testing.T, dir string) { _ = os.WriteFile(filepath.Join(dir, manifestName), []byte("{"), 0o644) }, "corrupt MANIFEST.json"},
		{"entry of another configuration", func(t *testing.T, dir string) {
			// A 12-hex-digit key collision: the manifest records the full hash of another configuration.
			var m manifest
			raw, _ := os.ReadFile(filepath.Join(dir, manifestName))
			_ = json.Unmarshal(raw, &m)
			m.Hash = strings.Repeat("0", 64)
			mj, _ := json.Marshal(m)
			_ = os.WriteFile(filepath.Join(dir, manifestName), mj, 0o644)
		}, "holds another configuration"},
		{"manifest lists a temporary file", func(t *testing.T, dir string) {
			listExtra(t, dir, "ckpt/.tmp-w.bin-123")
		}, "lists the temporary file ckpt/.tmp-w.bin-123"},
		{"manifest lists a file outside the entry", func(t *testing.T, dir string) {
			listExtra(t, dir, "../other/result.json")
		}, "not a file inside the entry"},
		{"result of another type", func(t *testing.T, dir string) {
			// Consistent checksums, but the result does not decode into resT.
			p := filepath.Join(dir, resultFile)
			_ = os.WriteFile(p, []byte(`["not", "a", "resT"]`), 0o644)
			m, _ := verify(dir, filepath.Base(dir), false)
			if m == nil {
				m = &manifest{}
				raw, _ := os.ReadFile(filepath.Join(dir, manifestName))
				_ = json.Unmarshal(raw, m)
			}
			m.Files, _ = hashTree(dir)
			mj, _ := json.Marshal(m)
			_ = os.WriteFile(filepath.Join(dir, manifestName), mj, 0o644)
		}, "unreadable result.json"},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			c, log := testCache(t)
			var n atomic.Int32
			_, info, err := Compute(c, "run", 7, counted(&n, 0.5))
			if err != nil {
				t.Fatal(err)
			}
			tc.corrupt(t, info.Dir)
			res, info2, err := Compute(c, "run", 7, counted(&n, 0.5))
			if err != nil {
				t.Fatal(err)
			}
			if info2.Hit || n.Load() != 2 || res.Loss != 0.5 {
				t.Fatalf("corrupt entry was used: hit %v, %d computes", info2.Hit, n.Load())
			}
			if !strings.Contains(info2.Recovered, tc.want) {
				t.Errorf("Recovered = %q, want it to contain %q", info2.Recovered, tc.want)
			}
			lines := strings.Split(strings.TrimSpace(log.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], info.Key) || !strings.Contains(lines[0], tc.want) || !strings.Contains(lines[0], "moved it to") {
				t.Errorf("log = %q", log.String())
			}
			aside, _ := os.ReadDir(filepath.Join(c.Root(), corruptDir))
			if len(aside) != 1 {
				t.Errorf("%d entries moved aside, want 1", len(aside))
			}
			// The recomputed entry is valid and hits.
			if _, info3, err := Compute(c, "run", 7, counted(&n, 0.5)); err != nil || !info3.Hit {
				t.Errorf("after recovery: hit %v, %v", info3.Hit, err)
			}
			if k, err := c.PurgeCorrupt(); err != nil || k != 1 {
				t.Errorf("PurgeCorrupt = %d, %v", k, err)
			}
		})
	}
}

func flipByte(t *testing.T, p string, i int) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[i%len(b)] ^= 0x40
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestInspectListRemove(t *testing.T) {
	c, _ := testCache(t)
	var n atomic.Int32
	if _, _, err := Compute(c, "a", 1, counted(&n, 1)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Compute(c, "b", 2, counted(&n, 2)); err != nil {
		t.Fatal(err)
	}
	e, err := c.Inspect("a", 1)
	if err != nil || e.Problem != "" || e.Name != "a" || string(e.Config) != "1" {
		t.Fatalf("Inspect = %+v, %v", e, err)
	}
	flipByte(t, filepath.Join(e.Dir, "ckpt/w.bin"), 1)
	if e, _ := c.Inspect("a", 1); !strings.Contains(e.Problem, "checksum mismatch") {
		t.Errorf("Inspect of a corrupt entry: %+v", e)
	}
	if list, _ := c.List(); len(list) != 2 || list[0].Problem != "" { // List checks sizes only
		t.Errorf("List = %v", list)
	}
	if _, err := c.Inspect("zzz", 1); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Inspect of a missing entry: %v", err)
	}
	if err := c.Remove("a", 1); err != nil {
		t.Fatal(err)
	}
	list, _ := c.List()
	if len(list) != 1 || list[0].Name != "b" {
		t.Errorf("after Remove: %v", list)
	}
	if err := c.RemoveKey(list[0].Key); err != nil {
		t.Fatal(err)
	}
	if list, _ := c.List(); len(list) != 0 {
		t.Errorf("after RemoveKey: %v", list)
	}
	if err := c.Remove("never", 1); err != nil {
		t.Errorf("removing a missing entry: %v", err)
	}
}

func TestConcurrentCallersComputeOnce(t *testing.T) {
	c, log := testCache(t)
	var n atomic.Int32
	slow := func(dir string) (resT, error) {
		time.Sleep(300 * time.Millisecond)
		return counted(&n, 3)(dir)
	}
	shared := c.WithLog(&lockedWriter{w: log}) // one writer for all goroutines
	var wg sync.WaitGroup
	results := make([]resT, 4)
	hits := make([]bool, 4)
	errs := make([]error, 4)
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var info Info
			results[i], info, errs[i] = Compute(shared, "shared", "cfg", slow)
			hits[i] = info.Hit
		}()
	}
	wg.Wait()
	nHits := 0
	for i := range 4 {
		if errs[i] != nil || results[i].Loss != 3 {
			t.Errorf("caller %d: %+v, %v", i, results[i], errs[i])
		}
		if hits[i] {
			nHits++
		}
	}
	if n.Load() != 1 || nHits != 3 {
		t.Errorf("%d computes and %d hits for 4 concurrent callers, want 1 and 3", n.Load(), nHits)
	}
	if !strings.Contains(log.String(), "waiting for another process computing shared-") {
		t.Errorf("no waiting message: %q", log.String())
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestHelperProcess is not a test: the cross-process tests run the test binary with
// EXPCACHE_HELPER set to act as another kernel.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv("EXPCACHE_HELPER")
	if mode == "" {
		t.Skip("helper process only")
	}
	c := New(os.Getenv("EXPCACHE_ROOT")).WithLog(os.Stderr)
	res, info, err := Compute(c, "xproc", "cfg", func(dir string) (resT, error) {
		if mode == "crash" {
			_ = os.WriteFile(filepath.Join(dir, "progress"), []byte("step 500"), 0o644)
			os.Exit(3) // a kernel killed in the middle of training
		}
		prev, _ := os.ReadFile(filepath.Join(dir, "progress"))
		f, _ := os.OpenFile(filepath.Join(os.Getenv("EXPCACHE_ROOT"), "computes.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		fmt.Fprintf(f, "compute by %d (found progress %q)\n", os.Getpid(), prev)
		_ = f.Close()
		time.Sleep(400 * time.Millisecond)
		return resT{Loss: 8, File: string(prev)}, nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("hit=%v loss=%v file=%q resumed=%v\n", info.Hit, res.Loss, res.File, info.Resumed)
}

func helper(t *testing.T, root, mode string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "EXPCACHE_HELPER="+mode, "EXPCACHE_ROOT="+root)
	return cmd
}

func TestCrossProcessLockAndCrashResume(t *testing.T) {
	root := filepath.Join(t.TempDir(), "experiments")
	// A kernel dies while computing: its work directory survives and the next compute gets it back.
	if out, err := helper(t, root, "crash").CombinedOutput(); err == nil {
		t.Fatalf("crash helper exited cleanly: %s", out)
	}
	// Two kernels start the same computation at once: one computes, the other waits and hits.
	var outs [2]bytes.Buffer
	var cmds [2]*exec.Cmd
	for i := range cmds {
		cmds[i] = helper(t, root, "compute")
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range cmds {
		if err := cmds[i].Wait(); err != nil {
			t.Fatalf("helper %d: %v: %s", i, err, outs[i].String())
		}
	}
	log, _ := os.ReadFile(filepath.Join(root, "computes.log"))
	if n := strings.Count(string(log), "compute by"); n != 1 {
		t.Fatalf("%d computes across two processes, want 1:\n%s", n, log)
	}
	if !strings.Contains(string(log), `found progress "step 500"`) {
		t.Errorf("compute did not get the crashed run's work directory back: %s", log)
	}
	all := outs[0].String() + outs[1].String()
	if strings.Count(all, `hit=false loss=8 file="step 500" resumed=true`) != 1 || strings.Count(all, `hit=true loss=8 file="step 500" resumed=false`) != 1 ||
		!strings.Contains(all, "was interrupted before") {
		t.Errorf("helper outputs:\n%s", all)
	}
}

// listExtra adds a record for rel (a file it creates, where it can) to the entry's manifest.
func listExtra(t *testing.T, dir, rel string) {
	t.Helper()
	if filepath.IsLocal(rel) {
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(rel)), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var m manifest
	raw, _ := os.ReadFile(filepath.Join(dir, manifestName))
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m.Files = append(m.Files, fileRecord{Path: rel, Size: 1, SHA256: strings.Repeat("0", 64)})
	mj, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, manifestName), mj, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A kill during a checkpoint's sync or rename leaves a .tmp- file in the work dir: the finished entry
// neither holds nor lists it.
func TestTempFilesLeftByComputeAreDropped(t *testing.T) {
	c, _ := testCache(t)
	var n atomic.Int32
	_, info, err := Compute(c, "run", 7, func(dir string) (resT, error) {
		r, err := counted(&n, 0.5)(dir)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "ckpt", ".tmp-ckpt-000100.mfckpt-42"), []byte("half"), 0o644)
		}
		return r, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(info.Dir, "ckpt", ".tmp-ckpt-000100.mfckpt-42")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the temporary file is in the entry: stat err = %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(info.Dir, manifestName))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(".tmp-")) {
		t.Errorf("MANIFEST.json lists a temporary file: %s", raw)
	}
	if _, err := verify(info.Dir, filepath.Base(info.Dir), true); err != nil {
		t.Errorf("entry does not verify: %v", err)
	}
}
