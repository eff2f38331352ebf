package stage

import (
	"sync"
	"testing"

	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/sim"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
	"github.com/tripod-dev/tripod/internal/simtest"
	"github.com/tripod-dev/tripod/internal/talos"
)

// testWorld is a stage test's simulated world (the kit's, internal/simtest)
// and the environment the stages run in against it (tw.Env, the kit's).
// Tests assert on the world's state and request log, never on log text.
type testWorld struct {
	*kitWorld
	t     testing.TB
	World *sim.World
}

// kitWorld names the kit's world for embedding, so that tw.World stays the
// simulator.
type kitWorld = simtest.World[*Env]

// simOption adjusts the simulator before it starts.
type simOption = simtest.Option

var (
	withFaults  = simtest.WithFaults
	withPreload = simtest.WithPreload
	withProfile = simtest.WithProfile
)

// onVLAN puts the operator on the private network, as a runner inside a VPN
// (the kit's worlds put it on the public side): its Env runs the inventory
// with access.via direct, as such an operator sets it, so every private
// address is dialed directly. Tests of the Talos stages alone use it: their
// world boots the nodes without Proxmox hosts, so there is no host to go
// through; they are also what keeps the direct position working.
var onVLAN = simtest.WithOperator(simcore.OperatorPrivate)

// accessFor is inv as the operator of w would run it: with access.via
// direct when the operator stands on the private network.
func accessFor(w *kitWorld) *inventory.Loaded {
	if w.Sim.Env.OperatorPosition() != simcore.OperatorPrivate {
		return w.Inv
	}
	c := *w.Inv.Cluster
	c.Access.Via = inventory.ViaDirect
	inv := *w.Inv
	inv.Cluster = &c
	return &inv
}

// stageTool is how the kit builds an Env (NewEnv, with the shared
// throwaway bundle) and runs the stage list.
var stageTool = simtest.Tool[*Env]{
	New: func(w *kitWorld) *Env {
		return seededEnv(w.T, Deps{Inventory: accessFor(w), State: w.State, Timing: w.Timing, Dialer: w.Dialer, Scaleway: w.Scaleway})
	},
	Fresh: func(t testing.TB, e *Env) *Env {
		return seededEnv(t, Deps{Inventory: e.Inv, State: e.State, Timing: e.Timing, Dialer: e.Dialer, Scaleway: e.Scaleway})
	},
	Stages: List,
	Pools:  Pools,
}

// newTestWorld loads inventoryPath, starts a simulator (instant profile by
// default) and an Env whose state directory is a temporary one.
func newTestWorld(t testing.TB, inventoryPath string, opts ...simOption) *testWorld {
	t.Helper()
	kit := simtest.NewWorld(t, inventoryPath, stageTool, opts...)
	return &testWorld{kitWorld: kit, t: t, World: kit.Sim}
}

// requireClean, requirePVEClean and mustSucceed stop the test unless the
// run succeeded, listing every failed step.
var requireClean, requirePVEClean, mustSucceed = simtest.Succeeded, simtest.Succeeded, simtest.Succeeded

// seededEnv is NewEnv(d) with the shared throwaway bundle.
func seededEnv(t testing.TB, d Deps) *Env {
	env := NewEnv(d)
	t.Cleanup(func() { env.Close() })
	seedThrowaway(t, env)
	return env
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
	seedLazy(&env.talos.planned.bundle, b.(*secrets.Bundle))
}

// up runs the stages until the named one (inclusive) and returns the report.
func (tw *testWorld) up(until string) (*run.Report, error) { tw.t.Helper(); return tw.Run(until) }

// plan is up as a dry run.
func (tw *testWorld) plan(until string) (*run.Report, error) { tw.t.Helper(); return tw.Plan(until) }

// fresh returns a new Env on the same state directory and simulator, as a
// second tripod process would have (no cached clients, no facts).
func (tw *testWorld) fresh() *Env { return tw.Fresh() }

// mutations is how many mutating requests the simulator has served so far.
func (tw *testWorld) mutations() int { return tw.Mutations() }
