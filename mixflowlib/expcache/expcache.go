// Package expcache keeps experiment results (and the files that produced them, such as checkpoints)
// on disk, keyed by a hash of the full configuration. GoNB runs every notebook cell as a new process,
// so a trained model must outlive the cell that trained it: a cell calls GetOrCompute with a name and
// its configuration; the first run computes and stores, later runs with the same configuration load
// instantly, and a changed configuration computes anew.
//
// Layout, under Default().Root() = env.CacheDir()/experiments:
//
//	<name>-<hash12>/          one entry per (name, configuration, version salt)
//	    config.json           the name, salt and configuration, human-readable
//	    result.json           compute's result as JSON
//	    ...                   any files compute wrote (checkpoints, samples)
//	    MANIFEST.json         size and SHA-256 of every file above, written last
//	.work/<name>-<hash12>/    an entry being computed (renamed into place when complete)
//	.locks/<name>-<hash12>.lock
//	.corrupt/<name>-<hash12>-<time>/   entries found corrupt, moved aside
//
// Entries are atomic: compute works in .work/<key>/ and the directory is renamed into place only after
// result.json and the manifest are written and synced, so an entry is either complete or absent. Every
// hit verifies the manifest's checksums and decodes result.json; a corrupt or incomplete entry is
// reported in one line, moved to .corrupt/ and recomputed, never used. An exclusive file lock (flock)
// per key makes a second kernel wait for the first instead of computing the same thing twice.
//
// If a kernel dies while computing, or compute returns an error that wraps context.Canceled or
// context.DeadlineExceeded (a notebook interrupt handled by a trainer that checkpoints and stops),
// .work/<key>/ keeps what compute wrote and the next call hands compute the same directory, so a
// trainer pointed at a checkpoint directory inside it resumes. Any other compute error deletes the work
// directory (see Compute). Because the work directory is renamed when compute returns, results must
// refer to files by paths relative to dir (Info.Dir is the entry's final location).
package expcache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/mixflow/mixflow/internal/fsutil"
	"github.com/mixflow/mixflow/mixflowlib/env"
)

// Version is the version salt mixed into every key. Changing it invalidates every entry; bump it when
// the meaning of cached results changes for the same configuration.
const Version = "mixflow-expcache/1"

