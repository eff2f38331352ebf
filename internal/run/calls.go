package run

import (
	"sort"
	"sync"
	"time"

	"github.com/tripod-dev/tripod/internal/retry"
)

// APICalls is what one API cost a run, as the tool itself counted it:
// requests sent (every attempt), retries, and polls of named conditions.
type APICalls struct {
	Requests int `json:"requests"`
	Retries  int `json:"retries"`
	Polls    int `json:"polls"`
}

// callCounts is the run's APICalls per API.
type callCounts struct {
	mu sync.Mutex
	n  map[string]*APICalls
}

func (c *callCounts) add(api string, f func(*APICalls)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]*APICalls{}
	}
	if c.n[api] == nil {
		c.n[api] = &APICalls{}
	}
	f(c.n[api])
}

func (c *callCounts) snapshot() map[string]APICalls {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]APICalls{}
	for k, v := range c.n {
		out[k] = *v
	}
	return out
}

// APIs lists the APIs of calls, sorted.
func APIs(calls map[string]APICalls) []string {
	out := make([]string, 0, len(calls))
	for k := range calls {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// stepObserver is a step's retry.Observer: it counts the step's calls for
// the report and turns each retry into a retry event of the step. A poll is
// only counted: what a poll saw becomes a progress event only when it
// changed (retry.Wait), so a long wait does not flood the stream.
type stepObserver struct{ s *Step }

var _ retry.Observer = stepObserver{}

func (o stepObserver) Request(api string) {
	o.s.r.calls.add(api, func(c *APICalls) { c.Requests++ })
}

func (o stepObserver) Retry(api string, attempt int, cause error, wait time.Duration) {
	o.s.r.calls.add(api, func(c *APICalls) { c.Retries++ })
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	o.s.emit(Event{Kind: EventRetry, API: api, Attempt: attempt, Error: msg, Wait: wait})
}

func (o stepObserver) Poll(api, _ string) {
	o.s.r.calls.add(api, func(c *APICalls) { c.Polls++ })
}
