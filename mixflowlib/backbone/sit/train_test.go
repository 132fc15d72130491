package sit_test

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
)

// TestGradientsFlow checks how training reaches every trainable variable under adaLN-Zero. With zero
// modulation and a zero output layer, the first Adam step can only move the output layer (every other
// gradient is exactly zero); the second also moves the patch embedding, the final adaLN and the block
// gates; from the third on every variable has received a gradient. A variable that stays at its initial
// value after three steps is disconnected from the loss.
func TestGradientsFlow(t *testing.T) {
	be := graphtest.Backend(t)
	m := graphtest.Build(t, sit.New, sit.Config{ImageSize: 16, Channels: 2, PatchSize: 4, Depth: 2, Hidden: 32, Heads: 2, NumClasses: 3})
	store := graphtest.NewStore(11)
	tr := newAdamStep(t, be, store, m, 1e-3, true)
	rng := rand.New(rand.NewSource(11))
	x := randImages(rng, m.Config(), 8)
	labels := labelTensor(0, 1, 2, -1, 0, 1, 2, -1)

	// Build the variables without changing them, to record their initial values.
	if _, err := forwardExec(t, be, store, m, true).Call(x, graphtest.RandTimes(rng, 8), labels); err != nil {
		t.Fatal(err)
	}
	init := graphtest.VarsUnder(t, store, "/model/")
	pc, _ := m.Config().ParamCounts()
	n := 0
	for _, v := range init {
		n += len(v)
	}
	if n != pc.Total {
		t.Fatalf("built %d parameters, ParamCounts says %d", n, pc.Total)
	}

	tr.Step(t, x, labels)
	got := graphtest.ChangedVars(init, graphtest.VarsUnder(t, store, "/model/"))
	want := []string{"/model/final_layer/linear/dense/biases", "/model/final_layer/linear/dense/weights"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("after one step changed %v, want only %v (adaLN-Zero)", got, want)
	}
	tr.Step(t, x, labels)
	tr.Step(t, x, labels)
	after := graphtest.VarsUnder(t, store, "/model/")
	for _, k := range graphtest.UnchangedVars(init, after) {
		t.Errorf("variable %s still at its initial value after 3 steps: no gradient reaches it", k)
	}
	if len(init) != 2+4+1+2*10+4 { // x_embedder, t_embedder, y_embedder, 2 blocks × 5 dense × 2, final 2 × 2
		t.Errorf("model has %d variables, want 31", len(init))
	}
}

// TestParamCountMatchesBuilt compares ParamCounts with the variables of built models.
func TestParamCountMatchesBuilt(t *testing.T) {
	be := graphtest.Backend(t)
	micro, _ := sit.Preset("micro")
	tiny, _ := sit.Preset("tiny")
	for _, cfg := range []sit.Config{
		micro, tiny,
		{ImageSize: 28, PatchSize: 7, Depth: 1, Hidden: 24, Heads: 3, MLPRatio: 2.5, TimeFreqDim: 64},
	} {
		m := graphtest.Build(t, sit.New, cfg)
		store := graphtest.NewStore(1)
		rng := rand.New(rand.NewSource(1))
		cond := m.Config().NumClasses > 0
		args := []any{randImages(rng, m.Config(), 1), graphtest.RandTimes(rng, 1)}
		if cond {
			args = append(args, labelTensor(0))
		}
		if _, err := forwardExec(t, be, store, m, cond).Call(args...); err != nil {
			t.Fatal(err)
		}
		want, err := cfg.NumParams()
		graphtest.CheckNumParams(t, store, "/model/", want, err)
	}
}

