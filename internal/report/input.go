package report

import (
	"time"

	"github.com/tripod-dev/tripod/internal/run"
)

// Row is one line of the cluster's summary ("endpoint", "https://...").
type Row struct{ Label, Value string }

// Input is what a report is made of.
type Input struct {
	Cluster, Command, RunID string
	// Outcome is run-end's: ready, stopped, not-ready or error.
	Outcome string
	Took    time.Duration
	Report  *run.Report
	// Summary is the final cluster summary, as up prints it.
	Summary []Row
}

// failures are the failed, blocked and canceled steps with their messages.
func (in Input) failures() []run.StepResult { return in.Report.Failed() }

// span is the run's first start and last end over the steps that ran.
func (in Input) span() (time.Time, time.Time) {
	var t0, t1 time.Time
	for _, s := range in.Report.Steps {
		if s.Started.IsZero() {
			continue
		}
		if t0.IsZero() || s.Started.Before(t0) {
			t0 = s.Started
		}
		if e := end(s); e.After(t1) {
			t1 = e
		}
	}
	return t0, t1
}

func message(s run.StepResult) string {
	if s.Err != nil {
		return s.Err.Error()
	}
	return s.Reason
}
