package imageexp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/core/tensors"

	"github.com/mixflow/mixflow/datasets"
	"github.com/mixflow/mixflow/mixflowlib/nn"
	"github.com/mixflow/mixflow/mixflowlib/trainer"
)

// canonicalFunc is a kind's optional Canonical function: its params with every default spelled out and
// validated.
type canonicalFunc = func(params json.RawMessage) (json.RawMessage, error)

// registry maps kind names to plug-ins; safe for concurrent use.
type registry[T any] struct {
	what string
	// fn names the function a plug-in must have; ok reports whether it has it.
	fn string
	ok func(T) bool
	// canonical returns a plug-in's Canonical function (nil for none); nil for plug-ins without one.
	canonical func(T) canonicalFunc
	mu        sync.RWMutex
	kinds     map[string]T
}

func (r *registry[T]) register(kind string, v T) error {
	if !r.ok(v) {
		return fmt.Errorf("imageexp: register %s %q: nil %s", r.what, kind, r.fn)
	}
	if strings.TrimSpace(kind) != kind || kind == "" {
		return fmt.Errorf("imageexp: register %s: kind %q must be non-empty without surrounding spaces", r.what, kind)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.kinds == nil {
		r.kinds = map[string]T{}
	}
	if _, dup := r.kinds[kind]; dup {
		return fmt.Errorf("imageexp: register %s: kind %q is already registered", r.what, kind)
	}
	r.kinds[kind] = v
	return nil
}

func (r *registry[T]) get(kind string) (T, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.kinds[kind]
	if !ok {
		var zero T
		return zero, fmt.Errorf("imageexp: unknown %s kind %q (registered: %s)", r.what, kind, strings.Join(r.namesLocked(), ", "))
	}
	return v, nil
}

// params returns the plug-in of kind and params as the kind canonicalises them (compact JSON when it
// has no Canonical function).
func (r *registry[T]) params(kind string, params json.RawMessage) (T, json.RawMessage, error) {
	k, err := r.get(kind)
	if err != nil {
		return k, nil, err
	}
	p, err := compactParams(r.what+" "+kind, params)
	if err != nil {
		return k, nil, err
	}
	if canon := r.canonical(k); canon != nil {
		if p, err = canon(p); err != nil {
			return k, nil, err
		}
	}
	return k, p, nil
}

// build returns what the plug-in of kind (registered) makes of canonical params through newV, with
// errors naming the kind (fn names newV in the error when it returns nothing; isNil says whether it did).
func build[T, V any](r *registry[T], kind string, params json.RawMessage, fn string, isNil func(V) bool,
	newV func(T, json.RawMessage) (V, error)) (V, error) {
	var zero V
	k, err := r.get(kind)
	if err != nil {
		return zero, err
	}
	v, err := newV(k, params)
	if err == nil && isNil(v) {
		err = fmt.Errorf("%s returned nil", fn)
	}
	if err != nil {
		return zero, fmt.Errorf("imageexp: %s %s: %w", r.what, kind, err)
	}
	return v, nil
}

func (r *registry[T]) names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.namesLocked()
}

func (r *registry[T]) namesLocked() []string {
	out := make([]string, 0, len(r.kinds))
	for k := range r.kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// memo holds what canonical specs built, once per process; safe for concurrent use.
type memo[V any] struct {
	mu sync.Mutex
	m  map[string]V
}

// get returns the value built for the canonical spec, building it with newV the first time (a failed
// build is not kept).
func (m *memo[V]) get(spec any, newV func() (V, error)) (V, error) {
	key := string(MustJSON(spec))
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.m[key]; ok {
		return v, nil
	}
	v, err := newV()
	if err != nil {
		return v, err
	}
	if m.m == nil {
		m.m = map[string]V{}
	}
	m.m[key] = v
	return v, nil
}

var (
	backbones = &registry[BackboneKind]{what: "backbone", fn: "Build",
		ok:        func(k BackboneKind) bool { return k.Build != nil },
		canonical: func(k BackboneKind) canonicalFunc { return k.Canonical }}
	dataKinds = &registry[DataKind]{what: "data", fn: "Load",
		ok:        func(k DataKind) bool { return k.Load != nil },
		canonical: func(k DataKind) canonicalFunc { return k.Canonical }}
	evaluators = &registry[EvaluatorKind]{what: "evaluator", fn: "New",
		ok:        func(k EvaluatorKind) bool { return k.New != nil },
		canonical: func(k EvaluatorKind) canonicalFunc { return k.Canonical }}
	wrappers = &registry[ObjectiveWrapper]{what: "objective wrapper", fn: "wrapper",
		ok:        func(w ObjectiveWrapper) bool { return w != nil },
		canonical: func(ObjectiveWrapper) canonicalFunc { return nil }}
)

// compactParams returns params as compact JSON ("null" and empty become nil), or an error for invalid JSON.
func compactParams(what string, params json.RawMessage) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(params)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, trimmed); err != nil {
		return nil, fmt.Errorf("imageexp: %s params are not valid JSON: %w", what, err)
	}
	return buf.Bytes(), nil
}

