package inventory

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// Each VM routes through its own host unless network.gateway names a
// router: an AZ's egress then never depends on another AZ's host.
func TestVMGatewayIsItsOwnHost(t *testing.T) {
	l := loadEdited(t, lab)
	if !l.Cluster.HostNAT() {
		t.Fatal("lab sets no network.gateway, so its hosts NAT")
	}
	for _, vm := range l.Layout.VMs {
		h, ok := l.Layout.Host(vm.Host)
		if !ok || !h.PrivateAddress.IsValid() || vm.Gateway != h.PrivateAddress {
			t.Errorf("%s on %s routes through %v, want its host's private address %v", vm.Name, vm.Host, vm.Gateway, h.PrivateAddress)
		}
	}
	gws := map[netip.Addr]bool{}
	for _, vm := range l.Layout.VMs {
		gws[vm.Gateway] = true
	}
	if len(gws) < 3 {
		t.Errorf("the lab's VMs share %d gateways, want one per AZ at least: %v", len(gws), gws)
	}

	routed := loadEdited(t, lab, "  vlan: 120\n", "  vlan: 120\n  gateway: 10.20.0.2\n")
	if routed.Cluster.HostNAT() {
		t.Error("with network.gateway set, tripod must configure no host NAT")
	}
	for _, vm := range routed.Layout.VMs {
		if vm.Gateway != netip.MustParseAddr("10.20.0.2") {
			t.Errorf("%s routes through %v, want network.gateway 10.20.0.2", vm.Name, vm.Gateway)
		}
	}
}

// DNS and time servers default to what works from Scaleway's private
// network through the NAT: public resolvers, Talos's own NTP server.
func TestEgressDefaults(t *testing.T) {
	n := loadEdited(t, lab).Cluster.Network
	if want := []netip.Addr{netip.MustParseAddr("51.159.47.28"), netip.MustParseAddr("51.159.47.26")}; !slices.Equal(n.DNS, want) {
		t.Errorf("network.dns defaults to %v, want %v", n.DNS, want)
	}
	if !slices.Equal(n.TimeServers, []string{"time.cloudflare.com"}) {
		t.Errorf("network.timeServers defaults to %v", n.TimeServers)
	}
	set := loadEdited(t, lab, "  vlan: 120\n", "  vlan: 120\n  dns: [1.1.1.1]\n  timeServers: [ntp.example.org, 192.0.2.123]\n").Cluster.Network
	if !slices.Equal(set.DNS, []netip.Addr{netip.MustParseAddr("1.1.1.1")}) || !slices.Equal(set.TimeServers, []string{"ntp.example.org", "192.0.2.123"}) {
		t.Errorf("explicit dns %v / timeServers %v not kept", set.DNS, set.TimeServers)
	}
}

// A resolver on the private network (the old default, the gateway
// address) is most likely nothing: warned about, not refused.
func TestPrivateResolverIsWarnedAbout(t *testing.T) {
	l := loadEdited(t, lab, "  vlan: 120\n", "  vlan: 120\n  dns: [10.20.0.1, 1.1.1.1]\n")
	var got []string
	for _, w := range l.Warnings {
		if strings.HasPrefix(w.Path, "network.dns") {
			got = append(got, w.Path+": "+w.Message)
		}
	}
	want := "network.dns[0]: 10.20.0.1 is on the private network, where nothing runs a resolver unless you do; remove network.dns for Scaleway's public resolvers"
	if len(got) != 1 || got[0] != want {
		t.Errorf("warnings %q, want [%q]", got, want)
	}
}
