package stage

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scaleway/scaleway-sdk-go/scw"
	"golang.org/x/crypto/ssh"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/proxmox"
	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/scaleway"
	"github.com/tripod-dev/tripod/internal/state"
)

// Env is what every stage shares for one run.
type Env struct {
	Inv     *inventory.Loaded
	State   *state.Dir
	Timing  retry.Timing
	Retries *retry.Counter
	// Dialer is the one dialer: every client's connections go through it.
	Dialer *netx.Dialer
	// Scaleway is the credentials profile (the active scw profile merged
	// with SCW_* variables, or the simulator's).
	Scaleway *scw.Profile
	// ScalewaySource says where those credentials came from, for messages
	// ("the SCW_ACCESS_KEY and SCW_SECRET_KEY variables"); "" if unknown.
	ScalewaySource string

	talos talosCache           // the Talos bundle and what derives from it
	pve   lazy[*proxmox.Fleet] // the run's Proxmox clients (env_fleet.go)
	// builtFleet is pve once built: the route to the private network
	// (env_route.go) takes the hosts' addresses and pins from it.
	builtFleet atomic.Pointer[proxmox.Fleet]
	sshSigner  atomic.Pointer[ssh.Signer] // the cluster's SSH key once read (env_route.go)
	isoSums    lazyByKey[string, isoSum]  // each ISO fetched and hashed once per run (images_sum.go)

	scwOnce sync.Once // builds scwSess, the run's Scaleway session (servers_session.go)
	scwSess *scaleway.Session
	scwErr  error
}

// Cluster is the inventory's cluster.
func (e *Env) Cluster() *inventory.Cluster { return e.Inv.Cluster }

// Layout is the inventory's deterministic plan.
func (e *Env) Layout() *inventory.Layout { return e.Inv.Layout }

// lazyByKey is one lazy value per key: built once per run by whichever
// step asks first, shared by the rest.
type lazyByKey[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]*lazy[V]
}

func (l *lazyByKey[K, V]) get(key K, build func() (V, error)) (V, error) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[K]*lazy[V]{}
	}
	v := l.m[key]
	if v == nil {
		v = &lazy[V]{}
		l.m[key] = v
	}
	l.mu.Unlock()
	return v.get(build)
}

// stepProgress is the part of run.Step a wait reports to.
type stepProgress interface {
	Progress(format string, args ...any)
}

// waitFor polls check as the named condition every interval for at most
// timeout, each check cut at attempt (all three real time, scaled here),
// reporting each new status as the step's progress; classify decides which
// failed checks end the wait.
func (e *Env) waitFor(ctx context.Context, st stepProgress, name string, interval, timeout, attempt time.Duration,
	classify retry.Classifier, check func(ctx context.Context) (bool, string, error)) error {
	return retry.Wait(ctx, retry.Condition{
		Name: name, Interval: e.Timing.Interval(interval), Timeout: e.Timing.Deadline(timeout),
		Check: func(ctx context.Context) (bool, string, error) {
			actx, cancel := context.WithTimeout(ctx, e.Timing.Attempt(attempt))
			defer cancel()
			return check(actx)
		},
		Classify: classify,
		Progress: func(status string) { st.Progress("%s: %s", name, status) },
	})
}

// Deps is what a run's Env is built from. A zero Timing is real time, a nil
// Retries a new counter and a nil Log discards; a nil Dialer stays nil (a run
// without remote calls), so nothing is dialed that the caller did not choose.
type Deps struct {
	Inventory      *inventory.Loaded
	State          *state.Dir
	Timing         retry.Timing
	Retries        *retry.Counter
	Dialer         *netx.Dialer
	Scaleway       *scw.Profile
	ScalewaySource string
}

// NewEnv is the one way an Env is built: by the CLI and by the stage tests
// over the test kit's world. Its Dialer reaches the private network the way
// the inventory's access.via says (env_route.go); Close the Env when the
// command ends.
func NewEnv(d Deps) *Env {
	if d.Timing == (retry.Timing{}) {
		d.Timing = retry.RealTime
	}
	if d.Retries == nil {
		d.Retries = &retry.Counter{}
	}
	e := &Env{Inv: d.Inventory, State: d.State, Timing: d.Timing, Retries: d.Retries,
		Dialer: d.Dialer, Scaleway: d.Scaleway, ScalewaySource: d.ScalewaySource}
	e.Dialer = e.routed(d.Dialer)
	return e
}
