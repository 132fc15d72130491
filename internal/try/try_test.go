package try

import (
	"errors"
	"testing"
)

func TestCatch(t *testing.T) {
	if err := Catch(func() {}); err != nil {
		t.Errorf("no panic: %v", err)
	}
	sentinel := errors.New("boom")
	if err := Catch(func() { panic(sentinel) }); !errors.Is(err, sentinel) {
		t.Errorf("error panic: got %v, want the error itself", err)
	}
	if err := Catch(func() { panic(42) }); err == nil || err.Error() != "42" {
		t.Errorf("value panic: got %v, want 42", err)
	}
}
