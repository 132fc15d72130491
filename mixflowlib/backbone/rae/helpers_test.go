package rae_test

import (
	"context"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/encoder"
	"github.com/mixflow/mixflow/mixflowlib/experiment/raeexp"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// tinyViTConfig is a small encoder for fast tests: 16×16×1 images → 4×4 tokens of width 16.
func tinyViTConfig() encoder.ViTConfig {
	return encoder.ViTConfig{ImageSize: 16, Channels: 1, PatchSize: 4, Width: 16, Depth: 1, Heads: 2, MLPRatio: 2}
}

// randomViT returns a frozen ViT with seeded random weights: an encoder whose tokens still carry the image
// (a random transformer is close to injective), good enough to test plumbing and frozenness quickly.
func randomViT(tb testing.TB, cfg encoder.ViTConfig, seed int64) *encoder.ViT {
	tb.Helper()
	rng := rand.New(rand.NewSource(seed))
	w := map[string]*tensors.Tensor{}
	for name, dims := range cfg.ParamShapes() {
		draw := func() float64 { return 0.1 * rng.NormFloat64() }
		switch {
		case strings.HasSuffix(name, "/gain"):
			draw = func() float64 { return 1 }
		case strings.HasSuffix(name, "/weights"):
			std := 1 / math.Sqrt(float64(dims[0]))
			draw = func() float64 { return rng.NormFloat64() * std }
		}
		w[name] = graphtest.Fill(draw, dims...)
	}
	v, err := encoder.NewViT(cfg, w)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// blobImages returns n synthetic images in [−1, 1] (a bright Gaussian blob on a dark background at a random
// position and size), size×size×1, with labels = quadrant of the blob.
func blobImages(rng *rand.Rand, n, size int) (*tensors.Tensor, *tensors.Tensor) {
	data := make([]float32, n*size*size)
	labels := make([]int32, n)
	for k := range n {
		cx, cy := rng.Float64()*float64(size), rng.Float64()*float64(size)
		r := 1.5 + rng.Float64()*float64(size)/4
		for y := range size {
			for x := range size {
				d2 := (float64(x)-cx)*(float64(x)-cx) + (float64(y)-cy)*(float64(y)-cy)
				data[(k*size+y)*size+x] = float32(2*math.Exp(-d2/(2*r*r)) - 1)
			}
		}
		q := 0
		if cx > float64(size)/2 {
			q++
		}
		if cy > float64(size)/2 {
			q += 2
		}
		labels[k] = int32(q)
	}
	return tensors.FromFlatDataAndDimensions(data, n, size, size, 1), tensors.FromFlatDataAndDimensions(labels, n)
}

// blobSource streams blobImages as a datasets.Source (a pure function of the step).
type blobSource struct {
	size int
	seed int64
}

func (s blobSource) Name() string { return "blobs" }

func (s blobSource) Batch(step int64, size int) (datasets.Batch, error) {
	x, l := blobImages(rand.New(rand.NewSource(s.seed*1_000_003+step)), size, s.size)
	return datasets.Batch{X: x, Cond: datasets.Cond{Labels: l}}, nil
}

// statsFor computes the latent statistics of n blob images through enc.
func statsFor(tb testing.TB, enc encoder.Encoder, n int, seed int64) *rae.Stats {
	tb.Helper()
	rng := rand.New(rand.NewSource(seed))
	done := 0
	st, err := rae.ComputeStats(nil, enc, func() (*tensors.Tensor, error) {
		if done >= n {
			return nil, nil
		}
		b := min(64, n-done)
		done += b
		x, _ := blobImages(rng, b, enc.Spec().ImageSize)
		return x, nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

func mse(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		d := float64(a[i] - b[i])
		s += d * d
	}
	return s / float64(len(a))
}

// initTrainer takes a trainer constructor's results, fails the test on its error, initialises the
// trainer quietly and returns a snapshot of its /model/ variables.
func initTrainer(t *testing.T, tr *trainer.Trainer, err error) map[string][]float32 {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	tr.SetLog(nil)
	if err := tr.Init(); err != nil {
		t.Fatal(err)
	}
	return graphtest.VarsUnder(t, tr.Store(), "/model/")
}

// trainLatent trains net on src with RAE's MixFlow loss (shift) for 40 steps through mixflowlib/trainer. It
// checks that every variable moves within the first probe steps (none is disconnected from the loss) and
// that the loss falls by 10 %, naming the network name in failures, and returns the trainer.
func trainLatent(t *testing.T, name string, net nn.Backbone, src datasets.Source, shift float64, probe int) *trainer.Trainer {
	t.Helper()
	obj, err := raeexp.MixFlowLoss(rae.DefaultGamma, shift, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	cfg := trainer.DefaultConfig()
	cfg.LR, cfg.BatchSize, cfg.Steps, cfg.LogEvery = 3e-3, 32, 40, 10
	tr, err := trainer.New(cfg, net, obj, src)
	init := initTrainer(t, tr, err)
	first, err := tr.TrainStep()
	if err != nil {
		t.Fatal(err)
	}
	for range probe - 1 {
		if _, err := tr.TrainStep(); err != nil {
			t.Fatal(err)
		}
	}
	after := graphtest.VarsUnder(t, tr.Store(), "/model/")
	if stuck := graphtest.UnchangedVars(init, after); len(stuck) > 0 {
		t.Errorf("%s variables without gradient after %d steps: %v", name, probe, stuck)
	}
	if _, err := tr.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := tr.History()
	if last := h.Loss[len(h.Loss)-1]; !(last < 0.9*first.Loss) {
		t.Errorf("%s latent flow-matching loss %v after %d steps, first %v", name, last, tr.Step(), first.Loss)
	}
	return tr
}
