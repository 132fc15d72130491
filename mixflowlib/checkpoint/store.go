package checkpoint

import (
	"fmt"
	pathpkg "path"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
)

// normScope returns p as an absolute, cleaned scope path ("" and "/" are the root).
func normScope(p string) string {
	if p == "" {
		return "/"
	}
	return pathpkg.Clean("/" + p)
}

// Under reports whether the variable path p is the scope prefix itself or lies below it.
// The root scope ("/" or "") contains every path.
func Under(p, prefix string) bool {
	prefix = normScope(prefix)
	if prefix == "/" {
		return true
	}
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}

// underAny reports whether p lies under one of prefixes; no prefixes means everything.
func underAny(p string, prefixes []string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, pre := range prefixes {
		if Under(p, pre) {
			return true
		}
	}
	return false
}

// FromStore returns the variables of store that lie under one of prefixes (all variables when none is
// given), in the store's order, with their current values (not copies) and trainable flags. Every
// selected variable must have a value.
func FromStore(store *model.Store, prefixes ...string) ([]Variable, error) {
	if store == nil {
		return nil, fmt.Errorf("checkpoint: nil model.Store")
	}
	var vars []Variable
	for v := range store.IterVariables() {
		if !underAny(v.Path(), prefixes) {
			continue
		}
		if !v.HasValue() {
			return nil, fmt.Errorf("checkpoint: variable %q has no value (not initialised yet)", v.Path())
		}
		value, err := v.Value()
		if err != nil {
			return nil, fmt.Errorf("checkpoint: variable %q: %w", v.Path(), err)
		}
		vars = append(vars, Variable{Path: v.Path(), Value: value, Trainable: v.Trainable})
	}
	return vars, nil
}

// Save writes the variables of store under prefixes (all of them when none is given: model weights, EMA
// copies, optimiser moments, the global step and the Store's RNG state "/#rngState") together with meta
// to path, atomically (see Write).
func Save(path string, store *model.Store, meta Metadata, prefixes ...string) error {
	vars, err := FromStore(store, prefixes...)
	if err != nil {
		return fmt.Errorf("checkpoint: saving %s: %s", path, strings.TrimPrefix(err.Error(), "checkpoint: "))
	}
	return Write(path, vars, meta)
}

// Load reads the checkpoint at path (verifying it completely first) and restores its variables under
// prefixes (all when none is given) into store, under their own paths. Variables the store already has
// must have the same dtype and shape; they get the checkpoint's values. Variables the store lacks are
// created with their values and trainable flags, so a graph built afterwards finds them by path instead
// of initialising them. It returns the checkpoint's header (metadata and variable table).
func Load(path string, store *model.Store, prefixes ...string) (*Header, error) {
	if store == nil {
		return nil, fmt.Errorf("checkpoint: loading %s: nil model.Store", path)
	}
	ck, err := read(path, func(p string) bool { return underAny(p, prefixes) })
	if err != nil {
		return nil, err
	}
	if _, err := restore(store, ck.Variables, "/", "/", false); err != nil {
		return nil, fmt.Errorf("checkpoint: loading %s: %w", path, err)
	}
	return &ck.Header, nil
}

// Restore copies the variables in vars that lie under the scope from into store, renaming the prefix
// from to the prefix to: Restore(store, ck.Variables, "/ema/model", "/model") puts a checkpoint's EMA
// weights where a sampler looks for the model. Values are copied, so vars stays valid. Existing
// store variables must match in dtype and shape; missing ones are created (with the saved trainable
// flag). It returns how many variables were restored.
func Restore(store *model.Store, vars []Variable, from, to string) (int, error) {
	if store == nil {
		return 0, fmt.Errorf("checkpoint: restore: nil model.Store")
	}
	n, err := restore(store, vars, from, to, true)
	if err != nil {
		return n, fmt.Errorf("checkpoint: restore: %w", err)
	}
	return n, nil
}

func restore(store *model.Store, vars []Variable, from, to string, clone bool) (int, error) {
	from, to = normScope(from), normScope(to)
	n := 0
	for _, cv := range vars {
		if !Under(cv.Path, from) {
			continue
		}
		dst := cv.Path
		if from != to {
			dst = pathpkg.Join(to, strings.TrimPrefix(cv.Path, strings.TrimSuffix(from, "/")))
		}
		if cv.Value == nil || !cv.Value.Ok() {
			return n, fmt.Errorf("variable %q has no value", cv.Path)
		}
		value := cv.Value
		if clone {
			var err error
			if value, err = value.LocalClone(); err != nil {
				return n, fmt.Errorf("variable %q: %w", cv.Path, err)
			}
		}
		if existing := store.GetVariable(dst); existing != nil {
			if !existing.Shape().Equal(value.Shape()) {
				return n, fmt.Errorf("variable %q: the checkpoint holds %s but the store's variable %q is %s",
					cv.Path, value.Shape(), dst, existing.Shape())
			}
			if err := existing.SetValue(value); err != nil {
				return n, fmt.Errorf("variable %q: %w", dst, err)
			}
		} else {
			v, err := store.CreateVariable(dst, value)
			if err != nil {
				return n, fmt.Errorf("variable %q: %w", dst, err)
			}
			v.SetTrainable(cv.Trainable)
		}
		n++
	}
	return n, nil
}
