package stage

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/tripod-dev/tripod/internal/inventory"
)

// The cloud-init config of each VM carries its own host's address as the
// gateway and the inventory's resolvers, so the node in maintenance mode
// already has its route out; the drift check wants the same.
func TestVMCloudInitRoutesThroughItsHost(t *testing.T) {
	inv, err := inventory.Load("../../inventories/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := NewEnv(Deps{Inventory: inv})
	for _, vm := range inv.Layout.VMs {
		h, _ := inv.Layout.Host(vm.Host)
		ci := e.vmConfig(vm).CloudInit
		gw := ci.NetworkInterfaces[0].IPv4.Gateway
		if gw == nil || string(*gw) != h.PrivateAddress.String() {
			t.Errorf("%s: cloud-init gateway %v, want %s's address %s", vm.Name, gw, h.Name, h.PrivateAddress)
		}
		if ns := ci.DNS.NameServers; ns == nil || !slices.Equal(*ns, []netip.Addr{netip.MustParseAddr("51.159.47.28"), netip.MustParseAddr("51.159.47.26")}) {
			t.Errorf("%s: cloud-init nameservers %v", vm.Name, ns)
		}
		if want := "ip=" + vm.Address.String() + "/24,gw=" + h.PrivateAddress.String(); e.wantIPConfig(vm) != want {
			t.Errorf("%s: drift check wants %q, want %q", vm.Name, e.wantIPConfig(vm), want)
		}
	}
	if got := e.nameservers(); got != "51.159.47.28 51.159.47.26" {
		t.Errorf("drift check wants nameservers %q", got)
	}
}
