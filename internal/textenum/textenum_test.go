package textenum

import (
	"errors"
	"testing"
)

func TestUnmarshal(t *testing.T) {
	parse := func(s string) (int, error) {
		switch s {
		case "one":
			return 1, nil
		case "two":
			return 2, nil
		}
		return 0, errors.New("unknown " + s)
	}
	v := 7
	if err := Unmarshal(&v, []byte("two"), parse); err != nil || v != 2 {
		t.Errorf("two: %d, %v", v, err)
	}
	if err := Unmarshal(&v, []byte("three"), parse); err == nil || err.Error() != "unknown three" || v != 2 {
		t.Errorf("three: %d, %v (want the parser's error and the value kept)", v, err)
	}
}
