package repaexp

import (
	"github.com/mixflow/mixflow/mixflowlib/backbone/repa"
	"github.com/mixflow/mixflow/mixflowlib/backbone/sit"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
)

// StudyConfig returns the REPA configuration of study 3a (notebook 05) on the SiT s: repa.DefaultConfig
// (λ = 0.5, alignment after block max(1, Depth/2), a projection head 2·Hidden wide) with the clean
// images resized to the encoder's size (repa.FitResize) rather than padded. On study 2's 16×16 SiT
// (patch 4, a 4×4 token grid) the shipped 28×28 encoder then sees the whole garment filling its frame,
// as REPA resizes ImageNet images to DINOv2's input, and its 4×4 token grid covers the same frame as the
// SiT's, token for token; padding would instead put a 16×16 garment in a 28×28 black frame the encoder
// never saw in training, with its tokens spread over SiT's grid.
func StudyConfig(s sit.Config) repa.Config {
	cfg := repa.DefaultConfig(s)
	cfg.Fit = repa.FitResize
	return cfg
}

// AlignedAll returns every objective of specs wrapped by Aligned, in order: the arms of a study of a
// REPA base, each keeping the alignment term as the base was trained with it.
func AlignedAll(specs ...imageexp.ObjectiveSpec) []imageexp.ObjectiveSpec {
	out := make([]imageexp.ObjectiveSpec, len(specs))
	for i, o := range specs {
		out[i] = Aligned(o)
	}
	return out
}
