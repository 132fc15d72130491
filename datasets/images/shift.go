package images

import (
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"
)

// RandomShift translates each image of x (float32 [B, H, W, C], normalised to [−1, 1]) in place by a
// random whole-pixel offset in [−maxShift, maxShift]² drawn from rng (dy, then dx, per image), filling uncovered pixels with −1: the translation
// augmentation of the side trainers (encoder, evaluator).
func RandomShift(x *tensors.Tensor, maxShift int, rng *rand.Rand) {
	d := x.Shape().Dimensions
	b, h, w, c := d[0], d[1], d[2], d[3]
	size := h * w * c
	buf := make([]float32, size)
	tensors.MustMutableFlatData(x, func(flat []float32) {
		for k := range b {
			dy, dx := rng.IntN(2*maxShift+1)-maxShift, rng.IntN(2*maxShift+1)-maxShift
			img := flat[k*size : (k+1)*size]
			for i := range buf {
				buf[i] = -1
			}
			for y := max(0, dy); y < min(h, h+dy); y++ {
				sy := y - dy
				for xx := max(0, dx); xx < min(w, w+dx); xx++ {
					copy(buf[(y*w+xx)*c:(y*w+xx+1)*c], img[(sy*w+xx-dx)*c:(sy*w+xx-dx+1)*c])
				}
			}
			copy(img, buf)
		}
	})
}
