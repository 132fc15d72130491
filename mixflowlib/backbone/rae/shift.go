package rae

import (
	"fmt"
	"math"

	"github.com/mixflow/mixflow/mixflowlib/path"
	"github.com/mixflow/mixflow/mixflowlib/timesteps"
)

// RAEShiftBase is RAE's time_dist_shift_base: the latent size (number of values) at which its shift is 1.
const RAEShiftBase = timesteps.DefaultShiftBase

// PixelShiftBase is the number of values of the 28×28×1 Fashion-MNIST images on which the project's
// pixel-space SiT (imageexp.SmallSiT, notebook 03) trains without a shift. Used as the shift base, it gives a
// latent the shift its size calls for relative to that baseline (see the package documentation).
const PixelShiftBase = 28 * 28

// ShiftFor returns RAE's resolution-dependent shift for a latent of latentDim values (grid² × width):
// raw = √(latentDim / base) (base 0 means RAEShiftBase = 4096), and used = max(1, raw), the value to train and
// sample with. RAE asserts s ≥ 1; a shift below 1 would move the training times toward data, which no
// reference code does, so it is clamped. Both are in the project's time convention (see timesteps.ShiftTime).
func ShiftFor(latentDim, base int) (raw, used float64, err error) {
	if base < 0 {
		return 0, 0, fmt.Errorf("rae: shift base %d must be ≥ 0 (0 = RAE's 4096)", base)
	}
	raw, err = timesteps.ResolutionShift(latentDim, base)
	if err != nil {
		return 0, 0, fmt.Errorf("rae: %w", err)
	}
	return raw, math.Max(1, raw), nil
}

// ShiftRAETime applies RAE's shift in RAE's own convention (t_R = 0 data, 1 noise), exactly as its
// transport.py writes it: t_R' = s·t_R / (1 + (s − 1)·t_R). It equals ToRAETime(timesteps.ShiftTime(
// FromRAETime(tR), s)); it is here for tests and for reading RAE's numbers, the library works in our time.
func ShiftRAETime(tR, s float64) float64 { return s * tR / (1 + (s-1)*tR) }

// ToRAETime converts a time of ours (0 noise, 1 data) to RAE's (0 data, 1 noise).
func ToRAETime(t float64) float64 { return path.ToFlipped(t) }

// FromRAETime converts a time of RAE's (0 data, 1 noise) to ours (0 noise, 1 data).
func FromRAETime(tR float64) float64 { return path.FromFlipped(tR) }
