package toyexp

import "github.com/mixflow/mixflow/mixflowlib/experiment"

func (l *Lab) begin(name string, level int, unit string, total int) *experiment.Stage {
	return experiment.StartStage(l.Observer, name, level+l.level, unit, total)
}
