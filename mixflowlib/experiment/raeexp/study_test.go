package raeexp_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mixflow/mixflow/internal/graphtest"
	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/experiment/raeexp"
	"github.com/mixflow/mixflow/mixflowlib/timesteps"
)

// bruteDrop is the mean log-SNR drop of MixFlow's (t, m) draw by Monte Carlo over both uniforms, written
// from the definition (t = ShiftTime(√U, s), m = t·(1 − γU'), drop 2·(logit t − logit m)).
func bruteDrop(gamma, shift float64, n int) float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	logit := func(x float64) float64 { return math.Log(x / (1 - x)) }
	sum := 0.0
	for range n {
		t := timesteps.ShiftTime(math.Sqrt(rng.Float64()), shift)
		m := t * (1 - gamma*rng.Float64())
		sum += 2 * (logit(t) - logit(m))
	}
	return sum / float64(n)
}

// TestLogSNRDrop checks the drop against a Monte Carlo estimate from the definition and against the
// fidelity audit's numbers (official pairing 0.81 nats, γ 0.4 at 8/7 1.59), that it falls with the shift
// and grows with γ, and that the two inverse searches return the pairing they were built from.
func TestLogSNRDrop(t *testing.T) {
	for _, c := range []struct{ gamma, shift float64 }{{0.4, raeexp.OfficialShift()}, {0.4, 8.0 / 7}, {0.8, 1}, {0.2, 3}} {
		got, err := raeexp.LogSNRDrop(c.gamma, c.shift)
		if err != nil {
			t.Fatal(err)
		}
		// Monte Carlo standard error of the drop is below 0.004 at this n.
		if mc := bruteDrop(c.gamma, c.shift, 400000); math.Abs(got-mc) > 0.012 {
			t.Errorf("γ %g, s %g: drop %.4f, Monte Carlo %.4f", c.gamma, c.shift, got, mc)
		}
	}
	official, _ := raeexp.LogSNRDrop(0.4, math.Sqrt(48))
	current, _ := raeexp.LogSNRDrop(0.4, 8.0/7)
	if math.Abs(official-0.817) > 0.002 || math.Abs(current-1.598) > 0.002 {
		t.Errorf("drops %.4f (official) and %.4f (8/7), want 0.817 and 1.598", official, current)
	}
	if math.Abs(raeexp.OfficialShift()-math.Sqrt(48)) > 1e-12 {
		t.Errorf("official shift %v, want √48", raeexp.OfficialShift())
	}
	more, _ := raeexp.LogSNRDrop(0.4, 20)
	bigger, _ := raeexp.LogSNRDrop(0.6, 8.0/7)
	if !(more < official && bigger > current) {
		t.Errorf("drop should fall with the shift (%.4f at 20 vs %.4f) and grow with γ (%.4f at 0.6 vs %.4f)", more, official, bigger, current)
	}
	s, err := raeexp.ShiftForLogSNRDrop(0.4, official)
	if err != nil || math.Abs(s-math.Sqrt(48)) > 1e-3 {
		t.Errorf("shift for the official drop %v (%v), want √48", s, err)
	}
	g, err := raeexp.GammaForLogSNRDrop(8.0/7, official)
	if err != nil {
		t.Fatal(err)
	}
	if back, _ := raeexp.LogSNRDrop(g, 8.0/7); math.Abs(back-official) > 1e-4 || !(g > 0.1 && g < 0.4) {
		t.Errorf("γ %v for the official drop at 8/7 gives %.4f, want %.4f with γ in (0.1, 0.4)", g, back, official)
	}
	_, err = raeexp.LogSNRDrop(1, 2)
	graphtest.MustContain(t, err, "gamma 1")
	_, err = raeexp.LogSNRDrop(0.4, 0.5)
	graphtest.MustContain(t, err, "shift 0.5")
	_, err = raeexp.ShiftForLogSNRDrop(0.4, 5)
	graphtest.MustContain(t, err, "outside")
}

// TestStudyArms checks study 4's pairings and arms: standard first, both γ = 0 controls, the official,
// drop-matched-γ and current MixFlow pairings with the drops they claim, distinct labels, valid samplers.
func TestStudyArms(t *testing.T) {
	stage1 := raeexp.StudyStage1(true)
	ps, err := raeexp.StudyPairings(stage1)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 4 || ps[0].Gamma != rae.DefaultGamma || ps[0].Shift != raeexp.OfficialShift() || ps[3].Shift != 8.0/7 {
		t.Fatalf("pairings %+v", ps)
	}
	for _, p := range ps {
		d, err := raeexp.LogSNRDrop(p.Gamma, p.Shift)
		if err != nil || math.Abs(d-p.Drop) > 1e-3 {
			t.Errorf("%s: recorded drop %.4f, computed %.4f (%v)", p.Name, p.Drop, d, err)
		}
	}
	arms, err := raeexp.StudyArms(stage1)
	if err != nil {
		t.Fatal(err)
	}
	if len(arms) != 6 {
		t.Fatalf("%d arms", len(arms))
	}
	labels := map[string]bool{}
	for _, a := range arms {
		if labels[a.Label()] {
			t.Errorf("label %q twice", a.Label())
		}
		labels[a.Label()] = true
	}
	base, err := raeexp.StudyBase(stage1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if arms[0].Label() != base.Objective.Label() || arms[1].Gamma != 0 || arms[2].Gamma != 0 || arms[2].Shift != raeexp.OfficialShift() ||
		arms[3].Gamma != 0.4 || arms[5].Shift != 8.0/7 || math.Abs(arms[4].Gamma-ps[2].Gamma) > 1e-12 {
		t.Errorf("arms %v", labels)
	}
	ss, err := raeexp.StudySamplers(stage1)
	if err != nil || len(ss) != 4 {
		t.Fatalf("samplers %v (%v)", ss, err)
	}
	for _, s := range ss {
		if _, err := s.Canonical(); err != nil || s.Shift != 8.0/7 {
			t.Errorf("sampler %+v: %v", s, err)
		}
	}
}
