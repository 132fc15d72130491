package main

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/datasets/toy2d"
	"github.com/mixflow/mixflow/mixflowlib/backbone/mlp"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/evaluator"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/objective"
	"github.com/mixflow/mixflow/mixflowlib/path"
	"github.com/mixflow/mixflow/mixflowlib/timesteps"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// Kinds of workload: what one timed "step" is.
const (
	// KindTrain: one training step (the default).
	KindTrain = "train"
	// KindSample: one sampling run of the batch, SampleSteps Euler steps from noise (no gradients).
	KindSample = "sample"
	// KindFeatures: the evaluator's feature extraction of one batch of generated-size images.
	KindFeatures = "features"
)

// Workload is one benchmarked step: a backbone (or the evaluator's network), its data, batch size and
// default protocol.
type Workload struct {
	// Name is the -workloads key, e.g. "mlp".
	Name string
	// Kind is KindTrain, KindSample or KindFeatures; "" means KindTrain.
	Kind string
	// SampleSteps is the number of Euler steps of a KindSample workload.
	SampleSteps int
	// FeatureImageSize is the side of the images a KindFeatures workload embeds (32: the padded size the
	// SiT experiments generate, centre-cropped to 28 by the evaluator).
	FeatureImageSize int
	// Description says what the network is, for the header and the JSON output.
	Description string
	// Batch is the batch size.
	Batch int
	// Warmup and Steps are the default warm-up steps and steps per timed run.
	Warmup, Steps int
	// MoonsNoise is the two-moons noise (MLP workloads).
	MoonsNoise float64
	// mlpCfg or sitCfg describes the network (exactly one is set).
	mlpCfg *mlp.Config
	sitCfg *sit.Config
}

// The two-moons noise of the MLP workload (datasets/toy2d's default).
const moonsNoise = 0.05

// workloads returns the known workloads by name.
func workloads() map[string]Workload {
	tiny, _ := sit.Preset("tiny")
	notes := sit.Config{ImageSize: 32, Channels: 4, PatchSize: 4, Depth: 1, Hidden: 128, Heads: 4}.WithDefaults()
	mcfg := mlp.Config{}.WithDefaults()
	b2, _ := sit.Preset("SiT-B/2")
	return map[string]Workload{
		"mlp": {
			Name: "mlp", Batch: 1024, Warmup: 10, Steps: 50, MoonsNoise: moonsNoise, mlpCfg: &mcfg,
			Description: "mixflowlib/backbone/mlp default " + mcfg.String() + " on two moons",
		},
		"sit-tiny": {
			Name: "sit-tiny", Batch: 64, Warmup: 2, Steps: 5, sitCfg: &tiny,
			Description: "mixflowlib/backbone/sit preset tiny: " + tiny.String(),
		},
		"dit-notes": {
			Name: "dit-notes", Batch: 64, Warmup: 3, Steps: 10, sitCfg: &notes,
			Description: "the DiT shape of the GoMLX benchmark notes: " + notes.String(),
		},
		"sit-b2": {
			Name: "sit-b2", Batch: 8, Warmup: 0, Steps: 1, sitCfg: &b2,
			Description: "mixflowlib/backbone/sit preset SiT-B/2 (ImageNet-256 latent size): " + b2.String(),
		},
		"sampling": {
			Name: "sampling", Kind: KindSample, SampleSteps: 20, Batch: 256, Warmup: 0, Steps: 1, sitCfg: &tiny,
			Description: "sampling with mixflowlib/sampler, Euler, 20 steps, no guidance, class labels, SiT preset tiny: " + tiny.String(),
		},
		"features": {
			Name: "features", Kind: KindFeatures, FeatureImageSize: 32, Batch: 256, Warmup: 1, Steps: 5,
			Description: "mixflowlib/evaluator feature extraction (Embed: checks, clip, centre crop 32→28, " + evaluator.Architecture + ")",
		},
	}
}

// Unit is what the workload's rate counts: training steps, samples or images per second.
func (w Workload) Unit() string {
	switch w.Kind {
	case KindSample:
		return "samples"
	case KindFeatures:
		return "images"
	}
	return "steps"
}

