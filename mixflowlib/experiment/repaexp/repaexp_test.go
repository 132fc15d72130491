package repaexp_test

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/mixflow/mixflow/internal/errtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/repa"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/encoder"
	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/experiment/repaexp"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

func microREPA() repa.Config {
	s, _ := sit.Preset("micro")
	s.ImageSize, s.PatchSize, s.TimeFreqDim = 28, 7, 32
	cfg := repa.DefaultConfig(s)
	cfg.ProjDim = 32
	return cfg
}

func TestSpecCanonical(t *testing.T) {
	enc, err := encoder.Default()
	if err != nil {
		t.Fatal(err)
	}
	m, err := repaexp.Model(microREPA()).Canonical()
	if err != nil {
		t.Fatal(err)
	}
	var p repaexp.Params
	if err := json.Unmarshal(m.Params, &p); err != nil {
		t.Fatal(err)
	}
	if p.EncoderFingerprint != enc.Fingerprint() || p.Encoder != repaexp.EncoderShipped || p.REPA.SiT.Heads != 2 {
		t.Errorf("canonical params %+v", p)
	}
	p.EncoderFingerprint = "0123456789abcdef"
	raw, _ := json.Marshal(p)
	_, err = (imageexp.ModelSpec{Kind: repaexp.Kind, Params: raw}).Build()
	errtest.Contains(t, "stale fingerprint", err, "the spec was made with")
	bad := microREPA()
	bad.Lambda = -1
	_, err = repaexp.Model(bad).Build()
	errtest.Contains(t, "bad λ", err, "Lambda -1")
	_, err = repaexp.ModelWith(microREPA(), "/no/such/file.mfckpt").Build()
	errtest.Contains(t, "missing encoder file", err, "/no/such/file.mfckpt")
	o := repaexp.Aligned(imageexp.MixFlow(0.8, 0.1))
	o.WrapParams = json.RawMessage(`{"lambda": 2}`)
	_, err = o.Build()
	errtest.Contains(t, "wrapper params", err, "takes no parameters")
}

// TestEndToEnd trains a micro REPA-SiT base through imageexp, post-trains it with MixFlow, and samples.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	ctx := context.Background()
	lab := &imageexp.Lab{Cache: expcache.New(t.TempDir()).WithSalt(imageexp.CacheSalt).WithLog(nil)}
	cfg := microREPA()
	base, err := lab.TrainBase(ctx, imageexp.BaseSpec{
		Data:      imageexp.FashionMNIST(imageexp.FashionMNISTParams{Size: 28, HeldOut: 16}, 3),
		Model:     repaexp.Model(cfg),
		Objective: repaexp.Aligned(imageexp.FM("", 0.1)),
		Train:     imageexp.TrainSpec{Steps: 4, BatchSize: 8, LR: 1e-3, EMADecay: 0.9, Seed: 5, LogEvery: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	cos := repaexp.Alignment(base.History, cfg.Lambda)
	if len(cos) != 4 || math.IsNaN(cos[3]) || math.Abs(cos[3]) > 1 {
		t.Errorf("alignment curve %v", cos)
	}
	post, err := lab.PostTrain(ctx, base, imageexp.PostSpec{Objective: repaexp.Aligned(imageexp.MixFlow(0.8, 0.1)),
		FromEMA: true, Train: imageexp.TrainSpec{Steps: 2, BatchSize: 8, LR: 1e-3, EMADecay: 0.9, Seed: 6, LogEvery: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(post.History.Aux[repa.AuxLossName]) != 2 {
		t.Errorf("post-training history %v lacks the repa term", post.History.Aux)
	}
	s, err := lab.Generate(post, imageexp.SamplerSpec{Method: "euler", Steps: 2}, 4, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Images.Shape().Dimensions; d[0] != 4 || d[1] != 28 {
		t.Errorf("samples %v", d)
	}
	fig, err := repaexp.TrainingCurves("", base, post)
	if err != nil {
		t.Fatal(err)
	}
	if len(fig.Panels) != 2 || len(fig.Panels[1].Series) != 2 || fig.Panels[1].Series[1].X[0] != 5 {
		t.Errorf("training curves: %d panels; alignment series %v", len(fig.Panels), fig.Panels[1].Series)
	}
	if repaexp.Alignment(&trainer.History{}, 0) != nil {
		t.Errorf("Alignment with λ = 0 should be nil")
	}
}

func TestWorkflow(t *testing.T) {
	w, err := repaexp.Workflow(imageexp.DefaultWorkflow(true), func(c *repa.Config) { c.Lambda = 0.25 })
	if err != nil {
		t.Fatal(err)
	}
	if w.Base.Model.Kind != repaexp.Kind || w.Base.Objective.Wrap != repaexp.Kind {
		t.Errorf("base %+v", w.Base)
	}
	for _, v := range w.Variants {
		if v.Wrap != repaexp.Kind || !strings.Contains(v.Label(), "repa") {
			t.Errorf("variant %+v (label %q) not aligned", v, v.Label())
		}
	}
	var p repaexp.Params
	if err := json.Unmarshal(w.Base.Model.Params, &p); err != nil {
		t.Fatal(err)
	}
	if p.REPA.Lambda != 0.25 || p.REPA.SiT != imageexp.SmallSiT().WithDefaults() {
		t.Errorf("REPA config %+v", p.REPA)
	}
	_, err = repaexp.Workflow(w, nil)
	errtest.Contains(t, "workflow of a non-SiT base", err, `want "sit"`)
	if _, err := repaexp.Workflow(imageexp.DefaultWorkflow(true), func(c *repa.Config) { c.AlignDepth = 9 }); err == nil {
		t.Errorf("bad configuration accepted")
	}
}

// TestStudyConfig checks the study's REPA configuration on a 16×16 SiT with patch 4: images resized for
// the shipped 28×28 encoder, whose 4×4 grid is the SiT's; and AlignedAll wraps every arm in order.
func TestStudyConfig(t *testing.T) {
	s := sit.Config{ImageSize: 16, Channels: 1, PatchSize: 4, Depth: 2, Hidden: 48, Heads: 4, MLPRatio: 4, NumClasses: 10, TimeFreqDim: 64}
	cfg := repaexp.StudyConfig(s)
	if cfg.Fit != repa.FitResize || cfg.Lambda != repa.DefaultLambda || cfg.AlignDepth != 1 || cfg.ProjDim != 96 {
		t.Errorf("study config %+v", cfg)
	}
	bb, err := repaexp.Model(cfg).Build()
	if err != nil {
		t.Fatal(err)
	}
	if m := bb.(*repa.Model); m.Encoder().Spec().Grid != s.Grid() || m.Encoder().Spec().ImageSize != 28 {
		t.Errorf("encoder %s for SiT grid %d", m.Encoder().Spec(), s.Grid())
	}
	arms := repaexp.AlignedAll(imageexp.FM("", 0.1), imageexp.MixFlow(0, 0.1), imageexp.MixFlow(0.2, 0.1))
	want := []string{"FM +repa", "MixFlow γ=0 control +repa", "MixFlow γ=0.2 +repa"}
	for i, a := range arms {
		if a.Wrap != repaexp.Kind || a.Label() != want[i] {
			t.Errorf("arm %d: %+v (label %q), want %q aligned", i, a, a.Label(), want[i])
		}
	}
}
