package t2iexp_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets/captions"
	"github.com/mixflow/mixflow/mixflowlib/backbone/t2i"
	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/experiment/t2iexp"
)

// TestParseCaption parses every caption the templates write, normalised or not, and refuses others.
func TestParseCaption(t *testing.T) {
	n := 0
	for tmpl := range captions.Templates {
		for count := 1; count <= captions.MaxCount; count++ {
			for _, s := range captions.Shapes {
				for _, c := range captions.Colors {
					for _, p := range captions.Positions {
						a := captions.Attributes{Shape: s, Color: c, Position: p, Count: count}
						text := captions.Caption(a, tmpl)
						got, err := t2iexp.ParseCaption(strings.ToUpper(text) + ".")
						if err != nil || got != a {
							t.Fatalf("ParseCaption(%q) = %v, %v; want %v", text, got, err, a)
						}
						n++
					}
				}
			}
		}
	}
	if n != 3*4*4*6*9 {
		t.Fatalf("parsed %d captions", n)
	}
	for _, bad := range []string{"", "two red squares", "three red square at the top", "a red zebra in the center"} {
		if _, err := t2iexp.ParseCaption(bad); err == nil || !strings.HasPrefix(err.Error(), "t2iexp: ") {
			t.Errorf("ParseCaption(%q): %v", bad, err)
		}
	}
}

