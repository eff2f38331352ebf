package run

import (
	"sync"
	"time"
)

// EventKind says what happened. The values are the kinds of the versioned
// stream (wire.go, docs/events.schema.json).
type EventKind string

// The event kinds.
const (
	EventRunStart   EventKind = "run-start" // a command began (Event.Run)
	EventRunEnd     EventKind = "run-end"   // it ended, with outcome and exit code (Event.Run)
	EventStageStart EventKind = "stage-start"
	EventStart      EventKind = "target-start"
	EventProgress   EventKind = "progress" // a new status of what a step waits on
	EventRetry      EventKind = "retry"    // a call is resent, with its cause
	EventMutation   EventKind = "mutation" // a change was sent
	EventPlanned    EventKind = "planned"  // a change would be sent (dry run)
	EventSkip       EventKind = "skip"     // nothing to do, with the reason
	EventDone       EventKind = "done"
	EventFail       EventKind = "fail"
	EventBlocked    EventKind = "blocked"
	EventWarn       EventKind = "warn"
)

// Event is one thing a run reports. Messages are plain text; renderers
// decorate them.
type Event struct {
	Time     time.Time     `json:"time"`
	Kind     EventKind     `json:"kind"`
	Stage    string        `json:"stage"`
	Target   string        `json:"target"`
	Message  string        `json:"message,omitempty"`
	Duration time.Duration `json:"duration,omitempty"`
	Error    string        `json:"error,omitempty"`
	Mutation *Mutation     `json:"mutation,omitempty"`
	// API, Attempt and Wait describe a retry: the API called, the attempt
	// that failed (its cause is Error) and the wait before the next.
	API     string        `json:"api,omitempty"`
	Attempt int           `json:"attempt,omitempty"`
	Wait    time.Duration `json:"wait,omitempty"`
	// Run describes the command, on run-start and run-end.
	Run *RunInfo `json:"run,omitempty"`
}

// RunInfo is what run-start and run-end say about the command.
type RunInfo struct {
	Command   string // "up"
	Inventory string // the inventory file as given
	Cluster   string
	RunID     string
	// Outcome and ExitCode are set on run-end: "ready", "stopped" (--until
	// stopped it before the end), "not-ready" (steps failed or blocked) or
	// "error" (the command failed before or around the run); ExitCode is the
	// process's.
	Outcome  string
	ExitCode int
	// Summary is the command's own summary (up's cluster summary), on
	// run-end; it must encode to a JSON object.
	Summary any
}

// Sink receives events. The runner calls it from one goroutine at a time.
type Sink interface {
	Emit(Event)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(Event)

// Emit calls f.
func (f SinkFunc) Emit(e Event) { f(e) }

// Sinks fans events out to several sinks.
type Sinks []Sink

// Emit sends e to every sink.
func (s Sinks) Emit(e Event) {
	for _, k := range s {
		k.Emit(e)
	}
}

// serialSink makes any sink safe for concurrent steps.
type serialSink struct {
	mu   sync.Mutex
	sink Sink
}

func (s *serialSink) Emit(e Event) {
	if s.sink == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sink.Emit(e)
}

// stageStart emits stage-start when the first step of stage starts.
func (r *Runner) stageStart(stage string) {
	r.stagesMu.Lock()
	first := !r.stagesStarted[stage]
	r.stagesStarted[stage] = true
	r.stagesMu.Unlock()
	if first {
		r.sink.Emit(Event{Time: r.now(), Kind: EventStageStart, Stage: stage})
	}
}
