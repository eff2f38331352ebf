package scaleway

import (
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	iam "github.com/scaleway/scaleway-sdk-go/api/iam/v1alpha1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// findDOffer lists the offers through the SDK and picks one by name.
func findDOffer(t *testing.T, api *dedibox.API, zone scw.Zone, name string) *dedibox.Offer {
	t.Helper()
	res, err := api.ListOffers(&dedibox.ListOffersRequest{Zone: zone}, scw.WithAllPages())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Offers {
		if o.Name == name {
			return o
		}
	}
	t.Fatalf("offer %s not listed", name)
	return nil
}

func findDProxmox(t *testing.T, api *dedibox.API, zone scw.Zone, offerID uint64) *dedibox.OS {
	t.Helper()
	res, err := api.ListOS(&dedibox.ListOSRequest{Zone: zone, OfferID: &offerID}, scw.WithAllPages())
	if err != nil {
		t.Fatal(err)
	}
	for _, os := range res.Os {
		if os.Name == "Proxmox" {
			return os
		}
	}
	t.Fatal("no Proxmox VE in the Dedibox OS list")
	return nil
}

func createKey(t *testing.T, c *scw.Client) string {
	t.Helper()
	k, err := iam.NewAPI(c).CreateSSHKey(&iam.CreateSSHKeyRequest{Name: "tripod", PublicKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	return k.ID
}

// orderDedibox orders offer in dc and waits for the service to deliver.
func orderDedibox(t *testing.T, api *dedibox.API, offer *dedibox.Offer, dc string) *dedibox.Server {
	t.Helper()
	svc, err := api.CreateServer(&dedibox.CreateServerRequest{Zone: scw.ZoneFrPar1, OfferID: offer.ID, DatacenterName: &dc})
	if err != nil {
		t.Fatal(err)
	}
	svc, err = api.WaitForService(&dedibox.WaitForServiceRequest{Zone: scw.ZoneFrPar1, ServiceID: svc.ID, RetryInterval: fastRetry, Timeout: waitTimeout})
	if err != nil {
		t.Fatal(err)
	}
	if svc.ProvisioningStatus != dedibox.ServiceProvisioningStatusReady || svc.ResourceID == nil {
		t.Fatalf("service %d: status %s, resource %v", svc.ID, svc.ProvisioningStatus, svc.ResourceID)
	}
	srv, err := api.WaitForServer(&dedibox.WaitForServerRequest{Zone: scw.ZoneFrPar1, ServerID: *svc.ResourceID, RetryInterval: fastRetry, Timeout: waitTimeout})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func TestDediboxOrderInstallTagDelete(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	api := dedibox.NewAPI(f.client)
	offer := findDOffer(t, api, scw.ZoneFrPar1, "STORE-9-M")
	info := offer.ServerInfo
	if info.CPUs[0].Name != "AMD EPYC 7232P" || info.CPUs[0].ThreadCount != 16 || info.Memories[0].Capacity != 128*scw.GB ||
		len(info.Disks) != 4 || info.Disks[0].Capacity != 4*scw.TB || info.Disks[0].Type != dedibox.ServerDiskTypeNvme {
		t.Fatalf("STORE-9-M hardware: %+v %+v %+v", info.CPUs[0], info.Memories[0], info.Disks)
	}
	for _, dc := range []string{"DC2", "DC3", "DC5"} {
		if info.StockByDatacenter[dc] != dedibox.OfferServerInfoStockAvailable {
			t.Fatalf("stock_by_datacenter = %v, want every fr-par datacenter available", info.StockByDatacenter)
		}
	}
	pve := findDProxmox(t, api, scw.ZoneFrPar1, offer.ID)
	keyID := createKey(t, f.client)

	srv := orderDedibox(t, api, offer, "DC3")
	if srv.Status != dedibox.ServerStatusReady || srv.Location.DatacenterName != "DC3" {
		t.Fatalf("server: status %s in %s", srv.Status, srv.Location.DatacenterName)
	}
	tagged, err := api.UpdateServerTags(&dedibox.UpdateServerTagsRequest{Zone: scw.ZoneFrPar1, ServerID: srv.ID, Tags: []string{"tripod:lab", "az:a"}})
	if err != nil || !slices.Equal(tagged.Tags, []string{"tripod:lab", "az:a"}) {
		t.Fatalf("tags: %v, %v", tagged, err)
	}
	// search is documented as a hostname filter: a tag finds nothing.
	list, err := api.ListServers(&dedibox.ListServersRequest{Zone: scw.ZoneFrPar1, Search: ptr("tripod:lab")})
	if err != nil || list.TotalCount != 0 {
		t.Fatalf("search by tag: %+v, %v, want nothing", list, err)
	}
	list, err = api.ListServers(&dedibox.ListServersRequest{Zone: scw.ZoneFrPar1, Search: ptr(strings.ToUpper(srv.Hostname))})
	if err != nil || list.TotalCount != 1 || list.Servers[0].ID != srv.ID {
		t.Fatalf("search by hostname: %+v, %v", list, err)
	}

	in, err := api.InstallServer(&dedibox.InstallServerRequest{
		Zone: scw.ZoneFrPar1, ServerID: srv.ID, OsID: pve.ID, Hostname: "pve-a1",
		RootPassword: ptr("Sup3r-secret"), SSHKeyIDs: []string{keyID},
	})
	if err != nil {
		t.Fatal(err)
	}
	in, err = api.WaitForServerInstall(&dedibox.WaitForServerInstallRequest{Zone: scw.ZoneFrPar1, ServerID: srv.ID, RetryInterval: fastRetry, Timeout: waitTimeout})
	if err != nil || in.Status != dedibox.ServerInstallStatusInstalled {
		t.Fatalf("install: %+v, %v", in, err)
	}
	hosts := f.installedHosts()
	if len(hosts) != 1 {
		t.Fatalf("OnInstalled fired %d times, want 1", len(hosts))
	}
	h := hosts[0]
	_, docNet, _ := net.ParseCIDR("198.51.100.0/24")
	if h.Hostname != "pve-a1" || h.Placement != "DC3" || h.RootPassword != "Sup3r-secret" || !h.SSHEnabled ||
		h.Threads != 16 || h.MemoryBytes != 128e9 || len(h.Disks) != 4 || h.Disks[3].Device != "/dev/nvme3n1" ||
		!docNet.Contains(net.ParseIP(h.PublicIP)) || len(h.SSHKeys) != 1 || h.SSHKeys[0] != testKey {
		t.Fatalf("host info: %+v", h)
	}
	got, err := api.GetServer(&dedibox.GetServerRequest{Zone: scw.ZoneFrPar1, ServerID: srv.ID})
	if err != nil || got.Os == nil || got.Os.ID != pve.ID || got.Hostname != "pve-a1" {
		t.Fatalf("installed server: %+v, %v", got, err)
	}

	if err := api.DeleteServer(&dedibox.DeleteServerRequest{Zone: scw.ZoneFrPar1, ServerID: srv.ID}); err != nil {
		t.Fatal(err)
	}
	_, err = api.GetServer(&dedibox.GetServerRequest{Zone: scw.ZoneFrPar1, ServerID: srv.ID})
	var nf *scw.ResourceNotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("get after delete: %v, want a ResourceNotFoundError", err)
	}
	if r := f.removedServers(); len(r) != 1 || r[0] != itoa(srv.ID)+" "+h.PublicIP {
		t.Fatalf("OnRemoved: %v", r)
	}
}

// TestDediboxStatusMachinesInOrder follows an order and an install on a
// controlled clock: every state of the documented machines, in order.
func TestDediboxStatusMachinesInOrder(t *testing.T) {
	f := newFixture(t, simcore.Realistic, 0.001, withFakeClock())
	api := dedibox.NewAPI(f.client)
	offer := findDOffer(t, api, scw.ZoneFrPar2, "CORE-10-L")
	svc, err := api.CreateServer(&dedibox.CreateServerRequest{Zone: scw.ZoneFrPar2, OfferID: offer.ID})
	if err != nil {
		t.Fatal(err)
	}
	var services []string
	f.poll(5*time.Millisecond, 600, func() bool {
		s, err := api.GetService(&dedibox.GetServiceRequest{Zone: scw.ZoneFrPar2, ServiceID: svc.ID})
		if err != nil {
			t.Fatal(err)
		}
		services = append(services, string(s.ProvisioningStatus))
		return s.ResourceID != nil
	})
	if got := dedup(services); !slices.Equal(got, []string{"delivering", "ready"}) {
		t.Fatalf("service statuses %v", got)
	}
	s, _ := api.GetOrderedService(&dedibox.GetOrderedServiceRequest{Zone: scw.ZoneFrPar2, OrderedServiceID: svc.ID})
	serverID := *s.ResourceID
	var servers []string
	f.poll(5*time.Millisecond, 600, func() bool {
		srv, err := api.GetServer(&dedibox.GetServerRequest{Zone: scw.ZoneFrPar2, ServerID: serverID})
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, string(srv.Status))
		return srv.Status == dedibox.ServerStatusReady
	})
	if got := dedup(servers); !slices.Equal(got, []string{"delivering", "ready"}) && !slices.Equal(got, []string{"ready"}) {
		t.Fatalf("server statuses %v", got)
	}

	pve := findDProxmox(t, api, scw.ZoneFrPar2, offer.ID)
	_, err = api.InstallServer(&dedibox.InstallServerRequest{Zone: scw.ZoneFrPar2, ServerID: serverID, OsID: pve.ID, Hostname: "pve-b1", RootPassword: ptr("Sup3r-secret")})
	if err != nil {
		t.Fatal(err)
	}
	var installs, during []string
	f.poll(5*time.Millisecond, 2000, func() bool {
		in, err := api.GetServerInstall(&dedibox.GetServerInstallRequest{Zone: scw.ZoneFrPar2, ServerID: serverID})
		if err != nil {
			t.Fatal(err)
		}
		srv, _ := api.GetServer(&dedibox.GetServerRequest{Zone: scw.ZoneFrPar2, ServerID: serverID})
		installs, during = append(installs, string(in.Status)), append(during, string(srv.Status))
		return in.Status == dedibox.ServerInstallStatusInstalled
	})
	want := []string{"booting", "setting_up_raid", "partitioning", "formatting", "installing", "configuring", "configuring_bootloader", "rebooting", "installed"}
	if got := dedup(installs); !slices.Equal(got, want) {
		t.Fatalf("install statuses %v, want %v", got, want)
	}
	if got := dedup(during); !slices.Equal(got, []string{"installing", "ready"}) {
		t.Fatalf("server statuses during the install %v", got)
	}
	if n := len(f.installedHosts()); n != 1 {
		t.Fatalf("OnInstalled fired %d times", n)
	}
}
