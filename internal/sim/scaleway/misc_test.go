package scaleway

import (
	"errors"
	"net/http"
	"testing"
	"time"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// TestDarkPlacement: a dark datacenter or zone has nothing to deliver, and
// Elastic Metal servers there stop answering ping.
func TestDarkPlacement(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	em, err := f.sim.PreloadServer(PreloadedServer{Provider: "elastic-metal", Offer: "EM-I215E-NVME", Zone: "fr-par-2", Hostname: "pve-em1"})
	if err != nil {
		t.Fatal(err)
	}
	f.env.Faults.SetDark("DC3", true)
	f.env.Faults.SetDark("fr-par-2", true)
	offer := findDOffer(t, dedibox.NewAPI(f.client), scw.ZoneFrPar1, "STORE-9-M")
	if got := offer.ServerInfo.StockByDatacenter; got["DC3"] != "empty" || got["DC2"] != "available" {
		t.Fatalf("stock with DC3 dark: %v", got)
	}
	api := baremetal.NewAPI(f.client)
	srv, err := api.GetServer(&baremetal.GetServerRequest{ServerID: em})
	if err != nil || srv.PingStatus != baremetal.ServerPingStatusPingStatusDown {
		t.Fatalf("server in a dark zone: %v, %v", srv, err)
	}
	_, err = api.CreateServer(&baremetal.CreateServerRequest{OfferID: i215eNVMe, Name: "x"})
	var oos *scw.OutOfStockError
	if !errors.As(err, &oos) {
		t.Fatalf("order in a dark zone: %v, want out of stock", err)
	}
}

func TestDediboxCancelInstall(t *testing.T) {
	f := newFixture(t, simcore.Realistic, 0.001, withFakeClock())
	id, err := f.sim.PreloadServer(PreloadedServer{Provider: "dedibox", Offer: "CORE-10-L", Datacenter: "DC2", Hostname: "pve-a1"})
	if err != nil {
		t.Fatal(err)
	}
	api := dedibox.NewAPI(f.client)
	sid := uint64ID(t, id)
	err = api.CancelServerInstall(&dedibox.CancelServerInstallRequest{Zone: scw.ZoneFrPar1, ServerID: sid})
	var pf *scw.PreconditionFailedError
	if !errors.As(err, &pf) {
		t.Fatalf("cancel with no install: %v, want precondition_failed", err)
	}
	if _, err := api.InstallServer(&dedibox.InstallServerRequest{Zone: scw.ZoneFrPar1, ServerID: sid, OsID: 3101, Hostname: "deb", UserLogin: ptr("ops"), UserPassword: ptr("Sup3r-secret"), RootPassword: ptr("Sup3r-secret")}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(50 * time.Millisecond)
	if err := api.CancelServerInstall(&dedibox.CancelServerInstallRequest{Zone: scw.ZoneFrPar1, ServerID: sid}); err != nil {
		t.Fatal(err)
	}
	srv, _ := api.GetServer(&dedibox.GetServerRequest{Zone: scw.ZoneFrPar1, ServerID: sid})
	_, err = api.GetServerInstall(&dedibox.GetServerInstallRequest{Zone: scw.ZoneFrPar1, ServerID: sid})
	var nf *scw.ResourceNotFoundError
	if srv.Status != dedibox.ServerStatusReady || !errors.As(err, &nf) {
		t.Fatalf("after cancel: server %s, install %v", srv.Status, err)
	}
}

func TestDediboxOSFilteredByServer(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	id, _ := f.sim.PreloadServer(PreloadedServer{Provider: "dedibox", Offer: "START-9-S", Datacenter: "DC2"})
	sid := uint64ID(t, id)
	res, err := dedibox.NewAPI(f.client).ListOS(&dedibox.ListOSRequest{Zone: scw.ZoneFrPar1, ServerID: &sid})
	if err != nil {
		t.Fatal(err)
	}
	for _, os := range res.Os {
		if os.Name == "ESXi" {
			t.Fatal("ESXi is listed for a START server it cannot be installed on")
		}
	}
	parts, err := dedibox.NewAPI(f.client).GetServerDefaultPartitioning(&dedibox.GetServerDefaultPartitioningRequest{Zone: scw.ZoneFrPar1, ServerID: sid, OsID: 3201})
	if err != nil || len(parts.Partitions) != 4 || *parts.Partitions[3].MountPoint != "/var/lib/vz" {
		t.Fatalf("Proxmox default partitioning: %+v, %v", parts, err)
	}
}

func TestEMDefaultPartitioningSchemaThroughSDK(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	api := baremetal.NewAPI(f.client)
	sch, err := api.GetDefaultPartitioningSchema(&baremetal.GetDefaultPartitioningSchemaRequest{OfferID: "18137894-b9a7-4e7b-b026-518ab8a3e41e", OsID: pve8ID}) // EM-L420E-NVME, 4 disks
	if err != nil || len(sch.Disks) != 2 || sch.Zfs.Pools[0].Name != "zpve" || sch.Disks[1].Device != "/dev/nvme1n1" {
		t.Fatalf("schema: %+v, %v", sch, err)
	}
	_, err = api.GetDefaultPartitioningSchema(&baremetal.GetDefaultPartitioningSchemaRequest{OfferID: "8779d2c1-cd10-4a34-a006-cb5b1fb5cbc7", OsID: pve8ID}) // EM-A116X-SSD: no Proxmox
	var ia *scw.InvalidArgumentsError
	if !errors.As(err, &ia) {
		t.Fatalf("Proxmox on EM-A116X-SSD: %v, want invalid_arguments", err)
	}
}

// TestInjectedFaultsSpeakScaleway: a 503 from the fault model reaches the
// SDK as a ResponseError decoded from Scaleway's JSON shape.
func TestInjectedFaultsSpeakScaleway(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1, withFaults("scaleway.5xx=1"))
	_, err := baremetal.NewAPI(f.client).ListOffers(&baremetal.ListOffersRequest{})
	var re *scw.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusServiceUnavailable || re.Type != "service_unavailable" {
		t.Fatalf("fault: %#v", err)
	}
}
