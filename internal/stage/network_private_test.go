package stage

import (
	"slices"
	"strings"
	"testing"

	baremetalv3 "github.com/scaleway/scaleway-sdk-go/api/baremetal/v3"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/run"
	scwsim "github.com/tripod-dev/tripod/internal/sim/scaleway"
)

// TestRPNGroupJoinsEveryDedibox: one RPNv2 group named after the cluster
// with every server on the inventory's VLAN, published per host; found
// again, not recreated, by the next run.
func TestRPNGroupJoinsEveryDedibox(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/prod-3az.yaml")
	facts := &run.Facts{}
	r := &run.Runner{Stages: scwStages(tw.Env), Until: Network, Pools: Pools, Facts: facts}
	rep, err := r.Run(t.Context())
	requireClean(t, rep, err)
	groups := tw.World.Scaleway.State().RPNGroups
	if len(groups) != 1 || groups[0].Name != "tripod-prod" || groups[0].Status != "active" || len(groups[0].Members) != 9 {
		t.Fatalf("RPN groups: %+v", groups)
	}
	for _, m := range groups[0].Members {
		if m.Vlan != "400" || m.Status != "active" {
			t.Errorf("member %+v, want VLAN 400 active", m)
		}
	}
	for _, h := range tw.Env.Layout().Hosts {
		if v, ok := tableOf(facts).VLAN(h.Name); !ok || v != 400 {
			t.Errorf("VLAN fact of %s: %v %v", h.Name, v, ok)
		}
	}
	assertNoMutations(t, tw, Network)
}

// TestRPNGroupRepairsMembersAndVLAN: a group left half-done (a server
// missing, a member on another VLAN) is completed, not recreated: each host
// repairs its own membership and nothing else.
func TestRPNGroupRepairsMembersAndVLAN(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	rep, err := tw.runScw(tw.Env, Network, false)
	requireClean(t, rep, err)
	c := scwClient(t, tw)
	g := tw.World.Scaleway.State().RPNGroups[0]
	drop, move := g.Members[0], g.Members[1]
	if err := removeMember(c, g.ID, drop.ID); err != nil {
		t.Fatal(err)
	}
	if err := setVLAN(c, g.ID, move.ID, 7); err != nil {
		t.Fatal(err)
	}
	rep, err = tw.runScw(tw.fresh(), Network, false)
	requireClean(t, rep, err)
	var got []string
	for _, m := range rep.Mutations() {
		got = append(got, m.Verb+" "+m.Object)
	}
	hostOf := func(server string) string {
		for _, s := range tw.World.Scaleway.State().Servers {
			if s.ID == server {
				h, _ := tagValue(s.Tags, hostTagPrefix)
				return h
			}
		}
		return ""
	}
	a, b := hostOf(drop.ServerID), hostOf(move.ServerID)
	want := []string{
		"add server " + drop.ServerID + " (" + a + ") to RPNv2 group tripod-lab",
		"set VLAN 120 on " + a + "'s member of RPNv2 group tripod-lab",
		"set VLAN 120 on " + b + "'s member of RPNv2 group tripod-lab",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("repairs: %q, want %q", got, want)
	}
	groups := tw.World.Scaleway.State().RPNGroups
	if len(groups) != 1 {
		t.Fatalf("%d groups", len(groups))
	}
	for _, m := range groups[0].Members {
		if m.Vlan != "120" && m.Status != "deleting" {
			t.Errorf("member %+v", m)
		}
	}
}

// TestMetalPrivateNetworkAttachesEveryServer: Elastic Metal servers join
// the private network their cluster already uses (one a server was attached
// to earlier), one per region, with the VLAN Scaleway assigned each
// published for its bridge.
func TestMetalPrivateNetworkAttachesEveryServer(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/elastic-metal.yaml", withPreload(preload(t, emStock)))
	facts := &run.Facts{}
	rep, err := (&run.Runner{Stages: scwStages(tw.Env), Until: Servers, Pools: Pools, Facts: facts}).Run(t.Context())
	requireClean(t, rep, err)
	c := scwClient(t, tw)
	par, ams := "0a7e1b3c-1111-4222-8333-444455556666", "0a7e1b3c-9999-4222-8333-444455556666"
	for id, region := range map[string]string{par: "fr-par", ams: "nl-ams"} {
		if _, err := tw.World.Scaleway.PreloadPrivateNetwork(scwsim.PreloadedPrivateNetwork{ID: id, Region: region, Name: "someone-made-this"}); err != nil {
			t.Fatal(err)
		}
	}
	for host, pn := range map[string]string{"metal-pve-1": par, "metal-pve-3": ams} {
		f, _ := tableOf(facts).Host(host)
		if _, err := c.MetalPN.AddServerPrivateNetwork(&baremetalv3.PrivateNetworkAPIAddServerPrivateNetworkRequest{Zone: scw.Zone(f.Zone), ServerID: f.ServerID, PrivateNetworkID: pn}); err != nil {
			t.Fatal(err)
		}
	}
	var warned bool
	r := &run.Runner{Stages: scwStages(tw.fresh()), Until: Network, Pools: Pools, Facts: facts, Sink: run.SinkFunc(func(e run.Event) {
		warned = warned || (e.Kind == run.EventWarn && strings.Contains(e.Message, "regional"))
	})}
	rep, err = r.Run(t.Context())
	requireClean(t, rep, err)
	if !warned {
		t.Error("no warning that the regions' private networks are not joined")
	}
	want := map[string]string{"metal-pve-1": par, "metal-pve-2": par, "metal-pve-3": ams}
	pns := tw.World.Scaleway.State().PrivateNetworks
	if len(pns) != 3 {
		t.Fatalf("attachments: %+v", pns)
	}
	for host, pn := range want {
		f, _ := tableOf(facts).Host(host)
		vlan, ok := tableOf(facts).VLAN(host)
		found := false
		for _, a := range pns {
			if a.ServerID == f.ServerID && a.PrivateNetworkID == pn && a.Status == "attached" && int(a.Vlan) == vlan {
				found = true
			}
		}
		if !found || !ok || vlan == 0 {
			t.Errorf("%s: not attached to %s with its VLAN published (%d): %+v", host, pn, vlan, pns)
		}
	}
	assertNoMutations(t, tw, Network)
}

// TestMetalPrivateNetworkIsCreated: with no network yet, the stage creates
// one per region in VPC v2, named after the cluster, and attaches every
// server; a second run changes nothing.
func TestMetalPrivateNetworkIsCreated(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/elastic-metal.yaml", withPreload(preload(t, emStock)))
	rep, err := (&run.Runner{Stages: scwStages(tw.Env), Until: Network, Pools: Pools}).Run(t.Context())
	requireClean(t, rep, err)
	st := tw.World.Scaleway.State()
	byRegion := map[string]string{}
	for _, n := range st.Networks {
		if n.Name == "tripod-metal" {
			byRegion[n.Region] = n.ID
		}
	}
	if len(byRegion) != 2 || byRegion["fr-par"] == "" || byRegion["nl-ams"] == "" {
		t.Fatalf("want one tripod-metal network in fr-par and one in nl-ams, got %+v", st.Networks)
	}
	attached := 0
	for _, a := range st.PrivateNetworks {
		if a.Status == "attached" {
			attached++
		}
	}
	if attached != 3 {
		t.Fatalf("attachments: %+v", st.PrivateNetworks)
	}
	assertNoMutations(t, tw, Network)
}
