package stage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/state"
)

// otherStateDir is a second tripod process on the same inventory and
// simulator, with a state directory of its own.
func (tw *testWorld) otherStateDir() *Env {
	tw.t.Helper()
	sd, err := state.Open(filepath.Join(tw.t.TempDir(), "state"), state.Options{Command: "test"})
	if err != nil {
		tw.t.Fatal(err)
	}
	tw.t.Cleanup(func() { sd.Close() })
	env := tw.fresh()
	env.State = sd
	return env
}

// managedElsewhere returns the refusal among rep's failed steps, if any.
func managedElsewhere(rep *run.Report) (run.StepResult, *ManagedElsewhereError) {
	if rep != nil {
		for _, s := range rep.Failed() {
			var m *ManagedElsewhereError
			if errors.As(s.Err, &m) {
				return s, m
			}
		}
	}
	return run.StepResult{}, nil
}

// unknownOrders returns the refusal to order beside unknown Dedibox orders.
func unknownOrders(rep *run.Report) *UnknownOrdersError {
	if rep != nil {
		for _, s := range rep.Failed() {
			var u *UnknownOrdersError
			if errors.As(s.Err, &u) {
				return u
			}
		}
	}
	return nil
}

// checkRefusal checks the refusal's sentence names the other directory.
func checkRefusal(t *testing.T, m *ManagedElsewhereError, cluster, otherID string) {
	t.Helper()
	msg := m.Error()
	prefix := fmt.Sprintf("cluster %s is managed from another state directory (id %s, last seen ", cluster, otherID)
	suffix := "); use that one, or adopt its servers with azs[].hosts[].adopt.serverID"
	if !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, suffix) || strings.Contains(msg, "last seen unknown") {
		t.Errorf("refusal %q, want %q...%q with a time", msg, prefix, suffix)
	}
}

func orderRoute(env *Env) string {
	if env.Layout().Hosts[0].Provider == "elastic-metal" {
		return routeMetalOrder
	}
	return routeDediboxOrder
}

// TestSecondStateDirectoryRefuses: after one state directory has ordered
// lab's servers, a second one for the same inventory refuses in preflight
// with one sentence naming the first, and sends nothing; the first one's
// servers carry its ID.
func TestSecondStateDirectoryRefuses(t *testing.T) {
	for _, tc := range []struct{ inventory, preload string }{{"lab.yaml", ""}, {"elastic-metal.yaml", emStock}} {
		t.Run(strings.TrimSuffix(tc.inventory, ".yaml"), func(t *testing.T) {
			var opts []simOption
			if tc.preload != "" {
				opts = append(opts, withPreload(preload(t, tc.preload)))
			}
			tw := newTestWorld(t, "../../inventories/"+tc.inventory, opts...)
			rep, err := tw.runScw(tw.Env, Servers, false)
			requireClean(t, rep, err)
			for _, s := range ours(tw) {
				if !slices.Contains(s.Tags, tw.Env.StateTag()) {
					t.Errorf("server %s has tags %v, want %s among them", s.ID, s.Tags, tw.Env.StateTag())
				}
			}
			before, orders := tw.mutations(), served(tw, orderRoute(tw.Env))
			second := tw.otherStateDir()
			for _, dry := range []bool{true, false} {
				rep, err = tw.runScw(second, Servers, dry)
				step, m := managedElsewhere(rep)
				if err == nil || m == nil {
					t.Fatalf("second state directory (dry run %v): %v, want the refusal", dry, err)
				}
				if step.Key.Stage != Preflight {
					t.Errorf("refused in %s, want preflight", step.Key)
				}
				checkRefusal(t, m, tw.Env.Cluster().Name, tw.Env.State.ID)
			}
			if n := tw.mutations() - before; n != 0 {
				t.Errorf("the second state directory sent %d mutating requests: %v", n, tw.World.Env.Log.Snapshot().MutatingRoutes())
			}
			if n := served(tw, orderRoute(tw.Env)); n != orders || n != len(tw.Env.Layout().Hosts) {
				t.Errorf("%d orders were served, want %d", n, len(tw.Env.Layout().Hosts))
			}
		})
	}
}

// TestDownFromAnotherStateDirectoryReleasesNothing: down --release-servers
// from a second state directory refuses and terminates nothing.
func TestDownFromAnotherStateDirectoryReleasesNothing(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	rep, err := tw.runScw(tw.Env, Servers, false)
	requireClean(t, rep, err)
	before := tw.mutations()
	r := &run.Runner{Stages: DownList(tw.otherStateDir(), DownOptions{ReleaseServers: true, ReleaseAdopted: true}), Pools: Pools}
	rep, err = r.Run(t.Context())
	if _, m := managedElsewhere(rep); err == nil || m == nil {
		t.Fatalf("down from another state directory: %v, want the refusal", err)
	}
	if n := tw.mutations() - before; n != 0 {
		t.Fatalf("down from another state directory sent %d mutating requests: %v", n, tw.World.Env.Log.Snapshot().MutatingRoutes())
	}
	if n := len(ours(tw)); n != len(tw.Env.Layout().Hosts) {
		t.Errorf("%d of the cluster's servers are left, want %d", n, len(tw.Env.Layout().Hosts))
	}
}

