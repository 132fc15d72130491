package metrics

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// DefaultK is the neighbourhood size PrecisionRecall uses when k is 0, as in Kynkäänniemi et al. (2019).
const DefaultK = 3

// PrecisionRecall returns the improved precision and recall of Kynkäänniemi et al. (2019) between real
// (reference) samples and fake (generated) samples, both N × D feature sets with more than k rows (k = 0 means
// DefaultK = 3).
//
// Each sample's neighbourhood is the ball around it whose radius is the distance to its k-th nearest neighbour
// within its own set (itself excluded). Precision is the fraction of fake samples inside at least one real ball
// (generated samples that look real); recall is the fraction of real samples inside at least one fake ball (how
// much of the real distribution the generator covers). A point on a ball's boundary counts as inside. Identical
// sets give precision = recall = 1. Cost O((N_real + N_fake)²·D) with brute-force distances (a blocked matrix product for D ≥ 16).
func PrecisionRecall(real, fake [][]float64, k int) (precision, recall float64, err error) {
	const metric = "PrecisionRecall"
	if k == 0 {
		k = DefaultK
	}
	if k < 0 {
		return 0, 0, fmt.Errorf("metrics: %s: k %d must be positive", metric, k)
	}
	mr, mf, err := toPair(metric, "real", "fake", real, fake, k+1)
	if err != nil {
		return 0, 0, err
	}
	realR2 := knnRadii2(mr, k)
	fakeR2 := knnRadii2(mf, k)
	return coveredFraction(mf, mr, realR2), coveredFraction(mr, mf, fakeR2), nil
}

// gemmMinDim is the feature dimension from which squared distances are computed as ‖a‖² + ‖b‖² − 2a·b with a
// blocked matrix product (BLAS) instead of one difference loop per pair.
const gemmMinDim = 16

// distBlock is the number of query rows per parallel task of the matrix-product path.
const distBlock = 64

// forEachDistanceRow calls fn(i, d2) for every row i of q, where d2[j] is the squared distance from qᵢ to refⱼ.
// Rows are processed in parallel; fn must only write to slots owned by row i. d2 is reused after fn returns.
func forEachDistanceRow(q, ref matrix, fn func(i int, d2 []float64)) {
	if q.d < gemmMinDim {
		parallelFor((q.n+distBlock-1)/distBlock, func(blk int) {
			d2 := make([]float64, ref.n)
			for i := blk * distBlock; i < min((blk+1)*distBlock, q.n); i++ {
				qi := q.row(i)
				for j := range d2 {
					d2[j] = sqDist(qi, ref.row(j))
				}
				fn(i, d2)
			}
		})
		return
	}
	refNorm := rowNorms2(ref)
	qNorm := rowNorms2(q)
	refG := blas64.General{Rows: ref.n, Cols: ref.d, Stride: ref.d, Data: ref.a}
	parallelFor((q.n+distBlock-1)/distBlock, func(blk int) {
		i0, i1 := blk*distBlock, min((blk+1)*distBlock, q.n)
		rows := i1 - i0
		prod := make([]float64, rows*ref.n)
		qG := blas64.General{Rows: rows, Cols: q.d, Stride: q.d, Data: q.a[i0*q.d : i1*q.d]}
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, qG, refG, 0, blas64.General{Rows: rows, Cols: ref.n, Stride: ref.n, Data: prod})
		for r := range rows {
			d2 := prod[r*ref.n : (r+1)*ref.n]
			qn := qNorm[i0+r]
			for j, dot := range d2 {
				d2[j] = max(qn+refNorm[j]-2*dot, 0) // rounding can make tiny distances negative
			}
			fn(i0+r, d2)
		}
	})
}

func rowNorms2(m matrix) []float64 {
	n := make([]float64, m.n)
	for i := range n {
		for _, v := range m.row(i) {
			n[i] += v * v
		}
	}
	return n
}

// knnRadii2 returns, for each row, the squared distance to its k-th nearest other row.
func knnRadii2(m matrix, k int) []float64 {
	r2 := make([]float64, m.n)
	forEachDistanceRow(m, m, func(i int, d2 []float64) {
		best := make([]float64, 0, k) // the k smallest squared distances so far, ascending
		for j, d := range d2 {
			if j == i || (len(best) == k && d >= best[k-1]) {
				continue
			}
			if len(best) < k {
				best = append(best, d)
			} else {
				best[k-1] = d
			}
			for p := len(best) - 1; p > 0 && best[p] < best[p-1]; p-- {
				best[p], best[p-1] = best[p-1], best[p]
			}
		}
		r2[i] = best[k-1]
	})
	return r2
}

// coveredFraction returns the fraction of query rows within the ball of at least one reference row.
func coveredFraction(query, ref matrix, refR2 []float64) float64 {
	inside := make([]bool, query.n)
	if query.d < gemmMinDim {
		// Direct loops can stop at the first ball that contains the query.
		parallelFor(query.n, func(i int) {
			q := query.row(i)
			for j := range ref.n {
				if sqDist(q, ref.row(j)) <= refR2[j] {
					inside[i] = true
					return
				}
			}
		})
	} else {
		forEachDistanceRow(query, ref, func(i int, d2 []float64) {
			for j, d := range d2 {
				if d <= refR2[j] {
					inside[i] = true
					return
				}
			}
		})
	}
	c := 0
	for _, in := range inside {
		if in {
			c++
		}
	}
	return float64(c) / float64(query.n)
}
