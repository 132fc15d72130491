package nn

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
)

// SinCos1D returns the fixed 1-D sine-cosine embedding of the given positions, as in MAE/DiT's
// get_1d_sincos_pos_embed_from_grid: row i is [sin(p_i·ω_0), …, sin(p_i·ω_{h−1}), cos(p_i·ω_0), …,
// cos(p_i·ω_{h−1})] with h = dim/2 and ω_k = 10000^(−k/h). The result is row-major [len(positions), dim].
// dim must be even and positive.
func SinCos1D(positions []float64, dim int) ([]float64, error) {
	if dim <= 0 || dim%2 != 0 {
		return nil, fmt.Errorf("nn: SinCos1D: embedding dim %d must be even and positive", dim)
	}
	half := dim / 2
	out := make([]float64, len(positions)*dim)
	for i, p := range positions {
		row := out[i*dim : (i+1)*dim]
		for k := 0; k < half; k++ {
			omega := math.Pow(10000, -float64(k)/float64(half))
			row[k] = math.Sin(p * omega)
			row[half+k] = math.Cos(p * omega)
		}
	}
	return out, nil
}

// PosEmbed2D returns the fixed 2-D sine-cosine position embedding of DiT/MAE/SiT
// (get_2d_sincos_pos_embed) for a gridH×gridW grid of patches, row-major [gridH·gridW, dim]: token
// n = i·gridW + j (row i, column j) gets [SinCos1D(j, dim/2), SinCos1D(i, dim/2)], i.e. the first half of
// the channels encodes the column (x) and the second half the row (y), exactly as the reference code
// (which meshgrids (w, h) and embeds grid[0], the column index, first). dim must be a positive multiple of 4.
//
// The values are those of the numpy reference (computed here in float64), so weights ported from SiT/DiT
// checkpoints see the same positions.
func PosEmbed2D(gridH, gridW, dim int) ([]float64, error) {
	if gridH <= 0 || gridW <= 0 {
		return nil, fmt.Errorf("nn: PosEmbed2D: grid %d×%d must be positive", gridH, gridW)
	}
	if dim <= 0 || dim%4 != 0 {
		return nil, fmt.Errorf("nn: PosEmbed2D: embedding dim %d must be a positive multiple of 4", dim)
	}
	cols := make([]float64, gridW)
	for j := range cols {
		cols[j] = float64(j)
	}
	rows := make([]float64, gridH)
	for i := range rows {
		rows[i] = float64(i)
	}
	half := dim / 2
	embCol, _ := SinCos1D(cols, half)
	embRow, _ := SinCos1D(rows, half)
	out := make([]float64, gridH*gridW*dim)
	for i := 0; i < gridH; i++ {
		for j := 0; j < gridW; j++ {
			row := out[(i*gridW+j)*dim : (i*gridW+j+1)*dim]
			copy(row[:half], embCol[j*half:(j+1)*half])
			copy(row[half:], embRow[i*half:(i+1)*half])
		}
	}
	return out, nil
}

// PosEmbed2DConst returns PosEmbed2D as a graph constant of shape [1, gridH·gridW, dim] in the dtype of
// like (which is only used for its graph and dtype), ready to be added to patch tokens [B, N, dim].
// It is a constant, not a variable: it has no gradient and is not saved in checkpoints.
// It panics (GoMLX style, while building a graph) on a bad grid or dim.
func PosEmbed2DConst(like *Node, gridH, gridW, dim int) *Node {
	vals, err := PosEmbed2D(gridH, gridW, dim)
	if err != nil {
		panic(err)
	}
	g := like.Graph()
	if like.DType() == dtypes.Float32 {
		f32 := make([]float32, len(vals))
		for i, v := range vals {
			f32[i] = float32(v)
		}
		return ConstTensor(g, tensors.FromFlatDataAndDimensions(f32, 1, gridH*gridW, dim))
	}
	return ConvertDType(ConstTensor(g, tensors.FromFlatDataAndDimensions(vals, 1, gridH*gridW, dim)), like.DType())
}
