package stage

import (
	"context"
	"strconv"
	"strings"
	"testing"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
	"github.com/tripod-dev/tripod/internal/state"
)

const (
	routeDediboxOrder = "POST /dedibox/v1/zones/{zone}/servers"
	routeMetalOrder   = "POST /baremetal/v1/zones/{zone}/servers"
)

// served is how many requests the simulator served on a Scaleway route.
func served(tw *testWorld, route string) int {
	if a := tw.World.Env.Log.Snapshot().APIs[simcore.APIScaleway]; a != nil && a.Routes[route] != nil {
		return a.Routes[route].Total
	}
	return 0
}

// TestCrashAfterDediboxOrderIsNotOrderedAgain: a run wrote its intent, sent
// the Dedibox order and died before recording it. The order carries no tag
// (Dedibox orders cannot); the next run must find it among the account's
// orders and take it, never place a second one.
func TestCrashAfterDediboxOrderIsNotOrderedAgain(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	h, _ := tw.Env.Layout().Host("lab-pve-2")
	c := scwClient(t, tw)
	intent, err := tw.Env.State.Journal.Intent(Servers, h.Name, actionOrder, map[string]string{"offer": h.Offer.Name})
	if err != nil {
		t.Fatal(err)
	}
	offer, err := c.OfferID(context.Background(), h.Provider, scw.ZoneFrPar1, h.Offer.Name)
	if err != nil {
		t.Fatal(err)
	}
	oid, _ := strconv.ParseUint(offer, 10, 64)
	dc := "DC3"
	svc, err := c.Dedibox.CreateServer(&dedibox.CreateServerRequest{Zone: scw.ZoneFrPar1, OfferID: oid, ProjectID: c.ProjectID, DatacenterName: &dc})
	if err != nil {
		t.Fatal(err)
	}
	// The process died here: no Complete.

	rep, err := tw.runScw(tw.fresh(), Servers, false)
	requireClean(t, rep, err)
	if n := served(tw, routeDediboxOrder); n != 3 {
		t.Fatalf("%d Dedibox orders were sent, want 3 (the crashed one and one each for the two other hosts)", n)
	}
	if n := len(tw.World.Scaleway.State().Services); n != 3 {
		t.Fatalf("%d orders exist, want 3", n)
	}
	if len(tw.Env.State.Journal.Unresolved(Servers, h.Name, actionOrder)) != 0 {
		t.Error("the crashed intent is still unresolved")
	}
	rec, _ := tw.Env.State.Journal.LastDone(Servers, h.Name, actionOrder)
	if rec.Ref != intent.Seq || rec.Data["service_id"] != strconv.FormatUint(svc.ID, 10) {
		t.Errorf("the intent was completed with %v (ref %d), want service %d (ref %d)", rec.Data, rec.Ref, svc.ID, intent.Seq)
	}
	for _, m := range rep.Mutations() {
		if m.Verb == "order" && m.Object == "server lab-pve-2 (START-9-M in DC3)" {
			t.Errorf("lab-pve-2 was ordered again: %v", m)
		}
	}
	assertOneServerPerHost(t, tw)
}

