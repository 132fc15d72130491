package slowflow

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive // GoMLX style
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/internal/try"
	"github.com/mixflow/mixflow/mixflowlib/path"
)

// refSet is a reference data set held in fixed-size chunks (the last one padded with copies of its
// first row, so every call has the same shape and one compiled graph serves all chunks), with compiled
// searches for the nearest reference point and the nearest reference interpolation.
type refSet struct {
	host   []float32 // [r, d] row-major, for exact host computations
	r, d   int
	chunk  int
	chunks []*tensors.Tensor // each [chunk, d]
	norms  []*tensors.Tensor // each [chunk]: ‖ref‖²
	valid  []int             // real rows per chunk

	backend compute.Backend
	line    *Exec // nearest interpolation x̂ ≈ α·r + σ·x0 over (r, m)
	point   *Exec // nearest point x̂ ≈ r
	p       path.Path
	grid    []float64 // m grid for non-linear paths
}

// newRefSet prepares ref (r rows of d values) for searches with batches of n examples.
// chunkSize 0 chooses one that keeps each [n, chunk] intermediate around 4 M values.
func newRefSet(b compute.Backend, ref []float32, d, n, chunkSize int, p path.Path, gridPoints int) (*refSet, error) {
	if d < 1 || len(ref) == 0 || len(ref)%d != 0 {
		return nil, fmt.Errorf("slowflow: reference set has %d values, want a positive multiple of %d (the sample dimension)", len(ref), d)
	}
	for i, v := range ref {
		if !finite(float64(v)) {
			return nil, fmt.Errorf("slowflow: reference set has a non-finite value at flat index %d (row %d)", i, i/d)
		}
	}
	r := len(ref) / d
	if chunkSize <= 0 {
		budget := 1 << 22
		if !isLinear(p) {
			budget = 1 << 20 // the grid search keeps several [n, chunk] arrays alive
		}
		chunkSize = max(64, budget/max(n, 1))
	}
	chunkSize = min(chunkSize, r)
	s := &refSet{host: ref, r: r, d: d, chunk: chunkSize, backend: b, p: p}
	for start := 0; start < r; start += chunkSize {
		end := min(start+chunkSize, r)
		data := make([]float32, chunkSize*d)
		copy(data, ref[start*d:end*d])
		for row := end - start; row < chunkSize; row++ { // pad with the chunk's first row
			copy(data[row*d:(row+1)*d], ref[start*d:(start+1)*d])
		}
		norms := make([]float32, chunkSize)
		for row := range chunkSize {
			var s2 float64
			for _, v := range data[row*d : (row+1)*d] {
				s2 += float64(v) * float64(v)
			}
			norms[row] = float32(s2)
		}
		s.chunks = append(s.chunks, tensors.FromFlatDataAndDimensions(data, chunkSize, d))
		s.norms = append(s.norms, tensors.FromFlatDataAndDimensions(norms, chunkSize))
		s.valid = append(s.valid, end-start)
	}
	if !isLinear(p) {
		if gridPoints <= 0 {
			gridPoints = 101
		}
		if gridPoints < 2 {
			return nil, fmt.Errorf("slowflow: GridPoints %d < 2", gridPoints)
		}
		for i := range gridPoints {
			s.grid = append(s.grid, float64(i)/float64(gridPoints-1))
		}
	}
	var err error
	if s.line, err = NewExec(b, s.lineGraph); err != nil {
		return nil, fmt.Errorf("slowflow: %w", err)
	}
	if s.point, err = NewExec(b, s.pointGraph); err != nil {
		return nil, fmt.Errorf("slowflow: %w", err)
	}
	return s, nil
}

// finalize releases the compiled graphs and the reference tensors.
func (s *refSet) finalize() {
	if s == nil {
		return
	}
	s.line.Finalize()
	s.point.Finalize()
	for i := range s.chunks {
		_ = s.chunks[i].FinalizeAll()
		_ = s.norms[i].FinalizeAll()
	}
}

// row returns reference row i.
func (s *refSet) row(i int) []float32 { return s.host[i*s.d : (i+1)*s.d] }

// flat reshapes examples [n, ...] (e.g. images [n, H, W, C]) to the rows [n, d] the searches work on,
// in row-major order, as the host copies and the reference rows are laid out.
func (s *refSet) flat(x *Node) *Node {
	return Reshape(x, x.Shape().Dimensions[0], s.d)
}

