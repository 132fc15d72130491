package experiment

// Spec is a lab's setting that canonicalises itself: it fills its defaults, normalises its names and
// reports its first invalid field (the layer it configures names itself in the error).
type Spec[T any] interface {
	Canonical() (T, error)
}

// BaseSpec describes the training of a base model from scratch: the lab's data, model, objective and
// training specs. A lab names its instance (toyexp.BaseSpec, imageexp.BaseSpec); its JSON form is the
// base run's cache key.
type BaseSpec[D Spec[D], M Spec[M], O Spec[O], T Spec[T]] struct {
	Data      D `json:"data"`
	Model     M `json:"model"`
	Objective O `json:"objective"`
	Train     T `json:"train"`
}

// Canonical canonicalises and validates every part.
func (b BaseSpec[D, M, O, T]) Canonical() (BaseSpec[D, M, O, T], error) {
	var err error
	if b.Data, err = b.Data.Canonical(); err != nil {
		return b, err
	}
	if b.Model, err = b.Model.Canonical(); err != nil {
		return b, err
	}
	if b.Objective, err = b.Objective.Canonical(); err != nil {
		return b, err
	}
	if b.Train, err = b.Train.Canonical(); err != nil {
		return b, err
	}
	return b, nil
}

// Validate reports the first invalid field of b.
func (b BaseSpec[D, M, O, T]) Validate() error { return Validate(b) }

// PostSpec describes a post-training run started from a base model's checkpoint, with the lab's
// objective and training specs.
type PostSpec[O Spec[O], T Spec[T]] struct {
	// Objective is the post-training loss (standard flow matching or MixFlow).
	Objective O `json:"objective"`
	// Train holds the post-training settings; its step counter starts at 0.
	Train T `json:"train"`
	// FromEMA starts from the base's EMA weights (as post-training a released checkpoint does) instead of
	// its raw weights.
	FromEMA bool `json:"from_ema"`
	// KeepOptimizer carries the base's Adam moments over instead of starting the optimiser afresh.
	KeepOptimizer bool `json:"keep_optimizer,omitempty"`
	// DataSeed seeds the post-training data stream; 0 derives it from the base's data seed (seed + 2³²,
	// DataSeed), so post-training does not replay the base's first batches.
	DataSeed uint64 `json:"data_seed,omitempty"`
}

// Canonical canonicalises and validates every part.
func (p PostSpec[O, T]) Canonical() (PostSpec[O, T], error) {
	var err error
	if p.Objective, err = p.Objective.Canonical(); err != nil {
		return p, err
	}
	if p.Train, err = p.Train.Canonical(); err != nil {
		return p, err
	}
	return p, nil
}

// Validate reports the first invalid field of p.
func (p PostSpec[O, T]) Validate() error { return Validate(p) }

// PostKey is what a post-training run's cache key hashes: the base's full spec and the post spec.
type PostKey[B, P any] struct {
	Base B `json:"base"`
	Post P `json:"post"`
}

// Validate reports the first invalid field of s: the error of its Canonical. The specs' Validate
// methods call it.
func Validate[T Spec[T]](s T) error {
	_, err := s.Canonical()
	return err
}