// DecodeParams decodes a kind's JSON parameters into v, rejecting unknown fields so that a typo cannot
// hash like a default; empty parameters (or null) leave v as it is. what names the kind in the error
// ("imageexp: sit" gives "imageexp: sit params …: …"). Kinds registered outside imageexp use it too.
func DecodeParams(what string, params json.RawMessage, v any) error {
	if p := bytes.TrimSpace(params); len(p) == 0 || string(p) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(params))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s params %s: %w", what, params, err)
	}
	return nil
}

func decodeStrict(what string, params json.RawMessage, v any) error {
	return DecodeParams("imageexp: "+what, params, v)
}

// MustJSON marshals v, a plain parameters struct that always marshals (it panics otherwise).
func MustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("imageexp: marshal %T: %v", v, err))
	}
	return b
}

// CanonicalParams returns a kind's Canonical function for parameters that parse decodes, fills and
// validates: the JSON of what parse returns.
func CanonicalParams[P any](parse func(json.RawMessage) (P, error)) func(json.RawMessage) (json.RawMessage, error) {
	return func(params json.RawMessage) (json.RawMessage, error) {
		p, err := parse(params)
		if err != nil {
			return nil, err
		}
		return MustJSON(p), nil
	}
}

// ConfigBackbone returns the backbone kind whose parameters are a configuration C (sit.Config,
// t2i.Config, rae.DDTConfig): decoded strictly (DecodeParams), with C's defaults filled and validated
// (errors in the words of what, e.g. "imageexp: sit"), and built by build.
func ConfigBackbone[C interface {
	WithDefaults() C
	Validate() error
}, B nn.Backbone](what string, build func(C) (B, error)) BackboneKind {
	parse := func(params json.RawMessage) (C, error) {
		var c C
		if err := DecodeParams(what, params, &c); err != nil {
			return c, err
		}
		c = c.WithDefaults()
		if err := c.Validate(); err != nil {
			return c, fmt.Errorf("%s params: %w", what, err)
		}
		return c, nil
	}
	return BackboneKind{
		Canonical: CanonicalParams(parse),
		Build: func(params json.RawMessage) (nn.Backbone, error) {
			c, err := parse(params)
			if err != nil {
				return nil, err
			}
			b, err := build(c)
			if err != nil {
				return nil, err
			}
			return b, nil
		},
	}
}

// ---------------------------------------------------------------------------------------------------
// Backbones

// BackboneKind describes how to build one kind of backbone from its JSON parameters.
type BackboneKind struct {
	// Build returns the backbone described by params (already canonical when Canonical is set). The result
	// must implement nn.Guidable for guided sampling.
	Build func(params json.RawMessage) (nn.Backbone, error)
	// Canonical, optional, returns params with every default spelled out and validated, so that equivalent
	// specs hash alike and a bad spec fails before any work.
	Canonical func(params json.RawMessage) (json.RawMessage, error)
}

// RegisterBackbone makes a backbone kind available to ModelSpec. Register in an init function of the
// package that provides it; registering a kind twice, an empty kind or a nil Build is an error.
func RegisterBackbone(kind string, k BackboneKind) error { return backbones.register(kind, k) }

// BackboneKinds lists the registered backbone kinds.
func BackboneKinds() []string { return backbones.names() }

// ModelSpec names a backbone: a registered kind and its JSON parameters.
type ModelSpec struct {
	// Kind is a kind registered with RegisterBackbone ("sit" is built in).
	Kind string `json:"kind"`
	// Params are the kind's parameters (for "sit", a sit.Config as JSON).
	Params json.RawMessage `json:"params,omitempty"`
}

// Canonical returns m with its parameters canonicalised by the kind (compact JSON otherwise).
func (m ModelSpec) Canonical() (ModelSpec, error) {
	_, p, err := backbones.params(m.Kind, m.Params)
	if err != nil {
		return m, err
	}
	m.Params = p
	return m, nil
}