// lineGraph returns, for each example, the chunk row r whose interpolation with x0 passes nearest to
// x̂. For Linear the best m per row is the clipped projection and, with a = x̂ − x0, b = r − x0,
// ‖a − m·b‖² = ‖a‖² − m·(2⟨a, b⟩ − m·‖b‖²), so the row maximising m·(2⟨a, b⟩ − m·‖b‖²) wins. For other
// paths the distance is minimised over the m grid. Distances are compared in float32 here; the caller
// re-ranks chunk winners exactly. xhat and x0 are [n, ...] with d values per example.
func (s *refSet) lineGraph(xhat, x0, ref, refNorm2 *Node) *Node {
	xhat, x0 = s.flat(xhat), s.flat(x0)
	n := xhat.Shape().Dimensions[0]
	col := func(v *Node) *Node { return InsertAxes(v, -1) }
	rr := InsertAxes(refNorm2, 0) // [1, chunk]
	oo := ReduceSum(Square(x0), -1)
	if isLinear(s.p) {
		a := Sub(xhat, x0)
		both := Einsum("nd,rd->nr", Concatenate([]*Node{a, MulScalar(x0, -2)}, 0), ref) // [2n, chunk]
		ar := Slice(both, AxisRange(0, n))                                              // ⟨a, r⟩
		o2 := Slice(both, AxisRange(n, 2*n))                                            // −2⟨x0, r⟩
		num := Sub(ar, col(ReduceSum(Mul(a, x0), -1)))                                  // ⟨a, r − x0⟩
		den := Add(Add(o2, rr), col(oo))                                                // ‖r − x0‖²
		m := ClipScalar(Div(num, MaxScalar(den, 1e-30)), 0, 1)
		return ArgMax(Mul(m, Sub(MulScalar(num, 2), Mul(m, den))), 1)
	}
	// Non-linear path: d2(m) = hh + α²·rr + σ²·oo − 2α·h1 − 2σ·h0 + 2ασ·o1 on a grid of m.
	hh := ReduceSum(Square(xhat), -1)
	h0 := ReduceSum(Mul(xhat, x0), -1)
	both := Einsum("nd,rd->nr", Concatenate([]*Node{xhat, x0}, 0), ref)
	h1 := Slice(both, AxisRange(0, n))   // ⟨x̂, r⟩
	o1 := Slice(both, AxisRange(n, 2*n)) // ⟨x0, r⟩
	var bestD, bestIdx []*Node
	for _, m := range s.grid {
		c := s.p.At(m)
		a, sg := c.Alpha, c.Sigma
		base := col(Add(Sub(hh, MulScalar(h0, 2*sg)), MulScalar(oo, sg*sg)))
		d2 := Add(base, Add(MulScalar(rr, a*a), Add(MulScalar(h1, -2*a), MulScalar(o1, 2*a*sg))))
		bestD = append(bestD, ReduceMin(d2, 1))
		bestIdx = append(bestIdx, ArgMin(d2, 1))
	}
	j := ArgMin(Stack(bestD, 1), 1) // [n]
	pick := OneHot(j, len(s.grid), dtypes.Int32)
	return ReduceSum(Mul(Stack(bestIdx, 1), pick), 1)
}

// pointGraph returns, for each example of xhat ([n, ...] with d values per example), the index of the
// nearest chunk row (argmin of ‖r‖² − 2⟨x̂, r⟩).
func (s *refSet) pointGraph(xhat, ref, refNorm2 *Node) *Node {
	return ArgMin(Sub(InsertAxes(refNorm2, 0), MulScalar(Einsum("nd,rd->nr", s.flat(xhat), ref), 2)), 1)
}

// checkExamples checks that the tensor x and its host copy hold the same examples [n, ...] of d values
// each (any per-example shape), so that the searches can flatten them to rows.
func (s *refSet) checkExamples(name string, x *tensors.Tensor, host []float32) error {
	if x == nil || x.Rank() < 1 || x.Size() != len(host) || len(host) == 0 || len(host) != x.Shape().Dimensions[0]*s.d {
		shape := "nil"
		if x != nil {
			shape = x.Shape().String()
		}
		return fmt.Errorf("slowflow: reference search: %s has shape %s (%d host values), want [N, ...] with %d values per example like the reference set",
			name, shape, len(host), s.d)
	}
	return nil
}

