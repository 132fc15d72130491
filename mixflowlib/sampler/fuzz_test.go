package sampler

import (
	"strings"
	"testing"
)

// FuzzParseMethod feeds arbitrary names to ParseMethod and UnmarshalText: a method whose String and
// MarshalText parse back to it, or an error naming the package and the input; nothing panics.
func FuzzParseMethod(f *testing.F) {
	for _, s := range []string{"euler", " Heun ", "euler-maruyama", "SDE", "em", "heun-sde", "Method(7)", "", "eulerx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		m, err := ParseMethod(name)
		var u Method
		uerr := u.UnmarshalText([]byte(name))
		if (err == nil) != (uerr == nil) || u != m {
			t.Fatalf("%q: ParseMethod %v (%v) and UnmarshalText %v (%v) disagree", name, m, err, u, uerr)
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "sampler: unknown method ") {
				t.Fatalf("%q: unnamed error %v", name, err)
			}
			return
		}
		text, err := m.MarshalText()
		if back, perr := ParseMethod(string(text)); err != nil || perr != nil || back != m || m.String() != string(text) {
			t.Fatalf("%q -> %v -> %q -> %v (%v, %v)", name, m, text, back, err, perr)
		}
	})
}
