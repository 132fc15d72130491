package experiment

import (
	"cmp"
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// Limits on work sizes that keep a typo from asking for hours of compute or gigabytes of memory.
const (
	// MaxSamples is the largest number of samples an evaluation or Slow Flow measurement draws.
	MaxSamples = 1 << 20
	// MaxSteps is the largest number of sampling steps accepted.
	MaxSteps = 10_000
)

// Sampler method names accepted by the specs (mixflowlib/sampler's spelling; "sde" and "em" also mean
// "euler-maruyama").
const (
	MethodEuler         = "euler"
	MethodHeun          = "heun"
	MethodEulerMaruyama = "euler-maruyama"
	MethodHeunSDE       = "heun-sde"
)

// ParseMethod returns the sampler method of a name: "euler", "heun" (ODE), "euler-maruyama" or "heun-sde"
// (SDE; "sde" means "euler-maruyama"). See sampler.ParseMethod.
func ParseMethod(name string) (sampler.Method, error) {
	m, err := sampler.ParseMethod(name)
	if err != nil {
		return 0, fmt.Errorf("experiment: %w", err)
	}
	return m, nil
}

// CheckSteps reports an empty list, a number of steps outside [1, MaxSteps] or a repeated one; what
// names the list in the error (e.g. "eval", "slowflow").
func CheckSteps(what string, steps []int) error {
	if len(steps) == 0 {
		return fmt.Errorf("experiment: %s steps: empty", what)
	}
	seen := map[int]bool{}
	for _, n := range steps {
		if n < 1 || n > MaxSteps {
			return fmt.Errorf("experiment: %s steps %d outside [1, %d]", what, n, MaxSteps)
		}
		if seen[n] {
			return fmt.Errorf("experiment: %s steps: %d appears twice", what, n)
		}
		seen[n] = true
	}
	return nil
}

// FirstDuplicate returns the index of the first element of xs equal to an earlier one, or -1.
func FirstDuplicate[T comparable](xs []T) int {
	seen := map[T]bool{}
	for i, x := range xs {
		if seen[x] {
			return i
		}
		seen[x] = true
	}
	return -1
}

// CheckSeeds reports an empty or repeated list of seeds in the words of lab and what (e.g. "toyexp",
// "eval": "toyexp: eval seeds: empty").
func CheckSeeds(lab, what string, seeds []uint64) error {
	if len(seeds) == 0 {
		return fmt.Errorf("%s: %s seeds: empty", lab, what)
	}
	if d := FirstDuplicate(seeds); d >= 0 {
		return fmt.Errorf("%s: %s seeds: %d appears twice", lab, what, seeds[d])
	}
	return nil
}

// CanonicalMethod returns the canonical name of the sampling method name ("" means MethodEuler, "sde"
// means MethodEulerMaruyama), or an error in the words of lab ("imageexp").
func CanonicalMethod(lab, name string) (string, error) {
	m, err := sampler.ParseMethod(cmp.Or(name, MethodEuler))
	if err != nil {
		return name, fmt.Errorf("%s: %w", lab, err)
	}
	return m.String(), nil
}
