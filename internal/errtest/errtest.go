// Package errtest checks in tests that calls fail with the errors they should.
package errtest

import (
	"strings"
	"testing"
)

// Contains fails t, naming the check name, when err is nil or does not contain want.
func Contains(t testing.TB, name string, err error, want string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: error %v, want one containing %q", name, err, want)
	}
}
