package notebook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the notebook parser and runs the failure scan on what parses: a
// notebook or a named error, never a panic. The seeds are the committed test notebooks plus small
// hand-made ones.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.ipynb"))
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"nbformat":4,"nbformat_minor":5,"metadata":{"kernelspec":{"name":"mixflow"}},"cells":[{"cell_type":"code","source":["%%\n","x"],"metadata":{"tags":["raises-exception"]},"outputs":[{"output_type":"stream","name":"stderr","text":"panic: boom\n"},{"output_type":"error","ename":"E","evalue":"v","traceback":["\u001b[31mx"]},{"output_type":"display_data","data":{"text/plain":["a","b"],"image/png":7}}]}]}`))
	f.Add([]byte(`{"nbformat":3}`))
	f.Add([]byte("{\n\"cells\": [\n{\"source\": 1}]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		nb, err := Parse(data)
		if err != nil {
			if nb != nil || err.Error() == "" {
				t.Fatalf("notebook %v with error %q", nb, err)
			}
			return
		}
		for _, fl := range nb.Failures() {
			if fl.String() == "" {
				t.Fatalf("empty failure text for %+v", fl)
			}
		}
		for _, c := range nb.Cells {
			_ = c.Stderr()
			_ = StripANSI(strings.Join(c.Tags, " "))
		}
	})
}
