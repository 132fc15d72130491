package captions

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/internal/graphtest"
)

func TestAnalyzeRecoversAttributes(t *testing.T) {
	for _, size := range []int{32, 48, 64} {
		src, err := NewSource(Options{Size: size, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		n := 2000
		if testing.Short() {
			n = 500
		}
		wrong := map[string]int{}
		for i := range int64(n) {
			ex, _ := src.Example(i)
			got, err := Analyze(ex.Pixels, size)
			if err != nil {
				t.Fatalf("size %d example %d (%q): %v", size, i, ex.Caption, err)
			}
			if got != ex.Attributes {
				wrong[fmt.Sprintf("%v → %v", ex.Attributes, got)]++
			}
		}
		if len(wrong) > 0 {
			t.Errorf("size %d: %d kinds of misreadings: %v", size, len(wrong), wrong)
		}
	}
}

func TestCaptionTemplates(t *testing.T) {
	a := Attributes{Shape: Square, Color: Red, Position: TopLeft, Count: 2}
	want := []string{"two red squares at the top left", "there are two red squares at the top left",
		"at the top left there are two red squares"}
	for tmpl, w := range want {
		if got := Caption(a, tmpl); got != w {
			t.Errorf("template %d: %q, want %q", tmpl, got, w)
		}
	}
	one := Attributes{Shape: Cross, Color: White, Position: Center, Count: 1}
	if got := Caption(one, 1); got != "there is a white cross in the center" {
		t.Errorf("singular: %q", got)
	}
	if got := (Attributes{Shape: Triangle, Color: Purple, Position: BottomRight, Count: 4}).String(); got != "four purple triangles at the bottom right" {
		t.Errorf("String: %q", got)
	}
}

func TestTokenizer(t *testing.T) {
	tok, err := NewTokenizer(DefaultMaxLen)
	if err != nil {
		t.Fatal(err)
	}
	vocab := Vocabulary()
	if !slices.IsSorted(vocab) || tok.VocabSize() != len(vocab)+2 || tok.Word(PadID) != "<pad>" || tok.Word(UnknownID) != "<unk>" {
		t.Fatalf("vocabulary %v (size %d)", vocab, tok.VocabSize())
	}
	for _, w := range []string{"a", "two", "four", "red", "purple", "square", "crosses", "top", "center", "there", "are", "is"} {
		if !slices.Contains(vocab, w) {
			t.Errorf("vocabulary lacks %q", w)
		}
	}
	// Every caption the generator can write round-trips and fits DefaultMaxLen.
	longest := 0
	for tmpl := range Templates {
		for count := 1; count <= MaxCount; count++ {
			for _, p := range Positions {
				c := Caption(Attributes{Circle, Blue, p, count}, tmpl)
				ids, err := tok.Encode(c)
				if err != nil {
					t.Fatal(err)
				}
				back, err := tok.Decode(ids)
				if err != nil || back != c {
					t.Fatalf("round trip of %q: %q, %v", c, back, err)
				}
				longest = max(longest, len(Words(c)))
			}
		}
	}
	if longest != 9 {
		t.Errorf("longest caption has %d words; update DefaultMaxLen's doc", longest)
	}
	ids, _ := tok.Encode("Two RED squares, at the top left.")
	if back, _ := tok.Decode(ids); back != "two red squares at the top left" || ids[7] != PadID || len(ids) != DefaultMaxLen {
		t.Fatalf("normalised encoding: %v → %q", ids, back)
	}
	if ids, _ := tok.Encode(""); slices.ContainsFunc(ids, func(id int32) bool { return id != PadID }) {
		t.Fatalf("empty caption: %v", ids)
	}
	_, err = tok.Encode("two zebras at the top")
	if err == nil || !strings.Contains(err.Error(), `unknown word "zebras"`) {
		t.Fatalf("strict unknown word: %v", err)
	}
	_, err = tok.Encode(strings.Repeat("red ", 13))
	if err == nil || !strings.Contains(err.Error(), "13 words, more than the tokenizer length 12") {
		t.Fatalf("strict long caption: %v", err)
	}
	_, err = tok.Encode("<pad> red")
	if err == nil {
		t.Fatal("the word <pad> was accepted as text")
	}
	lenient := *tok
	lenient.Strict = false
	ids, err = lenient.Encode("two zebras " + strings.Repeat("red ", 20))
	if err != nil || ids[1] != UnknownID || len(ids) != DefaultMaxLen || ids[DefaultMaxLen-1] == PadID {
		t.Fatalf("lenient: %v %v", ids, err)
	}
	if back, _ := lenient.Decode(ids[:3]); back != "two <unk> red" {
		t.Fatalf("decoding <unk>: %q", back)
	}
	if _, err := tok.Decode([]int32{2, 999}); err == nil || !strings.Contains(err.Error(), "token 999 at position 1") {
		t.Fatalf("bad id: %v", err)
	}
	batch, err := tok.EncodeBatch([]string{"a red square in the center", "four white crosses on the left"})
	if err != nil || !slices.Equal(batch.Shape().Dimensions, []int{2, DefaultMaxLen}) {
		t.Fatalf("EncodeBatch: %v %v", batch, err)
	}
	texts, err := tok.DecodeBatch(batch)
	if err != nil || texts[1] != "four white crosses on the left" {
		t.Fatalf("DecodeBatch: %q %v", texts, err)
	}
	if _, err := tok.EncodeBatch([]string{"ok", "blue zebra"}); err == nil {
		t.Fatal("EncodeBatch accepted an unknown word")
	}
	if _, err := NewTokenizer(0); err == nil {
		t.Fatal("tokenizer of length 0")
	}
}

func TestSource(t *testing.T) {
	src, err := NewSource(Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	b, err := src.Batch(7, 16)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.X.Shape().Dimensions, []int{16, 32, 32, 3}) || !slices.Equal(b.Cond.Tokens.Shape().Dimensions, []int{16, DefaultMaxLen}) || b.Cond.Labels != nil {
		t.Fatalf("batch shapes X %v tokens %v", b.X.Shape(), b.Cond.Tokens.Shape())
	}
	ex, _ := src.Examples(7, 16)
	texts, _ := src.Tokenizer().DecodeBatch(b.Cond.Tokens)
	x := tensors.MustCopyFlatData[float32](b.X)
	for k, e := range ex {
		if texts[k] != e.Caption || e.Caption != Caption(e.Attributes, e.Template) {
			t.Fatalf("example %d: tokens say %q, caption %q", k, texts[k], e.Caption)
		}
		// Objects keep a 1-pixel margin inside their window, so the top-left pixel is always background.
		if x[k*32*32*3] != -1 || len(e.Objects) != e.Count {
			t.Fatalf("example %d: corner %v (want -1), %d objects for count %d", k, x[k*32*32*3], len(e.Objects), e.Count)
		}
	}
	// Pure function of (seed, step): a fresh source agrees; steps and seeds differ.
	again, _ := NewSource(Options{Seed: 3})
	b2, _ := again.Batch(7, 16)
	if !slices.Equal(x, tensors.MustCopyFlatData[float32](b2.X)) {
		t.Fatal("same seed and step, different images")
	}
	other, _ := NewSource(Options{Seed: 4})
	b3, _ := other.Batch(7, 16)
	b4, _ := src.Batch(8, 16)
	if slices.Equal(x, tensors.MustCopyFlatData[float32](b3.X)) || slices.Equal(x, tensors.MustCopyFlatData[float32](b4.X)) {
		t.Fatal("seeds or steps do not change the batch")
	}
	e112, _ := src.Example(7*16 + 5)
	if e112.Caption != ex[5].Caption || !slices.Equal(e112.Pixels, ex[5].Pixels) {
		t.Fatal("Example(i) disagrees with the batch holding it")
	}
	// The held-out stream is fixed and not the training stream.
	held, hb, err := src.HeldOut(8)
	if err != nil || hb.X.Shape().Dimensions[0] != 8 {
		t.Fatal(err)
	}
	held2, _, _ := src.HeldOut(8)
	train0, _ := src.Examples(0, 8)
	if held[3].Caption != held2[3].Caption || slices.Equal(held[0].Pixels, train0[0].Pixels) {
		t.Fatal("held-out set not fixed, or equal to training examples")
	}
	// Every attribute value and count appears; restrictions are honoured.
	seen := map[string]bool{}
	many, _ := src.Examples(0, 2000)
	for _, e := range many {
		seen[e.Shape.String()], seen[e.Color.String()], seen[e.Position.String()] = true, true, true
		seen[fmt.Sprint(e.Count)], seen[fmt.Sprint("t", e.Template)] = true, true
	}
	if len(seen) != 4+6+9+4+3 {
		t.Fatalf("only %d attribute values drawn in 2000 examples: %v", len(seen), seen)
	}
	narrow, err := NewSource(Options{Size: 48, MaxCount: 1, Shapes: []Shape{Circle}, Colors: []Color{Green, Blue}, Templates: []int{2}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range int64(100) {
		e, _ := narrow.Example(i)
		if e.Count != 1 || e.Shape != Circle || (e.Color != Green && e.Color != Blue) || e.Template != 2 || len(e.Pixels) != 48*48*3 {
			t.Fatalf("restricted example %+v", e.Attributes)
		}
	}
	if !strings.Contains(narrow.Name(), "shapes=[circle]") || !strings.Contains(narrow.Name(), "size=48") {
		t.Fatalf("Name %q", narrow.Name())
	}
	for _, bad := range []Options{{Size: 20}, {Size: 36}, {MaxCount: 5}, {Shapes: []Shape{9}}, {Colors: []Color{-1}},
		{Positions: []Position{9}}, {Templates: []int{3}}, {Shapes: []Shape{}}, {MaxLen: -1}} {
		if _, err := NewSource(bad); err == nil || !strings.HasPrefix(err.Error(), "captions: ") {
			t.Errorf("options %+v: %v", bad, err)
		}
	}
	if _, err := src.Batch(-1, 4); err == nil {
		t.Error("negative step accepted")
	}
	if _, err := src.Example(-1); err == nil {
		t.Error("negative index accepted")
	}
}

func TestScore(t *testing.T) {
	src, _ := NewSource(Options{Seed: 9})
	ex, _ := src.Examples(0, 64)
	b, _ := src.ToBatch(ex)
	want := make([]Attributes, len(ex))
	for i, e := range ex {
		want[i] = e.Attributes
	}
	s, err := Score(b.X, want)
	if err != nil || s.N != 64 || s.All != 1 || s.Shape != 1 || s.Count != 1 {
		t.Fatalf("real images: %+v %v", s, err)
	}
	// Asking for other attributes, or giving blank images, lowers the scores.
	shifted := slices.Clone(want)
	for i := range shifted {
		shifted[i].Color = (shifted[i].Color + 1) % numColors
	}
	if s, _ := Score(b.X, shifted); s.Color != 0 || s.All != 0 || s.Shape != 1 {
		t.Fatalf("wrong colours: %+v", s)
	}
	blank := tensors.FromFlatDataAndDimensions(slices.Repeat([]float32{-1}, 2*32*32*3), 2, 32, 32, 3)
	if s, _ := Score(blank, want[:2]); s.All != 0 || s.Count != 0 {
		t.Fatalf("blank images: %+v", s)
	}
	if _, err := Score(blank, want); err == nil {
		t.Fatal("Score accepted 2 images for 64 attribute sets")
	}
	if _, err := Analyze(make([]uint8, 10), 32); err == nil {
		t.Fatal("Analyze accepted 10 values")
	}
	// Noise specks below the blob size are ignored.
	e := ex[0]
	px := slices.Clone(e.Pixels)
	px[(31*32+31)*3] = 255
	if got, err := Analyze(px, 32); err != nil || got != e.Attributes {
		t.Fatalf("one noisy pixel: %v %v, want %v", got, err, e.Attributes)
	}
}

// BenchmarkBatch256 measures generating, rendering and tokenising 256 captioned 32×32 examples.
func BenchmarkBatch256(b *testing.B) {
	src, _ := NewSource(Options{Seed: 1})
	graphtest.BenchBatches(b, src, 256)
}
