package experiment

import (
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/expcache"
)

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

// RunLabel returns the run's label: with Trained.TrainHistory, what views over every lab's runs read
// (expview.RunsLoss).
func (r *RunInfo[B, P]) RunLabel() string { return r.Label }

// record sets the run's key and whether it came from the cache.
func (r *RunInfo[B, P]) record(info expcache.Info) { r.Key, r.FromCache = info.Key, info.Hit }

// isBase reports whether the run is a base run that holds its spec.
func (r *RunInfo[B, P]) isBase() bool { return r.Kind == RunBase && r.Base != nil }

// baseSpec returns the spec of the run's base.
func (r *RunInfo[B, P]) baseSpec() any { return *r.Base }

// runKey returns the run's key.
func (r *RunInfo[B, P]) runKey() string { return r.Key }

// trained returns t (a lab's Run reaches its embedded Trained through it).
func (t *Trained) trained() *Trained { return t }

// trainedRun is a pointer to a lab's Run type R, which embeds RunInfo and Trained.
type trainedRun[R any] interface {
	*R
	record(expcache.Info)
	isBase() bool
	runKey() string
	trained() *Trained
	baseSpec() any
	Resolve(expcache.Info)
}

// ComputeRun is Compute for a training run of a lab (R: the lab's Run, embedding RunInfo and Trained):
// on success it records the run's key and whether it came from the cache, makes its checkpoint path
// absolute (Trained.Resolve) and ends st with the key and the final loss.
func ComputeRun[R any, PR trainedRun[R]](c *expcache.Cache, st *Stage, name string, key any,
	compute func(dir string) (R, error)) (*R, error) {
	run, info, err := Compute(c, st, name, key, compute)
	if err != nil {
		return nil, err
	}
	p := PR(&run)
	p.record(info)
	p.Resolve(info)
	st.End(info.Hit, fmt.Sprintf("%s, final loss %.4f", info.Key, p.trained().FinalLoss))
	return p, nil
}

// Training is how a lab trains one kind of run from a canonical spec S (its BaseSpec or PostSpec) for
// TrainBase and PostTrain; R is the lab's Run.
type Training[S, R any] struct {
	// Name is the cache entry of the runs (e.g. "toy-base").
	Name string
	// Label names the run trained from s, e.g. "base (FM)".
	Label func(s S) string
	// Begin, optional, starts the stage that reports the training of the run named label.
	Begin func(s S, label string) *Stage
	// Train trains the run named label in the cache directory dir, reporting to st.
	Train func(dir string, s S, label string, st *Stage) (R, error)
}

// compute starts the stage of the run trained from the canonical spec s (when t has Begin) and
// returns the run that t trains, cached under t.Name and key (ComputeRun).
func compute[S, R any, PR trainedRun[R]](c *expcache.Cache, t Training[S, R], s S, key any) (*R, error) {
	label := t.Label(s)
	var st *Stage
	if t.Begin != nil {
		st = t.Begin(s, label)
	}
	return ComputeRun[R, PR](c, st, t.Name, key, func(dir string) (R, error) { return t.Train(dir, s, label, st) })
}

// TrainBase is every lab's TrainBase (R: the lab's Run): it canonicalises spec and returns the run t
// trains from it, cached under t.Name and the canonical spec.
func TrainBase[S Spec[S], R any, PR trainedRun[R]](c *expcache.Cache, spec S, t Training[S, R]) (*R, error) {
	s, err := spec.Canonical()
	if err != nil {
		return nil, err
	}
	return compute[S, R, PR](c, t, s, s)
}

// PostTrain is every lab's PostTrain (R: the lab's Run, P its PostSpec): it canonicalises spec, checks
// that base can be post-trained with it (CheckPostBase in the words of lab, with the EMA weights when
// fromEMA says the spec starts from them) and returns the run t trains, cached under t.Name and PostKey
// of base's spec and the canonical spec.
func PostTrain[P Spec[P], R any, PR trainedRun[R]](c *expcache.Cache, lab string, base PR, spec P, fromEMA func(P) bool,
	t Training[P, R]) (*R, error) {
	s, err := spec.Canonical()
	if err != nil {
		return nil, err
	}
	if err := CheckPostBase(lab, base, fromEMA(s)); err != nil {
		return nil, err
	}
	return compute[P, R, PR](c, t, s, PostKey[any, P]{Base: base.baseSpec(), Post: s})
}

// CheckPostBase reports, in the words of lab ("toyexp"), whether base can be post-trained: a base run
// returned by TrainBase, with a checkpoint, and with EMA weights when fromEMA asks to start from them.
func CheckPostBase[R any, PR trainedRun[R]](lab string, base PR, fromEMA bool) error {
	if base == nil || !base.isBase() || base.trained().Checkpoint == "" {
		return fmt.Errorf("%s: post-train: base must be a run returned by TrainBase", lab)
	}
	if fromEMA && !base.trained().HasEMA {
		return fmt.Errorf("%s: post-train: from_ema set but the base run %s kept no EMA (ema_decay 0)", lab, base.runKey())
	}
	return nil
}

// TrainSeconds returns the sum of the training wall times of runs (PR: a lab's *Run), as recorded when
// each was trained (cache hits included): what they cost from an empty cache.
func TrainSeconds[R any, PR trainedRun[R]](runs []PR) float64 {
	var total float64
	for _, r := range runs {
		total += r.trained().TrainSeconds
	}
	return total
}
