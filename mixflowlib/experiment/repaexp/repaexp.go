// Package repaexp plugs REPA into the image post-training experiments of mixflowlib/experiment/imageexp:
// importing it registers the backbone kind "repa" (a repa.Model with a frozen encoder) and the objective
// wrapper "repa" (repa.Wrap, which gives the model the clean batch and adds λ·L to the loss). It is glue
// only: the model lives in mixflowlib/backbone/repa, the encoder in mixflowlib/encoder.
//
//	base := imageexp.BaseSpec{Data: …, Model: repaexp.Model(repa.DefaultConfig(sitCfg)),
//	    Objective: repaexp.Aligned(imageexp.FM("", 0.1)), Train: …}
//	mix := imageexp.PostSpec{Objective: repaexp.Aligned(imageexp.MixFlow(0.8, 0.1)), …}
//
// Post-train a REPA base with an Aligned objective: without the wrapper the head is not used, and the
// trainer refuses a checkpoint whose variables the model does not use.
package repaexp

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/mixflow/mixflow/mixflowlib/backbone/repa"
	"github.com/mixflow/mixflow/mixflowlib/encoder"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// Kind is the name of the backbone kind and of the objective wrapper this package registers.
const Kind = "repa"

// EncoderShipped names the encoder of encoder.Default in Params.Encoder.
const EncoderShipped = "shipped"

// Params are the JSON parameters of the "repa" backbone kind.
type Params struct {
	// REPA is the model configuration.
	REPA repa.Config `json:"repa"`
	// Encoder is EncoderShipped ("" means the same) or the path of a weights file written by
	// encoder.ViT.Save (e.g. by cmd/train-encoder).
	Encoder string `json:"encoder,omitempty"`
	// EncoderFingerprint is the encoder's weight fingerprint, filled in by the kind's canonicalisation so
	// that experiment cache keys change when the encoder's weights do. If set by hand it must match.
	EncoderFingerprint string `json:"encoder_fingerprint,omitempty"`
}

func init() {
	if err := imageexp.RegisterBackbone(Kind, imageexp.BackboneKind{Build: build, Canonical: canonical}); err != nil {
		panic(err)
	}
	if err := imageexp.RegisterObjectiveWrapper(Kind, wrap); err != nil {
		panic(err)
	}
}

// Model returns the ModelSpec of a REPA-SiT with the shipped encoder.
func Model(cfg repa.Config) imageexp.ModelSpec {
	return ModelWith(cfg, EncoderShipped)
}

// ModelWith returns the ModelSpec of a REPA-SiT with the encoder whose weights are in the file at path
// (or EncoderShipped).
func ModelWith(cfg repa.Config, encoderPath string) imageexp.ModelSpec {
	p, _ := json.Marshal(Params{REPA: cfg, Encoder: encoderPath})
	return imageexp.ModelSpec{Kind: Kind, Params: p}
}

// Aligned returns spec with the REPA wrapper: training a "repa" backbone with it adds the alignment loss.
func Aligned(spec imageexp.ObjectiveSpec) imageexp.ObjectiveSpec {
	spec.Wrap, spec.WrapParams = Kind, nil
	return spec
}

// LoadEncoder returns the encoder named like Params.Encoder.
func LoadEncoder(name string) (*encoder.ViT, error) {
	if name == "" || name == EncoderShipped {
		return encoder.Default()
	}
	return encoder.Load(name)
}

func decode(raw json.RawMessage) (Params, error) {
	var p Params
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("repaexp: params %s: %w", raw, err)
	}
	if p.Encoder == "" {
		p.Encoder = EncoderShipped
	}
	return p, nil
}

// resolve decodes params, loads the encoder and checks the fingerprint.
func resolve(raw json.RawMessage) (Params, *repa.Model, error) {
	p, err := decode(raw)
	if err != nil {
		return p, nil, err
	}
	enc, err := LoadEncoder(p.Encoder)
	if err != nil {
		return p, nil, fmt.Errorf("repaexp: encoder %q: %w", p.Encoder, err)
	}
	if p.EncoderFingerprint != "" && p.EncoderFingerprint != enc.Fingerprint() {
		return p, nil, fmt.Errorf("repaexp: encoder %q has weights %.12s…, the spec was made with %.12s…", p.Encoder,
			enc.Fingerprint(), p.EncoderFingerprint)
	}
	p.EncoderFingerprint = enc.Fingerprint()
	m, err := repa.New(p.REPA, enc)
	if err != nil {
		return p, nil, err
	}
	p.REPA = m.Config()
	return p, m, nil
}

func canonical(raw json.RawMessage) (json.RawMessage, error) {
	p, _, err := resolve(raw)
	if err != nil {
		return nil, err
	}
	return json.Marshal(p)
}

func build(raw json.RawMessage) (nn.Backbone, error) {
	_, m, err := resolve(raw)
	if err != nil {
		return nil, err
	}
	return m, nil
}

func wrap(params json.RawMessage, inner trainer.Objective) (trainer.Objective, error) {
	if s := strings.TrimSpace(string(params)); s != "" && s != "null" && s != "{}" {
		return nil, fmt.Errorf("repaexp: the repa wrapper takes no parameters (λ is in the model's config), got %s", params)
	}
	if inner == nil {
		return nil, fmt.Errorf("repaexp: nothing to wrap")
	}
	return Wrap(inner), nil
}

// Alignment returns the per-log-entry mean cosine similarity between the projected hidden tokens and the
// encoder's tokens, cos = −(logged "repa" term)/λ, from a run's training history (nil when the run logged
// no REPA term or λ is 0).
func Alignment(h *trainer.History, lambda float64) []float64 {
	if h == nil || lambda == 0 {
		return nil
	}
	terms := h.Aux[repa.AuxLossName]
	out := make([]float64, len(terms))
	for i, v := range terms {
		out[i] = -v / lambda
		if math.IsNaN(v) {
			out[i] = math.NaN()
		}
	}
	return out
}
