package nb_test

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/experiment/toyexp"
	"github.com/mixflow/mixflow/mixflowlib/nb"
)

// stopped runs f and returns the value it panicked with (nil if it returned).
func stopped(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

func TestMustAndCheck(t *testing.T) {
	if got := nb.Must(42, nil); got != 42 {
		t.Errorf("Must(42, nil) = %d", got)
	}
	bad := errors.New("disk full")
	if v := stopped(func() { nb.Must(0, bad) }); v != bad {
		t.Errorf("Must(0, err) panicked with %v, want the error itself", v)
	}
	if v := stopped(func() { nb.Check(nil) }); v != nil {
		t.Errorf("Check(nil) panicked with %v", v)
	}
}

// TestGammaInANotebook is γ = 1.3 and NaN entered the way a notebook enters it: the cell stops with
// objective.Spec's one error text, named once.
func TestGammaInANotebook(t *testing.T) {
	lab := &toyexp.Lab{Cache: expcache.New(t.TempDir()).WithSalt(toyexp.CacheSalt)}
	spec := toyexp.DefaultBaseSpec()
	spec.Model.Width, spec.Model.Depth, spec.Train.Steps, spec.Train.BatchSize = 16, 1, 20, 32
	base := nb.Must(lab.TrainBase(nb.Interruptible(), spec))
	for _, g := range []float64{1.3, nanValue()} {
		v := stopped(func() {
			nb.Must(lab.PostTrain(nb.Interruptible(), base, toyexp.DefaultPostSpec(toyexp.MixFlowObjective(g))))
		})
		err, ok := v.(error)
		if want := fmt.Sprintf("objective: gamma %v outside [0, 1]", g); !ok || err.Error() != want {
			t.Errorf("γ %v: the cell stopped with %v, want %q", g, v, want)
		}
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

func TestInterruptible(t *testing.T) {
	ctx := nb.Interruptible()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Skip("cannot signal this process:", err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the context was not cancelled by SIGINT")
	}
}

func Example() {
	n := nb.Must(fmt.Sscanf("7", "%d", new(int)))
	fmt.Println("scanned", n)
	// Output: scanned 1
}
