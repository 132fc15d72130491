package t2i_test

import (
	"encoding/json"
	"testing"

	"github.com/mixflow/mixflow/mixflowlib/backbone/t2i"
)

// TestConfigJSONPinned: the JSON form of a Config (what t2iexp hashes into its cache keys) is the one
// it had before Config embedded nn.DiTConfig: the DiT fields at the top level, in the same order.
func TestConfigJSONPinned(t *testing.T) {
	c, err := t2i.Preset("tiny", 20, 0)
	if err != nil {
		t.Fatal(err)
	}
	c.FreezeText = true
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"image_size":32,"channels":3,"patch_size":4,"depth":4,"hidden":128,"heads":4,"mlp_ratio":4,"time_freq_dim":256,"time_scale":1,"attention":"default","conditioning":"cross+pooled","text":{"vocab_size":20,"max_len":12,"width":64,"depth":2,"heads":2,"mlp_ratio":4},"freeze_text":true}`
	if string(b) != want {
		t.Errorf("JSON of the tiny preset\n got %s\nwant %s", b, want)
	}
	var back t2i.Config
	if err := json.Unmarshal(b, &back); err != nil || back != c {
		t.Errorf("JSON round trip: %+v, %v; want %+v", back, err, c)
	}
}
