package retry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"
)

// Policy says how one operation is retried.
type Policy struct {
	API        string        // counted under this name ("scaleway", "proxmox", "talos")
	Attempts   int           // maximum attempts; 0 means until Deadline or the context ends
	PerAttempt time.Duration // each attempt's timeout (already scaled); 0 means none
	Deadline   time.Duration // overall limit (already scaled); 0 means the context's
	Initial    time.Duration // first backoff; default 200ms
	Max        time.Duration // backoff cap; default 10s
	Classify   Classifier    // default: Default
	Counter    *Counter      // retries per API, for the run summary
	// OnRetry is told about each retry (for progress events).
	OnRetry func(attempt int, err error, wait time.Duration)
}

// Do runs fn until it succeeds, fails fatally, or attempts or time run out.
// The returned error is fn's last error, wrapped with the attempt count when
// there was more than one.
func Do(ctx context.Context, p Policy, fn func(ctx context.Context) error) error {
	if p.Classify == nil {
		p.Classify = Default
	}
	if p.Initial <= 0 {
		p.Initial = 200 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 10 * time.Second
	}
	if p.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.Deadline)
		defer cancel()
	}
	backoff := p.Initial
	for attempt := 1; ; attempt++ {
		err := runAttempt(ctx, p.PerAttempt, fn)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return attemptsErr(attempt, fmt.Errorf("%w (gave up: %v)", err, context.Cause(ctx)))
		}
		d := p.Classify(err)
		if d.Class == Fatal {
			return attemptsErr(attempt, err)
		}
		if p.Attempts > 0 && attempt >= p.Attempts {
			return attemptsErr(attempt, err)
		}
		wait := d.After
		if wait <= 0 {
			wait = backoff/2 + rand.N(backoff/2+1) // jitter keeps parallel targets from retrying in lockstep
			backoff = min(backoff*2, p.Max)
		}
		p.Counter.Add(p.API)
		ObserverFrom(ctx).Retry(p.API, attempt, err, wait)
		if p.OnRetry != nil {
			p.OnRetry(attempt, err, wait)
		}
		if Sleep(ctx, wait) != nil {
			return attemptsErr(attempt, fmt.Errorf("%w (gave up: %v)", err, context.Cause(ctx)))
		}
	}
}

func runAttempt(ctx context.Context, timeout time.Duration, fn func(context.Context) error) error {
	if timeout <= 0 {
		return fn(ctx)
	}
	actx, cancel := context.WithTimeoutCause(ctx, timeout, errAttemptTimeout)
	defer cancel()
	err := fn(actx)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(actx), errAttemptTimeout) {
		return fmt.Errorf("%w after %s: %w", errAttemptTimeout, timeout, err)
	}
	return err
}

func attemptsErr(n int, err error) error {
	if n <= 1 {
		return err
	}
	return fmt.Errorf("%w (after %d attempts)", err, n)
}

// Counter counts retries per API. A nil Counter counts nothing.
type Counter struct {
	mu sync.Mutex
	n  map[string]int
}

// Add counts one retry against api.
func (c *Counter) Add(api string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[api]++
}

// Counts returns a copy of the counts.
func (c *Counter) Counts() map[string]int {
	out := map[string]int{}
	if c == nil {
		return out
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

// String renders "proxmox=3 scaleway=1", sorted.
func (c *Counter) String() string {
	counts := c.Counts()
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%s=%d", k, counts[k])
	}
	return s
}
