package timesteps

import (
	"math"
	"strings"
	"testing"
)

// FuzzByName feeds arbitrary spec strings to ByName and ParseMixture: each is a valid distribution whose
// Name parses back to the same distribution (same name, same mean), or an error quoting the input;
// nothing panics.
func FuzzByName(f *testing.F) {
	for _, s := range []string{"uniform", "uniform(0.01)", "beta21", "Beta(2, 1)", "logit-normal", "logit-normal(-0.5,2)",
		"logit-normal_0_1", "shift(3,logit-normal(0,1))", "shift(2,shift(0.5,uniform))", "shift(1e309,beta21)",
		"uniform(", "beta(2,1,3)", "shift(,)", "(((", "relative", "ABSOLUTE", "logit-normal_nan_1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		if m, err := ParseMixture(spec); err == nil {
			if back, err := ParseMixture(m.String()); err != nil || back != m {
				t.Fatalf("mixture %q -> %v -> %v (%v)", spec, m, back, err)
			}
		} else if !strings.HasPrefix(err.Error(), "timesteps: ") {
			t.Fatalf("mixture %q: unnamed error %v", spec, err)
		}
		d, err := ByName(spec)
		if err != nil {
			if d != nil || !strings.HasPrefix(err.Error(), "timesteps: ") {
				t.Fatalf("%q: %v with error %v", spec, d, err)
			}
			return
		}
		back, err := ByName(d.Name())
		if err != nil || back.Name() != d.Name() {
			t.Fatalf("%q -> %s does not parse back (%v, %v)", spec, d.Name(), back, err)
		}
		if m := d.Mean(); math.IsNaN(m) || m < 0 || m > 1 {
			t.Fatalf("%q: mean %v outside [0, 1]", spec, m)
		}
	})
}
