package inventory

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
)

var privateRanges = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
}

func isPrivate(p netip.Prefix) bool {
	for _, r := range privateRanges {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return true
		}
	}
	return false
}

func validateNetwork(f *findings, c *Cluster) {
	n := c.Network
	if !n.Subnet.IsValid() {
		f.errorf("network.subnet", "required: the private IPv4 network of hosts and VMs, e.g. 10.20.0.0/24")
		return
	}
	switch {
	case !n.Subnet.Addr().Is4():
		f.errorf("network.subnet", "%s is not an IPv4 network", n.Subnet)
		return
	case n.Subnet != n.Subnet.Masked():
		f.errorf("network.subnet", "%s has host bits set; did you mean %s?", n.Subnet, n.Subnet.Masked())
		return
	case !isPrivate(n.Subnet):
		f.errorf("network.subnet", "%s is not a private network (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)", n.Subnet)
	case n.Subnet.Bits() > 28:
		f.errorf("network.subnet", "%s is too small for a cluster; use /28 or larger", n.Subnet)
		return
	}
	if n.Gateway.IsValid() {
		checkNodeAddr(f, c, "network.gateway", n.Gateway, false)
	}
	for i, d := range n.DNS {
		switch {
		case !d.IsValid():
			f.errorf(fmt.Sprintf("network.dns[%d]", i), "invalid address")
		case n.Subnet.Contains(d) && d != n.Gateway:
			// tripod runs no resolver there, and neither does Scaleway.
			f.warnf(fmt.Sprintf("network.dns[%d]", i), "%s is on the private network, where nothing runs a resolver unless you do; remove network.dns for Scaleway's public resolvers", d)
		}
	}
	if len(n.DNS) == 0 {
		f.errorf("network.dns", "no resolver: the nodes could not resolve the Image Factory or their time servers; remove the field for Scaleway's public resolvers")
	}
	if len(n.TimeServers) == 0 {
		f.errorf("network.timeServers", "no time server: Talos waits for its clock to sync before it installs; remove the field for %s", DefaultTimeServer)
	}
	for i, ts := range n.TimeServers {
		if net.ParseIP(ts) == nil && !validDNSName(ts) {
			f.errorf(fmt.Sprintf("network.timeServers[%d]", i), "%q is neither an IP address nor a DNS name", ts)
		}
	}
	if n.VLAN < 1 || n.VLAN > 4094 {
		f.errorf("network.vlan", "VLAN ID must be between 1 and 4094, got %d", n.VLAN)
	}
	if !bridgeRE.MatchString(n.Bridge) {
		f.errorf("network.bridge", "%q is not a Proxmox bridge name like vmbr1", n.Bridge)
	}
	for _, r := range []struct {
		path string
		r    Range
	}{{"network.hostRange", n.HostRange}, {"network.nodeRange", n.NodeRange}} {
		if !n.Subnet.Contains(r.r.First) || !n.Subnet.Contains(r.r.Last) {
			f.errorf(r.path, "%s is not inside network.subnet %s", r.r, n.Subnet)
		}
	}
	if n.HostRange.Contains(n.NodeRange.First) || n.NodeRange.Contains(n.HostRange.First) {
		f.errorf("network.nodeRange", "%s overlaps network.hostRange %s", n.NodeRange, n.HostRange)
	}
	if c.Talos.VIP.IsValid() {
		checkNodeAddr(f, c, "talos.vip", c.Talos.VIP, true)
	}
	if n.PrivateBandwidthGbps < 0 {
		f.errorf("network.privateBandwidthGbps", "must not be negative")
	}
}

// checkNodeAddr checks an address given to a host, VM, gateway or VIP: inside
// the subnet, neither its network nor its broadcast address, and (when
// notGateway) not the gateway.
func checkNodeAddr(f *findings, c *Cluster, path string, a netip.Addr, notGateway bool) {
	s := c.Network.Subnet
	switch {
	case !a.IsValid():
		f.errorf(path, "invalid address")
	case !s.Contains(a):
		f.errorf(path, "%s is outside network.subnet %s", a, s)
	case a == s.Masked().Addr():
		f.errorf(path, "%s is the network address of %s", a, s)
	case a == broadcast(s):
		f.errorf(path, "%s is the broadcast address of %s", a, s)
	case notGateway && a == c.Network.Gateway:
		f.errorf(path, "%s is the gateway", a)
	}
}

