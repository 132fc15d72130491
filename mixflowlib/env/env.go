// Package env reads the run-time settings shared by notebooks and command-line tools:
// quick mode for CI, the experiment cache location, and seeds.
package env

import (
	"os"
	"path/filepath"
	"strconv"
)

// QuickVar is the environment variable that turns on quick mode. `kernel exec --quick` sets it.
const QuickVar = "MIXFLOW_QUICK"

// CacheVar overrides the experiment cache directory.
const CacheVar = "MIXFLOW_CACHE"

// Quick reports whether quick mode is on: notebooks and tools shrink their work (fewer training
// steps, fewer samples, fewer seeds) so that CI runs every notebook in minutes. Results in quick mode
// are smoke tests, not measurements.
func Quick() bool {
	v := os.Getenv(QuickVar)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	return err != nil || b // any value other than a false boolean turns it on
}

// Pick returns quick in quick mode and full otherwise. Use it for every work-size knob of a notebook:
//
//	steps := env.Pick(20_000, 300)
func Pick[T any](full, quick T) T {
	if Quick() {
		return quick
	}
	return full
}

// CacheDir returns the root of the experiment cache: $MIXFLOW_CACHE if set, else
// $XDG_CACHE_HOME/mixflow, else ~/.cache/mixflow. It does not create the directory.
func CacheDir() string {
	if d := os.Getenv(CacheVar); d != "" {
		return d
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "mixflow")
}
