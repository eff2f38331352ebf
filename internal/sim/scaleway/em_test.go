package scaleway

import (
	"errors"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

const (
	pve8ID    = "a5c00c1b-95b1-4c08-8a33-79cc079f9dac"
	ubuntu20  = "03b7f4ba-a6a1-4305-984e-b54fafbf1681"
	i215eNVMe = "ddb09834-8680-4339-b5e3-19ca5205fa1f"
	b111xSATA = "8c2cf291-a3d3-4dc5-967f-f498a088411d"
)

func pveInstall(keyID, password string) *baremetal.CreateServerRequestInstall {
	return &baremetal.CreateServerRequestInstall{OsID: pve8ID, Hostname: "pve-em1", SSHKeyIDs: []string{keyID}, ServicePassword: &password}
}

// TestEMCreateWithInlineInstall follows the recorded Proxmox VE 8 flow on
// the wall clock, through the SDK's own wait helpers.
func TestEMCreateWithInlineInstall(t *testing.T) {
	f := newFixture(t, simcore.Realistic, 0.0005, withRun())
	api := baremetal.NewAPI(f.client)
	os, err := api.GetOS(&baremetal.GetOSRequest{OsID: pve8ID})
	if err != nil || os.Name != "Proxmox" || !os.ServicePassword.Required || os.ServiceUser.DefaultValue == nil || *os.ServiceUser.DefaultValue != "root" {
		t.Fatalf("Proxmox VE 8 OS: %+v, %v", os, err)
	}
	srv, err := api.CreateServer(&baremetal.CreateServerRequest{
		OfferID: i215eNVMe, Name: "pve-em1", Tags: []string{"tripod:lab"}, Install: pveInstall(createKey(t, f.client), "HelloWorld678!"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if srv.Status != baremetal.ServerStatusOrdered || srv.Install == nil || srv.Install.Status != baremetal.ServerInstallStatusToInstall || len(srv.IPs) != 0 {
		t.Fatalf("create answered %s/%v with %d IPs, want ordered/to_install and none", srv.Status, srv.Install, len(srv.IPs))
	}
	srv, err = api.WaitForServer(&baremetal.WaitForServerRequest{ServerID: srv.ID, RetryInterval: fastRetry, Timeout: waitTimeout})
	if err != nil || srv.Status != baremetal.ServerStatusReady {
		t.Fatalf("WaitForServer: %v, %v", srv, err)
	}
	srv, err = api.WaitForServerInstall(&baremetal.WaitForServerInstallRequest{ServerID: srv.ID, RetryInterval: fastRetry, Timeout: waitTimeout})
	if err != nil || srv.Install.Status != baremetal.ServerInstallStatusCompleted {
		t.Fatalf("WaitForServerInstall: %v, %v", srv, err)
	}
	var v4, v6 net.IP
	for _, ip := range srv.IPs {
		if ip.Version == baremetal.IPVersionIPv4 {
			v4 = ip.Address
		} else {
			v6 = ip.Address
		}
	}
	_, doc4, _ := net.ParseCIDR("203.0.113.0/24")
	_, doc6, _ := net.ParseCIDR("2001:db8::/32")
	if !doc4.Contains(v4) || !doc6.Contains(v6) {
		t.Fatalf("addresses %v and %v are not documentation addresses", v4, v6)
	}
	if srv.Install.ServiceURL != "https://"+v4.String()+":8006" || srv.Install.ServiceUser != "root" {
		t.Fatalf("install: service_url %q, service_user %q", srv.Install.ServiceURL, srv.Install.ServiceUser)
	}
	hosts := f.installedHosts()
	if len(hosts) != 1 {
		t.Fatalf("OnInstalled fired %d times", len(hosts))
	}
	h := hosts[0]
	if h.Provider != "elastic-metal" || h.Placement != "fr-par-2" || h.PublicIP != v4.String() || h.RootPassword != "HelloWorld678!" ||
		!h.SSHEnabled || len(h.SSHKeys) != 1 || h.Threads != 32 || h.MemoryBytes != 256e9 || len(h.Disks) != 2 || h.Disks[1].Device != "/dev/nvme1n1" {
		t.Fatalf("host info %+v", h)
	}
}

// TestEMStartWhileDelivering reproduces the recorded 400 on an older offer,
// whose orders start in "delivering".
func TestEMStartWhileDelivering(t *testing.T) {
	f := newFixture(t, simcore.Realistic, 0.001, withFakeClock())
	api := baremetal.NewAPI(f.client)
	srv, err := api.CreateServer(&baremetal.CreateServerRequest{OfferID: b111xSATA, Name: "old"})
	if err != nil || srv.Status != baremetal.ServerStatusDelivering {
		t.Fatalf("create: %v, %v", srv, err)
	}
	_, err = api.StartServer(&baremetal.StartServerRequest{ServerID: srv.ID})
	var re *scw.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest || re.Message != "Server is not delivered" || re.Type != "" {
		t.Fatalf("start while delivering: %#v", err)
	}
	f.poll(5*time.Millisecond, 200, func() bool {
		s, err := api.GetServer(&baremetal.GetServerRequest{ServerID: srv.ID})
		return err == nil && s.Status == baremetal.ServerStatusReady
	})
	if s, err := api.StopServer(&baremetal.StopServerRequest{ServerID: srv.ID}); err != nil || s.Status != baremetal.ServerStatusStopping {
		t.Fatalf("stop once delivered: %v, %v", s, err)
	}
}

func TestEMDeleteThenRecorded404(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	api := baremetal.NewAPI(f.client)
	srv, err := api.CreateServer(&baremetal.CreateServerRequest{OfferID: i215eNVMe, Name: "gone"})
	if err != nil {
		t.Fatal(err)
	}
	del, err := api.DeleteServer(&baremetal.DeleteServerRequest{ServerID: srv.ID})
	if err != nil || del.Status != baremetal.ServerStatusDeleting {
		t.Fatalf("delete answered %v, %v; want the server in deleting", del, err)
	}
	_, err = api.GetServer(&baremetal.GetServerRequest{ServerID: srv.ID})
	var re *scw.ResponseError
	var nf *scw.ResourceNotFoundError
	if !errors.As(err, &re) || re.StatusCode != http.StatusNotFound || re.Message != "Not Found" || errors.As(err, &nf) {
		t.Fatalf("get after delete: %#v, want the untyped 404", err)
	}
	if r := f.removedServers(); len(r) != 1 {
		t.Fatalf("OnRemoved: %v", r)
	}
}

func TestEMListFiltersAndTags(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	api := baremetal.NewAPI(f.client)
	for _, name := range []string{"pve-a", "pve-b", "other"} {
		if _, err := api.CreateServer(&baremetal.CreateServerRequest{OfferID: i215eNVMe, Name: name, Tags: []string{"tripod:lab"}}); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := api.ListServers(&baremetal.ListServersRequest{}, scw.WithAllPages())
	srv, err := api.UpdateServer(&baremetal.UpdateServerRequest{ServerID: all.Servers[0].ID, Tags: &[]string{"tripod:lab", "role:storage"}})
	if err != nil || !slices.Equal(srv.Tags, []string{"tripod:lab", "role:storage"}) {
		t.Fatalf("update tags: %v, %v", srv, err)
	}
	count := func(req *baremetal.ListServersRequest) uint32 {
		t.Helper()
		res, err := api.ListServers(req, scw.WithAllPages())
		if err != nil {
			t.Fatal(err)
		}
		return res.TotalCount
	}
	if n := count(&baremetal.ListServersRequest{Tags: []string{"tripod:lab", "role:storage"}}); n != 1 {
		t.Fatalf("by tags: %d", n)
	}
	if n := count(&baremetal.ListServersRequest{Name: ptr("pve-")}); n != 2 {
		t.Fatalf("by name: %d", n)
	}
	if n := count(&baremetal.ListServersRequest{ProjectID: &f.creds.ProjectID}); n != 3 {
		t.Fatalf("by project: %d", n)
	}
	if n := count(&baremetal.ListServersRequest{Zone: scw.ZoneNlAms1}); n != 0 {
		t.Fatalf("another zone: %d", n)
	}
	other := "11111111-1111-4111-8111-111111111111"
	var pd *scw.PermissionsDeniedError
	if _, err := api.ListServers(&baremetal.ListServersRequest{ProjectID: &other}); !errors.As(err, &pd) {
		t.Fatalf("list in another project: %v, want a PermissionsDeniedError", err)
	}
}

func TestEMOrderAndInstallRefusals(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	api := baremetal.NewAPI(f.client)
	_, err := api.CreateServer(&baremetal.CreateServerRequest{OfferID: "a60ae97c-268c-40cb-af5f-dd276e917ed7", Name: "x"}) // EM-B320E-NVME, recorded empty
	var oos *scw.OutOfStockError
	if !errors.As(err, &oos) {
		t.Fatalf("empty offer: %v, want OutOfStockError", err)
	}
	cases := map[string]struct {
		offer   string
		install *baremetal.CreateServerRequestInstall
		arg     string
	}{
		"no service_password": {i215eNVMe, &baremetal.CreateServerRequestInstall{OsID: pve8ID}, "service_password"},
		"PVE on EM-A116X":     {"8779d2c1-cd10-4a34-a006-cb5b1fb5cbc7", pveInstall("", "HelloWorld678!"), "os_id"},
		"Ubuntu without key":  {i215eNVMe, &baremetal.CreateServerRequestInstall{OsID: ubuntu20}, "ssh_key_ids"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.install.SSHKeyIDs = nil
			_, err := api.CreateServer(&baremetal.CreateServerRequest{OfferID: c.offer, Name: "x", Install: c.install})
			var ia *scw.InvalidArgumentsError
			if !errors.As(err, &ia) || ia.Details[0].ArgumentName != c.arg {
				t.Fatalf("got %v, want invalid_arguments on %s", err, c.arg)
			}
		})
	}
	if n := len(f.sim.State().Servers); n != 0 {
		t.Fatalf("%d servers left by refused orders", n)
	}
}

func TestEMInstallFailsOnceThenReinstalls(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1, withFaults("install-fail=pve-em1"))
	api := baremetal.NewAPI(f.client)
	srv, err := api.CreateServer(&baremetal.CreateServerRequest{OfferID: i215eNVMe, Name: "pve-em1", Install: pveInstall(createKey(t, f.client), "HelloWorld678!")})
	if err != nil {
		t.Fatal(err)
	}
	srv, err = api.WaitForServerInstall(&baremetal.WaitForServerInstallRequest{ServerID: srv.ID, RetryInterval: fastRetry, Timeout: waitTimeout})
	if err != nil || srv.Install.Status != baremetal.ServerInstallStatusError || len(f.installedHosts()) != 0 {
		t.Fatalf("failed install: %v, %v, %d hosts", srv.Install, err, len(f.installedHosts()))
	}
	pw := "HelloWorld678!"
	srv, err = api.InstallServer(&baremetal.InstallServerRequest{ServerID: srv.ID, OsID: pve8ID, Hostname: "pve-em1", ServicePassword: &pw})
	if err != nil {
		t.Fatalf("reinstall refused: %v", err)
	}
	srv, err = api.WaitForServerInstall(&baremetal.WaitForServerInstallRequest{ServerID: srv.ID, RetryInterval: fastRetry, Timeout: waitTimeout})
	if err != nil || srv.Install.Status != baremetal.ServerInstallStatusCompleted || len(f.installedHosts()) != 1 {
		t.Fatalf("reinstall: %v, %v, %d hosts", srv.Install, err, len(f.installedHosts()))
	}
}
