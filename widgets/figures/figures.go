// Package figures builds the ready-made research figures of the MixFlow notebooks from plain Go data:
// the Slow Flow band, timestep densities, the joint (t, m_t) of the slowed interpolation mixture,
// γ-ablation and metric-vs-steps charts, loss curves and 2-D sample scatters.
//
// Every builder returns a chart.Figure (Display it in a notebook, Save it to .png/.html elsewhere) and an
// error that names the figure, the input and the problem. Timesteps follow the project convention:
// t = 0 is noise, t = 1 is data; a slowed timestep m_t ≤ t has more noise.
package figures

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/mixflow/mixflow/mixflowlib/metrics"
	"github.com/mixflow/mixflow/widgets/chart"
)

// Reference is a horizontal reference line, e.g. the baseline's score in an ablation.
type Reference struct {
	// Label names the line in the legend.
	Label string
	// Value is its height.
	Value float64
}

func checkFinite(fig, what string, v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("figures: %s: %s[%d] is %v", fig, what, i, x)
		}
	}
	return nil
}

func checkLen(fig, name, what string, v []float64, n int) error {
	if v != nil && len(v) != n {
		return fmt.Errorf("figures: %s: %q: %s has %d values, want %d (one per x)", fig, name, what, len(v), n)
	}
	return nil
}

func checkGamma(fig string, gamma float64) error {
	if math.IsNaN(gamma) || gamma < 0 || gamma > 1 {
		return fmt.Errorf("figures: %s: gamma %v outside [0, 1]", fig, gamma)
	}
	return nil
}

func wrap(fig string, f chart.Figure) (chart.Figure, error) {
	if err := f.Validate(); err != nil {
		return chart.Figure{}, fmt.Errorf("figures: %s: %w", fig, err)
	}
	return f, nil
}

func refLines(refs []Reference, x0, x1 float64) ([]chart.Series, error) {
	var out []chart.Series
	for i, r := range refs {
		if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) {
			return nil, fmt.Errorf("figures: reference %d (%q) is %v", i, r.Label, r.Value)
		}
		out = append(out, chart.Line(r.Label, []float64{x0, x1}, []float64{r.Value, r.Value}).Dashed().WithWidth(1.5))
	}
	return out, nil
}

// Band is one Slow Flow measurement: for each sampling timestep X[i], statistics over samples of the
// slowed timestep (the timestep of the nearest ground-truth interpolation). Lo/Hi (a quantile band) and
// Min/Max (the full range) are optional (nil).
type Band struct {
	// Name labels the model, e.g. "SiT-B/2" or "MixFlow γ = 0.8".
	Name string
	// X are the sampling timesteps t.
	X []float64
	// Mean is the mean slowed timestep at each t.
	Mean []float64
	// Lo, Hi bound a quantile band (e.g. 5 % and 95 %).
	Lo, Hi []float64
	// Min, Max are the smallest and largest slowed timestep observed.
	Min, Max []float64
}

// SlowFlowOptions configures SlowFlow.
type SlowFlowOptions struct {
	// Title of the figure (default "Slow Flow: slowed vs sampling timestep").
	Title string
	// Gamma, when > 0, draws m = (1−γ)t, the lower edge of MixFlow's training interval [(1−γ)t, t].
	Gamma float64
	// BandLabel describes Lo/Hi in the subtitle, e.g. "5–95 % quantiles".
	BandLabel string
}