// TestAdoptTakesOverAnotherStatesServer: the way out the refusal names.
// Adopting every server from the second directory takes them over: their
// state tag becomes the second directory's, and the first one now refuses.
func TestAdoptTakesOverAnotherStatesServer(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	rep, err := tw.runScw(tw.Env, Servers, false)
	requireClean(t, rep, err)
	byHost := map[string]string{}
	for _, s := range ours(tw) {
		h, _ := tagValue(s.Tags, hostTagPrefix)
		byHost[h] = s.ID
	}
	second := tw.otherStateDir()
	layout := *second.Inv.Layout
	layout.Hosts = slices.Clone(layout.Hosts)
	for i := range layout.Hosts {
		layout.Hosts[i].AdoptServerID = byHost[layout.Hosts[i].Name]
	}
	inv := *second.Inv
	inv.Layout = &layout
	second.Inv = &inv
	rep, err = tw.runScw(second, Servers, false)
	requireClean(t, rep, err)
	for _, s := range ours(tw) {
		if !slices.Contains(s.Tags, second.StateTag()) || slices.Contains(s.Tags, tw.Env.StateTag()) {
			t.Errorf("adopted server %s has tags %v, want %s instead of %s", s.ID, s.Tags, second.StateTag(), tw.Env.StateTag())
		}
	}
	rep, _ = tw.runScw(tw.fresh(), Servers, false)
	if _, m := managedElsewhere(rep); m == nil {
		t.Fatal("the first state directory still acts on servers another one adopted")
	} else {
		checkRefusal(t, m, tw.Env.Cluster().Name, second.State.ID)
	}
}

// journalLost is tw's state directory with its journal (and everything
// else) lost but its identity, state-id, kept.
func (tw *testWorld) journalLost() *state.Dir {
	tw.t.Helper()
	dir := filepath.Join(tw.t.TempDir(), "state")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tw.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "state-id"), []byte(tw.Env.State.ID+"\n"), 0o600); err != nil {
		tw.t.Fatal(err)
	}
	sd, err := state.Open(dir, state.Options{Command: "test"})
	if err != nil {
		tw.t.Fatal(err)
	}
	tw.t.Cleanup(func() { sd.Close() })
	return sd
}

// TestLostJournalFindsMetalServersByTags is TestLostJournalFindsServersByTags
// for Elastic Metal, whose orders carry the state tag from the start.
func TestLostJournalFindsMetalServersByTags(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/elastic-metal.yaml", withPreload(preload(t, emStock)))
	rep, err := tw.runScw(tw.Env, Servers, false)
	requireClean(t, rep, err)
	env := tw.fresh()
	env.State = tw.journalLost()
	before := tw.mutations()
	rep, err = tw.runScw(env, Servers, false)
	requireClean(t, rep, err)
	if n := tw.mutations() - before; n != 0 {
		t.Fatalf("%d mutating requests with the journal lost: %v", n, tw.World.Env.Log.Snapshot().MutatingRoutes())
	}
}

// TestUnrecordedServerWithoutStateIDIsNotTaken: a server carrying the
// cluster's and a host's tags but no state ID (ordered before servers were
// tagged with one), unknown to this state directory's journal, could be
// another directory's: it is refused, naming adoption, and its host is not
// ordered.
func TestUnrecordedServerWithoutStateIDIsNotTaken(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml", withPreload(preload(t, `
servers:
  - {provider: dedibox, id: "104301", offer: START-9-M, datacenter: DC2, hostname: old, tags: [tripod-cluster=lab, tripod-host=lab-pve-1]}
`)))
	rep, err := tw.runScw(tw.Env, Servers, false)
	if err == nil {
		t.Fatal("a server without a state ID, unknown to the journal, was taken")
	}
	var msg string
	for _, s := range rep.Failed() {
		if s.Key.Target == "lab-pve-1" {
			msg = errString(s.Err)
		}
	}
	if !strings.Contains(msg, "server 104301 carries tripod-cluster=lab and tripod-host=lab-pve-1 but no state directory's ID") ||
		!strings.Contains(msg, "adopt it with azs[].hosts[].adopt.serverID") {
		t.Errorf("lab-pve-1: %q, want the refusal naming adoption", msg)
	}
	for _, m := range rep.Mutations() {
		if m.Verb == "order" && strings.Contains(m.Object, "lab-pve-1") {
			t.Errorf("lab-pve-1 was ordered: %v", m)
		}
	}
}
