package toyexp

import "github.com/mixflow/mixflow/mixflowlib/experiment"

// Progress reporting is the core's (mixflowlib/experiment); these names keep toyexp's API.
type (
	// EventKind says what an Event reports (experiment.EventKind).
	EventKind = experiment.EventKind
	// Event is one progress report of a Lab (experiment.Event).
	Event = experiment.Event
	// Observer receives a Lab's progress reports (experiment.Observer).
	Observer = experiment.Observer
	// ObserverFunc adapts a function to the Observer interface (experiment.ObserverFunc).
	ObserverFunc = experiment.ObserverFunc
	// Stage reports the events of one stage of work (experiment.Stage).
	Stage = experiment.Stage
)

// Event kinds (experiment's).
const (
	StageStart    = experiment.StageStart
	StageProgress = experiment.StageProgress
	StageEnd      = experiment.StageEnd
)

// LogObserver returns an observer that writes plain log lines to w (experiment.LogObserver).
var LogObserver = experiment.LogObserver

// StartStage reports the start of a stage to obs and returns the Stage that reports its progress and end
// (experiment.StartStage).
var StartStage = experiment.StartStage

func (l *Lab) begin(name string, level int, unit string, total int) *Stage {
	return experiment.StartStage(l.Observer, name, level+l.level, unit, total)
}
