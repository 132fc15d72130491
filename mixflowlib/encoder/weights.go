package encoder

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/mixflowlib/checkpoint"
)

// Metadata keys of weight files.
const (
	metaArch        = "vit_config"
	metaName        = "encoder"
	metaTrainConfig = "train_config"
	metaTrainReport = "train_report"
)

// fingerprint hashes the weights' names, shapes and values in name order.
func fingerprint(names []string, w constParams) string {
	h := sha256.New()
	buf := make([]byte, 4)
	for _, name := range names {
		t := w[name]
		h.Write([]byte(name))
		h.Write([]byte(t.Shape().String()))
		vals, _ := tensors.CopyFlatData[float32](t)
		for _, v := range vals {
			binary.LittleEndian.PutUint32(buf, math.Float32bits(v))
			h.Write(buf)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Save writes the encoder's weights, its architecture and extra metadata (e.g. the training configuration
// and report) to path as a checkpoint file, atomically and with a SHA-256 checksum. The weights are
// stored under "/encoder/…".
func (v *ViT) Save(path string, meta map[string]any) error {
	names := make([]string, 0, len(v.weights))
	for name := range v.weights {
		names = append(names, name)
	}
	sort.Strings(names)
	vars := make([]checkpoint.Variable, len(names))
	for i, name := range names {
		vars[i] = checkpoint.Variable{Path: encScope + "/" + name, Value: v.weights[name]}
	}
	m := checkpoint.Metadata{}
	for k, val := range meta {
		m[k] = val
	}
	m[metaArch] = v.cfg
	m[metaName] = v.cfg.Name()
	if err := checkpoint.Write(path, vars, m); err != nil {
		return fmt.Errorf("encoder: saving weights: %w", err)
	}
	return nil
}

// Load reads an encoder written by ViT.Save (or by `go run ./mixflowlib/cmd/train-encoder`). A corrupted
// or truncated file is an error (checksum mismatch), as are missing weights or shapes that do not fit the
// recorded architecture.
func Load(path string) (*ViT, error) {
	ck, err := checkpoint.Read(path)
	if err != nil {
		return nil, fmt.Errorf("encoder: reading weights: %w", err)
	}
	return fromCheckpoint(path, ck)
}

// Decode reads an encoder from the bytes of a file written by ViT.Save; name identifies the data in
// errors.
func Decode(name string, data []byte) (*ViT, error) {
	ck, err := checkpoint.ReadBytes(name, data)
	if err != nil {
		return nil, fmt.Errorf("encoder: reading weights %s: %w", name, err)
	}
	return fromCheckpoint(name, ck)
}

func fromCheckpoint(name string, ck *checkpoint.Checkpoint) (*ViT, error) {
	var cfg ViTConfig
	if err := ck.Header.Metadata.Decode(metaArch, &cfg); err != nil {
		return nil, fmt.Errorf("encoder: weights %s have no architecture: %w", name, err)
	}
	weights := map[string]*tensors.Tensor{}
	for _, v := range ck.Variables {
		rel, ok := strings.CutPrefix(v.Path, encScope+"/")
		if !ok {
			continue
		}
		weights[rel] = v.Value
	}
	vit, err := NewViT(cfg, weights)
	if err != nil {
		return nil, fmt.Errorf("encoder: weights %s: %w", name, err)
	}
	vit.meta = ck.Header.Metadata
	return vit, nil
}

// TrainReport returns the training report recorded in the weights' metadata, and whether there was one.
func (v *ViT) TrainReport() (TrainReport, bool) {
	return metaValue[TrainReport](v.meta, metaTrainReport)
}

// TrainConfig returns the training configuration recorded in the weights' metadata, and whether there was one.
func (v *ViT) TrainConfig() (TrainConfig, bool) {
	return metaValue[TrainConfig](v.meta, metaTrainConfig)
}

// metaValue decodes the entry key of the weights' metadata meta into a T, and reports whether there was
// one that decoded.
func metaValue[T any](meta map[string]any, key string) (T, bool) {
	var v T
	err := checkpoint.Metadata(meta).Decode(key, &v)
	return v, err == nil
}

// SaveTrained writes a trained encoder with its training configuration and report in the metadata.
func SaveTrained(path string, v *ViT, cfg TrainConfig, rep TrainReport, extra map[string]any) error {
	meta := map[string]any{metaTrainConfig: cfg, metaTrainReport: rep}
	for k, val := range extra {
		meta[k] = val
	}
	return v.Save(path, meta)
}

// WeightsFile is the name of the shipped weights in the package's weights/ folder, written by
// `go run ./mixflowlib/cmd/train-encoder`.
const WeightsFile = "vit-fmnist.mfckpt"
