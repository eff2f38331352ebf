package inventory

import (
	"fmt"
	"net/netip"
)

// validateAccess checks access.allowedSources: each entry one public IPv4
// prefix, written as its network, and listed once.
func validateAccess(f *findings, a Access) {
	seen := map[netip.Prefix]int{}
	for i, s := range a.AllowedSources {
		p := fmt.Sprintf("access.allowedSources[%d]", i)
		pf, err := netip.ParsePrefix(s)
		if err != nil {
			if addr, aerr := netip.ParseAddr(s); aerr == nil && addr.Is4() {
				f.errorf(p, "%q has no prefix length: write %s/32 for this one address", s, s)
			} else {
				f.errorf(p, "%q is not an IPv4 CIDR: write a public range such as 203.0.113.0/24", s)
			}
			continue
		}
		addr := pf.Addr()
		switch {
		case !addr.Is4():
			f.errorf(p, "%q is not IPv4: the hosts' public addresses are IPv4, write an IPv4 range", s)
		case pf.Bits() == 0:
			f.errorf(p, "%q allows the whole internet: leave allowedSources out for SSH from anywhere with keys only, or list the operators' ranges", s)
		case !publicAddr(addr):
			f.errorf(p, "%q is not a public range: list the public addresses the operators connect from (private ones reach the hosts through the VLAN anyway)", s)
		case pf.Masked() != pf:
			f.errorf(p, "%q has host bits set: write %s", s, pf.Masked())
		default:
			if j, dup := seen[pf]; dup {
				f.errorf(p, "%q is already listed as access.allowedSources[%d]", s, j)
			}
			seen[pf] = i
		}
	}
}

// publicAddr is false for the ranges the internet does not route to a
// host: private, loopback, link-local, multicast, shared (100.64/10) and
// unspecified.
func publicAddr(a netip.Addr) bool {
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	return !netip.MustParsePrefix("100.64.0.0/10").Contains(a)
}

// ManagementPublic reports whether the hosts' management ports beyond SSH
// (the Proxmox API and UI, 8006) are reachable from the internet at all:
// only from allowed sources, when there are any.
func (a Access) ManagementPublic() bool { return len(a.AllowedSources) > 0 }