// nearestLine returns, for each of the n examples (tensors xhat and x0, [n, ...] with d values per
// example, and their flat host copies), the reference row of the interpolation nearest to x̂ and the
// exact m* of that pair.
func (s *refSet) nearestLine(xhatT, x0T *tensors.Tensor, xhat, x0 []float32) ([]int, []float64, error) {
	if err := s.checkExamples("xhat", xhatT, xhat); err != nil {
		return nil, nil, err
	}
	if err := s.checkExamples("x0", x0T, x0); err != nil {
		return nil, nil, err
	}
	if len(xhat) != len(x0) {
		return nil, nil, fmt.Errorf("slowflow: reference search: xhat has %d examples and x0 %d, want the same",
			len(xhat)/s.d, len(x0)/s.d)
	}
	linear := isLinear(s.p)
	m := make([]float64, len(xhat)/s.d)
	idx, err := s.search(func(i int) (*tensors.Tensor, error) {
		return s.line.Call1(xhatT, x0T, s.chunks[i], s.norms[i])
	}, func(k, r int) (float64, error) {
		h, o, row := xhat[k*s.d:(k+1)*s.d], x0[k*s.d:(k+1)*s.d], s.row(r)
		mk, err := nearestOne(s.p, linear, h, o, row, k)
		if err != nil {
			return 0, err
		}
		c := s.p.At(mk)
		var d2 float64
		for j := range h {
			e := float64(h[j]) - c.Alpha*float64(row[j]) - c.Sigma*float64(o[j])
			d2 += e * e
		}
		return d2, nil
	}, func(k, r int) {
		// Recompute m* of the winner (cheap) rather than keeping every candidate's.
		m[k], _ = nearestOne(s.p, linear, xhat[k*s.d:(k+1)*s.d], x0[k*s.d:(k+1)*s.d], s.row(r), k)
	})
	return idx, m, err
}

// nearestPoint returns, for each example of x ([n, ...] with d values per example, with its flat host
// copy), the nearest reference row.
func (s *refSet) nearestPoint(xT *tensors.Tensor, x []float32) ([]int, error) {
	if err := s.checkExamples("x", xT, x); err != nil {
		return nil, err
	}
	return s.search(func(i int) (*tensors.Tensor, error) {
		return s.point.Call1(xT, s.chunks[i], s.norms[i])
	}, func(k, r int) (float64, error) {
		var d2 float64
		for j, v := range s.row(r) {
			e := float64(x[k*s.d+j]) - float64(v)
			d2 += e * e
		}
		return d2, nil
	}, nil)
}

// search runs call on every chunk and keeps, per example, the chunk winner with the smallest exact
// (float64, host) distance dist. done, if set, is called with each example's final row.
func (s *refSet) search(call func(chunk int) (*tensors.Tensor, error), dist func(k, r int) (float64, error), done func(k, r int)) ([]int, error) {
	var best []float64
	var bestIdx []int
	for ci := range s.chunks {
		var out *tensors.Tensor
		var callErr error
		if err := try.Catch(func() { out, callErr = call(ci) }); err != nil {
			return nil, fmt.Errorf("slowflow: reference search: %w", err)
		}
		if callErr != nil {
			return nil, fmt.Errorf("slowflow: reference search: %w", callErr)
		}
		idx := tensors.MustCopyFlatData[int32](out)
		_ = out.FinalizeAll()
		if best == nil {
			best = make([]float64, len(idx))
			bestIdx = make([]int, len(idx))
		}
		for k, j := range idx {
			if int(j) >= s.valid[ci] {
				j = 0 // a padding row is a copy of row 0 of the chunk
			}
			r := ci*s.chunk + int(j)
			if len(s.chunks) == 1 {
				bestIdx[k] = r
				continue
			}
			d2, err := dist(k, r)
			if err != nil {
				return nil, err
			}
			if ci == 0 || d2 < best[k] {
				best[k], bestIdx[k] = d2, r
			}
		}
	}
	if done != nil {
		for k, r := range bestIdx {
			done(k, r)
		}
	}
	return bestIdx, nil
}
