package scaleway

import (
	"errors"
	"testing"

	baremetal "github.com/scaleway/scaleway-sdk-go/api/baremetal/v1"
	pnapi "github.com/scaleway/scaleway-sdk-go/api/baremetal/v3"
	"github.com/scaleway/scaleway-sdk-go/scw"

	"github.com/tripod-dev/tripod/internal/sim/simcore"
)

const (
	pnA = "6f0a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"
	pnB = "0b1c2d3e-4f50-4a6b-9c8d-1e2f3a4b5c6d"
)

// TestEMPrivateNetworks attaches, replaces and detaches private networks
// through the v3 API; the SDK's wait helper must see them settle.
func TestEMPrivateNetworks(t *testing.T) {
	f := newFixture(t, simcore.Realistic, 0.0005, withRun())
	id, err := f.sim.PreloadServer(PreloadedServer{Provider: "elastic-metal", Offer: "EM-I215E-NVME", Zone: "fr-par-2", Hostname: "pve-em1"})
	if err != nil {
		t.Fatal(err)
	}
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
	_, err = pnapi.NewPrivateNetworkAPI(f.client).AddServerPrivateNetwork(&pnapi.PrivateNetworkAPIAddServerPrivateNetworkRequest{ServerID: srv.ID, PrivateNetworkID: pnA})
	var ts *scw.TransientStateError
	if !errors.As(err, &ts) || ts.CurrentState != "ordered" {
		t.Fatalf("attach while ordered: %v, want transient_state", err)
	}
}
