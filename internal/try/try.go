// Package try turns panics into errors at the boundary between GoMLX (whose graph building and
// execution panic) and the library's error-returning API.
package try

import (
	"fmt"

	"github.com/gomlx/gomlx/support/exceptions"
)

// Catch runs fn and returns the value of any panic it raised as an error: an error value as it is,
// anything else formatted with %v; nil when fn returns normally.
func Catch(fn func()) error {
	switch v := exceptions.Try(fn).(type) {
	case nil:
		return nil
	case error:
		return v
	default:
		return fmt.Errorf("%v", v)
	}
}
