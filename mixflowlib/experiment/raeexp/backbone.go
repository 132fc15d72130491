package raeexp

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

// BackboneDDT is the imageexp backbone kind of rae.DDT (RAE's DiT^DH: a DiT trunk and a wide, shallow head);
// its parameters are a rae.DDTConfig as JSON. Importing the package registers it.
const BackboneDDT = "rae-ddt"

func init() {
	if err := imageexp.RegisterBackbone(BackboneDDT, imageexp.BackboneKind{Build: buildDDT, Canonical: canonicalDDT}); err != nil {
		panic(err)
	}
}

// DDT returns the ModelSpec of a rae.DDT with configuration cfg.
func DDT(cfg rae.DDTConfig) imageexp.ModelSpec {
	b, err := json.Marshal(cfg)
	if err != nil {
		panic(fmt.Sprintf("raeexp: marshal DDTConfig: %v", err))
	}
	return imageexp.ModelSpec{Kind: BackboneDDT, Params: b}
}

func ddtConfig(params json.RawMessage) (rae.DDTConfig, error) {
	var c rae.DDTConfig
	dec := json.NewDecoder(strings.NewReader(string(params)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("raeexp: DDT params %s: %w", params, err)
	}
	c = c.WithDefaults()
	return c, c.Validate()
}

func canonicalDDT(params json.RawMessage) (json.RawMessage, error) {
	c, err := ddtConfig(params)
	if err != nil {
		return nil, err
	}
	return json.Marshal(c)
}

func buildDDT(params json.RawMessage) (nn.Backbone, error) {
	c, err := ddtConfig(params)
	if err != nil {
		return nil, err
	}
	return rae.NewDDT(c)
}
