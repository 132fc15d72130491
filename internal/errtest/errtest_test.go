package errtest

import (
	"errors"
	"testing"
)

// recorder is a testing.TB that counts failures instead of failing.
type recorder struct {
	testing.TB
	failures int
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failures++ }

func TestContains(t *testing.T) {
	r := &recorder{TB: t}
	Contains(r, "matches", errors.New("x: gamma 2 outside [0, 1]"), "gamma 2")
	if r.failures != 0 {
		t.Errorf("matching error: %d failures", r.failures)
	}
	Contains(r, "nil error", nil, "gamma")
	Contains(r, "other text", errors.New("x: steps 0"), "gamma")
	if r.failures != 2 {
		t.Errorf("%d failures, want 2 (the nil error and the other text)", r.failures)
	}
}
