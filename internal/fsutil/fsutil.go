// Package fsutil holds the small file-system helpers that the packages writing files atomically
// (checkpoint, expcache) share.
package fsutil

import (
	"errors"
	"os"
)

// SyncDir fsyncs the directory dir so that a rename or create inside it is durable. File systems that
// cannot sync a directory (os.ErrInvalid) are not an error.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
