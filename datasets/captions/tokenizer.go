package captions

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

const (
	// PadID is the token id of padding; a caption of only PadID is the null (unconditional) caption.
	PadID = 0
	// UnknownID is the token id of a word outside the vocabulary (non-strict encoding only).
	UnknownID = 1
	// DefaultMaxLen is the default caption length in tokens: the longest caption has 9 words.
	DefaultMaxLen = 12
)

// Tokenizer maps captions to fixed-length sequences of word ids and back. Its vocabulary is every word
// the Templates can produce, in sorted order after "<pad>" (id 0) and "<unk>" (id 1), so ids do not depend
// on the order captions are seen in.
type Tokenizer struct {
	// MaxLen is the number of tokens of an encoded caption.
	MaxLen int
	// Strict makes Encode fail on unknown words and on captions longer than MaxLen; otherwise unknown
	// words become UnknownID and long captions are cut to MaxLen.
	Strict bool

	words []string
	ids   map[string]int32
}

// Vocabulary returns the words the templates can produce, sorted.
func Vocabulary() []string {
	set := map[string]bool{}
	for t := range Templates {
		for count := 1; count <= MaxCount; count++ {
			for _, s := range Shapes {
				for _, c := range Colors {
					for _, p := range Positions {
						for _, w := range strings.Fields(Caption(Attributes{s, c, p, count}, t)) {
							set[w] = true
						}
					}
				}
			}
		}
	}
	words := make([]string, 0, len(set))
	for w := range set {
		words = append(words, w)
	}
	slices.Sort(words)
	return words
}

// NewTokenizer returns a strict tokenizer over Vocabulary() that encodes captions to maxLen tokens.
func NewTokenizer(maxLen int) (*Tokenizer, error) {
	if maxLen <= 0 {
		return nil, fmt.Errorf("captions: tokenizer length %d must be positive", maxLen)
	}
	t := &Tokenizer{MaxLen: maxLen, Strict: true, words: append([]string{"<pad>", "<unk>"}, Vocabulary()...),
		ids: map[string]int32{}}
	for i, w := range t.words {
		t.ids[w] = int32(i)
	}
	return t, nil
}

// VocabSize returns the number of token ids, pad and unknown included.
func (t *Tokenizer) VocabSize() int { return len(t.words) }

// Word returns the word of a token id ("<pad>", "<unk>" or a vocabulary word), or "" if id is out of range.
func (t *Tokenizer) Word(id int32) string {
	if id < 0 || int(id) >= len(t.words) {
		return ""
	}
	return t.words[id]
}

// Words splits a caption into lower-case words, dropping the punctuation , . ; : ! ?.
func Words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || strings.ContainsRune(",.;:!?", r)
	})
}

// Encode returns the MaxLen token ids of a caption, padded with PadID. The empty caption encodes to all
// PadID (the null caption).
func (t *Tokenizer) Encode(text string) ([]int32, error) {
	words := Words(text)
	if len(words) > t.MaxLen {
		if t.Strict {
			return nil, fmt.Errorf("captions: caption %q has %d words, more than the tokenizer length %d", text, len(words), t.MaxLen)
		}
		words = words[:t.MaxLen]
	}
	ids := make([]int32, t.MaxLen)
	for i, w := range words {
		id, ok := t.ids[w]
		if !ok || id < 2 {
			if t.Strict {
				return nil, fmt.Errorf("captions: unknown word %q in caption %q (the vocabulary has %d words; see Vocabulary)",
					w, text, len(t.words)-2)
			}
			id = UnknownID
		}
		ids[i] = id
	}
	return ids, nil
}

// EncodeBatch encodes captions into an int32 tensor [len(texts), MaxLen].
func (t *Tokenizer) EncodeBatch(texts []string) (*tensors.Tensor, error) {
	out := tensors.FromShape(shapes.Make(dtypes.Int32, len(texts), t.MaxLen))
	var err error
	tensors.MustMutableFlatData(out, func(flat []int32) {
		for k, text := range texts {
			var ids []int32
			if ids, err = t.Encode(text); err != nil {
				return
			}
			copy(flat[k*t.MaxLen:], ids)
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Decode returns the caption of token ids: words joined by single spaces, stopping at the first PadID.
// UnknownID decodes to "<unk>"; an id outside the vocabulary is an error.
func (t *Tokenizer) Decode(ids []int32) (string, error) {
	words := make([]string, 0, len(ids))
	for i, id := range ids {
		if id == PadID {
			break
		}
		w := t.Word(id)
		if w == "" {
			return "", fmt.Errorf("captions: token %d at position %d outside the vocabulary [0, %d)", id, i, len(t.words))
		}
		words = append(words, w)
	}
	return strings.Join(words, " "), nil
}

// DecodeBatch decodes a token tensor [B, L] (int32) into B captions.
func (t *Tokenizer) DecodeBatch(tokens *tensors.Tensor) ([]string, error) {
	if tokens == nil || tokens.Shape().DType != dtypes.Int32 || tokens.Shape().Rank() != 2 {
		return nil, fmt.Errorf("captions: DecodeBatch wants an int32 tensor [B, L], got %v", tokens)
	}
	b, l := tokens.Shape().Dimensions[0], tokens.Shape().Dimensions[1]
	flat, err := tensors.CopyFlatData[int32](tokens)
	if err != nil {
		return nil, fmt.Errorf("captions: %w", err)
	}
	out := make([]string, b)
	for k := range out {
		if out[k], err = t.Decode(flat[k*l : (k+1)*l]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
