//go:build !unix

package expcache

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// fileLock is an exclusive lock held by creating the lock file exclusively (systems without flock).
// Unlike flock, a crashed process leaves the file behind; remove it by hand if no process holds it.
type fileLock struct{ path string }

// lockFile creates path exclusively, waiting (and printing waiting to log once) while it exists.
func lockFile(path string, log io.Writer, waiting string) (*fileLock, error) {
	path += ".excl"
	announced := false
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			_ = f.Close()
			return &fileLock{path: path}, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("expcache: lock %s: %w", path, err)
		}
		if !announced && log != nil && waiting != "" {
			_, _ = fmt.Fprintln(log, waiting)
			announced = true
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// unlock releases the lock.
func (l *fileLock) unlock() {
	if l != nil && l.path != "" {
		_ = os.Remove(l.path)
		l.path = ""
	}
}