// Build returns the backbone m describes.
func (m ModelSpec) Build() (nn.Backbone, error) {
	c, err := m.Canonical()
	if err != nil {
		return nil, err
	}
	return build(backbones, c.Kind, c.Params, "Build", func(net nn.Backbone) bool { return net == nil },
		func(k BackboneKind, p json.RawMessage) (nn.Backbone, error) { return k.Build(p) })
}

// ---------------------------------------------------------------------------------------------------
// Data

// Data is a loaded data set as the experiments use it. Model space is what the backbone sees (pixels in
// [−1, 1], or latents); evaluation space is what Decode returns and evaluators score (images in [−1, 1]).
type Data struct {
	// Name describes the data and its settings.
	Name string
	// Train streams training batches in model space: X float32 [B, Shape...] and their conditioning.
	Train datasets.Source
	// Shape is the shape of one example in model space, e.g. [32, 32, 1].
	Shape []int
	// NumClasses is the number of classes of class-conditional data; 0 for unconditional or text data.
	NumClasses int
	// HeldOut are real examples in model space with their conditioning, never trained on: the reference
	// set of Slow Flow measurements.
	HeldOut datasets.Batch
	// Conds returns the conditioning of n generated samples for an evaluation seed (e.g. balanced class
	// labels, or captions). nil means unconditional generation (empty datasets.Cond).
	Conds func(n int, seed uint64) (datasets.Cond, error)
	// Real returns n real examples in evaluation space with their conditioning, drawn with seed from data
	// the evaluator's reference statistics were not computed on: scored like generated images, they give
	// the metrics' noise floor (what a perfect generator scores with n images). nil: no floor.
	Real func(n int, seed uint64) (datasets.Batch, error)
	// Decode maps generated samples from model space to evaluation space, float32 [N, H, W, C] in [−1, 1]
	// (a latent decoder, say). nil means the identity.
	Decode func(x *tensors.Tensor) (*tensors.Tensor, error)
}

// DataKind describes how to load one kind of data from its JSON parameters.
type DataKind struct {
	// Load returns the data described by params; seed seeds the training stream (post-training uses
	// another seed than the base training, so that it does not replay the base's batches).
	Load func(params json.RawMessage, seed uint64) (*Data, error)
	// Canonical, optional, returns params with every default spelled out and validated.
	Canonical func(params json.RawMessage) (json.RawMessage, error)
}

// RegisterData makes a data kind available to DataSpec (see RegisterBackbone for the rules).
func RegisterData(kind string, k DataKind) error { return dataKinds.register(kind, k) }

// TypedData returns the DataKind of typed parameters P: the JSON parameters are decoded strictly
// (DecodeParams, in the words of what, e.g. "imageexp: fashion-mnist"), then fill spells out P's defaults
// and validates it (the JSON of its result is the canonical form), and load loads the data from them.
func TypedData[P any](what string, fill func(P) (P, error), load func(p P, seed uint64) (*Data, error)) DataKind {
	parse := func(params json.RawMessage) (P, error) {
		var p P
		if err := DecodeParams(what, params, &p); err != nil {
			return p, err
		}
		return fill(p)
	}
	return DataKind{
		Load: func(params json.RawMessage, seed uint64) (*Data, error) {
			p, err := parse(params)
			if err != nil {
				return nil, err
			}
			return load(p, seed)
		},
		Canonical: CanonicalParams(parse),
	}
}

// MustRegisterData is RegisterData for a package's init: it panics when the kind cannot be registered.
func MustRegisterData(kind string, k DataKind) {
	if err := RegisterData(kind, k); err != nil {
		panic(err)
	}
}

// DataKinds lists the registered data kinds.
func DataKinds() []string { return dataKinds.names() }

// DataSpec names the training data: a registered kind, its parameters and the seed of the training stream.
type DataSpec struct {
	// Kind is a kind registered with RegisterData ("fashion-mnist" is built in).
	Kind string `json:"kind"`
	// Params are the kind's parameters (for "fashion-mnist", FashionMNISTParams).
	Params json.RawMessage `json:"params,omitempty"`
	// Seed seeds the training stream: batch k is a pure function of (Params, Seed, k).
	Seed uint64 `json:"seed"`
}

// Canonical returns d with its parameters canonicalised by the kind.
func (d DataSpec) Canonical() (DataSpec, error) {
	_, p, err := dataKinds.params(d.Kind, d.Params)
	if err != nil {
		return d, err
	}
	d.Params = p
	return d, nil
}

var loaded memo[*Data]

