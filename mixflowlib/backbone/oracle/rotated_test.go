package oracle

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestNewRotated checks the means' norms, that they are spread over every coordinate (a rotation,
// not zero padding), reproducibility, DataVariance against sample statistics, and the named errors.
func TestNewRotated(t *testing.T) {
	for _, d := range []int{2, 64, 1024} {
		mix, err := NewRotated(RotatedConfig{Dim: d, Components: 12, Radius: 3, Std: 0.2, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		if mix.Dim() != d || mix.NumComponents() != 12 {
			t.Fatalf("D=%d: got dim %d, %d components", d, mix.Dim(), mix.NumComponents())
		}
		nonzero := make([]bool, d)
		for k, mu := range mix.Means() {
			if n := norm(mu); math.Abs(n-3) > 1e-9 {
				t.Errorf("D=%d: mean %d has norm %v, want 3", d, k, n)
			}
			for i, v := range mu {
				if math.Abs(v) > 1e-9 {
					nonzero[i] = true
				}
			}
		}
		for i, nz := range nonzero {
			if !nz {
				t.Errorf("D=%d: coordinate %d is zero in every mean (zero padding)", d, i)
				break
			}
		}
		again, _ := NewRotated(RotatedConfig{Dim: d, Components: 12, Radius: 3, Std: 0.2, Seed: 7})
		if again.Means()[5][d-1] != mix.Means()[5][d-1] {
			t.Errorf("D=%d: the same seed gave different means", d)
		}
		// DataVariance against the sample variance of 20000 draws.
		n := 20000
		x, _ := mix.Sample(rand.New(rand.NewPCG(1, 2)), n)
		mean := make([]float64, d)
		for j, v := range x {
			mean[j%d] += float64(v) / float64(n)
		}
		var total float64
		for j, v := range x {
			r := float64(v) - mean[j%d]
			total += r * r
		}
		got, want := total/float64(n*d), mix.DataVariance()
		if math.Abs(got-want) > 0.05*want {
			t.Errorf("D=%d: sample variance %v, DataVariance %v", d, got, want)
		}
	}
	for _, c := range []struct {
		cfg  RotatedConfig
		want string
	}{
		{RotatedConfig{Dim: 1}, "dimension 1 must be >= 2"},
		{RotatedConfig{Dim: 8, Components: -1}, "components -1 must be >= 1"},
		{RotatedConfig{Dim: 8, Radius: math.NaN()}, "radius NaN"},
		{RotatedConfig{Dim: 8, Std: -1}, "std -1"},
	} {
		if _, err := NewRotated(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.cfg, err, c.want)
		}
	}
}

// independentOptimum computes the MixFlow optimum at one point with an n-node midpoint rule on the
// host, from the mixture density itself (not the log-sum-exp form of VelocityAt).
func independentOptimum(t *testing.T, mix *Mixture, x []float64, tt, gamma float64, n int) []float64 {
	t.Helper()
	means, stds, ws := mix.Means(), mix.Stds(), mix.Weights()
	num := make([]float64, len(x))
	var den float64
	// Densities relative to a common scale, to stay finite in 64-D.
	logs := make([]float64, 0, n*len(means))
	for j := range n {
		m := tt * (1 - gamma*(float64(j)+0.5)/float64(n))
		for k, mu := range means {
			v := m*m*stds[k]*stds[k] + (1-m)*(1-m)
			var d2 float64
			for i := range x {
				r := x[i] - m*mu[i]
				d2 += r * r
			}
			logs = append(logs, math.Log(ws[k])-d2/(2*v)-float64(len(x))/2*math.Log(2*math.Pi*v))
		}
	}
	ref := math.Inf(-1)
	for _, l := range logs {
		ref = math.Max(ref, l)
	}
	for j := range n {
		m := tt * (1 - gamma*(float64(j)+0.5)/float64(n))
		var p float64
		for k := range means {
			p += math.Exp(logs[j*len(means)+k] - ref)
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

// TestMixFlowOptimum checks the graph against the host, the host against an independent computation,
// γ = 0 against the exact velocity, in 2-D and 64-D, and the named errors.
func TestMixFlowOptimum(t *testing.T) {
	for _, d := range []int{2, 64} {
		mix, err := NewRotated(RotatedConfig{Dim: d, Components: 8, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(4, 5))
		times := []float64{0, 0.4, 0.9}
		pts := make([][]float64, len(times))
		flat := make([]float32, 0, d*len(times))
		ts := make([]float32, len(times))
		for i := range pts {
			x1, _ := mix.Sample(rng, 1)
			pts[i] = make([]float64, d)
			for c := range pts[i] {
				pts[i][c] = float64(float32(times[i]*float64(x1[c]) + (1-times[i])*rng.NormFloat64()))
				flat = append(flat, float32(pts[i][c]))
			}
			ts[i] = float32(times[i])
		}
		for _, gamma := range []float64{0, 0.5, 0.8} {
			o, err := NewMixFlowOptimum(mix, gamma, 0)
			if err != nil {
				t.Fatal(err)
			}
			got := graphVelocity(t, o, flat, len(pts), d, ts, nil)
			for i, p := range pts {
				host, err := o.VelocityAt(p, times[i])
				if err != nil {
					t.Fatal(err)
				}
				ind := independentOptimum(t, mix, p, times[i], gamma, DefaultOptimumNodes)
				exact, _ := mix.VelocityAt(p, times[i])
				for c := range d {
					if math.Abs(float64(got[i*d+c])-host[c]) > 1e-4*(1+math.Abs(host[c])) {
						t.Fatalf("D=%d γ=%g point %d coord %d: graph %v, host %v", d, gamma, i, c, got[i*d+c], host[c])
					}
					if math.Abs(host[c]-ind[c]) > 1e-9*(1+math.Abs(ind[c])) {
						t.Fatalf("D=%d γ=%g point %d coord %d: host %v, independent %v", d, gamma, i, c, host[c], ind[c])
					}
					if gamma == 0 && math.Abs(host[c]-exact[c]) > 1e-9*(1+math.Abs(exact[c])) {
						t.Fatalf("D=%d γ=0 point %d: optimum %v, exact velocity %v", d, i, host[c], exact[c])
					}
				}
			}
		}
	}
	mix, _ := NewRotated(RotatedConfig{Dim: 4})
	for _, c := range []struct {
		mix   *Mixture
		gamma float64
		nodes int
		want  string
	}{
		{nil, 0.5, 0, "mixture is nil"},
		{mix, 1.5, 0, "gamma 1.5 outside [0, 1]"},
		{mix, math.NaN(), 0, "gamma NaN"},
		{mix, 0.5, -2, "nodes -2"},
	} {
		if _, err := NewMixFlowOptimum(c.mix, c.gamma, c.nodes); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one containing %q", err, c.want)
		}
	}
}
