package simcore

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseNoEgress(t *testing.T) {
	s, err := ParseFaults("noegress=Lab-PVE-1; dark=DC3")
	if err != nil {
		t.Fatal(err)
	}
	if !s.NoEgress["lab-pve-1"] || !s.Dark["dc3"] {
		t.Fatalf("spec: %+v", s)
	}
	if _, err := ParseFaults("noegress="); err == nil {
		t.Fatal("noegress= accepted")
	}
}

// natHost is a host that holds 10.20.0.11 in DC2 and NATs the subnet.
func natHost(forward bool, rules ...MasqueradeRule) Gateways {
	return func(a string) (GatewayHost, bool) {
		if a != "10.20.0.11" {
			return GatewayHost{}, false
		}
		return GatewayHost{Host: "pve1", Placement: "DC2", Forwarding: forward, Uplink: "vmbr0", Masquerade: rules}, true
	}
}

var subnetRule = MasqueradeRule{Source: netip.MustParsePrefix("10.20.0.0/24"), Dest: netip.MustParsePrefix("10.20.0.0/24"), NotDest: true, Out: "vmbr0"}

func TestEgressDecision(t *testing.T) {
	env := NewEnv(Instant, 1, 1)
	vm := EgressFrom{Address: "10.20.0.50/24", Placement: "DC2", Gateway: "10.20.0.11", Resolvers: []string{"51.159.47.28"}}
	image := "factory.talos.dev/installer/abc:v1.9.5"
	wantDial := `error pulling image "` + image + `": dial tcp 104.16.0.1:443: i/o timeout`
	if err := env.PullImage(vm, image); err == nil || err.Error() != wantDial {
		t.Fatalf("no gateway host: %v", err)
	}
	env.SetGateways(natHost(true))
	if err := env.PullImage(vm, image); err == nil || !strings.Contains(err.(*EgressError).Reason, "does not masquerade") {
		t.Fatalf("forwarding without NAT: %v", err)
	}
	wrongOut := subnetRule
	wrongOut.Out = "vmbr1"
	env.SetGateways(natHost(true, wrongOut))
	if err := env.PullImage(vm, image); err == nil {
		t.Fatal("a rule out of the wrong interface let the VM out")
	}
	env.SetGateways(natHost(true, subnetRule))
	if err := env.PullImage(vm, image); err != nil {
		t.Fatalf("with NAT: %v", err)
	}
	if err := env.SyncTime(vm, nil); err != nil {
		t.Fatalf("time with NAT: %v", err)
	}
	if err := env.SyncTime(vm, []string{"ntp.nowhere.example"}); err == nil {
		t.Fatal("an unknown time server answered")
	}
	other := vm
	other.Address = "10.30.0.50/24"
	other.Gateway = "10.30.0.11"
	if _, err := env.Egress(other, netip.MustParseAddr("1.1.1.1")); err == nil {
		t.Fatal("a gateway nobody holds routed")
	}
	dns := vm
	dns.Resolvers = []string{"10.20.0.1"}
	want := "lookup factory.talos.dev on 10.20.0.1:53: dial udp 10.20.0.1:53: i/o timeout"
	if err := env.PullImage(dns, image); err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Fatalf("private resolver: %v", err)
	}
	dns.Resolvers = nil // Talos's defaults, 1.1.1.1 and 8.8.8.8, are public
	if err := env.PullImage(dns, image); err != nil {
		t.Fatalf("default resolvers: %v", err)
	}
	env.Faults.Set(mustFaults(t, "noegress=pve1"))
	if err := env.SyncTime(vm, nil); err == nil {
		t.Fatal("time synced through an uplink that drops forwarded traffic")
	}
	env.Faults.Set(mustFaults(t, "dark=DC2"))
	if _, err := env.Egress(vm, netip.MustParseAddr("1.1.1.1")); err == nil {
		t.Fatal("egress from a dark DC")
	}
	env.Faults.Set(mustFaults(t, ""))
	cross := vm
	cross.Placement = "DC3"
	env.Faults.SetDark("DC2", true)
	if _, err := env.Egress(cross, netip.MustParseAddr("1.1.1.1")); err == nil {
		t.Fatal("egress through a host in a dark DC")
	}
}

func mustFaults(t *testing.T, s string) FaultSpec {
	t.Helper()
	spec, err := ParseFaults(s)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}
