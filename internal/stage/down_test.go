package stage

import (
	"context"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/tripod-dev/tripod/internal/run"
)

func (tw *testWorld) down(o DownOptions, dryRun bool) (*run.Report, error) {
	tw.t.Helper()
	r := &run.Runner{Stages: DownList(tw.fresh(), o), Pools: Pools, DryRun: dryRun}
	return r.Run(context.Background())
}

// TestDownDeletesOnlyWhatCarriesTheTag brings lab up beside a foreign VM
// and a foreign server, then tears it down: a dry run sends nothing; down
// deletes every VM of the cluster and, with --release-servers, terminates
// its servers; the foreign VM and server are untouched.
func TestDownDeletesOnlyWhatCarriesTheTag(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml", withPreload(preload(t, `
servers:
  - {provider: dedibox, offer: START-9-M, datacenter: DC2, hostname: someone-else, tags: [tripod-host=lab-pve-1]}
vms:
  - {host: lab-pve-1, vmid: 900, name: legacy-db, running: true}
`)))
	if rep, err := tw.up(""); err != nil {
		t.Fatalf("up: %v\n%v", err, rep.Failed())
	}
	before := tw.mutations()
	rep, err := tw.down(DownOptions{ReleaseServers: true}, true)
	if err != nil {
		t.Fatal(err)
	}
	if tw.mutations() != before {
		t.Fatal("a dry-run down sent mutating requests")
	}
	planned := 0
	for _, m := range rep.Mutations() {
		if m.Verb == "delete" || m.Verb == "terminate" {
			planned++
		}
	}
	if want := len(tw.Env.Layout().VMs) + len(tw.Env.Layout().Hosts); planned != want {
		t.Errorf("dry run lists %d deletions, want %d: %v", planned, want, rep.Mutations())
	}

	if rep, err := tw.down(DownOptions{}, false); err != nil {
		t.Fatalf("down: %v\n%v", err, rep.Failed())
	}
	st := tw.World.Proxmox.State()
	var left []string
	for _, vm := range st.VMs {
		left = append(left, vm.Name)
	}
	if !slices.Equal(left, []string{"legacy-db"}) {
		t.Fatalf("after down, VMs left: %v (want only the foreign legacy-db)", left)
	}
	if n := len(tw.World.Scaleway.State().Servers); n != 4 {
		t.Fatalf("down without --release-servers terminated servers: %d left", n)
	}

	if rep, err := tw.down(DownOptions{ReleaseServers: true}, false); err != nil {
		t.Fatalf("down --release-servers: %v\n%v", err, rep.Failed())
	}
	for _, s := range tw.World.Scaleway.State().Servers {
		foreign := s.Hostname == "someone-else"
		gone := s.Status == "deleting" || s.Status == "busy" || s.Status == "unknown"
		if foreign && gone {
			t.Errorf("the foreign server %s is being terminated", s.ID)
		}
		if !foreign && !gone && slices.Contains(s.Tags, tw.Env.ServerTag()) {
			t.Errorf("server %s (%s) of the cluster is still %s", s.ID, s.Hostname, s.Status)
		}
	}
}

// TestTaggedServerPassesOverAServerTerminatedSinceTheList is the race a
// loaded machine showed in TestDownDeletesOnlyWhatCarriesTheTag: one
// host's find-servers lists the Dedibox servers, another host's
// release-servers (which waits only for its own host's steps) terminates
// its server, and the first host then reads that server: not_found, as the
// real API answers for a server that is gone. The lookup passes over it.
// The termination is sent at the moment the list's answer arrives, so the
// interleaving is the same on every run.
func TestTaggedServerPassesOverAServerTerminatedSinceTheList(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	if rep, err := tw.up(Servers); err != nil {
		t.Fatalf("up: %v\n%v", err, rep.Failed())
	}
	e := tw.fresh()
	// The list shows servers in order of ID: the lowest one is read first
	// by the lookup of the host with the highest.
	ids := map[string]uint64{}
	for _, h := range e.Layout().Hosts {
		for _, s := range tw.World.Scaleway.State().Servers {
			if slices.Contains(s.Tags, e.ServerTag()) && slices.Contains(s.Tags, hostTag(h.Name)) {
				ids[h.Name], _ = strconv.ParseUint(s.ID, 10, 64)
			}
		}
	}
	gone, reader := e.Layout().Hosts[0], e.Layout().Hosts[0]
	for _, h := range e.Layout().Hosts {
		if ids[h.Name] < ids[gone.Name] {
			gone = h
		}
		if ids[h.Name] > ids[reader.Name] {
			reader = h
		}
	}
	other, err := e.scw()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	zone, _ := hostZone(gone)
	victim, err := other.GetServer(ctx, gone.Provider, zone, strconv.FormatUint(ids[gone.Name], 10))
	if err != nil {
		t.Fatal(err)
	}
	var terminated error
	base := e.Dialer.HTTPClient(nil, 0).Transport
	c, err := e.newScw(&afterDediboxList{base: base, then: func() { terminated = other.Terminate(ctx, victim) }})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := e.owner().taggedServer(ctx, c, reader)
	if terminated != nil {
		t.Fatalf("terminating %s's server after the list: %v", gone.Name, terminated)
	}
	if err != nil {
		t.Fatalf("finding %s's server after %s's was terminated: %v", reader.Name, gone.Name, err)
	}
	if want := strconv.FormatUint(ids[reader.Name], 10); srv == nil || srv.ID != want {
		t.Fatalf("found %+v for %s, want server %s", srv, reader.Name, want)
	}
	if _, err := other.GetServer(ctx, gone.Provider, zone, victim.ID); err == nil {
		t.Fatalf("server %s still answers: the race was not set up", victim.ID)
	}
}

// afterDediboxList runs then once, when the first Dedibox server list has
// been answered and before its answer reaches the client.
type afterDediboxList struct {
	base http.RoundTripper
	once sync.Once
	then func()
}

var dediboxListPath = regexp.MustCompile(`^/dedibox/v1/zones/[^/]+/servers$`)

func (a *afterDediboxList) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := a.base.RoundTrip(r)
	if err == nil && r.Method == http.MethodGet && dediboxListPath.MatchString(r.URL.Path) {
		a.once.Do(a.then)
	}
	return resp, err
}

// TestDownKeepsAdoptedServers: adopted servers are terminated only with
// --release-adopted as well.
func TestDownKeepsAdoptedServers(t *testing.T) {
	b, err := os.ReadFile("../../inventories/sim/adopt-preload.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tw := newTestWorld(t, "../../inventories/adopt.yaml", withPreload(preload(t, string(b))))
	if rep, err := tw.up(Servers); err != nil {
		t.Fatalf("up: %v\n%v", err, rep.Failed())
	}
	rep, err := tw.down(DownOptions{ReleaseServers: true}, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range rep.Mutations() {
		if m.Verb == "terminate" {
			t.Errorf("adopted server planned for termination without --release-adopted: %s", m.Object)
		}
	}
	rep, err = tw.down(DownOptions{ReleaseServers: true, ReleaseAdopted: true}, true)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range rep.Mutations() {
		if m.Verb == "terminate" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("--release-adopted plans %d terminations, want 3", n)
	}
}
