//go:build !unix

package main

import "os"

// lockDir checks that the lock file can be created; concurrent installs are not serialised on
// systems without flock.
func lockDir(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	return func() { _ = f.Close() }, nil
}
