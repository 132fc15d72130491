package main

import (
	"fmt"
	"math"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/evaluator"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// goStepper is the Go side of one workload: each call of step is one timed step (a training step, a
// sampling run of the batch, or the feature extraction of the batch).
type goStepper struct {
	// params is the number of trainable parameters of the Go network, counted in its store.
	params int
	// objective names the training objective ("" for workloads that do not train).
	objective string
	// step runs one step and returns its loss (NaN where there is none).
	step func() (float64, error)
	// close releases what the stepper holds.
	close func()
}

// newGoStepper builds the Go side of w on be, checks its parameter count against the analytic one, and
// runs its first step (graph building and compilation), which the caller times.
func newGoStepper(o options, be compute.Backend, w Workload) (*goStepper, error) {
	net, analytic, err := w.Network()
	if err != nil {
		return nil, err
	}
	g := &goStepper{close: func() {}}
	if w.Kind == KindFeatures {
		ev, err := evaluator.New(evaluator.Options{BatchSize: w.Batch, CacheDir: "-", Backend: be})
		if err != nil {
			return nil, err
		}
		ws, err := evaluator.ShippedWeights()
		if err != nil {
			return nil, err
		}
		for _, v := range ws.Variables {
			if v.Trainable {
				g.params += v.Value.Shape().Size()
			}
		}
		src, err := w.Source(uint64(o.settings.Seed))
		if err != nil {
			return nil, err
		}
		b, err := src.Batch(0, w.Batch)
		if err != nil {
			return nil, err
		}
		g.step = func() (float64, error) {
			emb, err := ev.Embed(b.X)
			if err != nil {
				return math.NaN(), err
			}
			return emb.Features[0][0], nil
		}
	} else {
		obj, err := o.settings.GoObjective(w)
		if err != nil {
			return nil, err
		}
		g.objective = obj.Name()
		src, err := w.Source(uint64(o.settings.Seed))
		if err != nil {
			return nil, err
		}
		cfg := o.settings.TrainConfig(w)
		cfg.Backend = be
		tr, err := trainer.New(cfg, net, obj, src)
		if err != nil {
			return nil, err
		}
		tr.SetLog(nil)
		if err := tr.Init(); err != nil {
			return nil, err
		}
		g.params = trainableParams(tr.Store(), trainer.ModelScope)
		if w.Kind == KindSample {
			if g.step, g.close, err = sampleStepper(be, tr, w, src, uint64(o.settings.Seed)); err != nil {
				return nil, err
			}
		} else {
			g.step = func() (float64, error) {
				rep, err := tr.TrainStep()
				return rep.Loss, err
			}
		}
	}
	if g.params != analytic {
		g.close()
		return nil, fmt.Errorf("bench: workload %s: the Go model has %d trainable parameters but its Config counts %d", w.Name, g.params, analytic)
	}
	if _, err := g.step(); err != nil {
		g.close()
		return nil, err
	}
	return g, nil
}

// sampleStepper returns a step that samples a batch of w.Batch from fresh noise with w.SampleSteps Euler
// steps, with the (initialised) weights of tr and the labels of the source's first batch.
func sampleStepper(be compute.Backend, tr *trainer.Trainer, w Workload, src datasets.Source, seed uint64) (func() (float64, error), func(), error) {
	net, _, err := w.Network()
	if err != nil {
		return nil, nil, err
	}
	s, err := sampler.New(be, tr.Store(), net, sampler.Config{Method: sampler.Euler, Steps: w.SampleSteps})
	if err != nil {
		return nil, nil, err
	}
	b, err := src.Batch(0, w.Batch)
	if err != nil {
		s.Finalize()
		return nil, nil, err
	}
	dims := b.X.Shape().Dimensions
	calls := uint64(0)
	step := func() (float64, error) {
		calls++
		x0, err := sampler.Noise(seed+calls, dims...) // fresh noise each call, as the PyTorch side draws
		if err != nil {
			return math.NaN(), err
		}
		x, err := s.Sample(x0, datasets.Cond{Labels: b.Cond.Labels})
		if err != nil {
			return math.NaN(), err
		}
		return float64(tensors.MustCopyFlatData[float32](x)[0]), nil
	}
	return step, s.Finalize, nil
}
