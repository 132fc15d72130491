// Package metrics compares sets of samples on the host, in float64: sliced Wasserstein distance, MMD with RBF
// kernels, energy distance, Fréchet distance between Gaussians fitted to features, and improved precision/recall,
// plus helpers for error bars over seeds or bootstrap resamples.
//
// Sample sets are [N, D] matrices given as [][]float64 (one row per sample); Points2D and Float32Rows convert
// the layouts the rest of the project produces. Every metric validates its input and returns an error naming the
// metric, the input and the problem: a NaN or Inf (with its index), rows of different lengths, mismatched
// dimensions between the two sets, too few samples.
//
// Metrics that draw random numbers (projections, subsamples) take a seed and are deterministic for a given seed,
// independent of GOMAXPROCS: work is split across cores but partial sums are always combined in the same order.
package metrics

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// matrix is a validated [n, d] sample set, row-major.
type matrix struct {
	n, d int
	a    []float64
}

func (m matrix) row(i int) []float64 { return m.a[i*m.d : (i+1)*m.d : (i+1)*m.d] }

// toMatrix validates rows (non-ragged, finite, at least minN rows) and copies them into a matrix.
func toMatrix(metric, name string, rows [][]float64, minN int) (matrix, error) {
	if len(rows) < minN {
		return matrix{}, fmt.Errorf("metrics: %s: %s has %d samples, need at least %d", metric, name, len(rows), minN)
	}
	if len(rows) == 0 {
		return matrix{}, nil
	}
	d := len(rows[0])
	if d == 0 {
		return matrix{}, fmt.Errorf("metrics: %s: %s has samples of dimension 0", metric, name)
	}
	m := matrix{n: len(rows), d: d, a: make([]float64, len(rows)*d)}
	for i, r := range rows {
		if len(r) != d {
			return matrix{}, fmt.Errorf("metrics: %s: %s[%d] has %d values, but %s[0] has %d", metric, name, i, len(r), name, d)
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return matrix{}, fmt.Errorf("metrics: %s: %s[%d][%d] is %v", metric, name, i, j, v)
			}
		}
		copy(m.a[i*d:], r)
	}
	return m, nil
}

// toPair validates two sample sets of the same dimension.
func toPair(metric, nameX, nameY string, x, y [][]float64, minN int) (matrix, matrix, error) {
	mx, err := toMatrix(metric, nameX, x, minN)
	if err != nil {
		return matrix{}, matrix{}, err
	}
	my, err := toMatrix(metric, nameY, y, minN)
	if err != nil {
		return matrix{}, matrix{}, err
	}
	if mx.d != my.d {
		return matrix{}, matrix{}, fmt.Errorf("metrics: %s: %s has dimension %d but %s has dimension %d", metric, nameX, mx.d, nameY, my.d)
	}
	return mx, my, nil
}

// Points2D converts 2-D points (as datasets/toy2d returns them) into rows for the metrics.
func Points2D(points [][2]float64) [][]float64 {
	rows := make([][]float64, len(points))
	flat := make([]float64, 2*len(points))
	for i, p := range points {
		flat[2*i], flat[2*i+1] = p[0], p[1]
		rows[i] = flat[2*i : 2*i+2 : 2*i+2]
	}
	return rows
}

// Float32Rows converts a row-major float32 buffer of shape [N, dim] (the flat data of an [N, dim] tensor, or of
// [N, H, W, C] images with dim = H·W·C) into rows for the metrics.
func Float32Rows(flat []float32, dim int) ([][]float64, error) {
	if dim <= 0 {
		return nil, fmt.Errorf("metrics: Float32Rows: dimension %d must be positive", dim)
	}
	if len(flat)%dim != 0 {
		return nil, fmt.Errorf("metrics: Float32Rows: %d values is not a multiple of dimension %d", len(flat), dim)
	}
	n := len(flat) / dim
	rows := make([][]float64, n)
	buf := make([]float64, len(flat))
	for i, v := range flat {
		buf[i] = float64(v)
	}
	for i := range rows {
		rows[i] = buf[i*dim : (i+1)*dim : (i+1)*dim]
	}
	return rows, nil
}

// parallelFor calls fn(i) for i in [0, n) on up to GOMAXPROCS goroutines, handing out indices dynamically.
// Callers write results into slots indexed by i, so the result never depends on scheduling.
func parallelFor(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		})
	}
	wg.Wait()
}

// sqDist returns ‖a − b‖².
func sqDist(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1 float64
	i := 0
	for ; i+1 < len(a); i += 2 {
		d0, d1 := a[i]-b[i], a[i+1]-b[i+1]
		s0 += d0 * d0
		s1 += d1 * d1
	}
	if i < len(a) {
		d := a[i] - b[i]
		s0 += d * d
	}
	return s0 + s1
}
