package scaleway

import (
	"errors"
	"net"
	"slices"
	"testing"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	pnapi "github.com/scaleway/scaleway-sdk-go/api/baremetal/v3"
	vpc "github.com/scaleway/scaleway-sdk-go/api/vpc/v2"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

// createPN creates a private network in region through the VPC v2 API.
func createPN(t *testing.T, c *scw.Client, region scw.Region, name string, subnets ...string) string {
	t.Helper()
	req := &vpc.CreatePrivateNetworkRequest{Region: region, Name: name}
	for _, sn := range subnets {
		_, n, err := net.ParseCIDR(sn)
		if err != nil {
			t.Fatal(err)
		}
		req.Subnets = append(req.Subnets, scw.IPNet{IPNet: *n})
	}
	p, err := vpc.NewAPI(c).CreatePrivateNetwork(req)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// TestEMPrivateNetworks attaches, replaces and detaches private networks
// through the v3 API; the SDK's wait helper must see them settle.
func TestEMPrivateNetworks(t *testing.T) {
	f := newFixture(t, simcore.Realistic, 0.0005, withRun())
	id, err := f.sim.PreloadServer(PreloadedServer{Provider: "elastic-metal", Offer: "EM-I215E-NVME", Zone: "fr-par-2", Hostname: "pve-em1"})
	if err != nil {
		t.Fatal(err)
	}
	pnA, pnB := createPN(t, f.client, scw.RegionFrPar, "a"), createPN(t, f.client, scw.RegionFrPar, "b")
	pn := pnapi.NewPrivateNetworkAPI(f.client)
	spn, err := pn.AddServerPrivateNetwork(&pnapi.PrivateNetworkAPIAddServerPrivateNetworkRequest{ServerID: id, PrivateNetworkID: pnA})
	if err != nil || spn.Status != pnapi.ServerPrivateNetworkStatusAttaching || spn.Vlan == nil {
		t.Fatalf("add: %+v, %v", spn, err)
	}
	_, err = pn.AddServerPrivateNetwork(&pnapi.PrivateNetworkAPIAddServerPrivateNetworkRequest{ServerID: id, PrivateNetworkID: pnA})
	var ia *scw.InvalidArgumentsError
	if !errors.As(err, &ia) {
		t.Fatalf("second attach: %v, want invalid_arguments", err)
	}
	wait := func() []*pnapi.ServerPrivateNetwork {
		t.Helper()
		list, err := pn.WaitForServerPrivateNetworks(&pnapi.WaitForServerPrivateNetworksRequest{ServerID: id, Zone: scw.ZoneFrPar2, RetryInterval: fastRetry, Timeout: waitTimeout})
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	if list := wait(); len(list) != 1 || list[0].Status != pnapi.ServerPrivateNetworkStatusAttached || *list[0].Vlan != *spn.Vlan {
		t.Fatalf("after wait: %+v", list)
	}
	set, err := pn.SetServerPrivateNetworks(&pnapi.PrivateNetworkAPISetServerPrivateNetworksRequest{
		ServerID: id, PerPrivateNetworkIpamIPIDs: map[string]*[]string{pnB: {}},
	})
	if err != nil || len(set.ServerPrivateNetworks) != 1 || set.ServerPrivateNetworks[0].PrivateNetworkID != pnB {
		t.Fatalf("set: %+v, %v", set, err)
	}
	if list := wait(); len(list) != 1 || list[0].PrivateNetworkID != pnB {
		t.Fatalf("after set: %+v", list)
	}
	if err := pn.DeleteServerPrivateNetwork(&pnapi.PrivateNetworkAPIDeleteServerPrivateNetworkRequest{ServerID: id, PrivateNetworkID: pnB}); err != nil {
		t.Fatal(err)
	}
	if list := wait(); len(list) != 0 {
		t.Fatalf("after delete: %+v", list)
	}
}

func TestEMPrivateNetworkRefusedBeforeDelivery(t *testing.T) {
	f := newFixture(t, simcore.Realistic, 0.001, withFakeClock())
	srv, err := baremetal.NewAPI(f.client).CreateServer(&baremetal.CreateServerRequest{OfferID: i215eNVMe, Name: "new"})
	if err != nil {
		t.Fatal(err)
	}
	pnA := createPN(t, f.client, scw.RegionFrPar, "a")
	_, err = pnapi.NewPrivateNetworkAPI(f.client).AddServerPrivateNetwork(&pnapi.PrivateNetworkAPIAddServerPrivateNetworkRequest{ServerID: srv.ID, PrivateNetworkID: pnA})
	var ts *scw.TransientStateError
	if !errors.As(err, &ts) || ts.CurrentState != "ordered" {
		t.Fatalf("attach while ordered: %v, want transient_state", err)
	}
}

// TestEMPrivateNetworkRefusals: an attach names an existing network of the
// server's region, and a network with servers attached cannot be deleted.
func TestEMPrivateNetworkRefusals(t *testing.T) {
	f := newFixture(t, simcore.Instant, 1)
	id, err := f.sim.PreloadServer(PreloadedServer{Provider: "elastic-metal", Offer: "EM-I215E-NVME", Zone: "fr-par-2", Hostname: "pve-em1"})
	if err != nil {
		t.Fatal(err)
	}
	pn, vpcAPI := pnapi.NewPrivateNetworkAPI(f.client), vpc.NewAPI(f.client)
	par, ams := createPN(t, f.client, scw.RegionFrPar, "par"), createPN(t, f.client, scw.RegionNlAms, "ams")
	notFound := func(what string, err error) {
		t.Helper()
		var nf *scw.ResourceNotFoundError
		if !errors.As(err, &nf) || nf.Resource != "private_network" {
			t.Fatalf("%s: %v, want not_found private_network", what, err)
		}
	}
	_, err = pn.AddServerPrivateNetwork(&pnapi.PrivateNetworkAPIAddServerPrivateNetworkRequest{ServerID: id, PrivateNetworkID: "6f0a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"})
	notFound("unknown network", err)
	_, err = pn.AddServerPrivateNetwork(&pnapi.PrivateNetworkAPIAddServerPrivateNetworkRequest{ServerID: id, PrivateNetworkID: ams})
	notFound("nl-ams network on a fr-par-2 server", err)
	_, err = pn.SetServerPrivateNetworks(&pnapi.PrivateNetworkAPISetServerPrivateNetworksRequest{ServerID: id, PerPrivateNetworkIpamIPIDs: map[string]*[]string{par: nil, ams: nil}})
	notFound("set with an nl-ams network", err)
	list, err := pn.ListServerPrivateNetworks(&pnapi.PrivateNetworkAPIListServerPrivateNetworksRequest{ServerID: &id})
	if err != nil || list.TotalCount != 0 {
		t.Fatalf("a refused set attached something: %+v, %v", list, err)
	}

	if _, err := pn.AddServerPrivateNetwork(&pnapi.PrivateNetworkAPIAddServerPrivateNetworkRequest{ServerID: id, PrivateNetworkID: par}); err != nil {
		t.Fatal(err)
	}
	list, err = pn.ListServerPrivateNetworks(&pnapi.PrivateNetworkAPIListServerPrivateNetworksRequest{PrivateNetworkID: &par})
	if err != nil || list.TotalCount != 1 || list.ServerPrivateNetworks[0].ServerID != id {
		t.Fatalf("attachment not listed: %+v, %v", list, err)
	}
	if n := f.sim.State().Networks[0]; n.ID != par || !slices.Equal(n.Attached, []string{id}) {
		t.Fatalf("state: %+v", n)
	}
	err = vpcAPI.DeletePrivateNetwork(&vpc.DeletePrivateNetworkRequest{Region: scw.RegionFrPar, PrivateNetworkID: par})
	var pf *scw.PreconditionFailedError
	if !errors.As(err, &pf) || pf.Precondition != "resource_still_in_use" {
		t.Fatalf("delete while attached: %v, want precondition_failed", err)
	}
	if err := pn.DeleteServerPrivateNetwork(&pnapi.PrivateNetworkAPIDeleteServerPrivateNetworkRequest{ServerID: id, PrivateNetworkID: par}); err != nil {
		t.Fatal(err)
	}
	if _, err := pn.WaitForServerPrivateNetworks(&pnapi.WaitForServerPrivateNetworksRequest{ServerID: id, Zone: scw.ZoneFrPar2, RetryInterval: fastRetry, Timeout: waitTimeout}); err != nil {
		t.Fatal(err)
	}
	if err := vpcAPI.DeletePrivateNetwork(&vpc.DeletePrivateNetworkRequest{Region: scw.RegionFrPar, PrivateNetworkID: par}); err != nil {
		t.Fatalf("delete once detached: %v", err)
	}
}