// TestScore checks the evaluator on real renders (every metric 1), on the same images asked for other
// attributes (the matching metrics drop), on blank images (nothing found), and its input errors.
func TestScore(t *testing.T) {
	src, err := captions.NewSource(captions.Options{Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	ex, b, err := src.HeldOut(48)
	if err != nil {
		t.Fatal(err)
	}
	s, err := t2iexp.Score(b.X, b.Cond.Tokens)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range s.Metrics() {
		if v != 1 {
			t.Errorf("real images: %s = %v, want 1", name, v)
		}
	}
	// Ask for the next colour: colour and all drop to 0, shape/position/count stay 1.
	texts := make([]string, len(ex))
	for i, e := range ex {
		a := e.Attributes
		a.Color = (a.Color + 1) % captions.Color(len(captions.Colors))
		texts[i] = captions.Caption(a, e.Template)
	}
	other, err := src.Tokenizer().EncodeBatch(texts)
	if err != nil {
		t.Fatal(err)
	}
	s, err = t2iexp.Score(b.X, other)
	if err != nil {
		t.Fatal(err)
	}
	if s.Color != 0 || s.All != 0 || s.Shape != 1 || s.Position != 1 || s.Count != 1 || s.Found != 1 {
		t.Errorf("wrong colours asked: %+v", s)
	}
	v, err := t2iexp.Verdicts(b.X, other)
	if err != nil {
		t.Fatal(err)
	}
	if v[0] != ex[0].Color.String() {
		t.Errorf("verdict %q, want the colour read back, %q", v[0], ex[0].Color)
	}
	if v, _ := t2iexp.Verdicts(b.X, b.Cond.Tokens); slices.ContainsFunc(v, func(s string) bool { return s != "OK" }) {
		t.Errorf("real images: verdicts %v", v)
	}
	blank := tensors.FromFlatDataAndDimensions(slices.Repeat([]float32{-1}, 48*32*32*3), 48, 32, 32, 3)
	if v, _ := t2iexp.Verdicts(blank, b.Cond.Tokens); v[0] != "no object" {
		t.Errorf("blank image verdict %q", v[0])
	}
	if s, err = t2iexp.Score(blank, b.Cond.Tokens); err != nil || s.Found != 0 || s.All != 0 {
		t.Errorf("blank images: %+v %v", s, err)
	}
	null := tensors.FromFlatDataAndDimensions(make([]int32, 48*12), 48, 12)
	if _, err := t2iexp.Score(b.X, null); err == nil || !strings.Contains(err.Error(), "caption 0: the null caption") {
		t.Errorf("null captions: %v", err)
	}
	if _, err := t2iexp.Score(b.X, nil); err == nil {
		t.Error("nil tokens accepted")
	}
	if _, err := t2iexp.Score(blank, tensors.FromFlatDataAndDimensions(flat32(t, other)[:4*12], 4, 12)); err == nil {
		t.Error("4 captions for 48 images accepted")
	}
}

// TestSpecs checks the registered kinds: canonical forms fill defaults, unknown fields and bad values
// are refused, and the experiment presets validate.
func TestSpecs(t *testing.T) {
	d, err := t2iexp.Data(t2iexp.DataParams{}, 3).Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if string(d.Params) != `{"size":32,"max_count":4,"max_len":12,"held_out":1000}` {
		t.Errorf("canonical data params %s", d.Params)
	}
	for _, bad := range []string{`{"size":36}`, `{"max_count":5}`, `{"held_out":-1}`, `{"sise":32}`} {
		spec := imageexp.DataSpec{Kind: t2iexp.DataKind, Params: json.RawMessage(bad)}
		if _, err := spec.Canonical(); err == nil {
			t.Errorf("data params %s accepted", bad)
		}
	}
	tok, _ := captions.NewTokenizer(captions.DefaultMaxLen)
	cfg, err := t2i.Preset("micro", tok.VocabSize(), 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := t2iexp.Model(cfg).Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Build(); err != nil {
		t.Errorf("Build: %v", err)
	}
	bad := imageexp.ModelSpec{Kind: t2iexp.BackboneKind, Params: json.RawMessage(`{"hidden":30,"text":{"vocab_size":32}}`)}
	if _, err := bad.Build(); err == nil || !strings.Contains(err.Error(), "Hidden 30") {
		t.Errorf("bad model: %v", err)
	}
	if _, err := (imageexp.EvaluatorSpec{Kind: t2iexp.EvaluatorKind, Params: json.RawMessage(`{"x":1}`)}).Canonical(); err == nil {
		t.Error("evaluator params accepted")
	}
	for name, s := range map[string]t2iexp.Sizes{"cpu": t2iexp.CPUSizes(), "quick": t2iexp.QuickSizes(), "gpu": t2iexp.GPUSizes()} {
		if _, err := t2iexp.NewExperiment(s); err != nil {
			t.Errorf("%s sizes: %v", name, err)
		}
	}
	if _, err := t2iexp.NewExperiment(t2iexp.Sizes{Model: "tiny"}); err == nil {
		t.Error("zero sizes accepted")
	}
	data, err := t2iexp.Data(t2iexp.DataParams{HeldOut: 10}, 3).Load()
	if err != nil {
		t.Fatal(err)
	}
	c1, err := data.Conds(6, 1)
	if err != nil {
		t.Fatal(err)
	}
	c1b, _ := data.Conds(6, 1)
	c2, _ := data.Conds(6, 2)
	real1, err := data.Real(6, 1)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c, r := flat32(t, c1.Tokens), flat32(t, c1b.Tokens), flat32(t, c2.Tokens), flat32(t, real1.Cond.Tokens)
	if !slices.Equal(a, b) || slices.Equal(a, c) || !slices.Equal(a, r) {
		t.Error("evaluation captions are not a fixed function of the seed, or Real does not match Conds")
	}
}

func flat32(t *testing.T, x *tensors.Tensor) []int32 {
	t.Helper()
	v, err := tensors.CopyFlatData[int32](x)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestEndToEnd trains a micro model through imageexp (base, standard and MixFlow post-training), evaluates
// it with and without guidance, and checks the metrics are rates in [0, 1], the table renders and a second
// call comes from the cache.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three small models")
	}
	s := t2iexp.QuickSizes()
	s.BaseSteps, s.PostSteps, s.Batch, s.EvalN, s.Steps = 16, 8, 8, 8, []int{2}
	exp, err := t2iexp.NewExperiment(s)
	if err != nil {
		t.Fatal(err)
	}
	lab := &imageexp.Lab{Cache: expcache.New(t.TempDir())}
	ctx := context.Background()
	runs, err := exp.Train(ctx, lab)
	if err != nil {
		t.Fatal(err)
	}
	cmp, err := exp.Compare(ctx, lab, runs)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmp.Samplers) != 2 || len(cmp.Runs) != 3 {
		t.Fatalf("%d settings, runs %v", len(cmp.Samplers), cmp.Runs)
	}
	for _, cell := range cmp.Cells {
		if v := cell.Summary.Estimate; !(v >= 0 && v <= 1) {
			t.Errorf("%s %s %s = %v, not a rate", cell.Run, cell.Sampler.Label(), cell.Metric, v)
		}
	}
	text := t2iexp.FormatComparison(cmp)
	for _, want := range []string{"MixFlow post-training", "standard post-training", "2 steps, CFG 2", "count %"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
	if f, err := t2iexp.StepsFigure(cmp, t2iexp.MetricCount); err != nil || len(f.Panels) != 2 || !f.ShareY {
		t.Errorf("StepsFigure: %v (panels %d, shared y %v: want 2 panels on one y range)", err, len(f.Panels), f.ShareY)
	}
	if _, err := t2iexp.LossFigure("loss", runs.Standard, runs.MixFlow); err != nil {
		t.Errorf("LossFigure: %v", err)
	}
	g, texts, err := t2iexp.SamplesGrid(lab, runs.All(), cmp.Samplers[1:], 3, 0)
	if err != nil || len(texts) != 3 || g.Image().Bounds().Dx() < 3*96 {
		t.Errorf("SamplesGrid: %v, captions %q", err, texts)
	}
	if _, texts, err := t2iexp.ExamplesGrid(exp.Base.Data, 4, 4); err != nil || !strings.HasPrefix(texts[3], "4. ") {
		t.Errorf("ExamplesGrid: %v %q", err, texts)
	}
	start := lab.Cache
	again, err := exp.Train(ctx, &imageexp.Lab{Cache: start})
	if err != nil || again.MixFlow.Checkpoint != runs.MixFlow.Checkpoint {
		t.Errorf("second Train: %v, checkpoint %v vs %v", err, again.MixFlow, runs.MixFlow.Checkpoint)
	}
}
