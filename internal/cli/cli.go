// Package cli is the flag plumbing shared by the command-line tools under mixflowlib/cmd: a flag set
// whose -h output starts with a one-line description, parsing that returns a flag error instead of
// printing it (so the tool prints it once, with its name), the -quick flag (default from
// MIXFLOW_QUICK) with its smoke-test sizes, flags that refuse values ≤ 0 by name, and the exit status
// (0 done or -h, 1 failed, 2 bad command line).
//
// The settings a flag fills are still validated by the layer they configure (trainer, objective,
// sampler, …); this package only catches what a flag alone can tell: an unknown flag, a value that
// does not parse, a size that must be positive.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/gomlx/compute"

	"github.com/mixflow/mixflow/mixflowlib/backend"
	"github.com/mixflow/mixflow/mixflowlib/env"
)

// UsageError marks a bad command line: Exit prints it and ends with status 2.
type UsageError struct{ Err error }

// Error returns the text of the wrapped error.
func (e UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, args ...any) error { return UsageError{fmt.Errorf(format, args...)} }

// NewFlagSet returns a flag set for the command name ("mixflow toy-train") that reports errors to its
// caller (flag.ContinueOnError) and writes -h output to out: first "name: summary", then the usage line
// and the flags.
func NewFlagSet(name, summary string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s: %s\n\nusage: %s [flags]\n\nflags:\n", name, summary, name)
		fs.PrintDefaults()
	}
	return fs
}

// Parse parses args into fs. With -h or -help it prints fs's usage and returns flag.ErrHelp. Any other
// problem (an unknown flag, a value that does not parse or is refused, arguments left over) is returned
// as a UsageError and not printed: the tool prints it once.
func Parse(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard) // the flag package would print the error and the whole usage
	err := fs.Parse(args)
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return err
	case err != nil:
		return UsageError{fmt.Errorf("%w (run '%s -h' for the flags)", err, fs.Name())}
	case fs.NArg() > 0:
		return Usagef("unexpected arguments %q", fs.Args())
	}
	return nil
}

// Exit ends the process of the tool named prog after its work returned err: status 0 for nil or
// flag.ErrHelp (the usage was printed already), else "prog: err" on stderr once and status 2 for a
// UsageError, 1 for any other error.
func Exit(prog string, err error) {
	os.Exit(Report(os.Stderr, prog, err))
}