// validateAddresses checks every host and VM address of the plan: explicit
// ones against the subnet, and all of them against each other.
func validateAddresses(f *findings, c *Cluster, l *Layout) {
	owners := map[netip.Addr]string{}
	claim := func(path string, a netip.Addr) {
		if !a.IsValid() {
			return // an exhausted range was already reported
		}
		checkNodeAddr(f, c, path, a, true)
		if c.Talos.VIP.IsValid() && a == c.Talos.VIP {
			f.errorf(path, "%s is talos.vip", a)
		}
		if prev, dup := owners[a]; dup {
			f.errorf(path, "%s is already used by %s", a, prev)
			return
		}
		owners[a] = path
	}
	for i, az := range c.AZs {
		for j, h := range az.Hosts {
			if h.PrivateAddress.IsValid() {
				claim(fmt.Sprintf("azs[%d].hosts[%d].privateAddress", i, j), h.PrivateAddress)
			}
		}
	}
	for i, a := range c.ControlPlane.Addresses {
		if i >= c.ControlPlane.Count {
			f.errorf(fmt.Sprintf("controlPlane.addresses[%d]", i), "there are only %d control planes", c.ControlPlane.Count)
			continue
		}
		claim(fmt.Sprintf("controlPlane.addresses[%d]", i), a)
	}
	for i, az := range c.AZs {
		for k, a := range az.Workers.Addresses {
			if k >= az.Workers.Count {
				f.errorf(fmt.Sprintf("azs[%d].workers.addresses[%d]", i, k), "AZ %s has only %d workers", az.Name, az.Workers.Count)
				continue
			}
			claim(fmt.Sprintf("azs[%d].workers.addresses[%d]", i, k), a)
		}
	}
	for _, h := range l.Hosts {
		if _, claimed := owners[h.PrivateAddress]; !claimed {
			claim("network.hostRange", h.PrivateAddress)
		}
		if c.Proxmox.CorosyncNetwork.IsValid() && h.PrivateAddress.IsValid() && !c.Proxmox.CorosyncNetwork.Contains(h.PrivateAddress) {
			f.errorf("proxmox.corosyncNetwork", "%s does not contain host %s's address %s", c.Proxmox.CorosyncNetwork, h.Name, h.PrivateAddress)
		}
		if c.Ceph.PublicNetwork.IsValid() && h.PrivateAddress.IsValid() && !c.Ceph.PublicNetwork.Contains(h.PrivateAddress) {
			f.errorf("ceph.publicNetwork", "%s does not contain host %s's address %s", c.Ceph.PublicNetwork, h.Name, h.PrivateAddress)
		}
	}
	for _, vm := range l.VMs {
		if _, claimed := owners[vm.Address]; !claimed {
			claim("network.nodeRange", vm.Address)
		}
	}
}

func validateProxmox(f *findings, c *Cluster) {
	p := c.Proxmox
	if p.ClusterName == "" {
		// Only possible when name is invalid, which is reported on its own.
	} else if !pveNameRE.MatchString(p.ClusterName) {
		f.errorf("proxmox.clusterName", "%q is not a Proxmox cluster name (a letter, then letters, digits or '-', at most 15 characters)", p.ClusterName)
	}
	if p.CorosyncNetwork.IsValid() && !p.CorosyncNetwork.Addr().Is4() {
		f.errorf("proxmox.corosyncNetwork", "%s is not an IPv4 network", p.CorosyncNetwork)
	}
	var pools []string
	for _, pl := range c.Ceph.Pools {
		pools = append(pools, pl.Name)
	}
	if p.VMStorage != "" && !contains(pools, p.VMStorage) {
		f.errorf("proxmox.vmStorage", "%q is not one of the Ceph pools (%s); VM disks go on Ceph so a VM survives its host", p.VMStorage, strings.Join(pools, ", "))
	}
	// Proxmox VM IDs end at 999999999; the third AZ's workers reach
	// vmidBase+3999.
	if p.VMIDBase < 100 || p.VMIDBase > 999_996_000 {
		f.errorf("proxmox.vmidBase", "must be between 100 and 999996000, got %d", p.VMIDBase)
	}
}

func validateCeph(f *findings, c *Cluster) {
	cp := c.Ceph
	if cp.ClusterNetwork.IsValid() && !cp.ClusterNetwork.Addr().Is4() {
		f.errorf("ceph.clusterNetwork", "%s is not an IPv4 network", cp.ClusterNetwork)
	}
	if len(cp.Pools) == 0 {
		f.errorf("ceph.pools", "at least one pool is required for VM disks")
	}
	names := map[string]bool{}
	osdHosts := 0
	for i, az := range c.AZs {
		var osd, mon bool
		for _, h := range az.Hosts {
			if h.HasRole(RoleCephOSD) {
				osd = true
				osdHosts++
			}
			mon = mon || h.HasRole(RoleCephMon)
		}
		if !mon {
			f.errorf(fmt.Sprintf("azs[%d].hosts", i), "AZ %s has no ceph-mon host; one monitor per AZ keeps Ceph quorate when any AZ is lost", az.Name)
		}
		for j, pl := range cp.Pools {
			if pl.FailureDomain == FailureDatacenter && !osd && len(c.AZs) == 3 {
				f.errorf(fmt.Sprintf("azs[%d].hosts", i), "AZ %s has no ceph-osd host, but pool %s (ceph.pools[%d]) places one replica per AZ", az.Name, pl.Name, j)
			}
		}
	}
	for i, pl := range cp.Pools {
		p := fmt.Sprintf("ceph.pools[%d]", i)
		checkLabel(f, p+".name", pl.Name, 63)
		if names[pl.Name] {
			f.errorf(p+".name", "pool %q is defined twice", pl.Name)
		}
		names[pl.Name] = true
		if pl.MinSize < 1 || pl.MinSize > pl.Size {
			f.errorf(p+".minSize", "must be between 1 and size (%d), got %d", pl.Size, pl.MinSize)
		}
		switch {
		case pl.FailureDomain == FailureDatacenter && pl.Size > len(c.AZs) && len(c.AZs) == 3:
			f.errorf(p+".size", "%d replicas cannot be placed in distinct AZs: there are %d", pl.Size, len(c.AZs))
		case pl.FailureDomain == FailureHost && pl.Size > osdHosts:
			f.errorf(p+".size", "%d replicas cannot be placed on distinct hosts: there are %d ceph-osd hosts", pl.Size, osdHosts)
		case pl.Size < 1:
			f.errorf(p+".size", "must be at least 1")
		}
		if pl.PGNum < 1 || pl.PGNum&(pl.PGNum-1) != 0 {
			f.errorf(p+".pgNum", "must be a power of two, got %d", pl.PGNum)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
