package highdim

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/exposure"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// DiagSpec configures the exposure-bias diagnostics of a model (mixflowlib/exposure), all on N held-out
// points of the data.
type DiagSpec struct {
	// N is the number of held-out points (and sampling runs).
	N int `json:"n"`
	// LagDeltas, LagT0 and LagSteps configure the injected-lag test: start at LagT0 from the state at
	// LagT0 − δ, then LagSteps Euler steps to t = 1.
	LagDeltas []float64 `json:"lag_deltas"`
	LagT0     float64   `json:"lag_t0"`
	LagSteps  int       `json:"lag_steps"`
	// Sampler is the sampling run along which the variance gap and the own-trajectory error are measured.
	Sampler Sampler `json:"sampler"`
	// Seed seeds the held-out points and the noise.
	Seed uint64 `json:"seed"`
	// UseEMA uses the EMA weights.
	UseEMA bool `json:"use_ema"`
}

// DefaultDiagSpec returns 1000 points, lags δ ∈ {0, 0.05, 0.1, 0.2} injected at t0 = 0.5 followed by 20
// Euler steps, the variance gap and own-trajectory error along Euler at 10 steps, EMA weights.
func DefaultDiagSpec() DiagSpec {
	return DiagSpec{N: 1000, LagDeltas: []float64{0, 0.05, 0.1, 0.2}, LagT0: 0.5, LagSteps: 20,
		Sampler: Sampler{Method: "euler", Steps: 10}, Seed: 7, UseEMA: true}
}

// Canonical validates d.
func (d DiagSpec) Canonical() (DiagSpec, error) {
	if d.N < 16 || d.N > 1<<16 {
		return d, fmt.Errorf("highdim: diagnostics n %d outside [16, %d]", d.N, 1<<16)
	}
	if len(d.LagDeltas) == 0 {
		return d, fmt.Errorf("highdim: diagnostics lag deltas: empty")
	}
	if d.LagSteps < 1 || d.LagSteps > 10_000 {
		return d, fmt.Errorf("highdim: diagnostics lag steps %d outside [1, 10000]", d.LagSteps)
	}
	d.Sampler.Method = strings.ToLower(strings.TrimSpace(d.Sampler.Method))
	if _, err := d.Sampler.Config(); err != nil {
		return d, err
	}
	return d, nil
}

// Diagnosis holds the exposure-bias measurements of one model.
type Diagnosis struct {
	// Diagnosis holds the run, the injected-lag test (its Metric is MetricSpread of the final samples),
	// the variance gap per grid time of DiagSpec.Sampler (FinalGap: its last) and the wall time.
	experiment.Diagnosis
	// Own is the velocity error (against the exact velocity) on the model's own states and on true
	// interpolations, per grid time of DiagSpec.Sampler.
	Own []exposure.ErrorPoint `json:"own"`
}

// LagGrowth returns residual(δ_max) − residual(0) of the injected-lag test: about δ_max when the lag is
// carried to the end, about 0 when the model recovers.
func (d *Diagnosis) LagGrowth() float64 {
	if len(d.Lag) == 0 {
		return math.NaN()
	}
	return d.Lag[len(d.Lag)-1].Residual - d.Lag[0].Residual
}

// OwnRatio returns Σ Own / Σ True over the grid: the model's velocity error on its own states relative
// to its error on the states it was trained on (1: no exposure effect).
func (d *Diagnosis) OwnRatio() float64 {
	var own, tr float64
	for _, p := range d.Own {
		own += p.Own
		tr += p.True
	}
	return own / tr
}

// Diagnose runs the injected-lag test, the variance gap and the own-trajectory error of run (cached).
func (l *Lab) Diagnose(ctx context.Context, run *Run, spec DiagSpec) (*Diagnosis, error) {
	return measure(l, "diagnose", "hd-diag", "diag", run, spec, func(c DiagSpec) bool { return c.UseEMA },
		func(c DiagSpec, in inputs) (Diagnosis, error) { return diagnose(ctx, run, c, in) })
}

func diagnose(ctx context.Context, run *Run, c DiagSpec, in inputs) (Diagnosis, error) {
	start := time.Now()
	d := Diagnosis{Diagnosis: experiment.Diagnosis{Run: run.Label, RunKey: run.Key}}
	mix, net, store := in.mix, in.net, in.store
	x1f, _, err := TruePoints(run.Data, c.N, c.Seed+seedFloor+1)
	if err != nil {
		return d, err
	}
	x1 := tensors.FromFlatDataAndDimensions(x1f, c.N, run.Data.Dim)
	defer func() { _ = x1.FinalizeAll() }()
	sc, err := newScorer(mix, x1f)
	if err != nil {
		return d, err
	}
	spread := func(x *tensors.Tensor) (float64, error) {
		rows, err := rowsOf(x, run.Data.Dim)
		if err != nil {
			return 0, err
		}
		s, _ := sc.modeStats(rows)
		return s, nil
	}
	if d.Lag, err = exposure.InjectedLag(nil, store, net, x1, datasets.Cond{}, exposure.LagConfig{
		Deltas: c.LagDeltas, T0: c.LagT0, Sampler: sampler.Config{Steps: c.LagSteps}, Seed: c.Seed, Metric: spread,
	}); err != nil {
		return d, fmt.Errorf("highdim: diagnose %s: %w", run.Label, err)
	}
	if err := ctx.Err(); err != nil {
		return d, err
	}
	sc2, _ := c.Sampler.Config()
	if d.Gap, err = exposure.VarianceGap(nil, store, net, x1, datasets.Cond{}, exposure.GapConfig{Sampler: sc2, Seed: c.Seed}); err != nil {
		return d, fmt.Errorf("highdim: diagnose %s: %w", run.Label, err)
	}
	if d.Own, err = exposure.OwnTrajectoryError(nil, store, net, mix, x1, datasets.Cond{}, exposure.ErrorConfig{Sampler: sc2, Seed: c.Seed}); err != nil {
		return d, fmt.Errorf("highdim: diagnose %s: %w", run.Label, err)
	}
	d.Seconds = time.Since(start).Seconds()
	return d, nil
}

func rowsOf(x *tensors.Tensor, dim int) ([][]float64, error) {
	flat, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		return nil, err
	}
	return metrics.Float32Rows(flat, dim)
}
