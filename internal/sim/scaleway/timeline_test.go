package scaleway

import (
	"fmt"
	"slices"
	"testing"
	"time"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// timeline drives a fixed scenario through the real SDK on a controlled
// clock stepped 5 ms at a time (two Dedibox orders and installs, one Elastic
// Metal order with its inline install) and records, for every status change
// it sees, the simulated offset since the scenario began. Nothing in it
// reads the wall clock, so the record is the world's timeline for that seed.
func timeline(t *testing.T, seed int64) []string {
	f := newFixture(t, simcore.Realistic, 0.001, withFakeClock())
	f.env.Seed = seed // before any request: durations are drawn from it
	start := f.clock.Now()
	var out []string
	seen := map[string]string{}
	note := func(what, status string) {
		if seen[what] != status {
			seen[what] = status
			out = append(out, fmt.Sprintf("%s %s=%s", f.clock.Now().Sub(start), what, status))
		}
	}
	dapi, bapi := dedibox.NewAPI(f.client), baremetal.NewAPI(f.client)
	offer := findDOffer(t, dapi, scw.ZoneFrPar1, "STORE-9-M")
	pve := findDProxmox(t, dapi, scw.ZoneFrPar1, offer.ID)
	var services []uint64
	for _, dc := range []string{"DC2", "DC3"} {
		svc, err := dapi.CreateServer(&dedibox.CreateServerRequest{Zone: scw.ZoneFrPar1, OfferID: offer.ID, DatacenterName: &dc})
		if err != nil {
			t.Fatal(err)
		}
		services = append(services, svc.ID)
	}
	em, err := bapi.CreateServer(&baremetal.CreateServerRequest{
		OfferID: i215eNVMe, Name: "pve-em1", Install: pveInstall(createKey(t, f.client), "HelloWorld678!"),
	})
	if err != nil {
		t.Fatal(err)
	}
	servers := map[uint64]bool{}
	f.poll(5*time.Millisecond, 2000, func() bool {
		done := true
		for i, id := range services {
			s, err := dapi.GetService(&dedibox.GetServiceRequest{Zone: scw.ZoneFrPar1, ServiceID: id})
			if err != nil {
				t.Fatal(err)
			}
			note(fmt.Sprintf("service#%d", i), string(s.ProvisioningStatus))
			if s.ResourceID == nil {
				done = false
				continue
			}
			srv, err := dapi.GetServer(&dedibox.GetServerRequest{Zone: scw.ZoneFrPar1, ServerID: *s.ResourceID})
			if err != nil {
				t.Fatal(err)
			}
			note(fmt.Sprintf("server#%d", i), string(srv.Status))
			if srv.Status == dedibox.ServerStatusReady && !servers[srv.ID] {
				servers[srv.ID] = true
				if _, err := dapi.InstallServer(&dedibox.InstallServerRequest{Zone: scw.ZoneFrPar1, ServerID: srv.ID, OsID: pve.ID, Hostname: fmt.Sprintf("pve-%d", i), RootPassword: ptr("Sup3r-secret")}); err != nil {
					t.Fatal(err)
				}
			}
			if !servers[srv.ID] {
				done = false
				continue
			}
			in, err := dapi.GetServerInstall(&dedibox.GetServerInstallRequest{Zone: scw.ZoneFrPar1, ServerID: srv.ID})
			if err != nil {
				t.Fatal(err)
			}
			note(fmt.Sprintf("install#%d", i), string(in.Status))
			done = done && in.Status == dedibox.ServerInstallStatusInstalled
		}
		e, err := bapi.GetServer(&baremetal.GetServerRequest{ServerID: em.ID})
		if err != nil {
			t.Fatal(err)
		}
		note("em", string(e.Status))
		note("em-install", string(e.Install.Status))
		return done && e.Install.Status == baremetal.ServerInstallStatusCompleted
	})
	return out
}

// TestSameSeedSameTimeline is the simulator's determinism promise at the
// API: with the realistic profile (scaled so an hour is 3.6 s of simulated
// clock), two worlds on one seed pass
// through the same states at the same simulated instants, and another seed
// moves them (the jitter is seeded, not fixed).
func TestSameSeedSameTimeline(t *testing.T) {
	seeds := []int64{7, 7, 8}
	got := make([][]string, len(seeds))
	t.Run("worlds", func(t *testing.T) {
		for i, seed := range seeds {
			t.Run(fmt.Sprintf("%d-seed-%d", i, seed), func(t *testing.T) {
				t.Parallel()
				got[i] = timeline(t, seed)
			})
		}
	})
	if t.Failed() {
		return
	}
	a, b, c := got[0], got[1], got[2]
	if len(a) < 10 {
		t.Fatalf("the scenario saw only %d status changes:\n%v", len(a), a)
	}
	if !slices.Equal(a, b) {
		t.Fatalf("seed 7 twice gave two timelines:\n%v\n%v", a, b)
	}
	if slices.Equal(a, c) {
		t.Fatalf("seeds 7 and 8 gave the same timeline:\n%v", a)
	}
	t.Logf("seed 7: %v", a)
}
