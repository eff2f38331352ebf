package run

import (
	"sync"
	"time"
)

// EventKind says what happened.
type EventKind string

// The event kinds.
const (
	EventStart    EventKind = "start"
	EventProgress EventKind = "progress"
	EventMutation EventKind = "mutation" // a change was sent
	EventPlanned  EventKind = "planned"  // a change would be sent (dry run)
	EventSkip     EventKind = "skip"     // nothing to do, with the reason
	EventDone     EventKind = "done"
	EventFail     EventKind = "fail"
	EventBlocked  EventKind = "blocked"
	EventWarn     EventKind = "warn"
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