// SlowFlow draws the Slow Flow band plot of the MixFlow paper (Fig. 1): slowed timestep against sampling
// timestep with the y = x diagonal; for each band the mean line, the quantile band and the min–max range.
// A band below the diagonal means generated samples at step t look like ground truth at an earlier
// (noisier) timestep.
func SlowFlow(bands []Band, o SlowFlowOptions) (chart.Figure, error) {
	const fig = "slow flow"
	if len(bands) == 0 {
		return chart.Figure{}, fmt.Errorf("figures: %s: no bands", fig)
	}
	if o.Gamma != 0 {
		if err := checkGamma(fig, o.Gamma); err != nil {
			return chart.Figure{}, err
		}
	}
	p := chart.Panel{
		X: chart.Axis{Label: "sampling timestep t", Range: [2]float64{0, 1}},
		Y: chart.Axis{Label: "slowed timestep", Range: [2]float64{0, 1}},
	}
	p.Series = append(p.Series, chart.Line("y = x (no slowing)", []float64{0, 1}, []float64{0, 1}).Dashed().WithColor(chart.Neutral).WithWidth(1.5))
	if o.Gamma > 0 {
		p.Series = append(p.Series, chart.Line(fmt.Sprintf("m = (1−γ)t, γ = %g", o.Gamma), []float64{0, 1}, []float64{0, 1 - o.Gamma}).Dashed().WithColor("#555555").WithWidth(1))
	}
	for _, b := range bands {
		n := len(b.X)
		if n == 0 {
			return chart.Figure{}, fmt.Errorf("figures: %s: band %q has no points", fig, b.Name)
		}
		for _, c := range []struct {
			what string
			v    []float64
		}{{"Mean", b.Mean}, {"Lo", b.Lo}, {"Hi", b.Hi}, {"Min", b.Min}, {"Max", b.Max}} {
			if err := checkLen(fig, b.Name, c.what, c.v, n); err != nil {
				return chart.Figure{}, err
			}
		}
		if b.Mean == nil {
			return chart.Figure{}, fmt.Errorf("figures: %s: band %q has no Mean", fig, b.Name)
		}
		if (b.Lo == nil) != (b.Hi == nil) || (b.Min == nil) != (b.Max == nil) {
			return chart.Figure{}, fmt.Errorf("figures: %s: band %q: give Lo with Hi and Min with Max", fig, b.Name)
		}
		if b.Min != nil {
			p.Series = append(p.Series, chart.Band(b.Name, b.X, b.Min, b.Max).WithOpacity(0.10))
		}
		if b.Lo != nil {
			p.Series = append(p.Series, chart.Band(b.Name, b.X, b.Lo, b.Hi).WithOpacity(0.28))
		}
		p.Series = append(p.Series, chart.Line(b.Name, b.X, b.Mean).WithWidth(2.5))
	}
	title := cmp.Or(o.Title, "Slow Flow: slowed vs sampling timestep")
	sub := "line: mean"
	if o.BandLabel != "" {
		sub += "; dark band: " + o.BandLabel
	}
	sub += "; light band: min–max over samples"
	f := chart.Single(title, p)
	f.Subtitle = sub
	f.Height = 520
	return wrap(fig, f)
}

// Density is one timestep distribution: samples (shown as a histogram) and/or an analytic density
// curve (X, P). Either part may be empty.
type Density struct {
	// Name labels the distribution, e.g. "Beta(2,1)".
	Name string
	// Samples are draws of t.
	Samples []float64
	// X, P give the analytic density p(X[i]) = P[i].
	X, P []float64
}

// DensityOptions configures TimestepDensities.
type DensityOptions struct {
	// Title of the figure (default "Timestep distributions").
	Title string
	// Bins is the number of histogram bins (default 40).
	Bins int
	// Range is the histogram range (default [0, 1]).
	Range [2]float64
	// Filled draws histograms as translucent bars instead of outlines (clearer for one distribution,
	// muddier for several).
	Filled bool
	// XLabel overrides the x-axis label (default "t (0 = noise, 1 = data)").
	XLabel string
}

// TimestepDensities overlays timestep distributions: for each one the histogram of its samples (a step
// outline, or bars when Filled) and its analytic density curve, in one colour.
func TimestepDensities(ds []Density, o DensityOptions) (chart.Figure, error) {
	const fig = "timestep densities"
	if len(ds) == 0 {
		return chart.Figure{}, fmt.Errorf("figures: %s: no distributions", fig)
	}
	bins := o.Bins
	if bins == 0 {
		bins = 40
	}
	rng := o.Range
	if !(rng[0] < rng[1]) {
		rng = [2]float64{0, 1}
	}
	xl := o.XLabel
	if xl == "" {
		xl = "t (0 = noise, 1 = data)"
	}
	p := chart.Panel{X: chart.Axis{Label: xl, Range: rng}, Y: chart.Axis{Label: "density"}}
	for _, d := range ds {
		if len(d.Samples) == 0 && len(d.X) == 0 {
			return chart.Figure{}, fmt.Errorf("figures: %s: %q has neither samples nor a density curve", fig, d.Name)
		}
		if len(d.Samples) > 0 {
			edges, dens, err := metrics.Histogram(d.Samples, bins, rng[0], rng[1])
			if err != nil {
				return chart.Figure{}, fmt.Errorf("figures: %s: %q: %w", fig, d.Name, err)
			}
			if o.Filled {
				p.Series = append(p.Series, chart.Bars(d.Name, edges, dens).WithOpacity(0.3))
			} else {
				sx, sy := steps(edges, dens)
				p.Series = append(p.Series, chart.Line(d.Name, sx, sy).WithWidth(1.2).WithOpacity(0.75))
			}
		}
		if len(d.X) > 0 {
			if len(d.P) != len(d.X) {
				return chart.Figure{}, fmt.Errorf("figures: %s: %q: X has %d values but P has %d", fig, d.Name, len(d.X), len(d.P))
			}
			if err := checkFinite(fig, d.Name+" P", d.P); err != nil {
				return chart.Figure{}, err
			}
			p.Series = append(p.Series, chart.Line(d.Name, d.X, d.P).WithWidth(2.5))
		}
	}
	title := cmp.Or(o.Title, "Timestep distributions")
	f := chart.Single(title, p)
	f.Subtitle = "thin: histogram of samples; thick: analytic density"
	return wrap(fig, f)
}

