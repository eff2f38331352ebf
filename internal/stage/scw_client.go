package stage

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/scaleway"
)

// scw is the run's Scaleway client, built once: every connection goes
// through the one dialer, and 429s and idempotent 5xx are retried by the
// transport whatever the SDK does.
func (e *Env) scw() (*scaleway.Client, error) {
	return cached(e, "scaleway", func() (*scaleway.Client, error) {
		return e.newScw(e.Dialer.HTTPClient(nil, 0).Transport)
	})
}

// newScw builds a Scaleway client on base, with retries on top, and primes
// it for concurrent use.
func (e *Env) newScw(base http.RoundTripper) (*scaleway.Client, error) {
	hc := &http.Client{Transport: &retry.Transport{Base: base, API: "scaleway", Counter: e.Retries, Timing: e.Timing}}
	c, err := scaleway.New(e.Scaleway, hc, e.Cluster().Scaleway.ProjectID)
	if err != nil {
		return nil, err
	}
	if err := e.scwRead(context.Background(), func(context.Context) error { return c.PrimeMetadata() }); err != nil {
		return nil, scaleway.Wrap(err, "read the Scaleway API's metadata")
	}
	return c, nil
}

// scwShared is what the Scaleway steps of one run coordinate on: which
// earlier orders a host has claimed after a crash (so two hosts never take
// the same one), the cluster's IAM SSH key, and offer IDs by name.
type scwShared struct {
	mu      sync.Mutex        // Dedibox orders and their recovery
	claimed map[uint64]string // Dedibox service ID -> host

	keyMu   sync.Mutex
	sshKey  string // IAM key ID, once known
	planned bool   // the key's registration is already in the plan

	offers sync.Map // "provider/zone/offer" -> offer ID
	oses   sync.Map // Elastic Metal OS ID -> is Proxmox VE
	warned sync.Map // warnings given once per run

	// The private networks, found or created by the first host that needs
	// them (in a dry run: whose plan creates them).
	netMu      sync.Mutex
	rpnGroup   uint64                // RPNv2 group ID, once known
	rpnPlanned bool                  // the group's creation is in the plan
	pns        map[scw.Region]string // Elastic Metal private network per region
	pnPlanned  map[scw.Region]bool
}

func (e *Env) scwShared() *scwShared {
	s, _ := cached(e, "scaleway-shared", func() (*scwShared, error) {
		return &scwShared{claimed: map[uint64]string{}, pns: map[scw.Region]string{}, pnPlanned: map[scw.Region]bool{}}, nil
	})
	return s
}

// scwRead runs one read, or a change safe to repeat (a replacement), with
// classified retries on top of the transport's: the SDK's PATCH-shaped reads
// (Dedibox GetService), replacements sent as POST or PATCH, and typed
// transient states are only retried here.
func (e *Env) scwRead(ctx context.Context, fn func(ctx context.Context) error) error {
	return retry.Do(ctx, retry.Policy{
		API: "scaleway", Attempts: 4, PerAttempt: e.Timing.Attempt(45 * time.Second),
		Initial: e.Timing.Interval(time.Second), Max: e.Timing.Interval(15 * time.Second),
		Classify: scaleway.Classify, Counter: e.Retries,
	}, fn)
}

// scwWait polls check as the named condition, every interval (real time,
// scaled here) for at most timeout (real time, scaled here), reporting each
// new status as the step's progress.
func (e *Env) scwWait(ctx context.Context, st stepProgress, name string, interval, timeout time.Duration, check func(ctx context.Context) (bool, string, error)) error {
	return e.waitFor(ctx, st, name, interval, timeout, 45*time.Second, scaleway.Classify, check)
}