// Report writes err as Exit does and returns the exit status Exit would use.
func Report(stderr io.Writer, prog string, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", prog, err)
	var ue UsageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// Backend asks mixflowlib/backend for the process's backend, once, for a tool to pass down to the
// library (trainer.Config.Backend, evaluator.Options.Backend, …), and prints "backend: <description>"
// on stdout. Call it after the flags are checked, before any work, so a backend that cannot be had
// (MIXFLOW_BACKEND=cuda without a GPU) stops the tool with the backend's one-line error, returned as it
// is: the tool prints it once, after its name.
func Backend(stdout io.Writer) (compute.Backend, error) {
	b, err := backend.New()
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(stdout, "backend:", backend.Describe())
	return b, nil
}

// SideTrain points at the settings the side trainers share (evaluator.TrainConfig for train-classifier,
// encoder.TrainConfig for train-encoder), for SideTrainFlags.
type SideTrain struct {
	Seed                                            *uint64
	Steps, Epochs, BatchSize, WarmupSteps, MaxShift *int
	LR, WeightDecay                                 *float64
	Flip                                            *bool
}

// SideTrainFlags registers the flags of a side trainer's shared settings on fs: -seed, -steps, -epochs,
// -batch, -lr, -warmup, -wd, -flip and -shift, each defaulting to the value its field of s points at.
// The configuration they fill validates them (its Validate).
func SideTrainFlags(fs *flag.FlagSet, s SideTrain) {
	fs.Uint64Var(s.Seed, "seed", *s.Seed, "seed of the initial weights, batch order and augmentations")
	fs.IntVar(s.Steps, "steps", *s.Steps, "optimiser steps (0: -epochs passes over the training images)")
	fs.IntVar(s.Epochs, "epochs", *s.Epochs, "passes over the 60000 training images when -steps is 0")
	fs.IntVar(s.BatchSize, "batch", *s.BatchSize, "batch size")
	fs.Float64Var(s.LR, "lr", *s.LR, "peak learning rate (AdamW, linear warm-up then cosine decay)")
	fs.IntVar(s.WarmupSteps, "warmup", *s.WarmupSteps, "warm-up steps")
	fs.Float64Var(s.WeightDecay, "wd", *s.WeightDecay, "AdamW weight decay")
	fs.BoolVar(s.Flip, "flip", *s.Flip, "random horizontal flips")
	fs.IntVar(s.MaxShift, "shift", *s.MaxShift, "random translations of up to this many pixels")
}

// SideTrainQuick returns quick mode's values of a side trainer's flags for SetUnset: 20 steps, 10 of
// warm-up, and the tool's own (more: flag name → value text).
func SideTrainQuick(more map[string]string) map[string]string {
	v := map[string]string{"steps": "20", "warmup": "10"}
	for k, x := range more {
		v[k] = x
	}
	return v
}

// Quick registers -quick, whose default is quick mode from the environment (MIXFLOW_QUICK, env.Quick).
// sizes describes what it shrinks, for the -h text ("base 300 steps, post 100").
func Quick(fs *flag.FlagSet, p *bool, sizes string) {
	usage := "quick mode: smoke-test sizes, not results (default from " + env.QuickVar + ")"
	if sizes != "" {
		usage = "quick mode: smoke-test sizes (" + sizes + "), not results (default from " + env.QuickVar + ")"
	}
	fs.BoolVar(p, "quick", env.Quick(), usage)
}

// ParseQuick registers -quick on fs (as Quick does; sizes is for the -h text), parses args (as Parse
// does) and, when -quick is on, sets the flags of quick (name → value text) that the command line left
// unset (as SetUnset does): the whole parse of a tool whose quick mode is only other flag values.
func ParseQuick(fs *flag.FlagSet, args []string, sizes string, quick map[string]string) error {
	var on bool
	Quick(fs, &on, sizes)
	if err := Parse(fs, args); err != nil || !on {
		return err
	}
	return SetUnset(fs, quick)
}

// SetUnset sets each flag of values (name → value text) that fs defines and the command line did not
// set; call it after Parse, for instance with the quick sizes when -quick is on. Names fs does not
// define are skipped, so one table can serve several subcommands.
func SetUnset(fs *flag.FlagSet, values map[string]string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, v := range values {
		if set[name] || fs.Lookup(name) == nil {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return fmt.Errorf("cli: setting -%s to %q: %w", name, v, err)
		}
	}
	return nil
}

// IsSet reports whether the command line set the flag name (call after Parse).
func IsSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// CheckPositive returns a UsageError naming the first of the flags names whose value is not > 0
// ("-base-batch 0: must be > 0"); NaN and ±Inf are refused too. Call it after Parse on the sizes and
// rates for which 0 means nothing (a batch size, a step count, a learning rate). The flags must be
// int, int64, uint, uint64 or float64 flags.
func CheckPositive(fs *flag.FlagSet, names ...string) error {
	for _, name := range names {
		f := fs.Lookup(name)
		if f == nil {
			return fmt.Errorf("cli: no flag -%s", name)
		}
		g, ok := f.Value.(flag.Getter)
		if !ok {
			return fmt.Errorf("cli: flag -%s has no value to check", name)
		}
		ok = false
		switch v := g.Get().(type) {
		case int:
			ok = v > 0
		case int64:
			ok = v > 0
		case uint:
			ok = v > 0
		case uint64:
			ok = v > 0
		case float64:
			ok = v > 0 && !math.IsInf(v, 1)
		default:
			return fmt.Errorf("cli: flag -%s is a %T, not a number", name, v)
		}
		if !ok {
			return Usagef("-%s %s: must be > 0", name, f.Value)
		}
	}
	return nil
}
