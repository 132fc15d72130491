package t2iexp_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mixflow/mixflow/datasets/captions"
	"github.com/mixflow/mixflow/mixflowlib/experiment/t2iexp"
)

// FuzzParseCaption feeds arbitrary text to ParseCaption, the parser of the captions a text-to-image
// evaluation reads back: it either returns attributes whose caption, written by one of the templates,
// has exactly the text's words, or an error that names the package; it never panics.
func FuzzParseCaption(f *testing.F) {
	a := captions.Attributes{Shape: captions.Shapes[1], Color: captions.Colors[2], Position: captions.Positions[0], Count: 3}
	f.Add(captions.Caption(a, 0))
	f.Add(strings.ToUpper(captions.Caption(a, len(captions.Templates)-1)) + "!!")
	f.Add("")
	f.Add("   ,.;")
	f.Add("\xff\xfe a red circle \u00e9")
	f.Add(strings.Repeat("four white crosses ", 30))
	f.Fuzz(func(t *testing.T, text string) {
		got, err := t2iexp.ParseCaption(text)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "t2iexp: ") {
				t.Fatalf("ParseCaption(%q): unnamed error %v", text, err)
			}
			return
		}
		want := captions.Words(text)
		for tmpl := range captions.Templates {
			if slices.Equal(captions.Words(captions.Caption(got, tmpl)), want) {
				return
			}
		}
		t.Fatalf("ParseCaption(%q) = %+v, but no template writes those words for it", text, got)
	})
}