// Load returns the data d describes, loading it once per process (later calls with an equal spec return
// the same *Data, which must be treated as read-only).
func (d DataSpec) Load() (*Data, error) {
	return d.loadWithSeed(d.Seed)
}

func (d DataSpec) loadWithSeed(seed uint64) (*Data, error) {
	c, err := d.Canonical()
	if err != nil {
		return nil, err
	}
	c.Seed = seed
	return loaded.get(c, func() (*Data, error) {
		return build(dataKinds, c.Kind, c.Params, "Load", func(*Data) bool { return false },
			func(k DataKind, p json.RawMessage) (*Data, error) {
				data, err := k.Load(p, seed)
				if err != nil {
					return nil, err
				}
				return data, checkData(data)
			})
	})
}

func checkData(d *Data) error {
	switch {
	case d == nil:
		return errors.New("Load returned nil")
	case d.Train == nil:
		return errors.New("no training source")
	case len(d.Shape) == 0:
		return errors.New("no example shape")
	case d.NumClasses < 0:
		return fmt.Errorf("negative NumClasses %d", d.NumClasses)
	}
	for _, n := range d.Shape {
		if n < 1 {
			return fmt.Errorf("example shape %v has a non-positive dimension", d.Shape)
		}
	}
	if d.HeldOut.X != nil {
		dims := d.HeldOut.X.Shape().Dimensions
		if len(dims) != len(d.Shape)+1 || !equalInts(dims[1:], d.Shape) {
			return fmt.Errorf("held-out set has shape %v, want [N %v]", dims, d.Shape)
		}
	}
	return nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------------------------------
// Evaluators

// Evaluator scores generated images: images are float32 [N, H, W, C] in evaluation space (generated
// images are clipped to [−1, 1] first, as saving them would; real ones are in range), cond the
// conditioning they were generated for (empty when unconditional). It returns named metrics; which are
// better high or low is the evaluator's documentation's business.
type Evaluator func(images *tensors.Tensor, cond datasets.Cond) (map[string]float64, error)

// EvaluatorKind describes how to build one kind of evaluator from its JSON parameters.
type EvaluatorKind struct {
	// New returns the evaluator described by params.
	New func(params json.RawMessage) (Evaluator, error)
	// Canonical, optional, returns params with every default spelled out and validated.
	Canonical func(params json.RawMessage) (json.RawMessage, error)
}

// RegisterEvaluator makes an evaluator kind available to EvaluatorSpec (see RegisterBackbone for the
// rules).
func RegisterEvaluator(kind string, k EvaluatorKind) error { return evaluators.register(kind, k) }

// EvaluatorKinds lists the registered evaluator kinds.
func EvaluatorKinds() []string { return evaluators.names() }

// EvaluatorSpec names an evaluator: a registered kind and its parameters.
type EvaluatorSpec struct {
	// Kind is a kind registered with RegisterEvaluator ("fmnist" is built in).
	Kind string `json:"kind"`
	// Params are the kind's parameters.
	Params json.RawMessage `json:"params,omitempty"`
}

// Canonical returns e with its parameters canonicalised by the kind.
func (e EvaluatorSpec) Canonical() (EvaluatorSpec, error) {
	_, p, err := evaluators.params(e.Kind, e.Params)
	if err != nil {
		return e, err
	}
	e.Params = p
	return e, nil
}

var built memo[Evaluator]

// New returns the evaluator e describes, built once per process.
func (e EvaluatorSpec) New() (Evaluator, error) {
	c, err := e.Canonical()
	if err != nil {
		return nil, err
	}
	return built.get(c, func() (Evaluator, error) {
		return build(evaluators, c.Kind, c.Params, "New", func(ev Evaluator) bool { return ev == nil },
			func(k EvaluatorKind, p json.RawMessage) (Evaluator, error) { return k.New(p) })
	})
}

// ---------------------------------------------------------------------------------------------------
// Objective wrappers

// ObjectiveWrapper wraps the objective an ObjectiveSpec builds (flow matching or MixFlow) into another
// one, e.g. adding REPA's representation-alignment loss; params are ObjectiveSpec.WrapParams. The
// wrapper's Name should mention the inner objective's Name.
type ObjectiveWrapper func(params json.RawMessage, inner trainer.Objective) (trainer.Objective, error)

// RegisterObjectiveWrapper makes a wrapper available to ObjectiveSpec.Wrap (see RegisterBackbone for the
// rules).
func RegisterObjectiveWrapper(name string, w ObjectiveWrapper) error {
	return wrappers.register(name, w)
}
