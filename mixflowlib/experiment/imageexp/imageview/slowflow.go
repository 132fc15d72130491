package imageview

import (
	"errors"
	"fmt"

	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
	"github.com/mixflow/mixflow/mixflowlib/experiment/toyexp/toyview"
	"github.com/mixflow/mixflow/widgets/chart"
)

// SlowFlowWithReference draws the Slow Flow bands of results (imageexp.Lab.MeasureSlowFlow, one per
// model) together with the reference band of the forward process (imageexp.Lab.MeasureReferenceSlowFlow
// with the same spec), one panel per step count of steps, cols panels per row. Under the nearest-data
// protocol even the training states stay below the diagonal, so a model's band is read against the
// reference band, not against y = x. gamma > 0 also draws MixFlow's slowed-time range (as toyview.SlowFlow).
func SlowFlowWithReference(results []*imageexp.SlowFlowResult, reference *imageexp.SlowFlowResult, steps []int, gamma float64, title string, cols int) (chart.Figure, error) {
	if reference == nil {
		return chart.Figure{}, errors.New("imageview: slow flow with reference: the reference is nil (imageexp.Lab.MeasureReferenceSlowFlow)")
	}
	if len(results) == 0 {
		return chart.Figure{}, errors.New("imageview: slow flow with reference: no results")
	}
	for _, r := range results {
		if r.Spec.Protocol != reference.Spec.Protocol {
			return chart.Figure{}, fmt.Errorf("imageview: slow flow with reference: run %q was measured with protocol %q, the reference with %q",
				r.Run, r.Spec.Protocol, reference.Spec.Protocol)
		}
	}
	if title == "" {
		title = fmt.Sprintf("Slow Flow (%s protocol) against the forward-process reference", reference.Spec.Protocol)
	}
	all := append(append([]*imageexp.SlowFlowResult(nil), results...), reference)
	f, err := toyview.SlowFlowPanels(all, steps, gamma, title, cols)
	if err != nil {
		return chart.Figure{}, fmt.Errorf("imageview: slow flow with reference: %w", err)
	}
	return f, nil
}
