package scaleway

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	pnapi "github.com/scaleway/scaleway-sdk-go/api/baremetal/v3"
	dedibox "github.com/scaleway/scaleway-sdk-go/api/dedibox/v1"
	vpc "github.com/scaleway/scaleway-sdk-go/api/vpc/v2"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

func TestPreloadAdoptableAndForeignServers(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	adopt, err := f.sim.PreloadServer(PreloadedServer{
		Provider: "dedibox", ID: "123456", Offer: "CORE-10-L", Datacenter: "DC5", Hostname: "pve-a1",
		Tags: []string{"tripod:lab"}, InstalledOS: "proxmox", RootPassword: "Sup3r-secret", SSHKeys: []string{testKey},
	})
	if err != nil || adopt != "123456" {
		t.Fatalf("preload: %q, %v", adopt, err)
	}
	if hosts := f.installedHosts(); len(hosts) != 1 || hosts[0].ServerID != "123456" || hosts[0].Placement != "DC5" {
		t.Fatalf("OnInstalled for a preloaded install: %+v", hosts)
	}
	foreign, err := f.sim.PreloadServer(PreloadedServer{Provider: "elastic-metal", Offer: "EM-I215E-NVME", Zone: "nl-ams-1", Hostname: "someone-elses"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := dedibox.NewAPI(f.client).GetServer(&dedibox.GetServerRequest{Zone: scw.ZoneFrPar2, ServerID: 123456})
	if err != nil || srv.Status != dedibox.ServerStatusReady || srv.Os == nil || srv.Os.Name != "Proxmox" || !slices.Equal(srv.Tags, []string{"tripod:lab"}) {
		t.Fatalf("preloaded Dedibox server: %+v, %v", srv, err)
	}
	em, err := baremetal.NewAPI(f.client).GetServer(&baremetal.GetServerRequest{Zone: scw.ZoneNlAms1, ServerID: foreign})
	if err != nil || em.Status != baremetal.ServerStatusReady || em.Install != nil {
		t.Fatalf("preloaded Elastic Metal server: %+v, %v", em, err)
	}
	st := f.sim.State()
	if len(st.Servers) != 2 || st.Servers[0].InstallStatus != "installed" || st.Servers[1].Zone != "nl-ams-1" {
		t.Fatalf("state %+v", st.Servers)
	}
	if _, err := f.sim.PreloadServer(PreloadedServer{Provider: "dedibox", ID: "123456", Offer: "CORE-10-L", Datacenter: "DC5"}); err == nil {
		t.Fatal("a duplicate ID was accepted")
	}
	if _, err := json.Marshal(st); err != nil {
		t.Fatal(err)
	}
}

// TestSaveLoadMidInstall saves a world with one install done and one half
// way, loads it into a new simulator, and runs it to completion: each
// install is announced exactly once, across both simulators.
func TestSaveLoadMidInstall(t *testing.T) {
	f := newFixture(t, simcore.Realistic, 0.001, withFakeClock())
	api := baremetal.NewAPI(f.client)
	key := createKey(t, f.client)
	var ids []string
	for _, name := range []string{"pve-done", "pve-half"} {
		srv, err := api.CreateServer(&baremetal.CreateServerRequest{OfferID: i215eNVMe, Name: name, Install: pveInstall(key, "HelloWorld678!")})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, srv.ID)
		if name == "pve-done" {
			f.poll(5*time.Millisecond, 1000, func() bool {
				s, _ := api.GetServer(&baremetal.GetServerRequest{ServerID: srv.ID})
				return s.Install.Status == baremetal.ServerInstallStatusCompleted
			})
		}
	}
	f.poll(5*time.Millisecond, 1000, func() bool {
		s, _ := api.GetServer(&baremetal.GetServerRequest{ServerID: ids[1]})
		return s.Install.Status == baremetal.ServerInstallStatusInstalling
	})
	saved, err := f.sim.Save()
	if err != nil {
		t.Fatal(err)
	}

	g := newFixture(t, simcore.Realistic, 0.001, withFakeClock())
	g.clock.ns.Store(f.clock.ns.Load())
	if err := g.sim.Load(saved); err != nil {
		t.Fatal(err)
	}
	if inst := g.sim.Installed(); len(inst) != 1 || inst[0].ServerID != ids[0] || inst[0].RootPassword != "HelloWorld678!" {
		t.Fatalf("Installed after load: %+v", inst)
	}
	g.client = g.newClient(f.creds.SecretKey)
	gapi := baremetal.NewAPI(g.client)
	g.poll(5*time.Millisecond, 2000, func() bool {
		s, err := gapi.GetServer(&baremetal.GetServerRequest{ServerID: ids[1]})
		if err != nil {
			t.Fatal(err)
		}
		return s.Install.Status == baremetal.ServerInstallStatusCompleted
	})
	if a, b := f.installedHosts(), g.installedHosts(); len(a) != 1 || len(b) != 1 || b[0].ServerID != ids[1] {
		t.Fatalf("announced before save %+v, after load %+v", a, b)
	}
	if st := g.sim.State(); len(st.Servers) != 2 || st.Servers[1].InstallStatus != "completed" {
		t.Fatalf("state after load %+v", st.Servers)
	}
	if err := g.sim.Load([]byte(`{"version": 99}`)); err == nil {
		t.Fatal("a world of another version was accepted")
	}
}

func TestNewCredentialsAreDeterministicAndValid(t *testing.T) {
	a, b, c := NewCredentials(7), NewCredentials(7), NewCredentials(8)
	if a != b || a == c {
		t.Fatalf("seed 7 gave %+v then %+v; seed 8 gave %+v", a, b, c)
	}
	if !regexp.MustCompile(`^SCW[A-Z0-9]{17}$`).MatchString(a.AccessKey) || !isUUID(a.SecretKey) || !isUUID(a.ProjectID) {
		t.Fatalf("credentials %+v are not syntactically valid", a)
	}
	if _, err := scw.NewClient(scw.WithAuth(a.AccessKey, a.SecretKey)); err != nil {
		t.Fatalf("the SDK refuses them: %v", err)
	}
}

func TestAddressesComeFromDocumentationRanges(t *testing.T) {
	cases := []struct {
		block    func(uint64) [3]byte
		n        uint64
		want, gw string
	}{
		{dediboxBlock, 0, "198.51.100.2", "198.51.100.1"},
		{dediboxBlock, 252, "198.51.100.254", "198.51.100.1"},
		{dediboxBlock, 253, "198.18.0.2", "198.18.0.1"},
		{emBlock, 0, "203.0.113.2", "203.0.113.1"},
		{emBlock, 253, "198.18.128.2", "198.18.128.1"},
		{emBlock, 253 * 129, "198.19.128.2", "198.19.128.1"},
	}
	for _, c := range cases {
		if got, gw := ipv4(c.block, c.n); got != c.want || gw != c.gw {
			t.Errorf("address %d: %s via %s, want %s via %s", c.n, got, gw, c.want, c.gw)
		}
	}
}

// TestSaveLoadKeepsPrivateNetworks: networks, their VPC and attachments
// survive a save and load, and the loaded world draws fresh IDs.
func TestSaveLoadKeepsPrivateNetworks(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	id, err := f.sim.PreloadServer(PreloadedServer{Provider: "elastic-metal", Offer: "EM-I215E-NVME", Zone: "fr-par-1", Hostname: "pve-em1"})
	if err != nil {
		t.Fatal(err)
	}
	pn := createPN(t, f.client, scw.RegionFrPar, "lab-private", "172.20.0.0/24")
	if _, err := pnapi.NewPrivateNetworkAPI(f.client).AddServerPrivateNetwork(&pnapi.PrivateNetworkAPIAddServerPrivateNetworkRequest{Zone: scw.ZoneFrPar1, ServerID: id, PrivateNetworkID: pn}); err != nil {
		t.Fatal(err)
	}
	saved, err := f.sim.Save()
	if err != nil {
		t.Fatal(err)
	}
	g := newFixture(t, simcore.Instant, 1)
	if err := g.sim.Load(saved); err != nil {
		t.Fatal(err)
	}
	a, b := f.sim.State(), g.sim.State()
	if !reflect.DeepEqual(a.Networks, b.Networks) || !reflect.DeepEqual(a.VPCs, b.VPCs) || !reflect.DeepEqual(a.PrivateNetworks, b.PrivateNetworks) || len(b.Networks) != 1 {
		t.Fatalf("before save %+v %+v, after load %+v %+v", a.Networks, a.VPCs, b.Networks, b.VPCs)
	}
	api := vpc.NewAPI(g.client)
	got, err := api.GetPrivateNetwork(&vpc.GetPrivateNetworkRequest{Region: scw.RegionFrPar, PrivateNetworkID: pn})
	if err != nil || got.Subnets[0].Subnet.String() != "172.20.0.0/24" {
		t.Fatalf("get after load: %+v, %v", got, err)
	}
	other := createPN(t, g.client, scw.RegionFrPar, "second")
	vpcs, err := api.ListVPCs(&vpc.ListVPCsRequest{Region: scw.RegionFrPar})
	if err != nil || vpcs.TotalCount != 1 || vpcs.Vpcs[0].PrivateNetworkCount != 2 || other == pn {
		t.Fatalf("after load: a second default VPC or a reused ID: %+v, %v (%s, %s)", vpcs, err, pn, other)
	}
}

// TestPreloadPrivateNetwork: a preloaded network is found by the SDK under
// its given ID; a bad one is refused with the reason.
func TestPreloadPrivateNetwork(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	const id = "0a7e1b3c-1111-4222-8333-444455556666"
	got, err := f.sim.PreloadPrivateNetwork(PreloadedPrivateNetwork{ID: id, Region: "fr-par", Name: "lab-private", Tags: []string{"tripod:lab"}, Subnets: []string{"172.20.0.0/24"}})
	if err != nil || got != id {
		t.Fatalf("preload: %q, %v", got, err)
	}
	pn, err := vpc.NewAPI(f.client).GetPrivateNetwork(&vpc.GetPrivateNetworkRequest{Region: scw.RegionFrPar, PrivateNetworkID: id})
	if err != nil || pn.Name != "lab-private" || pn.Subnets[0].Subnet.String() != "172.20.0.0/24" {
		t.Fatalf("get: %+v, %v", pn, err)
	}
	for _, bad := range []PreloadedPrivateNetwork{
		{ID: id, Region: "fr-par", Name: "dup"},
		{Region: "it-mil", Name: "nowhere"},
		{Region: "fr-par", Name: "overlap", Subnets: []string{"172.20.0.128/25"}},
	} {
		if _, err := f.sim.PreloadPrivateNetwork(bad); err == nil {
			t.Errorf("%+v was accepted", bad)
		} else if bad.Name == "overlap" && !regexp.MustCompile(`overlaps 172\.20\.0\.0/24`).MatchString(err.Error()) {
			t.Errorf("overlap refused without the reason: %v", err)
		}
	}
}
