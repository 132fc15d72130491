// Package golden pins, bit for bit, the numbers of a short toy run and a short image run (losses after
// a few steps, evaluation metrics, a sample value) and the cache keys of their specs, as the code gave
// them before the experiment-core refactor of issue 10. A refactor that keeps behaviour keeps these
// numbers; a change that must move them (a new cache key, say) updates the pins and says why.
//
// The package has no code of its own: its tests are the pins (go test ./mixflowlib/experiment/golden/).
// This file gives it a non-test Go file, so that tools listing the library's packages (go list,
// `kernel install`'s pre-warm) do not report it as a package with only test files.
package golden
