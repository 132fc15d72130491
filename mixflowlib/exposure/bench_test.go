package exposure

import (
	"testing"
	"time"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/sampler"
)

// BenchmarkDiagnosticsSiTTiny times the diagnostics on the SiT-tiny preset (batch 64, 32×32×1, class
// labels, Euler 20 steps) against a plain sampling run of the same length, each timed as a user runs it
// (building the sampler included), interleaved so that machine load hits all alike. It reports
// lag/plain (the injected-lag test with one δ from t0 = 0.5 against sampling [0.5, 1]; target ≤ 1.2)
// and gap/plain (VarianceGap against sampling [0, 1]; target ≤ 1.05):
//
//	go test ./mixflowlib/exposure -run '^$' -bench DiagnosticsSiTTiny -benchtime 5x
func BenchmarkDiagnosticsSiTTiny(b *testing.B) {
	const batch, steps = 64, 20
	cfg, err := sit.Preset("tiny")
	if err != nil {
		b.Fatal(err)
	}
	net, err := sit.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	be, err := backend.New()
	if err != nil {
		b.Fatal(err)
	}
	dims := []int{batch, cfg.ImageSize, cfg.ImageSize, cfg.Channels}
	labels := make([]int32, batch)
	for i := range labels {
		labels[i] = int32(i % cfg.NumClasses)
	}
	cond := datasets.Cond{Labels: tensors.FromFlatDataAndDimensions(labels, batch)}
	store := model.NewStore()
	init := model.MustNewExec(be, store, func(scope *model.Scope, x, t, l *Node) *Node {
		return net.Velocity(scope.In("model"), x, t, nn.Cond{Labels: l})
	})
	// Noise stands in for the held-out images (the cost does not depend on the values); one call creates the weights.
	x1, _ := sampler.Noise(99, dims...)
	_ = init.MustCall(x1, tensors.FromFlatDataAndDimensions(make([]float32, batch), batch), cond.Labels)
	plain := func(tStart float64) error {
		s, err := sampler.New(be, store, net, sampler.Config{Steps: steps, TStart: tStart, TEnd: 1})
		if err != nil {
			return err
		}
		defer s.Finalize()
		x0, _ := sampler.Noise(1, dims...)
		out, err := s.Sample(x0, cond)
		if err == nil {
			_ = out.FinalizeAll()
		}
		return err
	}
	lag := func() error {
		_, err := InjectedLag(be, store, net, x1, cond, LagConfig{Deltas: []float64{0.1}, Sampler: sampler.Config{Steps: steps}, Seed: 1})
		return err
	}
	gap := func() error {
		_, err := VarianceGap(be, store, net, x1, cond, GapConfig{Sampler: sampler.Config{Steps: steps}, Seed: 1})
		return err
	}
	var tPlainHalf, tLag, tPlain, tGap time.Duration
	timed := func(d *time.Duration, fn func() error) {
		start := time.Now()
		if err := fn(); err != nil {
			b.Fatal(err)
		}
		*d += time.Since(start)
	}
	var warm time.Duration
	timed(&warm, func() error { return plain(0) })
	b.ResetTimer()
	for i := range b.N {
		runs := []func(){
			func() { timed(&tPlainHalf, func() error { return plain(0.5) }) },
			func() { timed(&tLag, lag) },
			func() { timed(&tPlain, func() error { return plain(0) }) },
			func() { timed(&tGap, gap) },
		}
		for j := range runs { // rotate the order
			runs[(i+j)%len(runs)]()
		}
	}
	n := float64(b.N)
	b.ReportMetric(tLag.Seconds()/tPlainHalf.Seconds(), "lag/plain")
	b.ReportMetric(tGap.Seconds()/tPlain.Seconds(), "gap/plain")
	b.ReportMetric(tPlain.Seconds()/n*1000, "plain-ms")
	b.ReportMetric(tLag.Seconds()/n*1000, "lag-ms")
	b.ReportMetric(tGap.Seconds()/n*1000, "gap-ms")
}
