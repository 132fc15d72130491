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

// hostOptimum computes the MixFlow optimum at one point with an n-node midpoint rule on the host.
func hostOptimum(t *testing.T, mix *oracle.Mixture, x []float64, tt, gamma float64, n int) []float64 {
	t.Helper()
	means, stds, ws := mix.Means(), mix.Stds(), mix.Weights()
	num := make([]float64, len(x))
	var den float64
	for j := range n {
		m := tt * (1 - gamma*(float64(j)+0.5)/float64(n))
		var p float64
		for k, mu := range means {
			v := m*m*stds[k]*stds[k] + (1-m)*(1-m)
			var d2 float64
			for i := range x {
				r := x[i] - m*mu[i]
				d2 += r * r
			}
			p += ws[k] * math.Exp(-d2/(2*v)) / math.Pow(2*math.Pi*v, float64(len(x))/2)
		}
		vel, err := mix.VelocityAt(x, m)
		if err != nil {
			t.Fatal(err)
		}
		for i := range num {
			num[i] += p * vel[i]
		}
		den += p
	}
	for i := range num {
		num[i] /= den
	}
	return num
}

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
		mix := net.(*oracle.MixFlowOptimum).Mixture()
		for i, p := range pts {
			same := hostOptimum(t, mix, p, times[i], gamma, OptimumNodes) // the same rule: float32 agreement
			fine := hostOptimum(t, mix, p, times[i], gamma, 4000)         // quadrature error of 32 nodes
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
