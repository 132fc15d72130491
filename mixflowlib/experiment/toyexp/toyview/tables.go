package toyview

import (
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/experiment/toyexp"
	"github.com/mixflow/mixflow/mixflowlib/metrics"
	"github.com/mixflow/mixflow/widgets/table"
)

// SweepTable is the main results table of a sweep for one metric and sampler: one row per variant (the
// named ones, or all), one column per number of sampling steps, cells "mean ± std over seeds", the best
// of each column in bold.
func SweepTable(res *toyexp.SweepResult, metric, method string, variants ...string) (*table.Table, error) {
	title := fmt.Sprintf("%s, %s sampler (mean ± std over %d seeds; noise floor %.4f)",
		metricShort(metric), method, len(res.Spec.Seeds), res.Floor[metric])
	t, err := stepsTable(res, title, variants, "", func(v string, n int) (any, error) {
		s, ok := res.Summary(v, method, n, metric)
		if !ok {
			return nil, fmt.Errorf("toyview: sweep table: no %s %s %d-step results for %q", metric, method, n, v)
		}
		return table.PM{Mean: s.Summary.Estimate, Err: s.Summary.Std}, nil
	})
	if err != nil {
		return nil, err
	}
	t.Precision = 4
	return bestLower(t, len(res.Spec.Eval.Steps))
}

// DiffTable shows, for one metric and sampler, each variant's paired difference to the sweep's
// reference variant (variant − reference, seed by seed): the mean and the 95 % confidence interval of the
// mean over seeds, for the named variants (or all). Negative is better; "*" marks an interval that
// excludes 0.
func DiffTable(res *toyexp.SweepResult, metric, method string, variants ...string) (*table.Table, error) {
	title := fmt.Sprintf("%s, %s: difference to %q (mean [95 %% CI] over %d seeds; * = CI excludes 0)",
		metricShort(metric), method, res.Reference, len(res.Spec.Seeds))
	return stepsTable(res, title, variants, res.Reference, func(v string, n int) (any, error) {
		s, ok := res.Summary(v, method, n, metric)
		if !ok || s.Diff == nil {
			return nil, fmt.Errorf("toyview: difference table: no %s %s %d-step difference for %q", metric, method, n, v)
		}
		return formatDiff(*s.Diff), nil
	})
}

// stepsTable returns a table of res with one row per variant (the named ones, or all; skip left out) and
// one column per number of sampling steps, the cells from cell.
func stepsTable(res *toyexp.SweepResult, title string, variants []string, skip string,
	cell func(variant string, steps int) (any, error)) (*table.Table, error) {
	if len(variants) == 0 {
		variants = res.Variants
	}
	headers := []string{"variant"}
	for _, n := range res.Spec.Eval.Steps {
		headers = append(headers, fmt.Sprintf("%d steps", n))
	}
	t := table.New(headers...)
	t.Title = title
	for _, v := range variants {
		if skip != "" && v == skip {
			continue
		}
		cells := []any{v}
		for _, n := range res.Spec.Eval.Steps {
			c, err := cell(v, n)
			if err != nil {
				return nil, err
			}
			cells = append(cells, c)
		}
		if err := t.Add(cells...); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// formatDiff formats a paired difference as "mean [lo, hi]", with "*" when the interval excludes 0.
func formatDiff(d metrics.Summary) string {
	mark := ""
	if d.Lo > 0 || d.Hi < 0 {
		mark = "*"
	}
	if d.N < 2 {
		return fmt.Sprintf("%+.4f", d.Estimate)
	}
	return fmt.Sprintf("%+.4f [%+.4f, %+.4f]%s", d.Estimate, d.Lo, d.Hi, mark)
}

// EvalTable lists evaluations of single runs (e.g. the oracle, a base and two post-trained models):
// one row per run, one column per (method, steps), the metric's mean over evaluation seeds.
func EvalTable(title, metric string, evals []*toyexp.EvalResult) (*table.Table, error) {
	if len(evals) == 0 {
		return nil, fmt.Errorf("toyview: eval table: no evaluations")
	}
	spec := evals[0].Spec
	headers := []string{"model"}
	for _, m := range spec.Methods {
		for _, n := range spec.Steps {
			headers = append(headers, fmt.Sprintf("%s %d", m, n))
		}
	}
	t := table.New(headers...)
	t.Title = fmt.Sprintf("%s (noise floor %.4f)", title, evals[0].FloorMean(metric))
	t.Precision = 4
	for _, e := range evals {
		cells := []any{e.Run}
		for _, m := range spec.Methods {
			for _, n := range spec.Steps {
				v, ok := e.Mean(m, n, metric)
				if !ok {
					return nil, fmt.Errorf("toyview: eval table: %q has no %s %s %d-step result", e.Run, metric, m, n)
				}
				cells = append(cells, v)
			}
		}
		if err := t.Add(cells...); err != nil {
			return nil, err
		}
	}
	return bestLower(t, len(headers)-1)
}

// bestLower marks the lowest value of each of the n columns after the first of t in bold.
func bestLower(t *table.Table, n int) (*table.Table, error) {
	for c := 1; c <= n; c++ {
		if err := t.Best(c, table.Lower); err != nil {
			return nil, err
		}
	}
	return t, nil
}
