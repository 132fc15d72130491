package rae

import (
	"fmt"
	"math"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"

	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/encoder"
)

// DefaultHostBatch is the chunk size of the host-side Encode/Decode helpers.
const DefaultHostBatch = 256

// Autoencoder is RAE's stage 1 put together: the frozen encoder, the latent statistics, and the decoder with
// its trained weights (in Store, under "/model", as the trainer saves them). It converts between images and
// normalised latents on the host; it is safe for concurrent use.
type Autoencoder struct {
	// Encoder is the frozen representation encoder.
	Encoder encoder.Encoder
	// Stats normalise the encoder's tokens.
	Stats *Stats
	// Decoder maps normalised latents back to images.
	Decoder *Decoder
	// Store holds the decoder's weights under "/model" (e.g. trainer.SamplingStoreFromCheckpoint).
	Store *model.Store
	// Backend is the compute backend encoding and decoding run on, asked once from mixflowlib/backend by
	// the caller at the top; nil means the process-wide one (backend.New). Set it before the first call.
	Backend compute.Backend

	once             sync.Once
	initErr          error
	backend          compute.Backend
	mu               sync.Mutex
	encExec, decExec *Exec
	decModel         *model.Exec
}

// Check returns an error unless the encoder, the statistics and the decoder agree on the latent geometry.
func (a *Autoencoder) Check() error {
	if a == nil || a.Encoder == nil || a.Stats == nil || a.Decoder == nil {
		return fmt.Errorf("rae: autoencoder needs an encoder, stats and a decoder")
	}
	spec := a.Encoder.Spec()
	if err := spec.Validate(); err != nil {
		return fmt.Errorf("rae: %w", err)
	}
	if err := a.Stats.Validate(); err != nil {
		return err
	}
	if a.Stats.Tokens != spec.NumTokens() || a.Stats.Dim != spec.Dim {
		return fmt.Errorf("rae: stats are for %d tokens × %d channels, the encoder %s returns %d × %d",
			a.Stats.Tokens, a.Stats.Dim, spec.Name, spec.NumTokens(), spec.Dim)
	}
	if a.Stats.Encoder != "" && spec.Fingerprint != "" && a.Stats.Encoder != spec.Fingerprint {
		return fmt.Errorf("rae: stats were computed with encoder weights %.12s, this encoder has %.12s", a.Stats.Encoder, spec.Fingerprint)
	}
	dc := a.Decoder.Config()
	if dc.Grid != spec.Grid || dc.Dim != spec.Dim {
		return fmt.Errorf("rae: decoder expects %d×%d×%d latents, the encoder %s returns %d×%d×%d",
			dc.Grid, dc.Grid, dc.Dim, spec.Name, spec.Grid, spec.Grid, spec.Dim)
	}
	return nil
}

// LatentShape returns the shape of one normalised latent as the DiT sees it, [Grid, Grid, Dim].
func (a *Autoencoder) LatentShape() []int {
	s := a.Encoder.Spec()
	return []int{s.Grid, s.Grid, s.Dim}
}

func (a *Autoencoder) init() error {
	a.once.Do(func() {
		if a.initErr = a.Check(); a.initErr != nil {
			return
		}
		if a.backend, a.initErr = backend.Or(a.Backend); a.initErr != nil {
			return // the backend's error names itself and the fix
		}
		spec := a.Encoder.Spec()
		a.encExec, a.initErr = NewExec(a.backend, func(x *Node) *Node {
			z := a.Stats.NormalizeGraph(a.Encoder.Encode(x))
			return Reshape(z, x.Shape().Dimensions[0], spec.Grid, spec.Grid, spec.Dim)
		})
		if a.initErr != nil {
			a.initErr = fmt.Errorf("rae: compiling the encoder: %w", a.initErr)
			return
		}
		if a.Store != nil {
			a.decModel, a.initErr = model.NewExec(a.backend, a.Store, func(scope *model.Scope, z *Node) *Node {
				return ClipScalar(a.Decoder.Decode(scope.In("model"), z), -1, 1)
			})
			if a.initErr != nil {
				a.initErr = fmt.Errorf("rae: compiling the decoder: %w", a.initErr)
			}
		}
	})
	return a.initErr
}

// Encode returns the normalised latents [N, Grid, Grid, Dim] of images [N, ImageSize, ImageSize, Channels]
// (float32 in [−1, 1]), computed in chunks of DefaultHostBatch.
func (a *Autoencoder) Encode(images *tensors.Tensor) (*tensors.Tensor, error) {
	if err := a.init(); err != nil {
		return nil, err
	}
	if images == nil || images.DType() != dtypes.Float32 {
		return nil, fmt.Errorf("rae: Encode needs float32 images, got %v", shapeOf(images))
	}
	if err := encoder.CheckImagesShape(a.Encoder.Spec(), images.Shape().Dimensions); err != nil {
		return nil, fmt.Errorf("rae: %w", err)
	}
	if err := checkFinite("images", images, 2); err != nil {
		return nil, err
	}
	return a.chunked(images, a.LatentShape(), func(x *tensors.Tensor) (*tensors.Tensor, error) {
		out, err := a.encExec.Call(x)
		if err != nil {
			return nil, err
		}
		return out[0], nil
	})
}

