package simtest

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/sim"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
	"github.com/tripod-dev/tripod/internal/state"
)

// Option adjusts the simulator before it starts.
type Option func(*sim.Options)

// WithFaults injects faults in the --faults grammar.
func WithFaults(spec string) Option { return func(o *sim.Options) { o.Faults = spec } }

// WithPreload preloads resources (stock, adopted servers) into the world.
func WithPreload(p *sim.Preload) Option { return func(o *sim.Options) { o.Preload = p } }

// WithProfile sets the latency profile and the time scale.
func WithProfile(p simcore.Profile, scale float64) Option {
	return func(o *sim.Options) { o.Profile, o.TimeScale = p, scale }
}

// WithOperator puts the operator (the tool under test) on a side of the
// simulated network. The kit's worlds put it on the public side, as a laptop
// or CI runner is: private addresses only through a host's SSH, the route
// access.via ssh (the default) takes. simcore.OperatorPrivate is for
// inventories with access.via direct.
func WithOperator(op simcore.Operator) Option { return func(o *sim.Options) { o.Operator = op } }

// Tool is how a World builds and runs the tool's environment E in-process.
type Tool[E any] struct {
	// New builds the world's first environment over its inventory, state
	// directory and simulator.
	New func(w *World[E]) E
	// Fresh builds a new environment over what e runs against (which a
	// test may have pointed elsewhere, at a sealed state directory say), as
	// a second tripod process would see it: nothing cached, no facts.
	Fresh func(t testing.TB, e E) E
	// Stages is the stage list Run and Plan run with an environment.
	Stages func(E) []run.Stage
	// Pools sizes the runner's pools.
	Pools func(pool string) int
}

// World is a simulated world and what the tool needs to reach it. Tests
// assert on the simulator's state and request log, never on log text.
type World[E any] struct {
	T        testing.TB
	Sim      *sim.World
	Inv      *inventory.Loaded
	State    *state.Dir
	Dialer   *netx.Dialer
	Timing   retry.Timing
	Scaleway *scw.Profile
	// Env is the environment Run and Plan use.
	Env  E
	tool Tool[E]
}

// NewWorld loads inventoryPath, starts a simulator (the instant profile
// and the operator on the public side unless an option says otherwise) and
// opens a temporary state directory; every piece is closed when the test
// ends.
func NewWorld[E any](t testing.TB, inventoryPath string, tool Tool[E], opts ...Option) *World[E] {
	t.Helper()
	inv, err := inventory.Load(inventoryPath)
	if err != nil {
		t.Fatalf("inventory: %v", err)
	}
	dir := t.TempDir()
	o := sim.Options{Profile: simcore.Instant, TimeScale: 1, Seed: 1, DataDir: filepath.Join(dir, "sim"),
		SchematicIDs: []string{inventory.DefaultSchematic}, Operator: simcore.OperatorPublic}
	for _, f := range opts {
		f(&o)
	}
	sw, err := sim.Start(o)
	if err != nil {
		t.Fatalf("simulator: %v", err)
	}
	t.Cleanup(sw.Close)
	d, err := netx.Simulated(sw.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	sd, err := state.Open(filepath.Join(dir, "state"), state.Options{Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sd.Close() })
	w := &World[E]{T: t, Sim: sw, Inv: inv, State: sd, Dialer: d, tool: tool}
	w.Timing, w.Scaleway = profileOf(sw)
	w.Env = tool.New(w)
	return w
}

// profileOf is the timing and Scaleway profile the simulator's environment
// variables give, as `tripod` reads them from `tripod sim serve`'s file.
func profileOf(sw *sim.World) (retry.Timing, *scw.Profile) {
	vars := map[string]string{}
	for _, kv := range sw.EnvVars() {
		vars[kv[0]] = kv[1]
	}
	str := func(k string) *string { v := vars[k]; return &v }
	scale, _ := strconv.ParseFloat(vars["TRIPOD_SIM_TIME_SCALE"], 64)
	return retry.Scaled(scale), &scw.Profile{APIURL: str("SCW_API_URL"), AccessKey: str("SCW_ACCESS_KEY"), SecretKey: str("SCW_SECRET_KEY"),
		DefaultProjectID: str("SCW_DEFAULT_PROJECT_ID"), DefaultOrganizationID: str("SCW_DEFAULT_ORGANIZATION_ID"),
		DefaultZone: str("SCW_DEFAULT_ZONE"), DefaultRegion: str("SCW_DEFAULT_REGION")}
}

// Run runs the stages with Env until the named one (inclusive; "" for all).
func (w *World[E]) Run(until string) (*run.Report, error) {
	w.T.Helper()
	r := &run.Runner{Stages: w.tool.Stages(w.Env), Until: until, Pools: w.tool.Pools}
	return r.Run(context.Background())
}

// Plan is Run as a dry run.
func (w *World[E]) Plan(until string) (*run.Report, error) {
	w.T.Helper()
	r := &run.Runner{Stages: w.tool.Stages(w.Env), Until: until, Pools: w.tool.Pools, DryRun: true}
	return r.Run(context.Background())
}

// Fresh is a new environment over what Env runs against, as a second
// tripod process would have (no cached clients, no facts).
func (w *World[E]) Fresh() E { return w.tool.Fresh(w.T, w.Env) }

// Mutations is how many mutating requests the simulator has served so far.
func (w *World[E]) Mutations() int { return w.Sim.Env.Log.Snapshot().Mutating }
