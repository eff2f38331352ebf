package simcore

import (
	"fmt"
	"net/netip"
	"strings"
)

// Egress: how a private address (a VM on the VLAN) reaches the public side.
// The VLAN has no router of its own, so a VM gets out only through its
// default gateway: a host on the VLAN that holds that address, forwards
// (net.ipv4.ip_forward=1) and masquerades the VM's subnet out of its public
// interface, over an uplink that works. Env.Egress is the one function that
// decides it; everything a simulated VM pulls, resolves or syncs asks it.

// MasqueradeRule is one MASQUERADE rule of a host's nat POSTROUTING chain,
// as iptables matches it. An invalid prefix or empty interface matches
// anything; a Not field inverts its match ("! -d 10.20.0.0/24").
type MasqueradeRule struct {
	Source    netip.Prefix
	NotSource bool
	Dest      netip.Prefix
	NotDest   bool
	Out       string
	NotOut    bool
}

// Matches reports whether a packet from src to dst leaving through out is
// masqueraded by the rule.
func (r MasqueradeRule) Matches(src, dst netip.Addr, out string) bool {
	if r.Source.IsValid() && r.Source.Contains(src) == r.NotSource {
		return false
	}
	if r.Dest.IsValid() && r.Dest.Contains(dst) == r.NotDest {
		return false
	}
	if r.Out != "" && (r.Out == out) == r.NotOut {
		return false
	}
	return true
}

// GatewayHost is what the network knows of the simulated host holding an
// address on the VLAN, for egress.
type GatewayHost struct {
	Host       string // the Proxmox node name
	Placement  string // its datacenter or zone
	Forwarding bool   // net.ipv4.ip_forward
	Uplink     string // the interface holding its public address ("vmbr0")
	Masquerade []MasqueradeRule
}

// Gateways answers which simulated host holds address on an active private
// interface (false: nobody does). sim/proxmox installs it.
type Gateways func(address string) (GatewayHost, bool)

// SetGateways installs the answer to who holds a private address (nil:
// nobody, so no VM gets out).
func (e *Env) SetGateways(f Gateways) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.gateways = f
}

// EgressFrom is a private address and the route and resolvers it uses.
type EgressFrom struct {
	Address   string   // the VM's address with its prefix: "10.20.0.50/24"
	Placement string   // the VM's datacenter or zone
	Gateway   string   // its default gateway; "" for none
	Resolvers []string // its DNS resolvers, in order
}

// EgressError is a failed egress: Text is what the client on the VM sees
// (the real error text), Reason says why in the simulator's terms.
type EgressError struct {
	Text   string
	Reason string
}

func (e *EgressError) Error() string { return e.Text }

// Egress decides whether a packet from from to the public address dst gets
// out and its answer back. It returns the host whose NAT carries it, or an
// error whose Reason names the first need that is not met: the VM's own
// placement, an on-link gateway, a host holding it that is up and not dark,
// its leg on the VLAN, forwarding, a MASQUERADE rule for the VM's subnet out
// of the host's public interface, and an uplink that does not drop
// forwarded traffic (the noegress fault).
func (e *Env) Egress(from EgressFrom, dst netip.Addr) (string, error) {
	fail := func(format string, args ...any) (string, error) {
		return "", &EgressError{Text: "i/o timeout", Reason: fmt.Sprintf(format, args...)}
	}
	src, err := netip.ParsePrefix(from.Address)
	if err != nil {
		return fail("address %q is not a prefix", from.Address)
	}
	if e.Reach(Outside, Spot{Placement: from.Placement}) == ReachSilent {
		return fail("%s is dark", from.Placement)
	}
	gw, err := netip.ParseAddr(from.Gateway)
	if err != nil {
		return fail("no default route")
	}
	if !src.Contains(gw) {
		return fail("gateway %s is not on the network %s", gw, src.Masked())
	}
	e.mu.Lock()
	lookup := e.gateways
	e.mu.Unlock()
	var h GatewayHost
	ok := false
	if lookup != nil {
		h, ok = lookup(gw.String())
	}
	switch {
	case !ok:
		return fail("no host holds the gateway %s", gw)
	case e.Reach(Spot{Placement: from.Placement, Side: SidePrivate}, Spot{Placement: h.Placement, Side: SidePrivate, Address: gw.String()}) != ReachOK:
		return fail("the gateway's host %s is dark", h.Host)
	case !e.onVLAN(Spot{Host: h.Host}, Spot{Address: src.Addr().String()}):
		return fail("the gateway's host %s has no leg on the VLAN of %s", h.Host, src.Addr())
	case !h.Forwarding:
		return fail("%s does not forward (net.ipv4.ip_forward=0)", h.Host)
	case !masquerades(h, src.Addr(), dst):
		return fail("%s does not masquerade %s out of %s", h.Host, src.Masked(), h.Uplink)
	case e.Faults.DropsForwarded(h.Host):
		return fail("the uplink of %s drops forwarded traffic", h.Host)
	}
	return h.Host, nil
}

