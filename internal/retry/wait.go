package retry

import (
	"context"
	"fmt"
	"github.com/tripod-dev/tripod/internal/crashpoint"
	"time"
)

// Condition is a named state to wait for: "etcd 3/3 members healthy".
type Condition struct {
	Name string
	// API answers the checks ("talos", "proxmox"), for the run's poll
	// counts; "" counts them under "wait".
	API      string
	Interval time.Duration // between checks (already scaled)
	Timeout  time.Duration // overall (already scaled); 0 means the context's
	// Check reports whether the condition holds, and a short status for
	// progress ("2/3 members"). A transient error is retried at the next
	// interval; a fatal one ends the wait.
	Check    func(ctx context.Context) (done bool, status string, err error)
	Classify Classifier
	// Progress is told each new status.
	Progress func(status string)
}

// Wait polls c until it holds, fails fatally, or times out.
func Wait(ctx context.Context, c Condition) error {
	if c.Classify == nil {
		c.Classify = Default
	}
	if c.Interval <= 0 {
		c.Interval = time.Second
	}
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	last, lastErr := "", error(nil)
	api := c.API
	if api == "" {
		api = "wait"
	}
	obs := ObserverFrom(ctx)
	for {
		obs.Poll(api, c.Name)
		done, status, err := c.Check(ctx)
		if err == nil && done {
			return nil
		}
		if err != nil {
			if ctx.Err() == nil && c.Classify(err).Class == Fatal {
				return fmt.Errorf("waiting for %s: %w", c.Name, err)
			}
			lastErr, status = err, "error: "+err.Error()
		}
		crashpoint.FromContext(ctx).Hit("in-wait " + c.Name)
		if status != last && c.Progress != nil {
			c.Progress(status)
		}
		last = status
		t := time.NewTimer(c.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			if lastErr != nil && last == "error: "+lastErr.Error() {
				return fmt.Errorf("timed out waiting for %s: %w", c.Name, lastErr)
			}
			if last != "" {
				return fmt.Errorf("timed out waiting for %s (last: %s): %w", c.Name, last, ctx.Err())
			}
			return fmt.Errorf("timed out waiting for %s: %w", c.Name, ctx.Err())
		case <-t.C:
		}
	}
}
