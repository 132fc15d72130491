package encoder

import (
	"fmt"
	"math"
	"sync"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:staticcheck // GoMLX graph-building style
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/mixflowlib/backend"
)

// DefaultBatchSize is the number of images per network call of EncodeTensor and EncodeFlat when their
// batch size is 0.
const DefaultBatchSize = 256

// MaxAbs bounds the pixel values EncodeTensor and EncodeFlat accept: values in [−MaxAbs, MaxAbs] are
// clipped to [−1, 1] (samplers overshoot a little); values beyond point at images that are not normalised
// to [−1, 1] and are an error.
const MaxAbs = 2.0

// execKey identifies a compiled encoding graph: the encoder and the input image size.
type execKey struct {
	spec Spec
	h, w int
}

var (
	execMu sync.Mutex
	execs  = map[execKey]*Exec{}
)

// encodeExec returns the (cached) exec that clips, fits and encodes images of size h×w.
func encodeExec(enc Encoder, h, w int) (*Exec, error) {
	spec := enc.Spec()
	key := execKey{spec, h, w}
	execMu.Lock()
	defer execMu.Unlock()
	if e, ok := execs[key]; ok {
		return e, nil
	}
	be, err := backend.New()
	if err != nil {
		return nil, err // the backend names itself and the fix
	}
	e, err := NewExec(be, func(x *Node) *Node {
		return enc.Encode(Fit(ClipScalar(x, -1, 1), spec.ImageSize))
	})
	if err != nil {
		return nil, fmt.Errorf("encoder: %w", err)
	}
	e.SetMaxCache(4)
	execs[key] = e
	return e, nil
}

// EncodeFlat encodes n images given as flat NHWC float32 pixels (n·h·w·c values, normalised to [−1, 1])
// with enc on the project's backend and returns the tokens as flat float32 [n, Grid², Dim]. Images whose
// size differs from enc.Spec().ImageSize are fitted with Fit (centred padding with −1 or centred crop);
// values are clipped to [−1, 1]. The network runs in chunks of batchSize images (0 means DefaultBatchSize;
// a short last chunk is padded), one compiled graph per (encoder, image size), cached for the process.
// NaN, ±Inf or values beyond ±MaxAbs are errors naming the image and pixel.
func EncodeFlat(enc Encoder, pixels []float32, n, h, w, c, batchSize int) ([]float32, error) {
	if enc == nil {
		return nil, fmt.Errorf("encoder: EncodeFlat: nil encoder")
	}
	spec := enc.Spec()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if n <= 0 || h <= 0 || w <= 0 || c != spec.Channels {
		return nil, fmt.Errorf("encoder: %s: images [%d, %d, %d, %d]: want a positive count and size and %d channels",
			spec.Name, n, h, w, c, spec.Channels)
	}
	size := h * w * c
	if len(pixels) != n*size {
		return nil, fmt.Errorf("encoder: %s: %d pixel values for %d images of %d×%d×%d (want %d)", spec.Name, len(pixels),
			n, h, w, c, n*size)
	}
	for i, v := range pixels {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > MaxAbs {
			img, px := i/size, i%size
			return nil, fmt.Errorf("encoder: %s: image %d pixel (y %d, x %d, channel %d) is %v: want values in [−1, 1] (NaN, Inf or |x| > %g rejected)",
				spec.Name, img, px/(w*c), (px/c)%w, px%c, v, MaxAbs)
		}
	}
	if batchSize <= 0 {
		batchSize = DefaultBatchSize
	}
	batchSize = min(batchSize, n)
	exec, err := encodeExec(enc, h, w)
	if err != nil {
		return nil, err
	}
	per := spec.NumTokens() * spec.Dim
	out := make([]float32, n*per)
	chunk := make([]float32, batchSize*size)
	for lo := 0; lo < n; lo += batchSize {
		m := min(batchSize, n-lo)
		copy(chunk, pixels[lo*size:(lo+m)*size])
		for i := m * size; i < len(chunk); i++ {
			chunk[i] = -1
		}
		in := tensors.FromFlatDataAndDimensions(chunk, batchSize, h, w, c)
		var res []*tensors.Tensor
		err := exceptions.TryCatch[error](func() { res = exec.MustCall(in) })
		in.MustFinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("encoder: %s: encoding images %d–%d: %w", spec.Name, lo, lo+m-1, err)
		}
		got := res[0]
		if got.DType() != dtypes.Float32 || got.Shape().Size() != batchSize*per {
			return nil, fmt.Errorf("encoder: %s: Encode returned %s, want float32 [%d, %d, %d]", spec.Name, got.Shape(),
				batchSize, spec.NumTokens(), spec.Dim)
		}
		vals, err := tensors.CopyFlatData[float32](got)
		got.MustFinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("encoder: %w", err)
		}
		copy(out[lo*per:(lo+m)*per], vals[:m*per])
	}
	return out, nil
}

