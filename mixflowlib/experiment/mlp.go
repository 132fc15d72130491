package experiment

import (
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/backbone/mlp"
)

// MLPSpec configures the velocity network of the toy labs (toyexp, highdim), an unconditional mlp.MLP
// (see mlp.Config; zero fields take mlp's defaults). The input dimension comes from the data.
type MLPSpec struct {
	// Width is the hidden width (mlp default 256).
	Width int `json:"width"`
	// Depth is the number of hidden layers or residual blocks (mlp default 3).
	Depth int `json:"depth"`
	// Activation is one of mlp.ActivationNames (mlp default "silu").
	Activation string `json:"activation"`
	// Residual selects mlp's pre-norm residual architecture.
	Residual bool `json:"residual"`
	// TimeDim, TimeScale and TimeMaxPeriod configure the time embedding (mlp defaults 64, 100, 100).
	TimeDim       int     `json:"time_dim"`
	TimeScale     float64 `json:"time_scale"`
	TimeMaxPeriod float64 `json:"time_max_period"`
}

// MLPConfig returns the mlp configuration for data of dimension dim, with mlp's defaults filled in.
func (m MLPSpec) MLPConfig(dim int) mlp.Config {
	return mlp.Config{
		Dim: dim, Width: m.Width, Depth: m.Depth, Activation: m.Activation, Residual: m.Residual,
		TimeDim: m.TimeDim, TimeScale: m.TimeScale, TimeMaxPeriod: m.TimeMaxPeriod,
	}.WithDefaults()
}

// Canonical returns m with mlp's defaults filled in, and an error for an invalid network.
func (m MLPSpec) Canonical() (MLPSpec, error) {
	c := m.MLPConfig(2)
	if err := c.Validate(); err != nil {
		return m, fmt.Errorf("experiment: model: %w", err)
	}
	return MLPSpec{
		Width: c.Width, Depth: c.Depth, Activation: c.Activation, Residual: c.Residual,
		TimeDim: c.TimeDim, TimeScale: c.TimeScale, TimeMaxPeriod: c.TimeMaxPeriod,
	}, nil
}

// Validate reports whether m describes a valid network.
func (m MLPSpec) Validate() error { return Validate(m) }

// Build returns the network of m for data of dimension dim.
func (m MLPSpec) Build(dim int) (*mlp.MLP, error) {
	net, err := mlp.New(m.MLPConfig(dim))
	if err != nil {
		return nil, fmt.Errorf("experiment: model: %w", err)
	}
	return net, nil
}
