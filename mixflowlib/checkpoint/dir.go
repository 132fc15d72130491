package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/gomlx/gomlx/ml/model"
)

// ErrNoCheckpoint is returned (wrapped) by Dir.Latest and LatestIn when a directory holds no checkpoint.
var ErrNoCheckpoint = errors.New("no checkpoint")

// fileNameRE matches the file names Dir writes: ckpt-<step, zero padded>.mfckpt.
var fileNameRE = regexp.MustCompile(`^ckpt-(\d+)` + regexp.QuoteMeta(Ext) + `$`)

// FileName returns the name Dir gives the checkpoint of the given step, e.g. "ckpt-000000001000.mfckpt".
func FileName(step int64) string {
	return fmt.Sprintf("ckpt-%012d%s", step, Ext)
}

// tempRE matches the temporary files Write creates: .tmp-<name>-<writer pid>-<random digits>.
var tempRE = regexp.MustCompile(`^\.tmp-.+-(\d+)-\d+$`)

// tempPattern is the os.CreateTemp pattern of Write's temporary file for the file named base: it holds
// this process's id, so RemoveOrphans can tell a live writer's file from one a killed writer left.
func tempPattern(base string) string { return fmt.Sprintf(".tmp-%s-%d-*", base, os.Getpid()) }

// alive reports whether a process with the given id exists.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// RemoveOrphans deletes the temporary files in dir that a writer killed during a checkpoint's write,
// sync or rename left behind (those whose writer process no longer runs; a live writer's file is kept)
// and returns how many it removed. OpenDir calls it.
func RemoveOrphans(dir string) (int, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("checkpoint: removing orphaned temporary files: %w", err)
	}
	n := 0
	for _, de := range des {
		m := tempRE.FindStringSubmatch(de.Name())
		if m == nil || !de.Type().IsRegular() {
			continue
		}
		if pid, err := strconv.Atoi(m[1]); err == nil && alive(pid) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, de.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, fmt.Errorf("checkpoint: removing orphaned temporary file: %w", err)
		}
		n++
	}
	return n, nil
}

// Entry is one checkpoint file in a directory.
type Entry struct {
	// Path is the file's path.
	Path string
	// Step is the training step encoded in the file name.
	Step int64
	// Size is the file size in bytes.
	Size int64
	// ModTime is the file's modification time.
	ModTime time.Time
}

// Dir manages a directory of step-numbered checkpoints: it saves new ones, keeps the most recent Keep and
// finds the latest. Files it does not recognise (and the temporary files of writes in progress) are
// ignored and never deleted; OpenDir removes the temporary files of killed writers (RemoveOrphans).
type Dir struct {
	path string
	keep int
}

// OpenDir returns a manager for the directory at path, creating it if needed. keep is how many of the
// most recent checkpoints Save keeps (older ones are deleted after a successful save); keep <= 0 keeps all.
func OpenDir(path string, keep int) (*Dir, error) {
	if path == "" {
		return nil, fmt.Errorf("checkpoint: empty checkpoint directory path")
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("checkpoint: creating checkpoint directory: %w", err)
	}
	if _, err := RemoveOrphans(path); err != nil {
		return nil, err
	}
	return &Dir{path: path, keep: keep}, nil
}

// Path returns the directory's path.
func (d *Dir) Path() string { return d.path }

// Keep returns how many checkpoints Save keeps (<= 0: all).
func (d *Dir) Keep() int { return d.keep }

// Save writes the variables of store under prefixes (all when none) with meta as the checkpoint of
// step, atomically, then deletes the oldest checkpoints beyond Keep. A checkpoint of the same step is
// replaced. It returns the file's path.
func (d *Dir) Save(step int64, store *model.Store, meta Metadata, prefixes ...string) (string, error) {
	if step < 0 {
		return "", fmt.Errorf("checkpoint: negative step %d", step)
	}
	p := filepath.Join(d.path, FileName(step))
	if err := Save(p, store, meta, prefixes...); err != nil {
		return "", err
	}
	if err := d.prune(p); err != nil {
		return p, err
	}
	return p, nil
}

// List returns the directory's checkpoints sorted by step, oldest first.
func (d *Dir) List() ([]Entry, error) {
	return List(d.path)
}

// Latest returns the checkpoint with the highest step, or an error wrapping ErrNoCheckpoint.
func (d *Dir) Latest() (Entry, error) {
	return LatestIn(d.path)
}

// Prune deletes the oldest checkpoints so that at most Keep remain (nothing when Keep <= 0).
func (d *Dir) Prune() error { return d.prune("") }

// prune deletes the oldest checkpoints beyond Keep, never the file at except (the one just saved).
func (d *Dir) prune(except string) error {
	if d.keep <= 0 {
		return nil
	}
	entries, err := d.List()
	if err != nil {
		return err
	}
	excess := len(entries) - d.keep
	for _, e := range entries {
		if excess <= 0 {
			break
		}
		if e.Path == except {
			continue
		}
		if err := os.Remove(e.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("checkpoint: pruning old checkpoint: %w", err)
		}
		excess--
	}
	return nil
}

// List returns the checkpoints (files named like FileName) in the directory dir, sorted by step, oldest
// first. A directory that does not exist has no checkpoints.
func List(dir string) ([]Entry, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("checkpoint: listing %s: %w", dir, err)
	}
	var entries []Entry
	for _, de := range des {
		m := fileNameRE.FindStringSubmatch(de.Name())
		if m == nil || !de.Type().IsRegular() {
			continue
		}
		step, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue // removed meanwhile
		}
		entries = append(entries, Entry{Path: filepath.Join(dir, de.Name()), Step: step, Size: info.Size(), ModTime: info.ModTime()})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Step < entries[j].Step })
	return entries, nil
}

// LatestIn returns the checkpoint with the highest step in dir, or an error wrapping ErrNoCheckpoint
// that names the directory.
func LatestIn(dir string) (Entry, error) {
	entries, err := List(dir)
	if err != nil {
		return Entry{}, err
	}
	if len(entries) == 0 {
		return Entry{}, fmt.Errorf("checkpoint: %s: %w (no %s files)", dir, ErrNoCheckpoint, "ckpt-*"+Ext)
	}
	return entries[len(entries)-1], nil
}
