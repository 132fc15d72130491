package toyexp

import (
	"context"
	"fmt"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/mixflowlib/experiment"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
	"github.com/mixflow/mixflow/mixflowlib/slowflow"
)

// SlowFlowResult is a Slow Flow measurement of one run: the core's result (experiment.SlowFlowResult).
type SlowFlowResult = experiment.SlowFlowResult

// MeanGap returns the mean slow-down t − m* of a measurement over its states with t > 0
// (experiment.MeanGap).
func MeanGap(res *slowflow.Result) float64 { return experiment.MeanGap(res) }

// FinalStats returns the statistics of the last sampling state (t = 1): where the samples end up
// (experiment.FinalStats).
func FinalStats(res *slowflow.Result) slowflow.Stats { return experiment.FinalStats(res) }

// MeasureSlowFlow measures the Slow Flow of run (see mixflowlib/slowflow) for every number of sampling
// steps of spec, from the same noise and reference points for every step count and every run with the
// same spec, so runs are compared on identical inputs. The result is cached under the run's key and the
// spec.
func (l *Lab) MeasureSlowFlow(ctx context.Context, run *Run, spec SlowFlowSpec) (*SlowFlowResult, error) {
	return measure(l, "slowflow", cacheSlowFlow, "slowflow", run, spec, func(c SlowFlowSpec) bool { return c.UseEMA },
		func(c SlowFlowSpec) *experiment.Stage {
			return l.begin(fmt.Sprintf("slow flow %s (%s)", run.Label, c.Protocol), 1, "setting", len(c.Steps))
		},
		func(c SlowFlowSpec, net nn.Backbone, store *model.Store, st *experiment.Stage) (SlowFlowResult, error) {
			return measureSlowFlow(ctx, run, c, net, store, st)
		})
}

func measureSlowFlow(ctx context.Context, run *Run, c SlowFlowSpec, net nn.Backbone, store *model.Store, st *experiment.Stage) (SlowFlowResult, error) {
	start := time.Now()
	res := SlowFlowResult{Run: run.Label, RunKey: run.Key, Spec: c}
	dim := run.Data.Dim
	x0, err := sampler.Noise(seedNoise+c.Seed, c.N, dim)
	if err != nil {
		return res, fmt.Errorf("toyexp: slowflow: %w", err)
	}
	// forward-noised-pair pairs each run with its own true point; the others search a reference set.
	n, seed := c.ReferenceSize, seedRef+c.Seed
	if c.Protocol == slowflow.ProtocolForwardNoisedPair {
		n, seed = c.N, seedTruth+c.Seed
	}
	ref, err := truePoints(run.Data, n, seed)
	if err != nil {
		return res, err
	}
	in := experiment.SlowFlowInputs{X0: x0, Ref: tensors.FromFlatDataAndDimensions(ref, n, dim),
		Options: slowflow.Options{Quantiles: c.Quantiles}}
	meth, _ := experiment.ParseMethod(c.Method)
	res.Results, err = experiment.MeasureSlowFlowSteps(ctx, c, run.Label, in, st, func(steps int) (*sampler.Sampler, error) {
		return sampler.New(nil, store, net, samplerConfig(meth, steps, c.Seed))
	})
	if err != nil {
		return res, err
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}
