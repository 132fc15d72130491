package nb

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/mixflow/mixflow/mixflowlib/expcache"
	"github.com/mixflow/mixflow/mixflowlib/experiment/toyexp"
)

// exited is the panic value of the test's exit.
type exited int

// stopped runs f with exit and stderr replaced; it returns what f printed and whether it exited (status 1).
func stopped(t *testing.T, f func()) (printed string, stopped bool) {
	t.Helper()
	var buf bytes.Buffer
	stderr, exit = &buf, func(code int) { panic(exited(code)) }
	defer func() { stderr, exit = os.Stderr, os.Exit }()
	func() {
		defer func() {
			if v := recover(); v != nil {
				if v != exited(1) {
					t.Errorf("exit status %v, want 1", v)
				}
				stopped = true
			}
		}()
		f()
	}()
	return buf.String(), stopped
}

func TestMustAndCheck(t *testing.T) {
	if out, s := stopped(t, func() {
		if got := Must(42, nil); got != 42 {
			t.Errorf("Must(42, nil) = %d", got)
		}
		Check(nil)
	}); s || out != "" {
		t.Errorf("no error: stopped %v, printed %q", s, out)
	}
	if out, s := stopped(t, func() { Must(0, errors.New("disk full")) }); !s || out != "disk full\n" {
		t.Errorf("Must(0, err): stopped %v, printed %q; want the one line", s, out)
	}
}

// TestGammaInANotebook is γ = 1.3 and NaN entered the way a notebook enters it: the cell stops with
// objective.Spec's one error text, named once.
func TestGammaInANotebook(t *testing.T) {
	lab := &toyexp.Lab{Cache: expcache.New(t.TempDir()).WithSalt(toyexp.CacheSalt)}
	spec := toyexp.DefaultBaseSpec()
	spec.Model.Width, spec.Model.Depth, spec.Train.Steps, spec.Train.BatchSize = 16, 1, 20, 32
	base := Must(lab.TrainBase(Interruptible(), spec))
	for _, g := range []float64{1.3, math.NaN()} {
		out, s := stopped(t, func() {
			Must(lab.PostTrain(Interruptible(), base, toyexp.DefaultPostSpec(toyexp.MixFlowObjective(g))))
		})
		if want := fmt.Sprintf("objective: gamma %v outside [0, 1]\n", g); !s || out != want {
			t.Errorf("γ %v: stopped %v, printed %q, want %q", g, s, out, want)
		}
	}
}

func TestInterruptible(t *testing.T) {
	ctx := Interruptible()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Skip("cannot signal this process:", err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the context was not cancelled by SIGINT")
	}
}