// Decode returns the images [N, ImageSize, ImageSize, Channels], clipped to [−1, 1], decoded from normalised
// latents [N, Grid, Grid, Dim] or [N, Grid², Dim]. Non-finite latents are an error.
func (a *Autoencoder) Decode(z *tensors.Tensor) (*tensors.Tensor, error) {
	if err := a.init(); err != nil {
		return nil, err
	}
	if a.decModel == nil {
		return nil, fmt.Errorf("rae: Decode needs the decoder's weights (Autoencoder.Store is nil)")
	}
	if z == nil || z.DType() != dtypes.Float32 {
		return nil, fmt.Errorf("rae: Decode needs float32 latents, got %v", shapeOf(z))
	}
	if err := a.Decoder.CheckLatents(z.Shape()); err != nil {
		return nil, err
	}
	if err := checkFinite("latents", z, 0); err != nil {
		return nil, err
	}
	c := a.Decoder.Config()
	return a.chunked(z, []int{c.ImageSize, c.ImageSize, c.Channels}, func(x *tensors.Tensor) (*tensors.Tensor, error) {
		return a.decModel.Call1(x)
	})
}

// Reconstruct encodes and decodes images: the autoencoder's reconstruction.
func (a *Autoencoder) Reconstruct(images *tensors.Tensor) (*tensors.Tensor, error) {
	z, err := a.Encode(images)
	if err != nil {
		return nil, err
	}
	return a.Decode(z)
}

// chunked runs fn over chunks of x's first axis and concatenates the results, each of per-example shape
// outShape. Executions are serialised (a compiled exec is not re-entrant).
func (a *Autoencoder) chunked(x *tensors.Tensor, outShape []int, fn func(*tensors.Tensor) (*tensors.Tensor, error)) (*tensors.Tensor, error) {
	dims := x.Shape().Dimensions
	n := dims[0]
	perIn := x.Shape().Size() / n
	perOut := 1
	for _, d := range outShape {
		perOut *= d
	}
	in, err := tensors.CopyFlatData[float32](x)
	if err != nil {
		return nil, fmt.Errorf("rae: %w", err)
	}
	out := make([]float32, n*perOut)
	a.mu.Lock()
	defer a.mu.Unlock()
	for lo := 0; lo < n; lo += DefaultHostBatch {
		hi := min(n, lo+DefaultHostBatch)
		chunkDims := append([]int{hi - lo}, dims[1:]...)
		chunk := tensors.FromFlatDataAndDimensions(append([]float32(nil), in[lo*perIn:hi*perIn]...), chunkDims...)
		var res *tensors.Tensor
		err := exceptions.TryCatch[error](func() {
			var e error
			res, e = fn(chunk)
			if e != nil {
				panic(e)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("rae: %w", err)
		}
		vals, err := tensors.CopyFlatData[float32](res)
		if err != nil {
			return nil, fmt.Errorf("rae: %w", err)
		}
		copy(out[lo*perOut:hi*perOut], vals)
	}
	return tensors.FromFlatDataAndDimensions(out, append([]int{n}, outShape...)...), nil
}

func shapeOf(t *tensors.Tensor) any {
	if t == nil {
		return "nil"
	}
	return t.Shape()
}

// checkFinite returns an error naming the first NaN/±Inf value (or |v| > maxAbs when maxAbs > 0) of t.
func checkFinite(what string, t *tensors.Tensor, maxAbs float64) error {
	vals, err := tensors.CopyFlatData[float32](t)
	if err != nil {
		return fmt.Errorf("rae: reading %s: %w", what, err)
	}
	per := t.Shape().Size() / t.Shape().Dimensions[0]
	for i, v := range vals {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) || (maxAbs > 0 && math.Abs(f) > maxAbs) {
			bound := ""
			if maxAbs > 0 {
				bound = fmt.Sprintf(" (want finite values within ±%g)", maxAbs)
			}
			return fmt.Errorf("rae: %s value %v at example %d, element %d is out of range%s", what, v, i/per, i%per, bound)
		}
	}
	return nil
}

// ComputeStats encodes images with the frozen encoder and returns their per-element latent statistics
// (StatsAccumulator), tagged with the encoder's fingerprint, on backend b (nil: the process-wide one,
// backend.New). next returns successive image batches [B, ImageSize, ImageSize, Channels] and nil when
// done.
func ComputeStats(b compute.Backend, enc encoder.Encoder, next func() (*tensors.Tensor, error)) (*Stats, error) {
	if enc == nil {
		return nil, fmt.Errorf("rae: ComputeStats needs an encoder")
	}
	spec := enc.Spec()
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("rae: %w", err)
	}
	be, err := backend.Or(b)
	if err != nil {
		return nil, err // the backend names itself and the fix
	}
	exec, err := NewExec(be, func(x *Node) *Node { return enc.Encode(x) })
	if err != nil {
		return nil, fmt.Errorf("rae: compiling the encoder: %w", err)
	}
	defer exec.Finalize()
	acc, err := NewStatsAccumulator(spec.NumTokens(), spec.Dim)
	if err != nil {
		return nil, err
	}
	for {
		x, err := next()
		if err != nil {
			return nil, err
		}
		if x == nil {
			break
		}
		if err := encoder.CheckImagesShape(spec, x.Shape().Dimensions); err != nil {
			return nil, fmt.Errorf("rae: %w", err)
		}
		if err := checkFinite("images", x, 2); err != nil {
			return nil, err
		}
		var z *tensors.Tensor
		if err := exceptions.TryCatch[error](func() { z = exec.MustCall(x)[0] }); err != nil {
			return nil, fmt.Errorf("rae: encoding: %w", err)
		}
		if err := acc.Add(z); err != nil {
			return nil, err
		}
	}
	return acc.Stats(DefaultStatsEps, spec.Fingerprint)
}