// steps turns a histogram into the vertices of its outline.
func steps(edges, h []float64) (x, y []float64) {
	x = append(x, edges[0])
	y = append(y, 0)
	for i, v := range h {
		x = append(x, edges[i], edges[i+1])
		y = append(y, v, v)
	}
	x = append(x, edges[len(edges)-1])
	y = append(y, 0)
	return x, y
}

// JointMode selects how JointTM draws the (t, m_t) pairs.
type JointMode int

const (
	// JointHeatmap draws the 2-D histogram density of the pairs.
	JointHeatmap JointMode = iota
	// JointScatter draws (a subsample of) the pairs as points.
	JointScatter
)

// JointOptions configures JointTM.
type JointOptions struct {
	// Title of the figure (default "MixFlow: joint of t and the slowed m_t, γ = …").
	Title string
	// Gamma is the slowing factor that produced the pairs, in [0, 1]: the region (1−γ)t ≤ m ≤ t is
	// outlined.
	Gamma float64
	// Mode is JointHeatmap (default) or JointScatter.
	Mode JointMode
	// Bins per axis of the heatmap (default: from the number of pairs, 10 to 50).
	Bins int
	// MaxPoints caps the points of the scatter (default 3000; a fixed-seed subsample).
	MaxPoints int
	// Marginals adds a second panel with the densities of t and of m_t.
	Marginals bool
}

