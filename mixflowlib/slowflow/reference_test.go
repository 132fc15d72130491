package slowflow

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// TestReferenceNearestData checks the reference band three ways: held-out points that are in the
// reference set give m* = t; for points outside it every m* matches a host brute force over the
// reference set; and for a point-mass target, whose exact ODE follows the true interpolation, it equals
// NearestData of the exact oracle run from the same noise.
func TestReferenceNearestData(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	const n, d, r = 12, 6, 23
	ref := randVec(rng, r*d, 2)
	x0h := randVec(rng, n*d, 1)
	x0 := tensor(x0h, n, d)
	// (1) x1 taken from the reference set.
	in := make([]float32, n*d)
	for k := range n {
		copy(in[k*d:(k+1)*d], ref[(k*2)*d:(k*2+1)*d])
	}
	res, err := ReferenceNearestData(nil, sampler.Config{Steps: 10}, x0, tensor(in, n, d), tensor(ref, r, d), Options{KeepSamples: true, ChunkSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	if res.Protocol != ProtocolReferenceNearestData || len(res.Stats) != 11 || res.ReferenceSize != r {
		t.Fatalf("result %s with %d steps and %d references", res.Protocol, len(res.Stats), res.ReferenceSize)
	}
	for _, st := range res.Stats[1:] {
		if math.Abs(st.Min-st.T) > 1e-4 || math.Abs(st.Max-st.T) > 1e-4 {
			t.Errorf("in-set t = %v: m* in [%v, %v], want t", st.T, st.Min, st.Max)
		}
	}
	// (2) held-out x1 against a host brute force (linear path: m = clip(⟨a, b⟩/‖b‖², 0, 1)).
	out := randVec(rng, n*d, 2)
	res, err = ReferenceNearestData(nil, sampler.Config{Steps: 10}, x0, tensor(out, n, d), tensor(ref, r, d), Options{KeepSamples: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range res.Stats {
		for k := range n {
			best, bestM := math.Inf(1), 0.0
			for q := range r {
				var ab, bb float64
				a, b := make([]float64, d), make([]float64, d)
				for j := range d {
					x := st.T*float64(out[k*d+j]) + (1-st.T)*float64(x0h[k*d+j])
					a[j], b[j] = x-float64(x0h[k*d+j]), float64(ref[q*d+j])-float64(x0h[k*d+j])
					ab += a[j] * b[j]
					bb += b[j] * b[j]
				}
				m := math.Min(math.Max(ab/bb, 0), 1)
				var dist float64
				for j := range d {
					dist += (a[j] - m*b[j]) * (a[j] - m*b[j])
				}
				if dist < best {
					best, bestM = dist, m
				}
			}
			if st.T > 0 && math.Abs(st.M[k]-bestM) > 1e-4 {
				t.Errorf("t = %v sample %d: m* %v, brute force %v", st.T, k, st.M[k], bestM)
			}
		}
	}
	// (3) the exact point-mass flow: model band = reference band.
	g := pointMass(t, rng, d)
	mu := make([]float32, n*d)
	for k := range n {
		for j, v := range g.Mean() {
			mu[k*d+j] = float32(v)
		}
	}
	s := newSampler(t, g, sampler.Config{Steps: 10})
	model, err := NearestData(s, x0, datasets.Cond{}, tensor(ref, r, d), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := ReferenceNearestData(nil, sampler.Config{Steps: 10}, x0, tensor(mu, n, d), tensor(ref, r, d), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range model.Stats {
		if w := want.Stats[i]; math.Abs(st.Mean-w.Mean) > 1e-3 || st.T != w.T {
			t.Errorf("t = %v: exact flow mean m* %v, reference %v", st.T, st.Mean, w.Mean)
		}
	}
	if _, err := ReferenceNearestData(nil, sampler.Config{Steps: 10}, x0, tensor(out[:d], 1, d), tensor(ref, r, d), Options{}); err == nil || !strings.Contains(err.Error(), "slowflow: x1 has shape") {
		t.Errorf("mismatched x1: error %v", err)
	}
}
