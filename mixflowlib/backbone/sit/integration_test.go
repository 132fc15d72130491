package sit_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/objective"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// twoClassSource yields 8×8×1 images of mean +0.8 (class 0) or −0.8 (class 1); Batch is a pure function
// of (seed, step) as datasets.Source requires.
type twoClassSource struct{ seed int64 }

func (s twoClassSource) Name() string { return fmt.Sprintf("two-class(seed=%d)", s.seed) }

func (s twoClassSource) Batch(step int64, size int) (datasets.Batch, error) {
	rng := rand.New(rand.NewSource(s.seed*1_000_003 + step))
	labels := make([]int32, size)
	for i := range labels {
		labels[i] = int32(rng.Intn(2))
	}
	x := classData(rng, sit.Config{ImageSize: 8}, labels)
	return datasets.Batch{X: x, Cond: datasets.Cond{Labels: labelTensor(labels...)}}, nil
}

// TestPipelineMixFlow trains SiT with the project's MixFlow objective (γ = 0.8, 10 % label dropout)
// through the trainer, then samples with the project's Euler sampler and classifier-free guidance: the
// samples must follow their class. It checks that the backbone fits the objective, trainer and sampler
// contracts (scope layout, conditioning, NullCond).
func TestPipelineMixFlow(t *testing.T) {
	m := graphtest.Build(t, sit.New, sit.Config{ImageSize: 8, PatchSize: 4, Depth: 1, Hidden: 32, Heads: 2, NumClasses: 2})
	obj, err := objective.NewMixFlow(0.8)
	if err != nil {
		t.Fatal(err)
	}
	obj.LabelDropout = 0.1
	cfg := trainer.DefaultConfig()
	cfg.Optimizer, cfg.LR, cfg.BatchSize, cfg.Steps, cfg.Seed = trainer.Adam, 3e-3, 32, 100, 5
	cfg.CheckpointDir, cfg.LogEvery = "", 1000
	tr, err := trainer.New(cfg, m, obj, twoClassSource{seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var losses []float64
	for range cfg.Steps {
		r, err := tr.TrainStep()
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, r.Loss)
	}
	first, last := meanF(losses[:5]), meanF(losses[len(losses)-10:])
	t.Logf("MixFlow loss: first 5 steps %.4f, last 10 steps %.4f", first, last)
	if !(last < 0.7*first) {
		t.Errorf("MixFlow loss did not fall: %.4f → %.4f", first, last)
	}
	if n, _ := m.Config().NumParams(); tr.NumParameters() < n {
		t.Errorf("trainer sees %d parameters, the model has %d", tr.NumParameters(), n)
	}

	store, err := tr.SamplingStore(false)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sampler.New(graphtest.Backend(t), store, m, sampler.Config{Steps: 10, Guidance: sampler.Guidance{Scale: 2}})
	if err != nil {
		t.Fatal(err)
	}
	x0, err := sampler.Noise(3, 4, 8, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	x1, err := s.Sample(x0, datasets.Cond{Labels: labelTensor(0, 0, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	v := graphtest.Flat(t, x1)
	per := 64
	m0, m1 := mean(v[:2*per]), mean(v[2*per:])
	t.Logf("mean of guided samples: class 0 %.3f, class 1 %.3f (data: ±0.8)", m0, m1)
	if m0 < 0.4 || m1 > -0.4 {
		t.Errorf("samples do not follow their class: class 0 mean %.3f, class 1 mean %.3f", m0, m1)
	}
}
