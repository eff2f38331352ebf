package scaleway

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/retry"
)

// Progress reports a step's progress (or a warning) as a sentence; the
// stages pass run.Step's Progress and Warn, so this layer never sees a step.
type Progress func(format string, args ...any)

// Session is one run's Scaleway client, built once: every connection goes
// through the one dialer, and 429s and idempotent 5xx are retried by the
// transport whatever the SDK does. It also holds what the run's Scaleway
// steps coordinate on, as typed fields.
type Session struct {
	*Client
	timing  retry.Timing
	retries *retry.Counter

	// Orders serialises Dedibox orders and their recovery, and records
	// which order each host has claimed, so two hosts never take the same
	// one after a crash.
	Orders Orders
	// Key is the cluster's IAM SSH key, once known or planned.
	Key Key
	// Networks are the private networks, found or created by the first
	// host that needs them (in a dry run: whose plan creates them).
	Networks Networks

	offers sync.Map // "provider/zone/offer" -> offer ID
	oses   sync.Map // Elastic Metal OS ID -> is Proxmox VE
	once   sync.Map // keys given out once per run
}

// Orders is the Dedibox order lock and the orders claimed under it.
type Orders struct {
	sync.Mutex
	claimed map[uint64]string // Dedibox service ID -> host
}

// Claim records, with the lock held, that host took Dedibox order id.
func (o *Orders) Claim(id uint64, host string) { o.claimed[id] = host }

// Claimed lists, with the lock held, the orders claimed in this run and by
// whom.
func (o *Orders) Claimed() map[uint64]string { return o.claimed }

// Key is the cluster's IAM SSH key: its ID once known, and whether its
// registration is already in the plan. Hold it while reading or setting.
type Key struct {
	sync.Mutex
	ID      string
	Planned bool
}

// Networks are the cluster's private networks as found, created or planned
// in this run. Hold it while reading or setting.
type Networks struct {
	sync.Mutex
	RPNGroup   uint64                // Dedibox RPNv2 group ID, once known
	RPNPlanned bool                  // the group's creation is in the plan
	PNs        map[scw.Region]string // Elastic Metal private network per region
	PNPlanned  map[scw.Region]bool
}

// NewSession builds the run's session on base (tripod's dialer), with the
// retrying transport on top, and primes it for concurrent use. timing
// scales its waits and attempts; retries counts every retry under
// "scaleway".
func NewSession(p *scw.Profile, base http.RoundTripper, projectID string, timing retry.Timing, retries *retry.Counter) (*Session, error) {
	hc := &http.Client{Transport: &retry.Transport{Base: base, API: "scaleway", Counter: retries, Timing: timing}}
	c, err := New(p, hc, projectID)
	if err != nil {
		return nil, err
	}
	s := &Session{Client: c, timing: timing, retries: retries,
		Orders:   Orders{claimed: map[uint64]string{}},
		Networks: Networks{PNs: map[scw.Region]string{}, PNPlanned: map[scw.Region]bool{}}}
	if err := s.Read(context.Background(), func(context.Context) error { return c.PrimeMetadata() }); err != nil {
		return nil, Wrap(err, "read the Scaleway API's metadata")
	}
	return s, nil
}

// Read runs one read, or a change safe to repeat (a replacement), with
// classified retries on top of the transport's: the SDK's PATCH-shaped reads
// (Dedibox GetService), replacements sent as POST or PATCH, and typed
// transient states are only retried here.
func (s *Session) Read(ctx context.Context, fn func(ctx context.Context) error) error {
	return retry.Do(ctx, retry.Policy{
		API: "scaleway", Attempts: 4, PerAttempt: s.timing.Attempt(45 * time.Second),
		Initial: s.timing.Interval(time.Second), Max: s.timing.Interval(15 * time.Second),
		Classify: Classify, Counter: s.retries,
	}, fn)
}

// Wait polls check as the named condition, every interval for at most
// timeout (both real time, scaled here), each check cut at 45 s (scaled),
// reporting each new status through progress.
func (s *Session) Wait(ctx context.Context, progress Progress, name string, interval, timeout time.Duration, check func(ctx context.Context) (bool, string, error)) error {
	return retry.Wait(ctx, retry.Condition{
		API: "scaleway", Name: name, Interval: s.timing.Interval(interval), Timeout: s.timing.Deadline(timeout),
		Check: func(ctx context.Context) (bool, string, error) {
			actx, cancel := context.WithTimeout(ctx, s.timing.Attempt(45*time.Second))
			defer cancel()
			return check(actx)
		},
		Classify: Classify,
		Progress: func(status string) { progress("%s: %s", name, status) },
	})
}

// Once reports whether this is the run's first call with key: for what is
// said about the whole inventory once, by whichever step meets it first.
func (s *Session) Once(key string) bool {
	_, given := s.once.LoadOrStore(key, true)
	return !given
}

// listOrNil returns the items of a list response, or none on error.
func listOrNil[R any, T any](r *R, err error, items func(*R) []T) []T {
	if err != nil || r == nil {
		return nil
	}
	return items(r)
}