const (
	configFile   = "config.json"
	resultFile   = "result.json"
	manifestName = "MANIFEST.json"
	workDir      = ".work"
	locksDir     = ".locks"
	corruptDir   = ".corrupt"
	manifestFmt  = 1
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
var keyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}-[0-9a-f]{12}$`)

// Cache is an experiment cache rooted at a directory.
type Cache struct {
	root string
	salt string
	log  io.Writer
}

// New returns a cache rooted at root (created on first use), with no extra salt, reporting waits and
// corrupt entries to os.Stderr.
func New(root string) *Cache {
	return &Cache{root: root, log: os.Stderr}
}

// Default returns the cache at env.CacheDir()/experiments ($MIXFLOW_CACHE/experiments when set).
func Default() *Cache {
	return New(filepath.Join(env.CacheDir(), "experiments"))
}

// WithSalt returns a copy of the cache that mixes salt into every key (e.g. a notebook version), so
// results computed under another salt are not reused.
func (c *Cache) WithSalt(salt string) *Cache {
	c2 := *c
	c2.salt = salt
	return &c2
}

// WithLog returns a copy of the cache that reports waits and corrupt entries to w (nil: silent).
func (c *Cache) WithLog(w io.Writer) *Cache {
	c2 := *c
	c2.log = w
	return &c2
}

// Root returns the cache's root directory.
func (c *Cache) Root() string { return c.root }

// Info describes one GetOrCompute call.
type Info struct {
	// Hit is true when the result came from the cache.
	Hit bool
	// Key is the entry's name: "<name>-<first 12 hex digits of the hash>".
	Key string
	// Dir is the entry's directory, where compute's files are kept.
	Dir string
	// Elapsed is how long this call took (loading on a hit, computing and storing on a miss).
	Elapsed time.Duration
	// ComputeTime is how long compute took when the entry was made.
	ComputeTime time.Duration
	// Created is when the entry was made.
	Created time.Time
	// Recovered is set when a corrupt or incomplete entry was found and recomputed: what was wrong.
	Recovered string
	// Resumed is true when compute was handed the work directory of an interrupted earlier attempt.
	Resumed bool
}

// String describes the call in one line.
func (i Info) String() string {
	if i.Hit {
		return fmt.Sprintf("cache hit %s (computed %s in %s; loaded in %s) at %s",
			i.Key, i.Created.Local().Format("2006-01-02 15:04"), i.ComputeTime.Round(time.Millisecond), i.Elapsed.Round(10*time.Microsecond), i.Dir)
	}
	return fmt.Sprintf("cache miss %s: computed in %s, stored at %s", i.Key, i.ComputeTime.Round(time.Millisecond), i.Dir)
}

// configRecord is the content of config.json.
type configRecord struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	Salt    string          `json:"salt,omitempty"`
	Hash    string          `json:"hash"`
	Config  json.RawMessage `json:"config"`
}

// manifest is the content of MANIFEST.json.
type manifest struct {
	Format         int          `json:"format"`
	Key            string       `json:"key"`
	Name           string       `json:"name"`
	Hash           string       `json:"hash"`
	Created        time.Time    `json:"created"`
	ComputeSeconds float64      `json:"compute_seconds"`
	Files          []fileRecord `json:"files"`
}

type fileRecord struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// canonicalJSON returns the JSON of v with object keys sorted at every level (struct fields included)
// and numbers kept as written, so equal configurations give equal bytes.
func canonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	return json.Marshal(generic)
}

// keyOf returns the entry key, the full hash and the canonical configuration.
func (c *Cache) keyOf(name string, config any) (key, hash string, canon []byte, err error) {
	if !nameRE.MatchString(name) {
		return "", "", nil, fmt.Errorf("expcache: name %q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	canon, err = canonicalJSON(config)
	if err != nil {
		return "", "", nil, fmt.Errorf("expcache: configuration of %q is not JSON-serialisable: %w", name, err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", Version, c.salt, name)
	h.Write(canon)
	hash = hex.EncodeToString(h.Sum(nil))
	return name + "-" + hash[:12], hash, canon, nil
}

// Key returns the key ("<name>-<hash12>") of name and config.
func (c *Cache) Key(name string, config any) (string, error) {
	key, _, _, err := c.keyOf(name, config)
	return key, err
}

// GetOrCompute returns the cached result of name and config from the default cache, or calls compute
// with an empty (or, after a crash or an interruption, partly filled) directory, stores its result and files, and returns
// it. See Compute.
func GetOrCompute[T any](name string, config any, compute func(dir string) (T, error)) (T, Info, error) {
	return Compute(Default(), name, config, compute)
}

// Compute returns the result stored in c for name and config, or computes it. The key hashes the
// version salt, c's salt, name and the canonical JSON of config, so config must be JSON-serialisable
// and hold everything the result depends on. compute receives the directory where it may write files
// (checkpoints, samples); its result must be JSON-serialisable and is returned as decoded from the
// stored result.json, so a hit and a miss return equal values.
//
// A compute error (or panic) stores nothing and is returned, wrapped. What happens to compute's
// directory depends on the error:
//   - an interruption, an error wrapping context.Canceled or context.DeadlineExceeded, keeps it (when
//     compute wrote anything there): the computation did not fail, it was stopped (typically after
//     saving a checkpoint), and the next call for the same configuration hands compute the same
//     directory (Info.Resumed) so it continues;
//   - any other error or a panic deletes it: such a run may have left the files that made it fail (a
//     diverged checkpoint, a half-written file of a bug), and resuming from them would repeat the
//     failure or hide it, so the next call starts from an empty directory.
//
// Remove and RemoveKey also delete a kept work directory.
func Compute[T any](c *Cache, name string, config any, compute func(dir string) (T, error)) (T, Info, error) {
	start := time.Now()
	var zero T
	if compute == nil {
		return zero, Info{}, fmt.Errorf("expcache: nil compute function for %q", name)
	}
	key, hash, canon, err := c.keyOf(name, config)
	if err != nil {
		return zero, Info{}, err
	}
	entry := filepath.Join(c.root, key)
	info := Info{Key: key, Dir: entry}
	hit := func(res T, m *manifest) (T, Info, error) {
		info.Hit, info.Created = true, m.Created
		info.ComputeTime = time.Duration(m.ComputeSeconds * float64(time.Second))
		info.Elapsed = time.Since(start)
		return res, info, nil
	}

	// Fast path: a complete, valid entry needs no lock.
	if res, m, err := load[T](entry, key, hash); err == nil {
		return hit(res, m)
	}

	for _, d := range []string{locksDir, workDir} {
		if err := os.MkdirAll(filepath.Join(c.root, d), 0o755); err != nil {
			return zero, info, fmt.Errorf("expcache: %w", err)
		}
	}
	lk, err := lockFile(filepath.Join(c.root, locksDir, key+".lock"), c.log,
		fmt.Sprintf("expcache: waiting for another process computing %s", key))
	if err != nil {
		return zero, info, err
	}
	defer lk.unlock()

	// Under the lock: another process may have finished it, or the entry may be corrupt.
	res, m, problem := load[T](entry, key, hash)
	if problem == nil {
		return hit(res, m)
	}
	if !errors.Is(problem, fs.ErrNotExist) || dirExists(entry) {
		aside, err := c.moveAside(entry, key)
		if err != nil {
			return zero, info, err
		}
		info.Recovered = problem.Error()
		if c.log != nil {
			_, _ = fmt.Fprintf(c.log, "expcache: entry %s is unusable (%v); moved it to %s and recomputing\n", key, problem, aside)
		}
	}

	work := filepath.Join(c.root, workDir, key)
	if info.Resumed, err = prepareWork(work, name, hash, c.salt, canon); err != nil {
		return zero, info, err
	}
	if info.Resumed && c.log != nil {
		_, _ = fmt.Fprintf(c.log, "expcache: %s was interrupted before; computing again in %s with the files it left\n", key, work)
	}
	t0 := time.Now()
	val, err := safeCompute(compute, work)
	computeTime := time.Since(t0)
	if err != nil {
		if interrupted(err) && holdsWork(work) {
			return zero, info, fmt.Errorf("expcache: computing %s was interrupted; its files stay in %s and the next call resumes there: %w", key, work, err)
		}
		_ = os.RemoveAll(work)
		return zero, info, fmt.Errorf("expcache: computing %s: %w", key, err)
	}
	resJSON, err := json.MarshalIndent(val, "", "  ")
	if err != nil {
		_ = os.RemoveAll(work)
		return zero, info, fmt.Errorf("expcache: %s: the result (%T) is not JSON-serialisable: %w", key, val, err)
	}
	if err := writeFileSync(filepath.Join(work, resultFile), append(resJSON, '\n')); err != nil {
		return zero, info, fmt.Errorf("expcache: %s: %w", key, err)
	}
	m = &manifest{Format: manifestFmt, Key: key, Name: name, Hash: hash, Created: time.Now().UTC(), ComputeSeconds: computeTime.Seconds()}
	if m.Files, err = hashTree(work); err != nil {
		return zero, info, fmt.Errorf("expcache: %s: %w", key, err)
	}
	mj, _ := json.MarshalIndent(m, "", "  ")
	if err := writeFileSync(filepath.Join(work, manifestName), append(mj, '\n')); err != nil {
		return zero, info, fmt.Errorf("expcache: %s: %w", key, err)
	}
	if err := fsutil.SyncDir(work); err != nil {
		return zero, info, fmt.Errorf("expcache: %s: %w", key, err)
	}
	if err := os.Rename(work, entry); err != nil {
		return zero, info, fmt.Errorf("expcache: %s: moving the finished entry into place: %w", key, err)
	}
	_ = fsutil.SyncDir(c.root)
	res, err = decodeResult[T](filepath.Join(entry, resultFile))
	if err != nil {
		return zero, info, fmt.Errorf("expcache: %s: %w", key, err)
	}
	info.ComputeTime, info.Created = computeTime, m.Created
	info.Elapsed = time.Since(start)
	return res, info, nil
}

// interrupted reports whether a compute error is a cancellation (a stopped computation whose files are a
// valid state to resume from) rather than a failure.
func interrupted(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// safeCompute calls compute, turning a panic into an error.
func safeCompute[T any](compute func(string) (T, error), dir string) (val T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compute panicked: %v", r)
		}
	}()
	return compute(dir)
}

// prepareWork makes sure work exists and holds config.json for this key. A leftover work directory of
// an interrupted compute for the same configuration is kept so compute can resume (resumed reports
// whether it held files besides config.json); one for another configuration (a hash-prefix
// collision) is cleared.
func prepareWork(work, name, hash, salt string, canon []byte) (resumed bool, err error) {
	rec := configRecord{Name: name, Version: Version, Salt: salt, Hash: hash, Config: canon}
	cj, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return false, fmt.Errorf("expcache: %w", err)
	}
	cj = append(cj, '\n')
	if old, err := os.ReadFile(filepath.Join(work, configFile)); err == nil && !bytes.Equal(old, cj) {
		if err := os.RemoveAll(work); err != nil {
			return false, fmt.Errorf("expcache: clearing stale work directory: %w", err)
		}
	}
	resumed = holdsWork(work)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return false, fmt.Errorf("expcache: %w", err)
	}
	if err := writeFileSync(filepath.Join(work, configFile), cj); err != nil {
		return false, fmt.Errorf("expcache: %w", err)
	}
	return resumed, nil
}

// holdsWork reports whether the work directory holds anything besides config.json, i.e. something
// compute wrote that a later attempt can resume from.
func holdsWork(work string) bool {
	des, err := os.ReadDir(work)
	if err != nil {
		return false
	}
	for _, de := range des {
		if de.Name() != configFile {
			return true
		}
	}
	return false
}

// moveAside renames a corrupt entry into .corrupt/ and returns its new path.
func (c *Cache) moveAside(entry, key string) (string, error) {
	dir := filepath.Join(c.root, corruptDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("expcache: %w", err)
	}
	dst := filepath.Join(dir, key+"-"+time.Now().UTC().Format("20060102T150405.000000000"))
	if err := os.Rename(entry, dst); err != nil {
		return "", fmt.Errorf("expcache: moving corrupt entry %s aside: %w", key, err)
	}
	return dst, nil
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// load verifies the entry at dir completely (for the configuration with the full hash) and decodes
// its result. The error says what is wrong;
// it wraps fs.ErrNotExist when there is no entry.
func load[T any](dir, key, hash string) (T, *manifest, error) {
	var zero T
	m, err := verify(dir, key, true)
	if err != nil {
		return zero, nil, err
	}
	if m.Hash != hash {
		return zero, nil, fmt.Errorf("the entry holds another configuration (hash %.16s…, want %.16s…)", m.Hash, hash)
	}
	res, err := decodeResult[T](filepath.Join(dir, resultFile))
	if err != nil {
		return zero, nil, err
	}
	return res, m, nil
}

func decodeResult[T any](p string) (T, error) {
	var res T
	raw, err := os.ReadFile(p)
	if err != nil {
		return res, fmt.Errorf("unreadable %s: %w", resultFile, err)
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return res, fmt.Errorf("unreadable %s (does not decode into %T: %v)", resultFile, res, err)
	}
	return res, nil
}

// verify checks the manifest of the entry at dir: present, for key, and (with hashes) every file's
// size and SHA-256; without hashes only the sizes.
func verify(dir, key string, hashes bool) (*manifest, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errors.New("no " + manifestName + ": incomplete entry")
		}
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("corrupt %s: %v", manifestName, err)
	}
	if m.Format != manifestFmt || m.Key != key {
		return nil, fmt.Errorf("%s is for %q (format %d), not %q", manifestName, m.Key, m.Format, key)
	}
	have := map[string]bool{}
	for _, f := range m.Files {
		if !filepath.IsLocal(filepath.FromSlash(f.Path)) || f.Path == manifestName {
			return nil, fmt.Errorf("%s lists %q, which is not a file inside the entry", manifestName, f.Path)
		}
		if isTemp(f.Path) {
			return nil, fmt.Errorf("%s lists the temporary file %s", manifestName, f.Path)
		}
		have[f.Path] = true
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("file %s is missing", f.Path)
		}
		if st.Size() != f.Size {
			return nil, fmt.Errorf("file %s has %d bytes, the manifest says %d", f.Path, st.Size(), f.Size)
		}
		if hashes {
			sum, err := fileSHA256(p)
			if err != nil {
				return nil, fmt.Errorf("file %s: %v", f.Path, err)
			}
			if sum != f.SHA256 {
				return nil, fmt.Errorf("file %s: checksum mismatch", f.Path)
			}
		}
	}
	for _, need := range []string{configFile, resultFile} {
		if !have[need] {
			return nil, fmt.Errorf("%s does not list %s", manifestName, need)
		}
	}
	return &m, nil
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// isTemp reports whether the slash-separated path rel names a temporary file (".tmp-" prefix, as
// writeFileSync and checkpoint.Save create them).
func isTemp(rel string) bool { return strings.HasPrefix(path.Base(rel), ".tmp-") }

// hashTree removes leftover temporary files under root and lists every other regular file (except the manifest) with its size and SHA-256,
// sorted by path.
func hashTree(root string) ([]fileRecord, error) {
	var files []fileRecord
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir() || rel == manifestName:
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("compute left %s, which is not a regular file", rel)
		case isTemp(rel):
			// A temporary file of a write that a kill interrupted (a checkpoint's sync or rename):
			// compute has returned, so no writer owns it; it is removed, never made part of the entry.
			return os.Remove(p)
		}
		st, err := d.Info()
		if err != nil {
			return err
		}
		sum, err := fileSHA256(p)
		if err != nil {
			return err
		}
		files = append(files, fileRecord{Path: rel, Size: st.Size(), SHA256: sum})
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, err
}

// writeFileSync writes data to p through a temporary file, syncs and renames it.
func writeFileSync(p string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-"+filepath.Base(p)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// Entry describes one cache entry.
type Entry struct {
	// Key is the entry's directory name, "<name>-<hash12>".
	Key string
	// Name is the name given to GetOrCompute.
	Name string
	// Dir is the entry's directory.
	Dir string
	// Created is when the entry was made; ComputeTime how long compute took.
	Created     time.Time
	ComputeTime time.Duration
	// Size is the total size of the entry's files in bytes.
	Size int64
	// Config is the configuration the entry was computed for (canonical JSON).
	Config json.RawMessage
	// Problem is empty for a valid entry, else what is wrong with it.
	Problem string
}

// entryOf describes the entry at dir; full verifies checksums too.
func entryOf(dir, key string, full bool) Entry {
	e := Entry{Key: key, Dir: dir}
	if raw, err := os.ReadFile(filepath.Join(dir, configFile)); err == nil {
		var rec configRecord
		if json.Unmarshal(raw, &rec) == nil {
			e.Name, e.Config = rec.Name, rec.Config
		}
	}
	m, err := verify(dir, key, full)
	if err != nil {
		e.Problem = err.Error()
		return e
	}
	e.Name, e.Created = m.Name, m.Created
	e.ComputeTime = time.Duration(m.ComputeSeconds * float64(time.Second))
	for _, f := range m.Files {
		e.Size += f.Size
	}
	return e
}

// List returns the cache's entries, oldest first, checking each one's manifest and file sizes (not the
// checksums: use Inspect for that). Entries being computed and entries moved aside are not listed.
func (c *Cache) List() ([]Entry, error) {
	des, err := os.ReadDir(c.root)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("expcache: listing %s: %w", c.root, err)
	}
	var out []Entry
	for _, de := range des {
		if !de.IsDir() || !keyRE.MatchString(de.Name()) {
			continue
		}
		out = append(out, entryOf(filepath.Join(c.root, de.Name()), de.Name(), false))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// Inspect returns the entry of name and config with a full verification (checksums included), or an
// error wrapping fs.ErrNotExist if there is none.
func (c *Cache) Inspect(name string, config any) (Entry, error) {
	key, err := c.Key(name, config)
	if err != nil {
		return Entry{}, err
	}
	dir := filepath.Join(c.root, key)
	if !dirExists(dir) {
		return Entry{}, fmt.Errorf("expcache: no entry %s in %s: %w", key, c.root, fs.ErrNotExist)
	}
	return entryOf(dir, key, true), nil
}

// Remove deletes the entry of name and config (nothing if there is none), waiting for a process that is
// computing it.
func (c *Cache) Remove(name string, config any) error {
	key, err := c.Key(name, config)
	if err != nil {
		return err
	}
	return c.RemoveKey(key)
}

// RemoveKey deletes the entry with the given key, as listed by List.
func (c *Cache) RemoveKey(key string) error {
	if !keyRE.MatchString(key) {
		return fmt.Errorf("expcache: %q is not an entry key (<name>-<12 hex digits>)", key)
	}
	if err := os.MkdirAll(filepath.Join(c.root, locksDir), 0o755); err != nil {
		return fmt.Errorf("expcache: %w", err)
	}
	lk, err := lockFile(filepath.Join(c.root, locksDir, key+".lock"), c.log,
		fmt.Sprintf("expcache: waiting for another process computing %s", key))
	if err != nil {
		return err
	}
	defer lk.unlock()
	if err := os.RemoveAll(filepath.Join(c.root, key)); err != nil {
		return fmt.Errorf("expcache: removing %s: %w", key, err)
	}
	if err := os.RemoveAll(filepath.Join(c.root, workDir, key)); err != nil {
		return fmt.Errorf("expcache: removing %s: %w", key, err)
	}
	return nil
}

// PurgeCorrupt deletes the entries that were moved aside as corrupt and returns how many there were.
func (c *Cache) PurgeCorrupt() (int, error) {
	dir := filepath.Join(c.root, corruptDir)
	des, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, fmt.Errorf("expcache: %w", err)
	}
	for _, de := range des {
		if err := os.RemoveAll(filepath.Join(dir, de.Name())); err != nil {
			return 0, fmt.Errorf("expcache: %w", err)
		}
	}
	return len(des), nil
}

// describe is used by String methods and tests: the entry's problem or "ok".
func (e Entry) describe() string {
	if e.Problem == "" {
		return "ok"
	}
	return e.Problem
}

// String describes the entry in one line.
func (e Entry) String() string {
	return fmt.Sprintf("%s  %s  %.1f MB  computed in %s  [%s]  %s", e.Key, e.Created.Local().Format("2006-01-02 15:04"),
		float64(e.Size)/1e6, e.ComputeTime.Round(time.Millisecond), e.describe(), strings.TrimSpace(string(e.Config)))
}
