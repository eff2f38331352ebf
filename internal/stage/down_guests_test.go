package stage

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tripod-dev/tripod/internal/run"
	simpve "github.com/tripod-dev/tripod/internal/sim/proxmox"
)

// fnStage is a one-target stage running fn, for calling the Proxmox helpers
// with a real step.
type fnStage struct {
	fn func(ctx context.Context, st *run.Step) error
}

func (s fnStage) Name() string                                { return "fn" }
func (s fnStage) Targets() []run.Target                       { return []run.Target{{ID: "fn"}} }
func (s fnStage) Run(ctx context.Context, st *run.Step) error { return s.fn(ctx, st) }

// withStep runs fn as a step of env with the facts of a run up to until
// (the servers stage publishes the hosts' addresses on every run).
func (w *pveWorld) withStep(env *Env, dryRun bool, fn func(ctx context.Context, st *run.Step) error) (*run.Report, error) {
	w.t.Helper()
	facts := &run.Facts{}
	if _, err := (&run.Runner{Stages: List(env), Until: Servers, Pools: Pools, Facts: facts}).Run(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	return (&run.Runner{Stages: []run.Stage{fnStage{fn}}, DryRun: dryRun, Facts: facts}).Run(context.Background())
}

func TestTeardownHelpers(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml")
	rep, err := w.run(w.Env, VMs, false)
	requirePVEClean(t, rep, err)
	w.World.Proxmox.PreloadVM("lab-pve-2", simpve.PreloadedVM{VMID: 555, Name: "db-1", Tags: []string{"team-db"}, Cores: 1, MemoryMiB: 1024})

	var guests []vmSeen
	list := func(env *Env) {
		_, err := w.withStep(env, false, func(ctx context.Context, st *run.Step) (err error) {
			guests, err = env.pveVMs(ctx, st, "lab-pve-3")
			return err
		})
		requirePVEClean(t, nil, err)
	}
	list(w.fresh())
	var ours []vmSeen
	for _, g := range guests {
		if pveOurs(g, w.Env.VMTag()) {
			ours = append(ours, g)
		} else if g.VMID != 555 || g.Node != "lab-pve-2" {
			t.Errorf("unexpected guest %+v", g)
		}
	}
	if len(ours) != len(w.Env.Layout().VMs) || len(guests) != len(ours)+1 {
		t.Fatalf("listed %+v", guests)
	}

	// A dry run lists the stop and the delete and sends nothing.
	before := w.mutations()
	env := w.fresh()
	rep, err = w.withStep(env, true, func(ctx context.Context, st *run.Step) error { return env.pveDestroyVM(ctx, st, ours[0]) })
	requirePVEClean(t, rep, err)
	var reqs []string
	for _, m := range rep.Mutations() {
		reqs = append(reqs, m.Request)
	}
	if want := []string{reqVMStop, reqVMDestroy}; !slices.Equal(reqs, want) || w.mutations() != before {
		t.Errorf("dry run planned %v (want %v) and sent %d", reqs, want, w.mutations()-before)
	}

	env = w.fresh()
	rep, err = w.withStep(env, false, func(ctx context.Context, st *run.Step) error {
		if err := env.pveDestroyVM(ctx, st, guests[slices.IndexFunc(guests, func(g vmSeen) bool { return g.VMID == 555 })]); err == nil {
			t.Error("a foreign VM was deleted")
		}
		return env.pveDestroyVM(ctx, st, ours[0])
	})
	requirePVEClean(t, rep, err)
	if n := w.mutations() - before; n != 2 {
		t.Errorf("destroying a running VM sent %d mutating requests, want 2: %v", n, w.World.Env.Log.Snapshot().MutatingRoutes())
	}
	list(w.fresh())
	if slices.ContainsFunc(guests, func(g vmSeen) bool { return g.VMID == ours[0].VMID }) || !slices.ContainsFunc(guests, func(g vmSeen) bool { return g.VMID == 555 }) {
		t.Errorf("after destroying VM %d: %+v", ours[0].VMID, guests)
	}

	env = w.fresh()
	_, err = w.withStep(env, false, func(ctx context.Context, st *run.Step) error {
		return (&releaseServers{env: env}).pveForgetHost(st, "lab-pve-2")
	})
	requirePVEClean(t, nil, err)
	for _, p := range []string{"pins/lab-pve-2", "pins/lab-pve-2.ssh", "secrets/" + secretPVEToken("lab-pve-2")} {
		if _, err := os.Stat(filepath.Join(w.Env.State.Path, p)); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}
	if _, err := os.Stat(filepath.Join(w.Env.State.Path, "pins/lab-pve-1")); err != nil {
		t.Errorf("another host's pin went too: %v", err)
	}
}
