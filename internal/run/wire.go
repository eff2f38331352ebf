package run

import (
	"encoding/json"
	"io"
	"sync"
	"time"
)

// WireVersion is the version of the JSON event stream: every line carries
// it as "v". docs/events.schema.json documents version 1; a change that
// removes or renames a field, or changes what one means, is a new version.
const WireVersion = 1

// WireEvent is one line of the versioned event stream (--output json and
// the run log). Which fields a kind carries is in docs/events.schema.json.
type WireEvent struct {
	V          int       `json:"v"`
	Time       time.Time `json:"time"`
	Kind       EventKind `json:"kind"`
	Stage      string    `json:"stage,omitempty"`
	Target     string    `json:"target,omitempty"`
	Message    string    `json:"message,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Error      string    `json:"error,omitempty"`
	DurationMs *int64    `json:"durationMs,omitempty"`
	Mutation   *Mutation `json:"mutation,omitempty"`
	API        string    `json:"api,omitempty"`
	Attempt    int       `json:"attempt,omitempty"`
	WaitMs     *int64    `json:"waitMs,omitempty"`
	Command    string    `json:"command,omitempty"`
	Inventory  string    `json:"inventory,omitempty"`
	Cluster    string    `json:"cluster,omitempty"`
	RunID      string    `json:"runId,omitempty"`
	Outcome    string    `json:"outcome,omitempty"`
	ExitCode   *int      `json:"exitCode,omitempty"`
	Summary    any       `json:"summary,omitempty"`
}

func millis(d time.Duration) *int64 {
	ms := d.Milliseconds()
	return &ms
}

// Wire is e as a line of the versioned stream.
func (e Event) Wire() WireEvent {
	w := WireEvent{V: WireVersion, Time: e.Time.UTC(), Kind: e.Kind, Stage: e.Stage, Target: e.Target}
	switch e.Kind {
	case EventRunStart, EventRunEnd:
		if r := e.Run; r != nil {
			w.Command, w.Inventory, w.Cluster, w.RunID = r.Command, r.Inventory, r.Cluster, r.RunID
			if e.Kind == EventRunEnd {
				code := r.ExitCode
				w.Outcome, w.ExitCode, w.Summary, w.Error = r.Outcome, &code, r.Summary, e.Error
			}
		}
	case EventSkip, EventBlocked:
		w.Reason = e.Message
		if e.Kind == EventSkip {
			w.DurationMs = millis(e.Duration)
		}
	case EventDone:
		w.Message, w.DurationMs = e.Message, millis(e.Duration)
	case EventFail:
		w.Error, w.DurationMs = e.Error, millis(e.Duration)
	case EventRetry:
		w.API, w.Attempt, w.Error, w.WaitMs = e.API, e.Attempt, e.Error, millis(e.Wait)
	case EventMutation, EventPlanned:
		w.Message, w.Mutation = e.Message, e.Mutation
	default:
		w.Message = e.Message
	}
	return w
}

// JSONSink writes each event as one line of the versioned stream.
type JSONSink struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewJSONSink writes the stream to w.
func NewJSONSink(w io.Writer) *JSONSink { return &JSONSink{enc: json.NewEncoder(w)} }

// Emit writes e; a sink that can no longer write drops events rather than
// failing the run it reports on.
func (j *JSONSink) Emit(e Event) {
	j.mu.Lock()
	defer j.mu.Unlock()
	_ = j.enc.Encode(e.Wire())
}
