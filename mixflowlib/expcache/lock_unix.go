//go:build unix

package expcache

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// fileLock is an exclusive advisory lock (flock) on a lock file. The kernel releases it when the
// process dies, so a crashed kernel never leaves a stale lock.
type fileLock struct{ f *os.File }

// lockFile takes the exclusive lock on path, creating the file if needed. If another process holds
// it, waiting is printed to log once and lockFile blocks until the lock is free.
func lockFile(path string, log io.Writer, waiting string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("expcache: lock %s: %w", path, err)
	}
	err = flock(f, syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		if log != nil && waiting != "" {
			_, _ = fmt.Fprintln(log, waiting)
		}
		err = flock(f, syscall.LOCK_EX)
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("expcache: lock %s: %w", path, err)
	}
	return &fileLock{f: f}, nil
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// unlock releases the lock.
func (l *fileLock) unlock() {
	if l == nil || l.f == nil {
		return
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}