// TestPresets checks every preset name and the SiT-XL/2 count, derived by hand from SiT's models.py:
// 28 blocks × (18·1152² + 15·1152) + patch embed 16·1152+1152 + t-MLP 256·1152+1152+1152²+1152 + 1001·1152
// labels + final 2·1152²+2·1152 + 1152·16+16 = 674,816,272. With learn_sigma (8 output channels, as in
// the released checkpoint) and the frozen position embedding that PyTorch counts as a parameter
// (256·1152), this is the 675.1 M of the SiT/DiT papers.
func TestPresets(t *testing.T) {
	for _, name := range sit.PresetNames() {
		cfg, err := sit.Preset(name)
		if err != nil {
			t.Errorf("Preset(%q): %v", name, err)
			continue
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("Preset(%q) invalid: %v", name, err)
		}
	}
	if len(sit.PresetNames()) != 2+12 {
		t.Errorf("PresetNames: %v", sit.PresetNames())
	}
	xl, err := sit.Preset("SiT-XL/2")
	if err != nil {
		t.Fatal(err)
	}
	pc, err := xl.ParamCounts()
	if err != nil {
		t.Fatal(err)
	}
	if pc.Total != 674_816_272 {
		t.Errorf("SiT-XL/2 has %d parameters, want 674,816,272", pc.Total)
	}
	learnSigmaExtra := 1152*16 + 16 // 4 more output channels per 2×2 patch
	if got := pc.Total + pc.PosEmbedFixed + learnSigmaExtra; got != 675_129_632 {
		t.Errorf("PyTorch-style SiT-XL/2 count %d, want 675,129,632", got)
	}
	for _, alias := range []string{"xl/2", " DiT-XL/2 ", "XL/2"} {
		c, err := sit.Preset(alias)
		if err != nil || c != xl {
			t.Errorf("Preset(%q) = %v, %v; want the SiT-XL/2 config", alias, c, err)
		}
	}
	// The DiT shape of the GoMLX benchmark notes had 395,840 trainable parameters.
	notes := sit.Config{ImageSize: 32, Channels: 4, PatchSize: 4, Depth: 1, Hidden: 128, Heads: 4}
	if n, _ := notes.NumParams(); n != 395_840 {
		t.Errorf("benchmark-notes DiT: %d parameters, want 395,840", n)
	}
	for _, bad := range []string{"XXL/2", "S/3", "tiny/2", "", "B"} {
		if _, err := sit.Preset(bad); err == nil || !strings.Contains(err.Error(), "sit: unknown preset") {
			t.Errorf("Preset(%q): got %v, want an unknown-preset error", bad, err)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  sit.Config
		want string
	}{
		{sit.Config{ImageSize: 30, PatchSize: 4}, "not a multiple of PatchSize"},
		{sit.Config{Hidden: 130, Heads: 5}, "multiple of 4"},
		{sit.Config{Hidden: 128, Heads: 3}, "not divisible by Heads"},
		{sit.Config{Depth: -1}, "Depth -1"},
		{sit.Config{Channels: -3}, "Channels -3"},
		{sit.Config{NumClasses: -2}, "NumClasses -2"},
		{sit.Config{MLPRatio: math.NaN()}, "MLPRatio"},
		{sit.Config{MLPRatio: 0.001}, "MLPRatio"},
		{sit.Config{TimeFreqDim: 255}, "TimeFreqDim 255"},
		{sit.Config{TimeScale: math.Inf(1)}, "TimeScale"},
		{sit.Config{Attention: 7}, "Attention"},
	} {
		err := tc.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "sit: ") {
			t.Errorf("Validate(%+v) = %v, want an error containing %q", tc.cfg, err, tc.want)
		}
		if _, err := sit.New(tc.cfg); err == nil {
			t.Errorf("New(%+v) accepted an invalid config", tc.cfg)
		}
	}
	def := sit.Config{}.WithDefaults()
	if def.ImageSize != 32 || def.Channels != 1 || def.PatchSize != 4 || def.Depth != 4 || def.Hidden != 128 ||
		def.Heads != 4 || def.MLPRatio != 4 || def.TimeFreqDim != 256 || def.TimeScale != 1 || def.NumClasses != 0 {
		t.Errorf("defaults: %+v", def)
	}
}

// classData returns images whose mean is +0.8 for class 0 and −0.8 for class 1 (plus small noise).
func classData(rng *rand.Rand, cfg sit.Config, labels []int32) *tensors.Tensor {
	c := cfg.WithDefaults()
	per := c.ImageSize * c.ImageSize * c.Channels
	data := make([]float32, len(labels)*per)
	for i, l := range labels {
		mu := 0.8
		if l == 1 {
			mu = -0.8
		}
		for k := 0; k < per; k++ {
			data[i*per+k] = float32(mu + 0.05*rng.NormFloat64())
		}
	}
	return tensors.FromFlatDataAndDimensions(data, len(labels), c.ImageSize, c.ImageSize, c.Channels)
}

