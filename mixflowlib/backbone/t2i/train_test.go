package t2i_test

import (
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/t2i"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// TestGradientsFlow checks that training reaches every variable (text encoder, pooled embedder,
// cross-attention, DiT) within three Adam steps, and that ParamCounts matches the built model.
func TestGradientsFlow(t *testing.T) {
	be := graphtest.Backend(t)
	for _, cond := range []t2i.Conditioning{t2i.CrossPooled, t2i.Cross, t2i.Pooled} {
		t.Run(string(cond), func(t *testing.T) {
			m := graphtest.Build(t, t2i.New, smallConfig(t, cond))
			store := graphtest.NewStore(11)
			rng := rand.New(rand.NewSource(11))
			x := randImages(rng, m.Config(), 3)
			tokens := encode(t, m, 12, prompts...)
			velocity(t, be, store, m, x, graphtest.RandTimes(rng, 3), tokens) // creates the variables
			init := graphtest.VarsUnder(t, store, "/model/")
			want, err := m.Config().NumParams()
			graphtest.CheckNumParams(t, store, "/model/", want, err)
			st := newAdamStep(t, be, store, m, 1e-3)
			for range 3 {
				st.Step(t, x, tokens)
			}
			after := graphtest.VarsUnder(t, store, "/model/")
			for _, k := range graphtest.UnchangedVars(init, after) {
				t.Errorf("variable %s unchanged after 3 steps: no gradient reaches it", k)
			}
			changed := graphtest.ChangedVars(init, after)
			hasCross := slices.ContainsFunc(changed, func(p string) bool { return strings.Contains(p, "/cross_attn/") })
			hasPooled := slices.ContainsFunc(changed, func(p string) bool { return strings.Contains(p, "/pooled_embedder/") })
			if hasCross != (cond != t2i.Pooled) || hasPooled != (cond != t2i.Cross) {
				t.Errorf("%s: cross-attention variables %v, pooled embedder %v", cond, hasCross, hasPooled)
			}
		})
	}
}

// TestFreezeText checks that FreezeText keeps the text encoder's weights exactly unchanged by training
// (they are marked non-trainable and behind a stop-gradient) while the rest of the model trains, and
// that the same store trains the encoder again without it.
func TestFreezeText(t *testing.T) {
	be := graphtest.Backend(t)
	cfg := smallConfig(t, t2i.CrossPooled)
	cfg.FreezeText = true
	frozen := graphtest.Build(t, t2i.New, cfg)
	store := graphtest.NewStore(12)
	rng := rand.New(rand.NewSource(12))
	x := randImages(rng, frozen.Config(), 3)
	tokens := encode(t, frozen, 12, prompts...)
	velocity(t, be, store, frozen, x, graphtest.RandTimes(rng, 3), tokens)
	init := graphtest.VarsUnder(t, store, "/model/")
	st := newAdamStep(t, be, store, frozen, 1e-3)
	for range 3 {
		st.Step(t, x, tokens)
	}
	changed := graphtest.ChangedVars(init, graphtest.VarsUnder(t, store, "/model/"))
	textVars := 0
	for k := range init {
		isText := strings.HasPrefix(k, "/model/text/")
		if isText {
			textVars++
		}
		if isText == slices.Contains(changed, k) {
			t.Errorf("FreezeText: variable %s changed = %v", k, !isText)
		}
	}
	if textVars < 5 {
		t.Fatalf("only %d text variables", textVars)
	}
	cfg.FreezeText = false
	open := graphtest.Build(t, t2i.New, cfg)
	before := graphtest.VarsUnder(t, store, "/model/")
	st = newAdamStep(t, be, store, open, 1e-3)
	st.Step(t, x, tokens)
	if got := graphtest.ChangedVars(before, graphtest.VarsUnder(t, store, "/model/")); !slices.Contains(got, "/model/text/token_embedding") {
		t.Errorf("unfrozen again, the token embedding did not train: changed %v", got)
	}
}

// TestConfigValidate checks that bad configurations are refused with an error naming the field.
func TestConfigValidate(t *testing.T) {
	good := smallConfig(t, t2i.CrossPooled)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		edit func(*t2i.Config)
		want string
	}{
		{func(c *t2i.Config) { c.Text.VocabSize = 0 }, "Text.VocabSize 0"},
		{func(c *t2i.Config) { c.ImageSize = 18 }, "ImageSize 18 is not a multiple of PatchSize 4"},
		{func(c *t2i.Config) { c.Hidden = 30 }, "Hidden 30 must be a multiple of 4"},
		{func(c *t2i.Config) { c.Heads = 3 }, "Hidden 32 is not divisible by Heads 3"},
		{func(c *t2i.Config) { c.Depth = -1 }, "Depth -1 must be positive"},
		{func(c *t2i.Config) { c.MLPRatio = -2 }, "MLPRatio"},
		{func(c *t2i.Config) { c.TimeFreqDim = 33 }, "TimeFreqDim 33 must be even"},
		{func(c *t2i.Config) { c.Conditioning = "concat" }, `unknown Conditioning "concat"`},
		{func(c *t2i.Config) { c.Text.Width = 25 }, "Text.Width 25 is not divisible by Text.Heads 2"},
		{func(c *t2i.Config) { c.Text.Depth = -2 }, "Text.Depth -2"},
		{func(c *t2i.Config) { c.Text.MaxLen = -1 }, "Text.MaxLen -1"},
		{func(c *t2i.Config) { c.Conditioning = t2i.Pooled; c.Text.Depth = -1 }, "Pooled conditioning needs Text.Depth ≥ 1"},
		{func(c *t2i.Config) { c.Attention = nn.AttentionImpl(7) }, "unknown Attention"},
	} {
		cfg := good
		c.edit(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), "t2i: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want an error containing %q, got %v", c.want, err)
		}
		if _, err := t2i.New(cfg); err == nil {
			t.Errorf("New accepted a config that fails with %q", c.want)
		}
	}
	noText := good
	noText.Conditioning = t2i.Cross
	noText.Text.Depth = -1
	if err := noText.Validate(); err != nil {
		t.Errorf("cross-attention without text blocks: %v", err)
	}
}

// TestPresets checks every preset and its parameter count against the built micro model.
func TestPresets(t *testing.T) {
	vocab := tokenizer(t).VocabSize()
	for _, name := range t2i.PresetNames() {
		cfg, err := t2i.Preset(name, vocab, 0)
		if err != nil {
			t.Errorf("Preset(%q): %v", name, err)
			continue
		}
		if n, err := cfg.NumParams(); err != nil || n <= 0 {
			t.Errorf("Preset(%q): %d parameters, %v", name, n, err)
		}
	}
	if _, err := t2i.Preset("huge", vocab, 0); err == nil || !strings.Contains(err.Error(), "micro, tiny, small, base") {
		t.Errorf("unknown preset: %v", err)
	}
	if _, err := t2i.Preset("tiny", 0, 0); err == nil {
		t.Error("preset without a vocabulary accepted")
	}
	micro, _ := t2i.Preset("micro", vocab, 0)
	m := graphtest.Build(t, t2i.New, micro)
	store := graphtest.NewStore(1)
	rng := rand.New(rand.NewSource(1))
	velocity(t, graphtest.Backend(t), store, m, randImages(rng, micro, 1), graphtest.RandTimes(rng, 1), encode(t, m, 12, prompts[0]))
	want, err := micro.NumParams()
	graphtest.CheckNumParams(t, store, "/model/", want, err)
}
