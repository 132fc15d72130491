package imageview

import "github.com/mixflow/mixflow/mixflowlib/experiment/expview"

// SlowFlowWithReference draws the Slow Flow bands of results (imageexp.Lab.MeasureSlowFlow, one per
// model) together with the reference band of the forward process (imageexp.Lab.MeasureReferenceSlowFlow
// with the same spec): the core's view, expview.SlowFlowWithReference.
var SlowFlowWithReference = expview.SlowFlowWithReference