func mean(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x)
	}
	return s / float64(len(v))
}

// TestClassConditioning trains briefly on two classes whose images differ only in sign and checks that
// the velocity at x_t = 0, t = 0.5 follows the class (ideal: v = (x1 − x_t)/(1 − t) = ±1.6) and that the
// null class, trained with 20 % label dropout, sits in between (ideal: 0).
func TestClassConditioning(t *testing.T) {
	be := graphtest.Backend(t)
	m := graphtest.Build(t, sit.New, sit.Config{ImageSize: 8, PatchSize: 4, Depth: 1, Hidden: 32, Heads: 2, NumClasses: 2})
	store := graphtest.NewStore(21)
	tr := newAdamStep(t, be, store, m, 3e-3, true)
	rng := rand.New(rand.NewSource(21))
	const b = 32
	for range 80 {
		labels := make([]int32, b)
		for i := range labels {
			labels[i] = int32(rng.Intn(2))
		}
		x := classData(rng, m.Config(), labels)
		for i := range labels { // label dropout, as the objective will do
			if rng.Float64() < 0.2 {
				labels[i] = -1
			}
		}
		tr.Step(t, x, labelTensor(labels...))
	}
	c := m.Config()
	x := tensors.FromFlatDataAndDimensions(make([]float32, 3*c.ImageSize*c.ImageSize), 3, c.ImageSize, c.ImageSize, 1)
	tt := tensors.FromFlatDataAndDimensions([]float32{0.5, 0.5, 0.5}, 3)
	out, err := forwardExec(t, be, store, m, true).Call(x, tt, labelTensor(0, 1, -1))
	if err != nil {
		t.Fatal(err)
	}
	v := graphtest.Flat(t, out[0])
	per := c.ImageSize * c.ImageSize
	v0, v1, vn := mean(v[:per]), mean(v[per:2*per]), mean(v[2*per:])
	t.Logf("mean velocity at x_t=0, t=0.5: class 0 %.3f, class 1 %.3f, null %.3f (ideal 1.6, −1.6, 0)", v0, v1, vn)
	if v0 < 0.5 || v1 > -0.5 {
		t.Errorf("velocity does not follow the class: class 0 %.3f, class 1 %.3f", v0, v1)
	}
	if vn > v0-0.3 || vn < v1+0.3 {
		t.Errorf("null class %.3f is not between the classes (%.3f, %.3f)", vn, v1, v0)
	}
}

// TestTrainingReducesLoss runs flow-matching steps on a tiny fixed data set and checks that the loss
// falls well below its starting value (v = 0 at init gives E‖x1 − x0‖²/D ≈ Var(x1) + 1).
func TestTrainingReducesLoss(t *testing.T) {
	be := graphtest.Backend(t)
	m := graphtest.Build(t, sit.New, sit.Config{ImageSize: 8, Channels: 2, PatchSize: 2, Depth: 2, Hidden: 32, Heads: 4})
	c := m.Config()
	store := graphtest.NewStore(31)
	tr := newAdamStep(t, be, store, m, 2e-3, false)
	// Four smooth patterns repeated over a batch of 16.
	const b = 16
	per := c.ImageSize * c.ImageSize * c.Channels
	data := make([]float32, b*per)
	for i := 0; i < b; i++ {
		k := i % 4
		for y := 0; y < c.ImageSize; y++ {
			for x := 0; x < c.ImageSize; x++ {
				for ch := 0; ch < c.Channels; ch++ {
					v := math.Sin(float64(k+1)*float64(x)/3+float64(ch)) * math.Cos(float64(y)/4+float64(k))
					data[i*per+(y*c.ImageSize+x)*c.Channels+ch] = float32(v)
				}
			}
		}
	}
	x1 := tensors.FromFlatDataAndDimensions(data, b, c.ImageSize, c.ImageSize, c.Channels)
	var losses []float64
	for range 60 {
		losses = append(losses, tr.Step(t, x1, nil))
	}
	first, last := meanF(losses[:5]), meanF(losses[len(losses)-10:])
	t.Logf("loss: first 5 steps %.4f, last 10 steps %.4f", first, last)
	if !(last < 0.7*first) {
		t.Errorf("loss did not fall: first 5 steps %.4f, last 10 steps %.4f", first, last)
	}
}

func meanF(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
