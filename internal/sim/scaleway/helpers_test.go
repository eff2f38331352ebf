package scaleway

import (
	"context"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// testKey is an ed25519 public key in authorized_keys form.
const testKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM7HUxRyQtB2rnlhQUcbDGCZcTJg7OvoznOiyC9W6IxH ops@tripod"

// fakeClock is a controlled timeline: it only moves when a test says so.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// fixture is a simulator behind an httptest server on 127.0.0.1 and a real
// SDK client pointed at it.
type fixture struct {
	t      *testing.T
	env    *simcore.Env
	sim    *Sim
	srv    *httptest.Server
	client *scw.Client
	creds  Credentials
	clock  *fakeClock // nil on the wall clock

	mu        sync.Mutex
	installed []simcore.HostInfo
	removed   []string
}

type fixtureOpt func(*fixture)

// withFakeClock puts the simulator on a controlled clock.
func withFakeClock() fixtureOpt {
	return func(f *fixture) {
		f.clock = newFakeClock()
		f.env.SetClock(f.clock.Now)
	}
}

// withRun runs the simulator's ticker for the test's lifetime.
func withRun() fixtureOpt {
	return func(f *fixture) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); f.sim.Run(ctx) }()
		f.t.Cleanup(func() { cancel(); <-done })
	}
}

func withFaults(spec string) fixtureOpt {
	return func(f *fixture) {
		fs, err := simcore.ParseFaults(spec)
		if err != nil {
			f.t.Fatal(err)
		}
		f.env.Faults.Set(fs)
	}
}

func newFixture(t *testing.T, p simcore.Profile, scale float64, opts ...fixtureOpt) *fixture {
	t.Helper()
	f := &fixture{t: t, env: simcore.NewEnv(p, scale, 42), creds: NewCredentials(42)}
	f.sim = New(f.env, f.creds)
	f.sim.OnInstalled = func(h simcore.HostInfo) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.installed = append(f.installed, h)
	}
	f.sim.OnRemoved = func(id, ip string) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.removed = append(f.removed, id+" "+ip)
	}
	f.srv = httptest.NewServer(f.sim.Handler())
	t.Cleanup(f.srv.Close)
	for _, o := range opts {
		o(f)
	}
	f.client = f.newClient(f.creds.SecretKey)
	return f
}

func (f *fixture) newClient(secret string) *scw.Client {
	f.t.Helper()
	c, err := scw.NewClient(
		scw.WithAPIURL(f.srv.URL),
		scw.WithAuth(f.creds.AccessKey, secret),
		scw.WithDefaultProjectID(f.creds.ProjectID),
		scw.WithDefaultOrganizationID(f.creds.OrganizationID),
		scw.WithDefaultZone(scw.ZoneFrPar2),
	)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) installedHosts() []simcore.HostInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]simcore.HostInfo(nil), f.installed...)
}

func (f *fixture) removedServers() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.removed...)
}

// poll calls probe until it reports done, advancing the fake clock by step
// between calls. It fails after max probes: the machine never got there.
func (f *fixture) poll(step time.Duration, max int, probe func() bool) {
	f.t.Helper()
	for i := 0; i < max; i++ {
		if probe() {
			return
		}
		f.clock.Advance(step)
	}
	f.t.Fatalf("condition not reached after %d probes of %s", max, step)
}

// dedup drops consecutive repeats: polling may see a state many times.
func dedup(seq []string) []string {
	var out []string
	for _, s := range seq {
		if len(out) == 0 || out[len(out)-1] != s {
			out = append(out, s)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// fast makes the SDK's wait helpers poll often and give up in bounded time.
var (
	fastRetry   = ptr(2 * time.Millisecond)
	waitTimeout = ptr(60 * time.Second)
)

func uint64ID(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
