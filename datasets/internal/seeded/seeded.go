// Package seeded derives reproducible random streams for the data sets: a PCG generator per
// (seed, salt, counter), and permutations and bounded integers that do not depend on the Go release.
package seeded

import (
	"math/bits"
	"math/rand/v2"
)

// Mix64 is the SplitMix64 finaliser, a bijective mixer: it turns nearby integers (seed, step) into
// unrelated PCG seeds.
func Mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// New returns a PCG generator for the stream (seed, salt, counter): salts separate the uses of one seed
// (epoch permutations, flips, splits), counters the steps or epochs within a use.
func New(seed, salt, counter uint64) *rand.Rand {
	return rand.New(rand.NewPCG(Mix64(seed^salt), Mix64(counter+salt)))
}

// Bounded returns a uniform integer in [0, n) by Lemire's multiply-shift with rejection. It is written
// here, not taken from math/rand/v2, so that the numbers stay the same across Go releases (resumed runs
// and published results depend on them).
func Bounded(r *rand.Rand, n uint64) uint64 {
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return hi
}

// Intn returns a uniform int in [0, n) for n > 0, like Bounded.
func Intn(r *rand.Rand, n int) int { return int(Bounded(r, uint64(n))) }

// Float64 returns a uniform float64 in [0, 1) from the top 53 bits of one draw.
func Float64(r *rand.Rand) float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// Permutation returns a uniformly random permutation of [0, n) (Fisher–Yates).
func Permutation(n int, r *rand.Rand) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(Bounded(r, uint64(i+1)))
		p[i], p[j] = p[j], p[i]
	}
	return p
}
