package checkpoint_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/mixflow/mixflow/mixflowlib/checkpoint"
)

// Save a store's variables with metadata, then load them into a fresh store.
func ExampleSave() {
	dir, _ := os.MkdirTemp("", "ckpt-example")
	defer os.RemoveAll(dir)

	store := model.NewStore()
	_, _ = store.CreateVariable("/model/out/weights", tensors.FromValue([][]float32{{1, 2}, {3, 4}}))
	step, _ := store.CreateVariable("/global_step", tensors.FromValue(int64(500)))
	step.SetTrainable(false)

	path := filepath.Join(dir, "run.mfckpt")
	if err := checkpoint.Save(path, store, checkpoint.Metadata{"step": 500, "objective": "mixflow(gamma=0.8)"}); err != nil {
		panic(err)
	}

	fresh := model.NewStore()
	hdr, err := checkpoint.Load(path, fresh)
	if err != nil {
		panic(err)
	}
	var objective string
	_ = hdr.Metadata.Decode("objective", &objective)
	fmt.Println("objective:", objective)
	for _, v := range hdr.Variables {
		fmt.Println(v.Path, v.Shape, "trainable:", v.Trainable)
	}
	fmt.Println(tensors.MustCopyFlatData[float32](fresh.GetVariable("/model/out/weights").MustValue()))
	// Output:
	// objective: mixflow(gamma=0.8)
	// /model/out/weights (Float32)[2, 2] trainable: true
	// /global_step (Int64) trainable: false
	// [1 2 3 4]
}

// A Dir keeps the last K step-numbered checkpoints and finds the latest.
func ExampleDir() {
	root, _ := os.MkdirTemp("", "ckpt-dir-example")
	defer os.RemoveAll(root)

	store := model.NewStore()
	_, _ = store.CreateVariable("/model/w", tensors.FromValue([]float32{0.5}))
	d, _ := checkpoint.OpenDir(root, 2)
	for _, step := range []int64{100, 200, 300} {
		if _, err := d.Save(step, store, checkpoint.Metadata{"step": step}); err != nil {
			panic(err)
		}
	}
	list, _ := d.List()
	for _, e := range list {
		fmt.Println(e.Step, filepath.Base(e.Path))
	}
	latest, _ := d.Latest()
	fmt.Println("latest:", latest.Step)
	// Output:
	// 200 ckpt-000000000200.mfckpt
	// 300 ckpt-000000000300.mfckpt
	// latest: 300
}
