package rae_test

import (
	"math/rand"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
)

// TestPassedBackendIsUsed: ComputeStats and Autoencoder run on the backend passed down (a finalised one
// fails them), with the same numbers as on the process-wide backend.
func TestPassedBackendIsUsed(t *testing.T) {
	enc := randomViT(t, tinyViTConfig(), 5)
	// A tensor used on one backend cannot go to another: each call gets its own copy of the images.
	images := func() *tensors.Tensor {
		x, _ := blobImages(rand.New(rand.NewSource(3)), 8, 16)
		return x
	}
	batches := func() func() (*tensors.Tensor, error) {
		done := false
		return func() (*tensors.Tensor, error) {
			if done {
				return nil, nil
			}
			done = true
			return images(), nil
		}
	}
	ref, err := rae.ComputeStats(nil, enc, batches())
	if err != nil {
		t.Fatal(err)
	}
	mine := graphtest.OwnBackend(t)
	st, err := rae.ComputeStats(mine, enc, batches())
	if err != nil {
		t.Fatal(err)
	}
	for i := range ref.Mean {
		if st.Mean[i] != ref.Mean[i] || st.Var[i] != ref.Var[i] {
			t.Fatalf("latent statistics on the passed backend differ at %d: mean %v vs %v", i, st.Mean[i], ref.Mean[i])
		}
	}
	dec := graphtest.Build(t, rae.NewDecoder, tinyDecoderConfig(0))
	want, err := (&rae.Autoencoder{Encoder: enc, Stats: st, Decoder: dec}).Encode(images())
	if err != nil {
		t.Fatal(err)
	}
	got, err := (&rae.Autoencoder{Encoder: enc, Stats: st, Decoder: dec, Backend: mine}).Encode(images())
	if err != nil {
		t.Fatal(err)
	}
	if d := graphtest.MaxAbsDiff(graphtest.Flat(t, got), graphtest.Flat(t, want)); d != 0 {
		t.Errorf("latents on the passed backend differ by %g", d)
	}
	mine.Finalize()
	if _, err := rae.ComputeStats(mine, enc, batches()); err == nil {
		t.Errorf("ComputeStats on a finalised backend passed down succeeded: it ran on another one")
	}
	if _, err := (&rae.Autoencoder{Encoder: enc, Stats: st, Decoder: dec, Backend: mine}).Encode(images()); err == nil {
		t.Errorf("Autoencoder.Encode on a finalised backend passed down succeeded: it ran on another one")
	}
}
