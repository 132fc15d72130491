package rae_test

import (
	"fmt"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/encoder"
	"github.com/mixflow/mixflow/mixflowlib/experiment/raeexp"
)

// RAE's resolution shift for a few latents: DINOv2-B tokens at 256 px, an 8×8×64 latent, and the project
// encoder's 4×4×64 latent with RAE's base (s < 1, clamped) and with the 28×28 pixel base.
func ExampleShiftFor() {
	for _, c := range []struct {
		name      string
		dim, base int
	}{
		{"DINOv2-B 16×16×768, RAE base", 16 * 16 * 768, rae.RAEShiftBase},
		{"8×8×64, RAE base", 8 * 8 * 64, rae.RAEShiftBase},
		{"project 4×4×64, RAE base", 4 * 4 * 64, rae.RAEShiftBase},
		{"project 4×4×64, pixel base", 4 * 4 * 64, rae.PixelShiftBase},
	} {
		raw, used, _ := rae.ShiftFor(c.dim, c.base)
		fmt.Printf("%-30s raw %.4f, used %.4f\n", c.name, raw, used)
	}
	// Output:
	// DINOv2-B 16×16×768, RAE base   raw 6.9282, used 6.9282
	// 8×8×64, RAE base               raw 1.0000, used 1.0000
	// project 4×4×64, RAE base       raw 0.5000, used 1.0000
	// project 4×4×64, pixel base     raw 1.1429, used 1.1429
}

// The RAE MixFlow objective: Beta(2,1) times, shifted, then slowed with γ = 0.4.
func ExampleMixFlowObjective() {
	obj, err := raeexp.MixFlowLoss(rae.DefaultGamma, 2, 0.1)
	if err != nil {
		panic(err)
	}
	fmt.Println(obj.Name())
	fmt.Println("time distribution of t:", obj.TimeDist().Name())
	// Output:
	// mixflow(gamma=0.4,path=linear,times=beta21,shift=2,label-dropout=0.1)
	// time distribution of t: shift(2,beta21)
}

// Per-element latent statistics, and normalisation with them.
func ExampleStatsAccumulator() {
	acc, _ := rae.NewStatsAccumulator(1, 2) // one token of width 2
	_ = acc.AddFlat([]float32{1, 10, 3, 10.5, 5, 11}, 3)
	st, err := acc.Stats(0, "my-encoder")
	if err != nil {
		panic(err)
	}
	fmt.Printf("mean %.2f, var %.3f\n", st.Mean, st.Var)
	z, _ := st.Normalize(tensors.FromFlatDataAndDimensions([]float32{3, 11}, 1, 1, 2))
	fmt.Printf("normalised %.3f\n", z.Value())
	// A constant element is refused.
	acc, _ = rae.NewStatsAccumulator(1, 2)
	_ = acc.AddFlat([]float32{1, 7, 2, 7}, 2)
	_, err = acc.Stats(0, "")
	fmt.Println(err)
	// Output:
	// mean [3.00 10.50], var [2.667 0.167]
	// normalised [[[0.000 1.225]]]
	// rae: 1 of 2 latent elements have zero variance over 2 images (first: token 0, channel 1, value 7): the encoder output is constant there, a dead feature that normalisation cannot scale
}

// A decoder for the project encoder's 4×4×64 latents of 28×28×1 images: each token decodes a 7×7 patch.
func ExampleDecoderConfig() {
	spec := encoder.Spec{Name: "example", ImageSize: 28, Channels: 1, Grid: 4, Dim: 64}
	cfg := rae.DecoderConfig{Grid: spec.Grid, Dim: spec.Dim, ImageSize: spec.ImageSize, Channels: spec.Channels,
		Width: 64, Depth: 2, MLPRatio: 2, NoiseTau: rae.DefaultNoiseTau}
	n, err := cfg.NumParams()
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg)
	fmt.Println("patch", cfg.Patch(), "parameters", n)
	// Output:
	// decoder(4×4×64 → 28×28×1, width 64, depth 2, heads 4, τ 0.5)
	// patch 7 parameters 73777
}