// PerStep is how many Unit items one timed step produces (1 for training; the batch otherwise).
func (w Workload) PerStep() int {
	if w.Kind == KindSample || w.Kind == KindFeatures {
		return w.Batch
	}
	return 1
}

// workloadNames returns the known workload names, sorted.
func workloadNames() []string {
	var names []string
	for k := range workloads() {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// parseWorkloads turns "mlp,sit-tiny" into workloads, in the given order.
func parseWorkloads(list string) ([]Workload, error) {
	all := workloads()
	return parseList(list, func(name string) (Workload, string, error) {
		w, ok := all[name]
		if !ok {
			return w, name, fmt.Errorf("bench: unknown workload %q in -workloads (known: %s)", name, strings.Join(workloadNames(), ", "))
		}
		return w, name, nil
	}, fmt.Errorf("bench: -workloads %q names no workload (known: %s)", list, strings.Join(workloadNames(), ", ")))
}

// kind returns Kind with the default filled in.
func (w Workload) kind() string {
	if w.Kind == "" {
		return KindTrain
	}
	return w.Kind
}

// Conditional reports whether the workload's network is class-conditional.
func (w Workload) Conditional() bool { return w.sitCfg != nil && w.sitCfg.NumClasses > 0 }

// Network returns the Go backbone and its analytic trainable-parameter count (for KindFeatures: no
// backbone, the evaluator network's parameter count).
func (w Workload) Network() (nn.Backbone, int, error) {
	switch {
	case w.Kind == KindFeatures:
		ws, err := evaluator.ShippedWeights()
		if err != nil {
			return nil, 0, err
		}
		n := 0
		for _, v := range ws.Variables {
			if v.Trainable {
				n += v.Value.Shape().Size()
			}
		}
		return nil, n, nil
	case w.mlpCfg != nil:
		m, err := mlp.New(*w.mlpCfg)
		if err != nil {
			return nil, 0, err
		}
		return m, m.NumParams(), nil
	case w.sitCfg != nil:
		m, err := sit.New(*w.sitCfg)
		if err != nil {
			return nil, 0, err
		}
		n, err := w.sitCfg.NumParams()
		return m, n, err
	}
	return nil, 0, fmt.Errorf("bench: workload %s has no network", w.Name)
}

// Source returns the workload's data source: two moons for the MLP (toy2d, without labels), synthetic
// labelled images for SiT (the content of the images does not change the cost of a step).
func (w Workload) Source(seed uint64) (datasets.Source, error) {
	if w.Kind == KindFeatures {
		return imageSource{size: w.FeatureImageSize, channels: 1, seed: seed}, nil
	}
	if w.mlpCfg != nil {
		toy, err := toy2d.Moons(w.MoonsNoise)
		if err != nil {
			return nil, err
		}
		src, err := toy2d.NewSource(toy, seed)
		if err != nil {
			return nil, err
		}
		return src.WithoutLabels(), nil
	}
	c := w.sitCfg
	return imageSource{size: c.ImageSize, channels: c.Channels, classes: c.NumClasses, seed: seed}, nil
}

// Settings are the training settings shared by both sides.
type Settings struct {
	// Objective is "mixflow" (t ~ Beta(2,1), m ~ U[(1−γ)t, t]) or "flow-matching" (t ~ U[0,1], m = t).
	Objective string
	// Gamma is MixFlow's slowing range.
	Gamma float64
	// LabelDropout is the label-dropout probability for class-conditional workloads.
	LabelDropout float64
	// Train is the trainer configuration (optimizer, LR, clipping, EMA); BatchSize is set per workload.
	Train trainer.Config
	// Seed seeds the Go trainer, the data source and PyTorch.
	Seed int64
}

// GoObjective returns the Go objective for the workload.
func (s Settings) GoObjective(w Workload) (trainer.Objective, error) {
	drop := 0.0
	if w.Conditional() {
		drop = s.LabelDropout
	}
	switch s.Objective {
	case "mixflow":
		o, err := objective.NewMixFlow(s.Gamma)
		if err != nil {
			return nil, err
		}
		o.LabelDropout = drop
		return o, o.Validate()
	case "flow-matching":
		return objective.NewFlowMatching(path.Linear{}, timesteps.Uniform{}, drop)
	}
	return nil, fmt.Errorf("bench: unknown -objective %q (want mixflow or flow-matching)", s.Objective)
}

// TrainConfig returns the trainer configuration for the workload.
func (s Settings) TrainConfig(w Workload) trainer.Config {
	c := s.Train
	c.BatchSize = w.Batch
	c.Steps = 1 << 40 // the bench stops on its own; no schedule depends on it (constant LR)
	c.Seed = s.Seed
	c.CheckpointDir = ""
	return c
}

// TorchSpec returns the JSON-able specification the PyTorch worker builds its model and step from.
func (s Settings) TorchSpec(w Workload, threads int) map[string]any {
	spec := map[string]any{"workload": w.Name, "threads": threads, "mode": w.kind()}
	switch w.Kind {
	case KindSample:
		spec["sample"] = map[string]any{"steps": w.SampleSteps}
	case KindFeatures:
		spec["kind"] = "convnet"
		spec["model"] = map[string]any{}
		spec["features"] = map[string]any{"image_size": w.FeatureImageSize, "crop": evaluator.InputSize}
		spec["train"] = map[string]any{"batch": w.Batch, "seed": s.Seed}
		return spec
	}
	if c := w.mlpCfg; c != nil {
		spec["kind"] = "mlp"
		spec["model"] = map[string]any{
			"dim": c.Dim, "width": c.Width, "depth": c.Depth, "activation": c.Activation,
			"time_dim": c.TimeDim, "time_scale": c.TimeScale, "time_max_period": c.TimeMaxPeriod,
		}
	} else {
		c := w.sitCfg
		spec["kind"] = "sit"
		spec["model"] = map[string]any{
			"image_size": c.ImageSize, "channels": c.Channels, "patch": c.PatchSize, "depth": c.Depth,
			"hidden": c.Hidden, "heads": c.Heads, "mlp_hidden": int(float64(c.Hidden) * c.MLPRatio),
			"num_classes": c.NumClasses, "time_freq_dim": c.TimeFreqDim, "time_scale": c.TimeScale,
		}
	}
	t := s.TrainConfig(w)
	gamma, times := s.Gamma, "beta21"
	if s.Objective == "flow-matching" {
		gamma, times = 0, "uniform"
	}
	drop := 0.0
	if w.Conditional() {
		drop = s.LabelDropout
	}
	spec["train"] = map[string]any{
		"batch": w.Batch, "optimizer": string(t.Optimizer), "lr": t.LR, "beta1": t.Beta1, "beta2": t.Beta2,
		"eps": t.Eps, "weight_decay": t.WeightDecay, "clip_grad_norm": t.ClipGradNorm, "ema_decay": t.EMADecay,
		"objective": s.Objective, "gamma": gamma, "times": times, "label_dropout": drop,
		"moons_noise": w.MoonsNoise, "seed": s.Seed,
	}
	return spec
}

// imageSource is a datasets.Source of synthetic image batches: uniform values in [-1, 1] (the range of
// the project's image data) and uniform labels, a pure function of (seed, step).
type imageSource struct {
	size, channels, classes int
	seed                    uint64
}

// Name implements datasets.Source.
func (s imageSource) Name() string {
	return fmt.Sprintf("synthetic-images(%dx%dx%d,classes=%d,seed=%d)", s.size, s.size, s.channels, s.classes, s.seed)
}

// Batch implements datasets.Source.
func (s imageSource) Batch(step int64, size int) (datasets.Batch, error) {
	if size < 1 {
		return datasets.Batch{}, fmt.Errorf("bench: synthetic images: batch size %d must be >= 1", size)
	}
	rng := rand.New(rand.NewPCG(s.seed, uint64(step)))
	x := make([]float32, size*s.size*s.size*s.channels)
	for i := range x {
		x[i] = 2*rng.Float32() - 1
	}
	b := datasets.Batch{X: tensors.FromFlatDataAndDimensions(x, size, s.size, s.size, s.channels)}
	if s.classes > 0 {
		l := make([]int32, size)
		for i := range l {
			l[i] = int32(rng.IntN(s.classes))
		}
		b.Cond.Labels = tensors.FromFlatDataAndDimensions(l, size)
	}
	return b, nil
}
