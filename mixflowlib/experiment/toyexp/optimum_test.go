package toyexp

import (
	"math"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/mixflowlib/backbone/oracle"
	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/nn"
)

func TestOptimumRun(t *testing.T) {
	data := DataSpec{Toy: "8gaussians(std=0.125)"}
	pts := [][]float64{{0.3, -0.2}, {1.2, 0.1}, {-0.9, 0.8}}
	times := []float64{0, 0.4, 0.9}
	for _, gamma := range []float64{0, 0.5, 1} {
		run, err := OptimumRun(data, gamma)
		if err != nil {
			t.Fatal(err)
		}
		net, store, err := run.sampling(false)
		if err != nil {
			t.Fatal(err)
		}
		flat := make([]float32, 0, 2*len(pts))
		ts := make([]float32, len(pts))
		for i, p := range pts {
			flat = append(flat, float32(p[0]), float32(p[1]))
			ts[i] = float32(times[i])
		}
		v := model.MustCallOnce(backend.Must(), store, func(scope *model.Scope, x, tn *Node) *Node {
			return net.Velocity(scope.In("model"), x, tn, nn.Cond{})
		}, tensors.FromFlatDataAndDimensions(flat, len(pts), 2), tensors.FromValue(ts))
		got := tensors.MustCopyFlatData[float32](v)
		opt := net.(*oracle.MixFlowOptimum)
		if opt.Gamma() != gamma || opt.Nodes() != OptimumNodes {
			t.Errorf("optimum with γ=%g and %d nodes, want γ=%g and %d", opt.Gamma(), opt.Nodes(), gamma, OptimumNodes)
		}
		// The oracle's host rule (tested against an independent computation in package oracle) with the
		// run's nodes, and with many more nodes for the quadrature error of OptimumNodes.
		mix := opt.Mixture()
		many, err := oracle.NewMixFlowOptimum(mix, gamma, 4000)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range pts {
			same, err := opt.VelocityAt(p, times[i])
			if err != nil {
				t.Fatal(err)
			}
			fine, err := many.VelocityAt(p, times[i])
			if err != nil {
				t.Fatal(err)
			}
			exact, _ := mix.VelocityAt(p, times[i])
			for d := range 2 {
				if math.Abs(float64(got[2*i+d])-same[d]) > 1e-4*(1+math.Abs(same[d])) {
					t.Errorf("γ=%g, point %d: graph %v, host %v", gamma, i, got[2*i:2*i+2], same)
				}
				if math.Abs(same[d]-fine[d]) > 2e-2*(1+math.Abs(fine[d])) {
					t.Errorf("γ=%g, point %d: %d-node quadrature %v far from %v", gamma, i, OptimumNodes, same, fine)
				}
				if gamma == 0 && math.Abs(same[d]-exact[d]) > 1e-9 {
					t.Errorf("γ=0, point %d: optimum %v, exact velocity %v", i, same, exact)
				}
			}
		}
	}
	if _, err := OptimumRun(data, 1.5); err == nil || err.Error() != "oracle: MixFlowOptimum: gamma 1.5 outside [0, 1]" {
		t.Errorf("γ = 1.5: error %v, want the oracle's one text", err)
	}
	if _, err := OptimumRun(DataSpec{Toy: "moons"}, 0.5); err == nil {
		t.Error("moons has no exact velocity: no error")
	}
}
