package expcache_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mixflow/mixflow/mixflowlib/env"
	"github.com/mixflow/mixflow/mixflowlib/expcache"
)

// The first call computes and stores; the second (in a notebook: the next run of the cell, a new
// process) loads the stored result; a changed configuration computes anew.
func ExampleGetOrCompute() {
	tmp, _ := os.MkdirTemp("", "expcache-example")
	defer os.RemoveAll(tmp)
	os.Setenv(env.CacheVar, tmp) // notebooks use the default location, ~/.cache/mixflow

	type config struct {
		Steps int     `json:"steps"`
		Gamma float64 `json:"gamma"`
	}
	type result struct {
		FinalLoss  float64 `json:"final_loss"`
		Checkpoint string  `json:"checkpoint"` // relative to the entry directory
	}
	train := func(dir string) (result, error) {
		// A real compute trains here, with its checkpoint directory inside dir.
		err := os.WriteFile(filepath.Join(dir, "model.bin"), []byte("weights"), 0o644)
		return result{FinalLoss: 0.42, Checkpoint: "model.bin"}, err
	}

	for _, gamma := range []float64{0.8, 0.8, 0.4} {
		res, info, err := expcache.GetOrCompute("toy-mixflow", config{Steps: 1000, Gamma: gamma}, train)
		if err != nil {
			panic(err)
		}
		_, statErr := os.Stat(filepath.Join(info.Dir, res.Checkpoint))
		fmt.Printf("gamma %.1f: hit=%v loss=%.2f checkpoint present=%v\n", gamma, info.Hit, res.FinalLoss, statErr == nil)
	}
	// Output:
	// gamma 0.8: hit=false loss=0.42 checkpoint present=true
	// gamma 0.8: hit=true loss=0.42 checkpoint present=true
	// gamma 0.4: hit=false loss=0.42 checkpoint present=true
}