// JointTM draws the joint distribution of MixFlow's (t, m_t): the network is conditioned on t (x axis)
// and sees the interpolation at the slowed m_t (y axis), drawn uniformly from [(1−γ)t, t]. With
// t ~ Beta(2,1) the pairs are uniform over that triangle, which the heatmap shows as a flat density 2/γ.
func JointTM(t, m []float64, o JointOptions) (chart.Figure, error) {
	const fig = "joint (t, m_t)"
	if err := checkGamma(fig, o.Gamma); err != nil {
		return chart.Figure{}, err
	}
	if len(t) == 0 || len(t) != len(m) {
		return chart.Figure{}, fmt.Errorf("figures: %s: t has %d values and m has %d: want the same, non-zero number", fig, len(t), len(m))
	}
	if err := checkFinite(fig, "t", t); err != nil {
		return chart.Figure{}, err
	}
	if err := checkFinite(fig, "m", m); err != nil {
		return chart.Figure{}, err
	}
	unit := [2]float64{0, 1}
	p := chart.Panel{
		X:     chart.Axis{Label: "t (network is conditioned on t)", Range: unit},
		Y:     chart.Axis{Label: "m_t (input interpolation timestep)", Range: unit},
		Equal: true,
	}
	switch o.Mode {
	case JointHeatmap:
		bins := o.Bins
		if bins == 0 {
			// About 25 pairs per cell of the unit square: the density is readable, not noise.
			bins = min(max(int(math.Sqrt(float64(len(t))/25)), 10), 50)
		}
		if bins < 2 || bins > 400 {
			return chart.Figure{}, fmt.Errorf("figures: %s: %d bins, want 2 to 400", fig, bins)
		}
		edges, z := histogram2D(t, m, bins)
		h := chart.Heatmap("", edges, edges, z)
		// Near t = 0 the triangle (1−γ)t ≤ m ≤ t is thinner than a cell, so a uniform or logit-normal
		// t piles its density into a few cells there: cap the colours at the 99th percentile.
		h.ZLabel, h.ZClip = "density", 0.99
		p.Series = append(p.Series, h)
	case JointScatter:
		idx := subsample(len(t), o.MaxPoints, 3000)
		xs, ys := make([]float64, len(idx)), make([]float64, len(idx))
		for i, k := range idx {
			xs[i], ys[i] = t[k], m[k]
		}
		p.Series = append(p.Series, chart.Scatter("(t, m_t) pairs", xs, ys).WithWidth(3).WithOpacity(0.35))
	default:
		return chart.Figure{}, fmt.Errorf("figures: %s: unknown mode %d", fig, o.Mode)
	}
	g := o.Gamma
	p.Series = append(p.Series,
		chart.Polygon(fmt.Sprintf("(1−γ)t ≤ m ≤ t, γ = %g", g), []float64{0, 1, 1}, []float64{0, 1, 1 - g}).WithColor("#D62728").WithWidth(2),
	)
	title := cmp.Or(o.Title, fmt.Sprintf("MixFlow: joint of t and the slowed m_t, γ = %g", g))
	f := chart.Figure{Title: title, Panels: []chart.Panel{p}}
	if o.Marginals {
		const bins = 40
		te, td, err := metrics.Histogram(t, bins, 0, 1)
		if err != nil {
			return chart.Figure{}, fmt.Errorf("figures: %s: %w", fig, err)
		}
		me, md, err := metrics.Histogram(m, bins, 0, 1)
		if err != nil {
			return chart.Figure{}, fmt.Errorf("figures: %s: %w", fig, err)
		}
		tx, ty := steps(te, td)
		mx, my := steps(me, md)
		f.Panels = append(f.Panels, chart.Panel{
			Title: "marginal densities",
			X:     chart.Axis{Label: "timestep (0 = noise, 1 = data)", Range: unit},
			Y:     chart.Axis{Label: "density"},
			Series: []chart.Series{
				chart.Line("t", tx, ty).WithColor("#4E79A7").WithWidth(2),
				chart.Line("m_t", mx, my).WithColor("#F28E2B").WithWidth(2),
			},
		})
		f.Panels[0].Title = "joint density"
		if o.Mode == JointScatter {
			f.Panels[0].Title = "pairs"
		}
		f.Width = 980
	}
	return wrap(fig, f)
}

// histogram2D bins the pairs on [0, 1]² and returns the shared edges and the density z[j][i] of cell
// (t bin i, m bin j).
func histogram2D(t, m []float64, bins int) ([]float64, [][]float64) {
	edges := make([]float64, bins+1)
	for i := range edges {
		edges[i] = float64(i) / float64(bins)
	}
	z := make([][]float64, bins)
	for j := range z {
		z[j] = make([]float64, bins)
	}
	idx := func(v float64) int {
		k := int(v * float64(bins))
		return min(max(k, 0), bins-1)
	}
	for k := range t {
		if t[k] < 0 || t[k] > 1 || m[k] < 0 || m[k] > 1 {
			continue
		}
		z[idx(m[k])][idx(t[k])]++
	}
	area := 1 / float64(bins*bins)
	for j := range z {
		for i := range z[j] {
			z[j][i] /= float64(len(t)) * area
		}
	}
	return edges, z
}

