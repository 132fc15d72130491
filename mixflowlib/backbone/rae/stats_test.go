package rae_test

import (
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/backend"
)

// randLatents returns n latents [n, tokens, dim] with element e ~ N(mean_e, std_e²).
func randLatents(rng *rand.Rand, n, tokens, dim int) *tensors.Tensor {
	data := make([]float32, n*tokens*dim)
	for i := range data {
		e := i % (tokens * dim)
		data[i] = float32(float64(e%7) - 3 + (0.5+float64(e%5))*rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(data, n, tokens, dim)
}

// TestStatsMatchDirectComputation compares the Welford accumulator, fed in uneven batches, with a direct
// two-pass computation.
func TestStatsMatchDirectComputation(t *testing.T) {
	const n, tokens, dim = 300, 3, 4
	rng := rand.New(rand.NewSource(1))
	z := randLatents(rng, n, tokens, dim)
	vals := graphtest.Flat(t, z)
	acc, err := rae.NewStatsAccumulator(tokens, dim)
	if err != nil {
		t.Fatal(err)
	}
	per := tokens * dim
	for lo, b := 0, 1; lo < n; lo, b = lo+b, b*2 {
		hi := min(n, lo+b)
		if err := acc.AddFlat(vals[lo*per:hi*per], hi-lo); err != nil {
			t.Fatal(err)
		}
	}
	st, err := acc.Stats(0, "test")
	if err != nil {
		t.Fatal(err)
	}
	if st.Count != n || st.Eps != rae.DefaultStatsEps || st.Encoder != "test" {
		t.Errorf("count %d eps %v encoder %q", st.Count, st.Eps, st.Encoder)
	}
	for e := range per {
		var m, v float64
		for k := range n {
			m += float64(vals[k*per+e])
		}
		m /= n
		for k := range n {
			d := float64(vals[k*per+e]) - m
			v += d * d
		}
		v /= n
		if !near(st.Mean[e], m, 1e-9) || !near(st.Var[e], v, 1e-9*math.Max(1, v)) {
			t.Errorf("element %d: (%v, %v), direct (%v, %v)", e, st.Mean[e], st.Var[e], m, v)
		}
	}
	// Normalised latents have zero mean and (almost) unit variance per element.
	nz, err := st.Normalize(z)
	if err != nil {
		t.Fatal(err)
	}
	acc2, _ := rae.NewStatsAccumulator(tokens, dim)
	if err := acc2.Add(nz); err != nil {
		t.Fatal(err)
	}
	st2, _ := acc2.Stats(0, "")
	for e := range per {
		wantVar := st.Var[e] / (st.Var[e] + st.Eps)
		if !near(st2.Mean[e], 0, 1e-5) || !near(st2.Var[e], wantVar, 1e-4) {
			t.Errorf("normalised element %d: mean %v var %v, want 0 and %v", e, st2.Mean[e], st2.Var[e], wantVar)
		}
	}
}

// TestStatsRoundTrip checks Normalize/Denormalize, the in-graph versions against the host ones, and
// Save/LoadStats (exact values back, corruption and wrong files detected).
func TestStatsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	const tokens, dim = 4, 3
	acc, _ := rae.NewStatsAccumulator(tokens, dim)
	if err := acc.Add(randLatents(rng, 50, tokens, dim)); err != nil {
		t.Fatal(err)
	}
	st, err := acc.Stats(0, "enc-fp")
	if err != nil {
		t.Fatal(err)
	}
	z := randLatents(rng, 5, tokens, dim)
	// [B, G, G, D] is accepted as well as [B, N, D].
	z4 := tensors.FromFlatDataAndDimensions(graphtest.Flat(t, z), 5, 2, 2, dim)
	nz, err := st.Normalize(z4)
	if err != nil {
		t.Fatal(err)
	}
	back, err := st.Denormalize(nz)
	if err != nil {
		t.Fatal(err)
	}
	if d := mse(graphtest.Flat(t, back), graphtest.Flat(t, z)); d > 1e-10 {
		t.Errorf("Denormalize(Normalize(z)) differs from z: mse %v", d)
	}
	be, err := backend.New()
	if err != nil {
		t.Fatal(err)
	}
	res := MustNewExec(be, func(x *Node) (*Node, *Node) {
		n := st.NormalizeGraph(x)
		return n, st.DenormalizeGraph(n)
	}).MustCall(z4)
	if d := mse(graphtest.Flat(t, res[0]), graphtest.Flat(t, nz)); d > 1e-10 {
		t.Errorf("NormalizeGraph differs from Normalize: mse %v", d)
	}
	if d := mse(graphtest.Flat(t, res[1]), graphtest.Flat(t, z)); d > 1e-10 {
		t.Errorf("DenormalizeGraph(NormalizeGraph(z)) differs from z: mse %v", d)
	}

	dir := t.TempDir()
	p := filepath.Join(dir, "stats.mfckpt")
	if err := st.Save(p); err != nil {
		t.Fatal(err)
	}
	got, err := rae.LoadStats(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Tokens != tokens || got.Dim != dim || got.Eps != st.Eps || got.Count != st.Count || got.Encoder != "enc-fp" {
		t.Errorf("loaded %+v", got)
	}
	for i := range st.Mean {
		if got.Mean[i] != st.Mean[i] || got.Var[i] != st.Var[i] {
			t.Fatalf("element %d: loaded (%v, %v), saved (%v, %v)", i, got.Mean[i], got.Var[i], st.Mean[i], st.Var[i])
		}
	}
	if got.Fingerprint() != st.Fingerprint() {
		t.Error("fingerprint changed through Save/Load")
	}
	// A flipped byte is a checksum error naming the file.
	data, _ := os.ReadFile(p)
	data[len(data)-40] ^= 0xff
	bad := filepath.Join(dir, "corrupt.mfckpt")
	if err := os.WriteFile(bad, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = rae.LoadStats(bad)
	graphtest.MustContain(t, err, "rae:", "corrupt.mfckpt")
	_, err = rae.LoadStats(filepath.Join(dir, "missing.mfckpt"))
	graphtest.MustContain(t, err, "rae:", "missing.mfckpt")
}

// TestStatsBadInput checks zero variance, NaN latents, shapes and too few latents.
func TestStatsBadInput(t *testing.T) {
	acc, _ := rae.NewStatsAccumulator(2, 2)
	// Element (token 1, channel 0) is constant.
	data := []float32{1, 2, 5, 3, 2, 1, 5, 4, -1, 0, 5, 1}
	if err := acc.AddFlat(data, 3); err != nil {
		t.Fatal(err)
	}
	_, err := acc.Stats(0, "")
	graphtest.MustContain(t, err, "rae:", "1 of 4 latent elements have zero variance", "token 1, channel 0")

	acc, _ = rae.NewStatsAccumulator(2, 2)
	if err := acc.AddFlat(data[:4], 1); err != nil {
		t.Fatal(err)
	}
	_, err = acc.Stats(0, "")
	graphtest.MustContain(t, err, "rae:", "at least 2")
	err = acc.AddFlat([]float32{1, 2, float32(math.NaN()), 3}, 1)
	graphtest.MustContain(t, err, "rae:", "NaN", "token 1, channel 0")
	err = acc.Add(tensors.FromFlatDataAndDimensions(make([]float32, 6), 1, 2, 3))
	graphtest.MustContain(t, err, "rae:", "width 2")
	_, err = rae.NewStatsAccumulator(0, 3)
	graphtest.MustContain(t, err, "rae:", "positive")

	st := &rae.Stats{Tokens: 1, Dim: 2, Mean: []float64{0, 0}, Var: []float64{1, 1}, Eps: 1e-5}
	_, err = st.Normalize(tensors.FromFlatDataAndDimensions([]float32{1, float32(math.Inf(1))}, 1, 1, 2))
	graphtest.MustContain(t, err, "rae:", "+Inf", "sample 0, token 0, channel 1")
	_, err = st.Normalize(tensors.FromFlatDataAndDimensions([]float64{1, 2}, 1, 1, 2))
	graphtest.MustContain(t, err, "rae:", "float32")
	st.Var[1] = -1
	graphtest.MustContain(t, st.Validate(), "rae:", "variance -1")
	st.Var[1], st.Eps = 1, 0
	graphtest.MustContain(t, st.Validate(), "rae:", "eps 0")
	st.Eps, st.Mean = 1e-5, []float64{0}
	graphtest.MustContain(t, st.Validate(), "rae:", "must both hold")
}
