package mlp

import (
	"testing"
)

// TestWide checks that the preset is residual and at least 2·D wide, and that it validates.
func TestWide(t *testing.T) {
	for _, d := range []int{2, 64, 256, 1024} {
		c := Wide(d)
		if !c.Residual || c.Width < 2*d || c.Dim != d {
			t.Errorf("Wide(%d) = %+v: want residual, Dim %d, Width >= %d", d, c, d, 2*d)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("Wide(%d): %v", d, err)
		}
	}
	if _, err := New(Wide(-1)); err == nil {
		t.Error("Wide(-1): no error")
	}
}
