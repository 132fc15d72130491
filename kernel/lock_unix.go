//go:build unix

package main

import (
	"os"
	"syscall"
)

// lockDir takes an exclusive advisory lock on the file at path (created if needed), so that two
// installs into the same Jupyter data dir run one after the other. The returned func releases it.
func lockDir(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
