package experiment

// Run kinds every lab shares.
const (
	// RunBase is a model trained from scratch.
	RunBase = "base"
	// RunPost is a model post-trained from a base.
	RunPost = "post"
)

// RunInfo identifies a lab's run and what it was trained from: the fields every lab's Run starts with
// (B is the lab's BaseSpec, P its PostSpec). The labs embed it (its JSON fields are theirs).
type RunInfo[B, P any] struct {
	// Kind is RunBase, RunPost or a lab's own kind (e.g. an exact reference).
	Kind string `json:"kind"`
	// Label names the run for tables and legends, e.g. "base (FM)", "MixFlow γ=0.8".
	Label string `json:"label"`
	// Key identifies the run: its cache key ("<entry>-<hash12>"), or a lab's own key for runs that are
	// not trained. Evaluations and Slow Flow measurements of the run are cached under it.
	Key string `json:"key"`
	// Base is the spec of the base model (for a post-trained run, of the base it started from).
	Base *B `json:"base,omitempty"`
	// Post is the post-training spec (RunPost only); BaseKey the key of its base run.
	Post    *P     `json:"post,omitempty"`
	BaseKey string `json:"base_key,omitempty"`
	// FromCache is true when the call that returned the run loaded it from the cache (not stored).
	FromCache bool `json:"-"`
}
