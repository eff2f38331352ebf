package stage

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/scaleway/scaleway-sdk-go/scw"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/sim"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/talos"
)

// testWorld is a stage test's simulated world and the environment the
// stages run in against it. Tests assert on the world's state and request
// log, never on log text.
type testWorld struct {
	t     testing.TB
	World *sim.World
	Env   *Env
}

// simOption adjusts the simulator before it starts.
type simOption func(*sim.Options)

func withFaults(spec string) simOption     { return func(o *sim.Options) { o.Faults = spec } }
func withPreload(p *sim.Preload) simOption { return func(o *sim.Options) { o.Preload = p } }
func withProfile(p simcore.Profile, scale float64) simOption {
	return func(o *sim.Options) { o.Profile, o.TimeScale = p, scale }
}

// newTestWorld loads inventoryPath, starts a simulator (instant profile by
// default) and an Env whose state directory is a temporary one.
func newTestWorld(t testing.TB, inventoryPath string, opts ...simOption) *testWorld {
	t.Helper()
	inv, err := inventory.Load(inventoryPath)
	if err != nil {
		t.Fatalf("inventory: %v", err)
	}
	dir := t.TempDir()
	o := sim.Options{Profile: simcore.Instant, TimeScale: 1, Seed: 1, DataDir: filepath.Join(dir, "sim"),
		SchematicIDs: []string{inventory.DefaultSchematic}}
	for _, f := range opts {
		f(&o)
	}
	w, err := sim.Start(o)
	if err != nil {
		t.Fatalf("simulator: %v", err)
	}
	t.Cleanup(w.Close)
	d, err := netx.Simulated(w.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	sd, err := state.Open(filepath.Join(dir, "state"), state.Options{Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sd.Close() })
	vars := map[string]string{}
	for _, kv := range w.EnvVars() {
		vars[kv[0]] = kv[1]
	}
	str := func(k string) *string { v := vars[k]; return &v }
	scale, _ := strconv.ParseFloat(vars["TRIPOD_SIM_TIME_SCALE"], 64)
	env := &Env{
		Inv: inv, State: sd, Timing: retry.Scaled(scale), Retries: &retry.Counter{},
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Dialer: d,
		Scaleway: &scw.Profile{APIURL: str("SCW_API_URL"), AccessKey: str("SCW_ACCESS_KEY"), SecretKey: str("SCW_SECRET_KEY"),
			DefaultProjectID: str("SCW_DEFAULT_PROJECT_ID"), DefaultOrganizationID: str("SCW_DEFAULT_ORGANIZATION_ID"),
			DefaultZone: str("SCW_DEFAULT_ZONE"), DefaultRegion: str("SCW_DEFAULT_REGION")},
	}
	seedThrowaway(t, env)
	return &testWorld{t: t, World: w, Env: env}
}

// throwaways holds one throwaway Talos bundle per version for every test
// world: making one takes about a second (several under -race), and
// preflight's config check makes one in every run without a stored bundle.
var throwaways sync.Map

// seedThrowaway gives env the shared throwaway bundle, as if preflight had
// made it.
func seedThrowaway(t testing.TB, env *Env) {
	t.Helper()
	v := env.Cluster().Talos.Version
	b, ok := throwaways.Load(v)
	if !ok {
		nb, err := talos.ThrowawayBundle(v)
		if err != nil {
			t.Fatal(err)
		}
		b, _ = throwaways.LoadOrStore(v, nb)
	}
	seedCached(env, "talos/bundle/planned", b.(*secrets.Bundle))
}

// up runs the stages until the named one (inclusive) and returns the report.
func (tw *testWorld) up(until string) (*run.Report, error) {
	tw.t.Helper()
	r := &run.Runner{Stages: List(tw.Env), Until: until, Pools: Pools}
	return r.Run(context.Background())
}

// plan is up as a dry run.
func (tw *testWorld) plan(until string) (*run.Report, error) {
	tw.t.Helper()
	r := &run.Runner{Stages: List(tw.Env), Until: until, Pools: Pools, DryRun: true}
	return r.Run(context.Background())
}

// fresh returns a new Env on the same state directory and simulator, as a
// second tripod process would have (no cached clients, no facts).
func (tw *testWorld) fresh() *Env {
	e := tw.Env
	env := &Env{Inv: e.Inv, State: e.State, Timing: e.Timing, Retries: &retry.Counter{}, Log: e.Log, Dialer: e.Dialer, Scaleway: e.Scaleway}
	seedThrowaway(tw.t, env)
	return env
}

// mutations is how many mutating requests the simulator has served so far.
func (tw *testWorld) mutations() int { return tw.World.Env.Log.Snapshot().Mutating }
