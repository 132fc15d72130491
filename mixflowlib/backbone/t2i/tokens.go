package t2i

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets/captions"
)

// CheckTokens returns an error naming the first problem of a host token tensor before it reaches the
// model: it must be int32 [B, L] with 1 ≤ L ≤ Text.MaxLen and every id in [0, VocabSize); the unknown-word
// id UnknownID is refused too, because it means a caption had a word the model never saw (the tokenizer
// maps such words to it only in its non-strict mode).
func (m *Model) CheckTokens(tokens *tensors.Tensor) error {
	if tokens == nil {
		return fmt.Errorf("t2i: caption tokens are nil")
	}
	s := tokens.Shape()
	if s.DType != dtypes.Int32 {
		return fmt.Errorf("t2i: caption tokens have dtype %s, want int32", s.DType)
	}
	if err := m.checkTokenShape(s); err != nil {
		return err
	}
	l := s.Dimensions[1]
	flat, err := tensors.CopyFlatData[int32](tokens)
	if err != nil {
		return fmt.Errorf("t2i: reading caption tokens: %w", err)
	}
	for i, id := range flat {
		switch {
		case id == UnknownID:
			return fmt.Errorf("t2i: caption %d has the unknown-word token %d at position %d: the caption has a word outside the vocabulary", i/l, id, i%l)
		case id < 0 || int(id) >= m.cfg.Text.VocabSize:
			return fmt.Errorf("t2i: caption %d has token %d at position %d, outside the vocabulary [0, %d)", i/l, id, i%l, m.cfg.Text.VocabSize)
		}
	}
	return nil
}

// EncodePrompts turns prompts into the token tensor int32 [len(prompts), tok.MaxLen] the model takes,
// with the tokenizer in strict mode whatever its Strict field says: a word outside the vocabulary or a
// prompt longer than tok.MaxLen words is an error that names the prompt. The empty prompt is the null
// caption (unconditional generation). The tokenizer must match the model (same vocabulary size,
// MaxLen ≤ Text.MaxLen).
func (m *Model) EncodePrompts(tok *captions.Tokenizer, prompts []string) (*tensors.Tensor, error) {
	if tok == nil {
		return nil, fmt.Errorf("t2i: tokenizer is nil")
	}
	if tok.VocabSize() != m.cfg.Text.VocabSize {
		return nil, fmt.Errorf("t2i: tokenizer has %d token ids but the model's Text.VocabSize is %d", tok.VocabSize(), m.cfg.Text.VocabSize)
	}
	if tok.MaxLen > m.cfg.Text.MaxLen {
		return nil, fmt.Errorf("t2i: tokenizer length %d exceeds the model's Text.MaxLen %d", tok.MaxLen, m.cfg.Text.MaxLen)
	}
	if len(prompts) == 0 {
		return nil, fmt.Errorf("t2i: no prompts")
	}
	strict := *tok
	strict.Strict = true
	for i, p := range prompts {
		if _, err := strict.Encode(p); err != nil {
			return nil, fmt.Errorf("t2i: prompt %d: %w", i, err)
		}
	}
	return strict.EncodeBatch(prompts)
}