// EncodeTensor is EncodeFlat for a float32 tensor of images [N, H, W, C]; it returns float32
// [N, Grid², Dim].
func EncodeTensor(enc Encoder, images *tensors.Tensor, batchSize int) (*tensors.Tensor, error) {
	if enc == nil {
		return nil, fmt.Errorf("encoder: EncodeTensor: nil encoder")
	}
	if images == nil || images.Shape().Rank() != 4 || images.DType() != dtypes.Float32 {
		var s any = "nil"
		if images != nil {
			s = images.Shape()
		}
		return nil, fmt.Errorf("encoder: EncodeTensor: images %v: want float32 [N, H, W, C]", s)
	}
	d := images.Shape().Dimensions
	pixels, err := tensors.CopyFlatData[float32](images)
	if err != nil {
		return nil, fmt.Errorf("encoder: %w", err)
	}
	out, err := EncodeFlat(enc, pixels, d[0], d[1], d[2], d[3], batchSize)
	if err != nil {
		return nil, err
	}
	spec := enc.Spec()
	return tensors.FromFlatDataAndDimensions(out, d[0], spec.NumTokens(), spec.Dim), nil
}

// CheckEncoder builds enc on a small batch and returns an error unless it honours the Encoder contract:
// a valid Spec, output float32 [B, Grid², Dim] with finite values, and no gradient reaching its input
// (the output is behind StopGradient). Use it to check an encoder of your own before plugging it into
// REPA or RAE.
func CheckEncoder(enc Encoder) error {
	if enc == nil {
		return fmt.Errorf("encoder: CheckEncoder: nil encoder")
	}
	spec := enc.Spec()
	if err := spec.Validate(); err != nil {
		return err
	}
	be, err := backend.New()
	if err != nil {
		return err // the backend names itself and the fix
	}
	const b = 2
	in := tensors.FromShape(shapes.Make(dtypes.Float32, b, spec.ImageSize, spec.ImageSize, spec.Channels))
	tensors.MustMutableFlatData(in, func(flat []float32) {
		for i := range flat {
			flat[i] = float32(math.Sin(float64(i))) // a deterministic image in [−1, 1] with no zero gradient of ‖y‖²
		}
	})
	var out []*tensors.Tensor
	err = exceptions.TryCatch[error](func() {
		out = MustExecOnceN(be, func(x *Node) []*Node {
			tokens := enc.Encode(x)
			grad := Gradient(ReduceAllSum(Mul(tokens, tokens)), x)[0]
			return []*Node{tokens, ReduceAllMax(Abs(grad))}
		}, in)
	})
	if err != nil {
		return fmt.Errorf("encoder: %s: building Encode: %w", spec.Name, err)
	}
	tokens := out[0]
	want := []int{b, spec.NumTokens(), spec.Dim}
	if tokens.DType() != dtypes.Float32 || tokens.Shape().Rank() != 3 || tokens.Shape().Dimensions[0] != want[0] ||
		tokens.Shape().Dimensions[1] != want[1] || tokens.Shape().Dimensions[2] != want[2] {
		return fmt.Errorf("encoder: %s: Encode returned %s, want float32 %v", spec.Name, tokens.Shape(), want)
	}
	vals, _ := tensors.CopyFlatData[float32](tokens)
	for i, v := range vals {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("encoder: %s: Encode output[%d] is %v", spec.Name, i, v)
		}
	}
	if g := tensors.ToScalar[float32](out[1]); g != 0 {
		return fmt.Errorf("encoder: %s: gradients reach Encode's input (max |∂/∂x| = %g): wrap the output in StopGradient", spec.Name, g)
	}
	return nil
}