// subsample returns up to limit (def when limit is 0) indices of n, a fixed-seed random subset in
// increasing order, or all of them.
func subsample(n, limit, def int) []int {
	if limit <= 0 {
		limit = def
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if n <= limit {
		return idx
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(n, func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
	idx = idx[:limit]
	// Keep the original order so that ordered data (e.g. by class) stays grouped.
	slices.Sort(idx)
	return idx
}

// Ablation is one method's γ sweep: the metric's mean (and optional symmetric error, e.g. the standard
// deviation over seeds) at each γ.
type Ablation struct {
	// Name labels the method or setting.
	Name string
	// Gamma are the γ values (each in [0, 1]).
	Gamma []float64
	// Mean is the metric at each γ.
	Mean []float64
	// Err is the half-width of the error bar at each γ (nil: no bars).
	Err []float64
}

// AblationOptions configures GammaAblation.
type AblationOptions struct {
	// Title of the figure (default "γ ablation").
	Title string
	// Metric labels the y axis, e.g. "FID ↓" or "sliced Wasserstein ↓".
	Metric string
	// References are horizontal lines, e.g. the baseline without MixFlow.
	References []Reference
	// ErrLabel says what the bars are, e.g. "± std over 3 seeds" (shown in the subtitle).
	ErrLabel string
}

// GammaAblation draws a metric against the slowing factor γ, with error bars.
func GammaAblation(as []Ablation, o AblationOptions) (chart.Figure, error) {
	const fig = "gamma ablation"
	if len(as) == 0 {
		return chart.Figure{}, fmt.Errorf("figures: %s: no series", fig)
	}
	p := chart.Panel{X: chart.Axis{Label: "γ (slowing factor)"}, Y: chart.Axis{Label: o.Metric}}
	for _, a := range as {
		n := len(a.Gamma)
		if n == 0 {
			return chart.Figure{}, fmt.Errorf("figures: %s: %q has no points", fig, a.Name)
		}
		if err := checkLen(fig, a.Name, "Mean", a.Mean, n); err != nil || a.Mean == nil {
			if err == nil {
				err = fmt.Errorf("figures: %s: %q has no Mean", fig, a.Name)
			}
			return chart.Figure{}, err
		}
		if err := checkLen(fig, a.Name, "Err", a.Err, n); err != nil {
			return chart.Figure{}, err
		}
		for i, g := range a.Gamma {
			if err := checkGamma(fig, g); err != nil {
				return chart.Figure{}, fmt.Errorf("%w (%q, point %d)", err, a.Name, i)
			}
		}
		p.Series = append(p.Series, withErrors(a.Name, a.Gamma, a.Mean, a.Err)...)
	}
	refs, err := refLines(o.References, 0, 1)
	if err != nil {
		return chart.Figure{}, err
	}
	p.Series = append(p.Series, refs...)
	title := cmp.Or(o.Title, "γ ablation")
	f := chart.Single(title, p)
	f.Subtitle = o.ErrLabel
	return wrap(fig, f)
}

// withErrors returns error bars when err is given, else a line with markers.
func withErrors(name string, x, y, e []float64) []chart.Series {
	if e == nil {
		return []chart.Series{chart.Line(name, x, y), chart.Scatter(name, x, y).WithWidth(7).WithOpacity(1)}
	}
	lo, hi := make([]float64, len(y)), make([]float64, len(y))
	for i := range y {
		d := math.Abs(e[i])
		lo[i], hi[i] = y[i]-d, y[i]+d
	}
	return []chart.Series{chart.ErrorBars(name, x, y, lo, hi)}
}

// MetricSeries is one method's metric at several numbers of sampling steps.
type MetricSeries struct {
	// Name labels the method (e.g. "baseline", "MixFlow").
	Name string
	// Steps are the numbers of sampling steps (or NFE).
	Steps []float64
	// Value is the metric at each step count.
	Value []float64
	// Err is the optional half-width of error bars.
	Err []float64
}

// StepsOptions configures MetricVsSteps.
type StepsOptions struct {
	// Title of the figure (default "<Metric> vs sampling steps").
	Title string
	// Metric labels the y axis.
	Metric string
	// StepsLabel labels the x axis (default "sampling steps").
	StepsLabel string
	// LogX, LogY use logarithmic axes.
	LogX, LogY bool
}

// MetricVsSteps draws a metric against the number of sampling steps for several methods. When several
// series have error bars, each is offset a little along x (within 30 % of the smallest gap between
// step counts) so that bars at the same step count do not overlap.
func MetricVsSteps(ms []MetricSeries, o StepsOptions) (chart.Figure, error) {
	const fig = "metric vs steps"
	if len(ms) == 0 {
		return chart.Figure{}, fmt.Errorf("figures: %s: no series", fig)
	}
	xl := o.StepsLabel
	if xl == "" {
		xl = "sampling steps"
	}
	p := chart.Panel{X: chart.Axis{Label: xl, Log: o.LogX}, Y: chart.Axis{Label: o.Metric, Log: o.LogY}}
	for _, m := range ms {
		n := len(m.Steps)
		if n == 0 {
			return chart.Figure{}, fmt.Errorf("figures: %s: %q has no points", fig, m.Name)
		}
		if err := checkLen(fig, m.Name, "Value", m.Value, n); err != nil || m.Value == nil {
			if err == nil {
				err = fmt.Errorf("figures: %s: %q has no Value", fig, m.Name)
			}
			return chart.Figure{}, err
		}
		if err := checkLen(fig, m.Name, "Err", m.Err, n); err != nil {
			return chart.Figure{}, err
		}
	}
	withBars := 0
	for _, m := range ms {
		if m.Err != nil {
			withBars++
		}
	}
	gap := minGap(ms, o.LogX)
	k := 0
	for _, m := range ms {
		x := m.Steps
		if m.Err != nil && withBars > 1 {
			x = dodge(x, k, withBars, gap, o.LogX)
			k++
		}
		p.Series = append(p.Series, withErrors(m.Name, x, m.Value, m.Err)...)
	}
	title := o.Title
	if title == "" {
		title = "vs " + xl
		if o.Metric != "" {
			title = o.Metric + " " + title
		}
	}
	return wrap(fig, chart.Single(title, p))
}

// dodgeSpan is the fraction of the smallest gap between step counts over which the error bars of
// several series at one step count are spread, so that they do not hide each other.
const dodgeSpan = 0.3

// minGap is the smallest gap between distinct step counts of any series (in log10 units on a log
// axis); 1 (a tenth of a decade on a log axis) when there is a single step count.
func minGap(ms []MetricSeries, log bool) float64 {
	var xs []float64
	for _, m := range ms {
		for _, x := range m.Steps {
			if log {
				x = math.Log10(x)
			}
			xs = append(xs, x)
		}
	}
	slices.Sort(xs)
	gap := math.Inf(1)
	for i := 1; i < len(xs); i++ {
		if d := xs[i] - xs[i-1]; d > 1e-12 {
			gap = math.Min(gap, d)
		}
	}
	if math.IsInf(gap, 1) {
		if log {
			return 0.1
		}
		return 1
	}
	return gap
}

// dodge shifts x for the k-th of n series with error bars: series sit side by side within dodgeSpan
// of the smallest gap, centred on the true step counts (a factor on a log axis).
func dodge(x []float64, k, n int, gap float64, log bool) []float64 {
	off := (float64(k)+0.5)/float64(n) - 0.5
	off *= dodgeSpan * gap
	out := make([]float64, len(x))
	for i, v := range x {
		if log {
			out[i] = v * math.Pow(10, off)
		} else {
			out[i] = v + off
		}
	}
	return out
}

// Curve is one loss curve: a value per training step.
type Curve struct {
	// Name labels the curve, e.g. "loss" or "repa/align".
	Name string
	// Step are the training steps.
	Step []float64
	// Value is the loss at each step.
	Value []float64
}

// LossOptions configures LossCurves.
type LossOptions struct {
	// Title of the figure (default "Training loss").
	Title string
	// LogY uses a logarithmic loss axis.
	LogY bool
	// Smooth in [0, 1) adds a bias-corrected exponential moving average with this decay (e.g. 0.9)
	// drawn over the raw curve, which is then drawn faint. Zero draws the raw curve only.
	Smooth float64
}

// LossCurves draws training loss curves, optionally with an EMA-smoothed line over the faint raw values.
func LossCurves(cs []Curve, o LossOptions) (chart.Figure, error) {
	const fig = "loss curves"
	if o.Smooth < 0 || o.Smooth >= 1 || math.IsNaN(o.Smooth) {
		return chart.Figure{}, fmt.Errorf("figures: %s: smoothing %v outside [0, 1)", fig, o.Smooth)
	}
	p := chart.Panel{X: chart.Axis{Label: "training step"}, Y: chart.Axis{Label: "loss", Log: o.LogY}}
	for _, c := range cs {
		if len(c.Step) != len(c.Value) {
			return chart.Figure{}, fmt.Errorf("figures: %s: %q: Step has %d values but Value has %d", fig, c.Name, len(c.Step), len(c.Value))
		}
		if len(c.Step) == 0 {
			continue
		}
		if o.Smooth == 0 {
			p.Series = append(p.Series, chart.Line(c.Name, c.Step, c.Value))
			continue
		}
		// Bias-corrected (as Adam's moments): each point is the decay-weighted mean of the values so
		// far, so the first steps are not pulled towards the first value (a fake early decrease).
		ema := make([]float64, len(c.Value))
		acc, weight := 0.0, 0.0
		for i, v := range c.Value {
			acc = o.Smooth*acc + (1-o.Smooth)*v
			weight = o.Smooth*weight + (1 - o.Smooth)
			ema[i] = acc / weight
		}
		p.Series = append(p.Series,
			chart.Line(c.Name, c.Step, c.Value).WithWidth(1).WithOpacity(0.3),
			chart.Line(c.Name, c.Step, ema).WithWidth(2))
	}
	title := cmp.Or(o.Title, "Training loss")
	f := chart.Single(title, p)
	if o.Smooth > 0 {
		f.Subtitle = fmt.Sprintf("faint: raw; solid: EMA (decay %g)", o.Smooth)
	}
	return wrap(fig, f)
}

// PointSet is a named cloud of 2-D points (data or model samples).
type PointSet struct {
	// Name labels the set, e.g. "data", "baseline", "MixFlow".
	Name string
	// X, Y are the coordinates.
	X, Y []float64
}

// ScatterOptions configures SampleScatter.
type ScatterOptions struct {
	// Title of the figure (default "Samples").
	Title string
	// Overlay draws all sets in one panel; otherwise each set gets a panel, side by side, on the same
	// ranges.
	Overlay bool
	// Cols is the number of panels per row (side by side only; default up to 3).
	Cols int
	// MaxPoints caps the points drawn per set (default 4000; a fixed-seed subsample).
	MaxPoints int
	// PointSize is the marker diameter in pixels (default 4).
	PointSize float64
}

// SampleScatter draws 2-D sample clouds with equal axes, overlaid or side by side on shared ranges.
func SampleScatter(sets []PointSet, o ScatterOptions) (chart.Figure, error) {
	const fig = "sample scatter"
	if len(sets) == 0 {
		return chart.Figure{}, fmt.Errorf("figures: %s: no point sets", fig)
	}
	size := o.PointSize
	if size == 0 {
		size = 4
	}
	lo, hi := [2]float64{math.Inf(1), math.Inf(1)}, [2]float64{math.Inf(-1), math.Inf(-1)}
	var series []chart.Series
	for _, s := range sets {
		if len(s.X) != len(s.Y) {
			return chart.Figure{}, fmt.Errorf("figures: %s: %q: X has %d values but Y has %d", fig, s.Name, len(s.X), len(s.Y))
		}
		if err := checkFinite(fig, s.Name+" X", s.X); err != nil {
			return chart.Figure{}, err
		}
		if err := checkFinite(fig, s.Name+" Y", s.Y); err != nil {
			return chart.Figure{}, err
		}
		idx := subsample(len(s.X), o.MaxPoints, 4000)
		xs, ys := make([]float64, len(idx)), make([]float64, len(idx))
		for i, k := range idx {
			xs[i], ys[i] = s.X[k], s.Y[k]
			lo[0], hi[0] = math.Min(lo[0], xs[i]), math.Max(hi[0], xs[i])
			lo[1], hi[1] = math.Min(lo[1], ys[i]), math.Max(hi[1], ys[i])
		}
		op := 0.55
		if o.Overlay {
			op = 0.4
		}
		series = append(series, chart.Scatter(s.Name, xs, ys).WithWidth(size).WithOpacity(op))
	}
	title := cmp.Or(o.Title, "Samples")
	if o.Overlay {
		return wrap(fig, chart.Single(title, chart.Panel{Series: series, Equal: true, X: chart.Axis{Label: "x₁"}, Y: chart.Axis{Label: "x₂"}}))
	}
	// Shared square range so the panels compare at a glance.
	var xr, yr [2]float64
	if !math.IsInf(lo[0], 0) {
		cx, cy := (lo[0]+hi[0])/2, (lo[1]+hi[1])/2
		half := math.Max(hi[0]-lo[0], hi[1]-lo[1])/2*1.05 + 1e-9
		xr, yr = [2]float64{cx - half, cx + half}, [2]float64{cy - half, cy + half}
	}
	f := chart.Figure{Title: title, Cols: o.Cols}
	for i, s := range series {
		f.Panels = append(f.Panels, chart.Panel{Title: sets[i].Name, Series: []chart.Series{s}, Equal: true,
			X: chart.Axis{Label: "x₁", Range: xr}, Y: chart.Axis{Label: "x₂", Range: yr}})
	}
	return wrap(fig, f)
}