func masquerades(h GatewayHost, src, dst netip.Addr) bool {
	for _, r := range h.Masquerade {
		if r.Matches(src, dst, h.Uplink) {
			return true
		}
	}
	return false
}

// Resolve looks name up through from's resolvers, in order, as a VM's
// resolver does: a resolver answers when it is one of the simulated
// internet's public resolvers and Egress carries the query to it. A name
// the internet does not know is NXDOMAIN.
func (e *Env) Resolve(from EgressFrom, name string) (netip.Addr, error) {
	resolvers := from.Resolvers
	if len(resolvers) == 0 {
		resolvers = TalosDefaultResolvers
	}
	var reasons []string
	for _, r := range resolvers {
		ra, err := netip.ParseAddr(r)
		switch {
		case err != nil:
			reasons = append(reasons, fmt.Sprintf("resolver %q is not an address", r))
			continue
		case !IsPublicResolver(ra.String()):
			reasons = append(reasons, "no resolver answers at "+r)
			continue
		}
		if _, err := e.Egress(from, ra); err != nil {
			reasons = append(reasons, "resolver "+r+": "+err.(*EgressError).Reason)
			continue
		}
		a, ok := LookupPublic(name)
		if !ok {
			return netip.Addr{}, &EgressError{Text: fmt.Sprintf("lookup %s on %s:53: no such host", name, r), Reason: name + " does not exist"}
		}
		return a, nil
	}
	first := resolvers[0]
	return netip.Addr{}, &EgressError{
		Text:   fmt.Sprintf("lookup %s on %s:53: dial udp %s:53: i/o timeout", name, first, first),
		Reason: strings.Join(reasons, "; "),
	}
}

// PullImage is what a VM's image pull meets: nil when the registry is
// reached. The route is asked first (a VM that cannot get out fails with
// the registry's dial timeout), then the resolvers (one that gets out but
// asks no resolver the internet has fails with the lookup timeout).
func (e *Env) PullImage(from EgressFrom, image string) error {
	registry := RegistryHost(image)
	addr, known := LookupPublic(registry)
	if !known {
		addr = netip.MustParseAddr("104.16.0.1")
	}
	if _, err := e.Egress(from, addr); err != nil {
		return &EgressError{Text: fmt.Sprintf("error pulling image %q: dial tcp %s:443: i/o timeout", image, addr),
			Reason: err.(*EgressError).Reason}
	}
	if _, err := e.Resolve(from, registry); err != nil {
		ee := err.(*EgressError)
		return &EgressError{Text: fmt.Sprintf("error pulling image %q: %s", image, ee.Text), Reason: ee.Reason}
	}
	return nil
}

// SyncTime is what a VM's NTP client meets with servers (names or
// addresses): nil when one of them answers through Egress.
func (e *Env) SyncTime(from EgressFrom, servers []string) error {
	if len(servers) == 0 {
		servers = []string{TalosDefaultTimeServer}
	}
	var last error
	for _, s := range servers {
		a, err := netip.ParseAddr(s)
		if err != nil {
			if a, err = e.Resolve(from, s); err != nil {
				last = err
				continue
			}
		}
		if _, err := e.Egress(from, a); err != nil {
			ee := err.(*EgressError)
			last = &EgressError{Text: fmt.Sprintf("dial udp %s:123: %s", a, ee.Text), Reason: ee.Reason}
			continue
		}
		if !servesNTP(a) {
			last = &EgressError{Text: fmt.Sprintf("read udp %s:123: i/o timeout", a), Reason: s + " does not answer NTP"}
			continue
		}
		return nil
	}
	return last
}