// TestCrashAfterMetalOrderIsNotOrderedAgain: the same crash for Elastic
// Metal, whose order carries the ownership and host tags from the start.
func TestCrashAfterMetalOrderIsNotOrderedAgain(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/elastic-metal.yaml", withPreload(preload(t, emStock)))
	h, _ := tw.Env.Layout().Host("metal-pve-1")
	c := scwClient(t, tw)
	if _, err := tw.Env.State.Journal.Intent(Servers, h.Name, actionOrder, map[string]string{"offer": h.Offer.Name}); err != nil {
		t.Fatal(err)
	}
	offer, err := c.OfferID(context.Background(), h.Provider, scw.ZoneFrPar1, h.Offer.Name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Metal.CreateServer(&baremetal.CreateServerRequest{Zone: scw.ZoneFrPar1, OfferID: offer, ProjectID: &c.ProjectID, Name: h.Name,
		Tags: []string{tw.Env.ServerTag(), hostTag(h.Name), tw.Env.StateTag()}})
	if err != nil {
		t.Fatal(err)
	}

	rep, err := tw.runScw(tw.fresh(), Servers, false)
	requireClean(t, rep, err)
	if n := served(tw, routeMetalOrder); n != 3 {
		t.Fatalf("%d Elastic Metal orders were sent, want 3", n)
	}
	rec, ok := tw.Env.State.Journal.LastDone(Servers, h.Name, actionOrder)
	if !ok || rec.Data["server_id"] != s.ID {
		t.Errorf("the crashed intent was completed with %v, want server %s", rec.Data, s.ID)
	}
	assertOneServerPerHost(t, tw)
}

// TestLostJournalFindsServersByTags: with the journal gone (the state
// directory's identity kept: a directory with another identity is refused,
// TestSecondStateDirectoryRefuses), the servers are found by their
// ownership, host and state tags, not ordered again.
func TestLostJournalFindsServersByTags(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
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
	assertOneServerPerHost(t, tw)
}

func assertOneServerPerHost(t *testing.T, tw *testWorld) {
	t.Helper()
	all := tw.World.Scaleway.State().Servers
	if len(all) != len(tw.Env.Layout().Hosts) {
		t.Fatalf("%d servers exist for %d hosts: %+v", len(all), len(tw.Env.Layout().Hosts), all)
	}
	seen := map[string]bool{}
	for _, s := range ours(tw) {
		host, _ := tagValue(s.Tags, hostTagPrefix)
		if seen[host] {
			t.Errorf("host %s has two servers", host)
		}
		seen[host] = true
	}
	if len(seen) != len(all) {
		t.Errorf("%d of %d servers are tagged for a host", len(seen), len(all))
	}
}

// TestCrashedOrdersOfOneOfferAreEachClaimedOnce: two hosts of the same
// offer in the same datacenter both crashed after ordering, and the orders
// are still being delivered: each host takes one, neither is ordered again.
func TestCrashedOrdersOfOneOfferAreEachClaimedOnce(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/prod-3az.yaml", withProfile(simcore.Realistic, 0.0005))
	c := scwClient(t, tw)
	a, _ := tw.Env.Layout().Host("prod-core-1a")
	offer, err := c.OfferID(context.Background(), a.Provider, scw.ZoneFrPar1, a.Offer.Name)
	if err != nil {
		t.Fatal(err)
	}
	oid, _ := strconv.ParseUint(offer, 10, 64)
	dc := "DC2"
	for _, host := range []string{"prod-core-1a", "prod-core-1b"} {
		if _, err := tw.Env.State.Journal.Intent(Servers, host, actionOrder, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Dedibox.CreateServer(&dedibox.CreateServerRequest{Zone: scw.ZoneFrPar1, OfferID: oid, ProjectID: c.ProjectID, DatacenterName: &dc}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := tw.runScw(tw.fresh(), Servers, false)
	requireClean(t, rep, err)
	if n := served(tw, routeDediboxOrder); n != 9 {
		t.Fatalf("%d Dedibox orders were sent, want 9", n)
	}
	ra, _ := tw.Env.State.Journal.LastDone(Servers, "prod-core-1a", actionOrder)
	rb, _ := tw.Env.State.Journal.LastDone(Servers, "prod-core-1b", actionOrder)
	if ra.Data["service_id"] == "" || ra.Data["service_id"] == rb.Data["service_id"] {
		t.Fatalf("the two hosts took orders %q and %q", ra.Data["service_id"], rb.Data["service_id"])
	}
	assertOneServerPerHost(t, tw)
}

// TestFaultyAPIConvergesWithoutDoubleOrders: with a fifth of the Scaleway
// requests answered 503 or 429, runs fail host by host, and re-runs
// converge, each host with exactly one server and one order.
func TestFaultyAPIConvergesWithoutDoubleOrders(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/prod-3az.yaml", withFaults("scaleway.5xx=0.1;scaleway.429-bare=0.1"), withProfile(simcore.Realistic, 0.0002))
	var err error
	for i := 0; i < 8; i++ {
		if _, err = tw.runScw(tw.fresh(), OS, false); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("no convergence after 8 runs: %v", err)
	}
	if n := len(tw.World.Scaleway.State().Services); n != 9 {
		t.Fatalf("%d orders for 9 hosts", n)
	}
	assertOneServerPerHost(t, tw)
	assertBuilt(t, tw)
}

// TestQuotaFailsOnlyItsHost: an order over the account's quota fails for
// that host alone, with Scaleway's words; the others are delivered.
func TestQuotaFailsOnlyItsHost(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	tw.World.Scaleway.ServerQuota = 2
	rep, err := tw.runScw(tw.Env, Servers, false)
	if err == nil || !strings.Contains(err.Error(), "quotas_exceeded") || !strings.Contains(err.Error(), "dedibox_servers has reached its quota (2/2)") {
		t.Fatalf("err = %v", err)
	}
	if f := rep.Failed(); len(f) != 1 || f[0].Key.Stage != Servers {
		t.Fatalf("failed steps: %+v", f)
	}
	if n := len(ours(tw)); n != 2 {
		t.Fatalf("%d servers delivered, want the 2 within quota", n)
	}
	for _, r := range tw.Env.State.Journal.Records() {
		if r.Kind == state.Failed && !strings.Contains(r.Data["error"], "quota") {
			t.Errorf("failed intent without the reason: %+v", r)
		}
	}
	if n := len(tw.Env.State.Journal.Unresolved(Servers, rep.Failed()[0].Key.Target, actionOrder)); n != 0 {
		t.Error("a refused order must not stay unresolved: nothing was ordered")
	}
}
