package images

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// TestRandomShift compares RandomShift with a pixel-by-pixel reference (the evaluator's former copy, made
// channel-aware): same draws, same result, for one and three channels.
func TestRandomShift(t *testing.T) {
	for _, c := range []int{1, 3} {
		const b, h, w, maxShift = 5, 7, 6, 2
		data := make([]float32, b*h*w*c)
		for i := range data {
			data[i] = float32(i%11) / 11
		}
		x := tensors.FromFlatDataAndDimensions(append([]float32(nil), data...), b, h, w, c)
		RandomShift(x, maxShift, rand.New(rand.NewPCG(3, 4)))
		got := tensors.MustCopyFlatData[float32](x)
		rng := rand.New(rand.NewPCG(3, 4))
		for k := range b {
			dy := rng.IntN(2*maxShift+1) - maxShift
			dx := rng.IntN(2*maxShift+1) - maxShift
			for y := range h {
				for xx := range w {
					for ch := range c {
						want := float32(-1)
						if sy, sx := y-dy, xx-dx; sy >= 0 && sy < h && sx >= 0 && sx < w {
							want = data[((k*h+sy)*w+sx)*c+ch]
						}
						if g := got[((k*h+y)*w+xx)*c+ch]; g != want {
							t.Fatalf("c=%d image %d (%d,%d,%d): %v, want %v", c, k, y, xx, ch, g, want)
						}
					}
				}
			}
		}
	}
}
