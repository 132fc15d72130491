package captions

import (
	"slices"
	"strings"
	"testing"
)

// FuzzTokenizer feeds arbitrary caption text to the strict and the lenient tokenizer, and arbitrary token
// ids to Decode: a caption either encodes to MaxLen ids inside the vocabulary that decode back to its
// words, or is a named error; Decode never panics on ids outside the vocabulary.
func FuzzTokenizer(f *testing.F) {
	f.Add(Caption(Attributes{Shape: Shapes[0], Color: Colors[1], Position: Positions[2], Count: 2}, 0), []byte{2, 3, 0})
	f.Add("a red  circle, top-left!", []byte{1, 255, 7})
	f.Add(strings.Repeat("two ", 40), []byte{})
	f.Add("\xff\xfe caption \u00e9", []byte{0x80})
	strict, err := NewTokenizer(DefaultMaxLen)
	if err != nil {
		f.Fatal(err)
	}
	lenient, _ := NewTokenizer(4)
	lenient.Strict = false
	f.Fuzz(func(t *testing.T, text string, raw []byte) {
		ids, err := strict.Encode(text)
		if err == nil {
			if len(ids) != strict.MaxLen {
				t.Fatalf("%q: %d ids, want %d", text, len(ids), strict.MaxLen)
			}
			back, err := strict.Decode(ids)
			if err != nil || back != strings.Join(Words(text), " ") {
				t.Fatalf("%q: decodes to %q (%v), want its words %q", text, back, err, Words(text))
			}
		} else if !strings.HasPrefix(err.Error(), "captions: ") {
			t.Fatalf("unnamed error %v", err)
		}
		ids, err = lenient.Encode(text)
		if err != nil || len(ids) != 4 || slices.ContainsFunc(ids, func(id int32) bool { return id < 0 || int(id) >= lenient.VocabSize() }) {
			t.Fatalf("lenient %q: %v, %v", text, ids, err)
		}
		tok := make([]int32, len(raw))
		for i, b := range raw {
			tok[i] = int32(int8(b)) * 3
		}
		if s, err := strict.Decode(tok); err != nil && s != "" {
			t.Fatalf("Decode %v: text %q with error %v", tok, s, err)
		}
	})
}
