package retry

import (
	"context"
	"time"
)

// Observer is told, through the context of the calls it watches, what they
// cost: each request sent, each retry with its cause, each poll of a named
// condition. The runner gives every step its own (run.Step), so a retry
// event names the step that retried and the run report counts calls per
// API, which a real run has no other source for (the simulator's request
// log exists only in tests).
type Observer interface {
	// Request is one request sent to api (every attempt counts).
	Request(api string)
	// Retry is one retry of a call to api after attempt failed with cause.
	Retry(api string, attempt int, cause error, wait time.Duration)
	// Poll is one check of a named condition, answered by api.
	Poll(api, condition string)
}

type observerKey struct{}

// WithObserver returns ctx carrying o for the calls made under it.
func WithObserver(ctx context.Context, o Observer) context.Context {
	return context.WithValue(ctx, observerKey{}, o)
}

// ObserverFrom is ctx's observer, or one that ignores everything.
func ObserverFrom(ctx context.Context) Observer {
	if o, ok := ctx.Value(observerKey{}).(Observer); ok && o != nil {
		return o
	}
	return nopObserver{}
}

type nopObserver struct{}

func (nopObserver) Request(string)                          {}
func (nopObserver) Retry(string, int, error, time.Duration) {}
func (nopObserver) Poll(string, string)                     {}
