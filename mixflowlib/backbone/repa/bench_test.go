package repa_test

import (
	"context"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/repa"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/encoder"
	"github.com/mixflow/mixflow/mixflowlib/experiment/repaexp"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/objective"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// source28 is a seeded source of random 28×28 images with labels.
type source28 struct{}

func (source28) Name() string { return "random28" }
func (source28) Batch(step int64, size int) (datasets.Batch, error) {
	labels := make([]int32, size)
	for i := range labels {
		labels[i] = int32(i % 10)
	}
	return datasets.Batch{X: randTensor(uint64(step), size, 28, 28, 1),
		Cond: datasets.Cond{Labels: tensors.FromFlatDataAndDimensions(labels, size)}}, nil
}

// defaultShapedEncoder is an encoder of the shipped architecture with random weights (the cost does not
// depend on the values).
func defaultShapedEncoder(b *testing.B) *encoder.ViT {
	cfg := encoder.DefaultViTConfig()
	rng := rand.New(rand.NewPCG(1, 1))
	w := graphtest.RandomWeights(cfg.ParamShapes(), rng, 0.1)
	enc, err := encoder.NewViT(cfg, w)
	if err != nil {
		b.Fatal(err)
	}
	return enc
}

// smallSiT28 is imageexp.SmallSiT: 28×28 in 7×7 patches, 4 blocks of width 96.
func smallSiT28() sit.Config {
	return sit.Config{ImageSize: 28, Channels: 1, PatchSize: 7, Depth: 4, Hidden: 96, Heads: 4, MLPRatio: 4,
		NumClasses: 10, TimeFreqDim: 64}.WithDefaults()
}

func benchTrain(b *testing.B, net nn.Backbone, obj trainer.Objective) {
	cfg := trainer.DefaultConfig()
	cfg.Steps, cfg.BatchSize, cfg.LogEvery = int64(b.N)+1, 64, 1000
	tr, err := trainer.New(cfg, net, obj, source28{})
	if err != nil {
		b.Fatal(err)
	}
	tr.SetLog(io.Discard)
	if _, err := tr.TrainStep(); err != nil { // compile outside the timing
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := graphtest.CPUTime()
	if _, err := tr.TrainSteps(context.Background(), int64(b.N)); err != nil {
		b.Fatal(err)
	}
	// CPU time per step is robust to other processes sharing the machine; wall time is not.
	graphtest.ReportCPUPer(b, cpu0, "step")
}

// BenchmarkTrainStepSiT and BenchmarkTrainStepREPA compare a training step of imageexp.SmallSiT at batch
// 64 with and without REPA (head after block 2, 192 wide, and the shipped encoder's architecture).
func BenchmarkTrainStepSiT(b *testing.B) {
	s, err := sit.New(smallSiT28())
	if err != nil {
		b.Fatal(err)
	}
	benchTrain(b, s, objective.FlowMatching{LabelDropout: 0.1})
}

func BenchmarkTrainStepREPA(b *testing.B) {
	m, err := repa.New(repa.DefaultConfig(smallSiT28()), defaultShapedEncoder(b))
	if err != nil {
		b.Fatal(err)
	}
	benchTrain(b, m, repaexp.Wrap(objective.FlowMatching{LabelDropout: 0.1}))
}
