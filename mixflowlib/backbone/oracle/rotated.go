package oracle

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
)

// Defaults of the zero fields of a RotatedConfig.
const (
	DefaultRotatedComponents = 8
	DefaultRotatedRadius     = 4.0
	DefaultRotatedStd        = 0.5
)

// RotatedConfig describes a high-dimensional mixture with an exact oracle: K equally weighted isotropic
// Gaussians whose means span a random subspace of R^D, with no coordinate favoured (not zero padding).
// Zero fields take the defaults named in their comments.
type RotatedConfig struct {
	// Dim is the data dimension D ≥ 2 (the audit's studies use 64 to 1024).
	Dim int
	// Components is the number of Gaussians K ≥ 1 (default 8; the audit suggests 8 to 25).
	Components int
	// Radius is the norm of every mean (default 4).
	Radius float64
	// Std is the standard deviation of every component, per coordinate (default 0.5).
	Std float64
	// Seed seeds the means and the rotation.
	Seed uint64
}

// NewRotated returns the mixture cfg describes. The means are built in r = min(K, D) dimensions, as K
// random directions of norm Radius, and mapped into R^D by a random orthonormal frame Q (D × r, drawn by
// Gram–Schmidt from Gaussian vectors): μ_k = Q·a_k. Since every component is isotropic, this is the
// same as rotating the zero-padded mixture by a random rotation of R^D, and the result is an ordinary
// Mixture, with its exact sampler (Sample), velocity (Velocity, VelocityAt) and MixFlow optimum
// (NewMixFlowOptimum). Component k is class label k.
func NewRotated(cfg RotatedConfig) (*Mixture, error) {
	cfg.Components = cmp.Or(cfg.Components, DefaultRotatedComponents)
	cfg.Radius = cmp.Or(cfg.Radius, DefaultRotatedRadius)
	cfg.Std = cmp.Or(cfg.Std, DefaultRotatedStd)
	switch {
	case cfg.Dim < 2:
		return nil, fmt.Errorf("oracle: rotated mixture dimension %d must be >= 2", cfg.Dim)
	case cfg.Components < 1:
		return nil, fmt.Errorf("oracle: rotated mixture components %d must be >= 1", cfg.Components)
	case !(cfg.Radius > 0) || math.IsInf(cfg.Radius, 0):
		return nil, fmt.Errorf("oracle: rotated mixture radius %v must be positive and finite", cfg.Radius)
	case !(cfg.Std > 0) || math.IsInf(cfg.Std, 0):
		return nil, fmt.Errorf("oracle: rotated mixture std %v must be positive and finite", cfg.Std)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x207a7ed))
	d, k := cfg.Dim, cfg.Components
	r := min(k, d)
	frame := make([][]float64, r) // orthonormal columns of Q, each of length D
	for j := range frame {
		for {
			q := make([]float64, d)
			for i := range q {
				q[i] = rng.NormFloat64()
			}
			for _, p := range frame[:j] {
				dot := 0.0
				for i := range q {
					dot += q[i] * p[i]
				}
				for i := range q {
					q[i] -= dot * p[i]
				}
			}
			if n := norm(q); n > 1e-6 {
				for i := range q {
					q[i] /= n
				}
				frame[j] = q
				break
			}
		}
	}
	means := make([][]float64, k)
	weights := make([]float64, k)
	for c := range means {
		a := make([]float64, r)
		for {
			for i := range a {
				a[i] = rng.NormFloat64()
			}
			if norm(a) > 1e-6 {
				break
			}
		}
		s := cfg.Radius / norm(a)
		mu := make([]float64, d)
		for j, q := range frame {
			for i := range mu {
				mu[i] += s * a[j] * q[i]
			}
		}
		means[c] = mu
		weights[c] = 1
	}
	return NewMixture(weights, means, []float64{cfg.Std})
}

// DataVariance returns the per-coordinate variance σ_d² of the mixture's data, averaged over the
// coordinates: (1/D)·E‖x1 − E x1‖² = (1/D)·Σ_k w_k(‖μ_k − μ̄‖² + D·s_k²). It is the σ_d² that
// sampler.Config.TimeShift expects for this data.
func (m *Mixture) DataVariance() float64 {
	d := m.Dim()
	mean := make([]float64, d)
	for k, mu := range m.means {
		for i, v := range mu {
			mean[i] += m.weights[k] * v
		}
	}
	var total float64
	for k, mu := range m.means {
		var dist2 float64
		for i, v := range mu {
			dist2 += (v - mean[i]) * (v - mean[i])
		}
		total += m.weights[k] * (dist2 + float64(d)*m.stds[k]*m.stds[k])
	}
	return total / float64(d)
}

func norm(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}
