package backend

import (
	"strings"
	"testing"
)

// FuzzSelect feeds arbitrary MIXFLOW_BACKEND values to the backend choice: a choice with a config and a
// reason, or a one-line error naming the package and the variable; nothing panics and no backend is
// created.
func FuzzSelect(f *testing.F) {
	for _, s := range []string{"", "auto", "go", "go:ops_sequential", "cuda", "gpu", "xla", "xla:cuda", "xla:/nonexistent/p.so,x", "CUDA", "go:"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, req string) {
		c, err := selectFor(strings.TrimSpace(req))
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "backend: ") || !strings.Contains(msg, EnvVar) {
				t.Fatalf("%q: error %q does not name the package and %s", req, msg, EnvVar)
			}
			return
		}
		if c.Config == "" || c.Reason == "" {
			t.Fatalf("%q: incomplete choice %+v", req, c)
		}
	})
}
