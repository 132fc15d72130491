package experiment

import (
	"fmt"
	"os"

	"github.com/mixflow/mixflow/mixflowlib/expcache"
)

// TempCache returns a silent cache (no log lines) in a new temporary directory named after pattern (as
// os.MkdirTemp names it) and a function that removes the directory: for examples and throwaway runs that
// must neither read nor fill the shared cache. It panics when the directory cannot be made: there is
// nothing better to do there, and falling back to the shared cache would fill it.
func TempCache(pattern string) (*expcache.Cache, func()) {
	dir, err := os.MkdirTemp("", pattern)
	if err != nil {
		panic(fmt.Sprintf("experiment: temporary cache: %v", err))
	}
	return expcache.New(dir).WithLog(nil), func() { os.RemoveAll(dir) }
}
