package nb

import (
	"testing"
	"time"

	"github.com/janpfeifer/gonb/gonbui/protocol"
)

func TestOutputMIMETypes(t *testing.T) {
	d := Output{HTML: "<b>x</b>", PNG: []byte{1}, Markdown: "**x**", Text: "x"}.data()
	for _, k := range []protocol.MIMEType{protocol.MIMETextHTML, protocol.MIMEImagePNG, protocol.MIMETextMarkdown, protocol.MIMETextPlain} {
		if _, ok := d[k]; !ok {
			t.Errorf("%s missing", k)
		}
	}
	if d := (Output{Text: "x"}).data(); len(d) != 1 {
		t.Errorf("empty representations were sent: %v", d)
	}
}

func TestSinkAndOutsideNotebook(t *testing.T) {
	if Active() || InNotebook() {
		t.Fatal("a test process is not a notebook cell")
	}
	// Outside a notebook everything is a no-op that does not block.
	Display(Output{Text: "x"})
	Update("id", Output{Text: "x"})
	if Flush(time.Second) {
		t.Error("Flush reported success outside a notebook")
	}
	var ids []string
	SetSink(func(id string, o Output) { ids = append(ids, id+":"+o.Text) })
	defer SetSink(nil)
	if !Active() {
		t.Error("not active with a sink")
	}
	Display(Output{Text: "a"})
	Update("d1", Output{Text: "b"})
	if len(ids) != 2 || ids[0] != ":a" || ids[1] != "d1:b" {
		t.Errorf("sink saw %v", ids)
	}
}
