package experiment

import (
	"encoding/json"
	"math"

	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/exposure"
)

// MeasureKey is the cache key of a measurement of a run (an evaluation, a Slow Flow measurement, a
// diagnosis): the JSON object {"run": Run, "data": Data, Field: Spec}, without "data" when Data is nil.
type MeasureKey[S any] struct {
	// Run is the measured run's key.
	Run string
	// Data is the run's data spec, for labs whose runs do not hash their data into Run (nil: none).
	Data any
	// Field is the JSON name of the measurement spec ("eval", "slowflow", "diag").
	Field string
	// Spec is the measurement spec (MeasureRun sets it canonical).
	Spec S
}

// MarshalJSON writes the key's JSON object.
func (k MeasureKey[S]) MarshalJSON() ([]byte, error) {
	m := map[string]any{"run": k.Run, k.Field: k.Spec}
	if k.Data != nil {
		m["data"] = k.Data
	}
	return json.Marshal(m)
}

// Measured is a pointer to a measurement result type T that records whether it came from the cache (it
// embeds EvalResult, SlowFlowResult or Diagnosis): what MeasureRun returns.
type Measured[T any] interface {
	*T
	setFromCache(bool)
}

func (r *EvalResult[S, R]) setFromCache(hit bool) { r.FromCache = hit }
func (r *SlowFlowResult) setFromCache(hit bool)   { r.FromCache = hit }
func (d *Diagnosis) setFromCache(hit bool)        { d.FromCache = hit }

// MeasureRun is the cached measurement of a run the labs share: it canonicalises key.Spec, starts the
// stage begin returns for the canonical spec (begin nil: no stage), and returns the result of measure
// cached under name and key (with the canonical spec), marked FromCache when it came from the cache.
func MeasureRun[S Spec[S], T any, PT Measured[T]](c *expcache.Cache, name string, key MeasureKey[S],
	begin func(S) *Stage, measure func(S, *Stage) (T, error)) (*T, error) {
	s, err := key.Spec.Canonical()
	if err != nil {
		return nil, err
	}
	key.Spec = s
	var st *Stage
	if begin != nil {
		st = begin(s)
	}
	res, hit, err := Measure(c, st, name, key, func(string) (T, error) { return measure(s, st) })
	if err != nil {
		return nil, err
	}
	p := PT(&res)
	p.setFromCache(hit)
	return p, nil
}

// Diagnosis holds the exposure-bias diagnostics of one run (mixflowlib/exposure) that the labs share:
// the injected-lag test and the variance gap. The labs embed it (its JSON fields are theirs).
type Diagnosis struct {
	// Run and RunKey identify the model.
	Run    string `json:"run"`
	RunKey string `json:"run_key"`
	// Lag is the injected-lag test (residual noise and the lab's metric per δ).
	Lag []exposure.LagPoint `json:"lag"`
	// Gap is the variance gap per sampling step (per grid time of the lab's sampler).
	Gap []exposure.GapPoint `json:"gap"`
	// Seconds is the wall time of the computation when it was computed.
	Seconds float64 `json:"seconds"`
	// FromCache is true when the call that returned the diagnosis loaded it from the cache (not stored).
	FromCache bool `json:"-"`
}

// FinalGap returns the variance gap at the last step (NaN without one); see exposure.GapPoint.
func (d *Diagnosis) FinalGap() float64 {
	if len(d.Gap) == 0 {
		return math.NaN()
	}
	return d.Gap[len(d.Gap)-1].Gap
}
