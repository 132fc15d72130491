package checkpoint

import (
	"path/filepath"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// BenchmarkSaveLoad saves and loads a 64 MiB store (16 variables of 1 Mi float32 each):
//
//	go test -run '^$' -bench SaveLoad -benchtime 5x ./mixflowlib/checkpoint/
func BenchmarkSaveLoad(b *testing.B) {
	store := model.NewStore()
	for i := range 16 {
		t := tensors.FromShape(shapes.Make(dtypes.Float32, 1024, 1024))
		tensors.MustMutableFlatData(t, func(f []float32) {
			for j := range f {
				f[j] = float32(i*j%977) * 0.001
			}
		})
		if _, err := store.CreateVariable(filepath.Join("/model/layer", string(rune('a'+i)), "w"), t); err != nil {
			b.Fatal(err)
		}
	}
	p := filepath.Join(b.TempDir(), "big.mfckpt")
	b.Run("save", func(b *testing.B) {
		b.SetBytes(store.ByteSize())
		for b.Loop() {
			if err := Save(p, store, Metadata{"step": 1}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("load", func(b *testing.B) {
		b.SetBytes(store.ByteSize())
		for b.Loop() {
			if _, err := Load(p, model.NewStore()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
