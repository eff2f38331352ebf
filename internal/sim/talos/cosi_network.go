package talos

import (
	"crypto/sha256"
	"net"
	"net/netip"

	"github.com/cosi-project/runtime/pkg/resource"
	"github.com/siderolabs/talos/pkg/machinery/nethelpers"
	"github.com/siderolabs/talos/pkg/machinery/resources/k8s"
	"github.com/siderolabs/talos/pkg/machinery/resources/network"
)

// A node's network resources, as machined's network controllers report
// them: one virtio NIC (eth0) with the static address, the default route
// through the gateway, the hostname and, once configured, the Kubernetes
// node name. The address and gateway are the cloud-init ones until a
// config is in place, then the config's (egressLocked).

// netView is what the network resources are built from, read under the
// node's lock.
type netView struct {
	hostname   string
	prefix     netip.Prefix // eth0's address
	gateway    netip.Addr   // the default route's gateway, invalid if none
	vmID       int
	configured bool // a config is in place: the node name is set
}

func (n *node) netView() netView {
	host := n.hostname()
	n.mu.Lock()
	defer n.mu.Unlock()
	from, _, _ := n.egressLocked()
	v := netView{hostname: host, vmID: n.vm.VMID, configured: n.cfg != nil && n.f.hostname != ""}
	v.prefix, _ = netip.ParsePrefix(from.Address)
	v.gateway, _ = netip.ParseAddr(from.Gateway)
	return v
}

// syncNetwork puts the node's hostname, addresses, links and routes.
func (n *node) syncNetwork() {
	v := n.netView()
	hs := network.NewHostnameStatus(network.NamespaceName, network.HostnameID)
	hs.TypedSpec().Hostname = v.hostname
	n.res.put(hs, "network.HostnameStatusController")

	var names []resource.Resource
	if v.configured {
		nn := k8s.NewNodename(k8s.NamespaceName, k8s.NodenameID)
		nn.TypedSpec().Nodename = v.hostname
		nn.TypedSpec().HostnameVersion = "1"
		names = append(names, nn)
	}
	n.res.replace(k8s.NewNodename(k8s.NamespaceName, ""), names, "k8s.NodenameController")

	var current []netip.Prefix
	if v.prefix.IsValid() {
		current = append(current, v.prefix)
	}
	na := network.NewNodeAddress(network.NamespaceName, network.NodeAddressCurrentID)
	na.TypedSpec().Addresses, na.TypedSpec().SortAlgorithm = current, nethelpers.AddressSortAlgorithmV2
	n.res.put(na, "network.NodeAddressController")

	n.res.replace(network.NewLinkStatus(network.NamespaceName, ""), links(v), "network.LinkStatusController")
	n.res.replace(network.NewAddressStatus(network.NamespaceName, ""), addresses(v), "network.AddressStatusController")
	n.res.replace(network.NewRouteStatus(network.NamespaceName, ""), routes(v), "network.RouteStatusController")
}

// mac is the VM's NIC address: Proxmox's prefix BC:24:11, the rest from the
// VM ID, so it is stable across reboots.
func mac(vmID int) net.HardwareAddr {
	sum := sha256.Sum256([]byte{byte(vmID >> 24), byte(vmID >> 16), byte(vmID >> 8), byte(vmID)})
	return net.HardwareAddr{0xbc, 0x24, 0x11, sum[0], sum[1], sum[2]}
}

func links(v netView) []resource.Resource {
	lo := network.NewLinkStatus(network.NamespaceName, "lo")
	*lo.TypedSpec() = network.LinkStatusSpec{Index: 1, Type: nethelpers.LinkLoopbck, MTU: 65536, QueueDisc: "noqueue",
		Flags:            nethelpers.LinkFlags(nethelpers.LinkUp | nethelpers.LinkLoopback | nethelpers.LinkRunning | nethelpers.LinkLowerUp),
		HardwareAddr:     nethelpers.HardwareAddr(make(net.HardwareAddr, 6)),
		BroadcastAddr:    nethelpers.HardwareAddr(make(net.HardwareAddr, 6)),
		OperationalState: nethelpers.OperStateUnknown, LinkState: true}
	eth := network.NewLinkStatus(network.NamespaceName, "eth0")
	hw := nethelpers.HardwareAddr(mac(v.vmID))
	*eth.TypedSpec() = network.LinkStatusSpec{Index: 2, Type: nethelpers.LinkEther, MTU: 1500, QueueDisc: "pfifo_fast",
		Flags:        nethelpers.LinkFlags(nethelpers.LinkUp | nethelpers.LinkBroadcast | nethelpers.LinkRunning | nethelpers.LinkMulticast | nethelpers.LinkLowerUp),
		HardwareAddr: hw, PermanentAddr: hw, BroadcastAddr: nethelpers.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		OperationalState: nethelpers.OperStateUp, LinkState: true, Driver: "virtio_net", BusPath: "0000:00:12.0",
		Vendor: "Red Hat, Inc.", Product: "Virtio network device", VendorID: "0x1af4", ProductID: "0x1000",
		SpeedMegabits: -1, Port: nethelpers.Other, Duplex: nethelpers.Unknown}
	return []resource.Resource{lo, eth}
}

func addresses(v netView) []resource.Resource {
	loAddr := netip.MustParsePrefix("127.0.0.1/8")
	lo := network.NewAddressStatus(network.NamespaceName, network.AddressID("lo", loAddr))
	*lo.TypedSpec() = network.AddressStatusSpec{Address: loAddr, Local: loAddr.Addr(), LinkIndex: 1, LinkName: "lo",
		Family: nethelpers.FamilyInet4, Scope: nethelpers.ScopeHost, Flags: nethelpers.AddressFlags(nethelpers.AddressPermanent)}
	out := []resource.Resource{lo}
	if v.prefix.IsValid() {
		a := network.NewAddressStatus(network.NamespaceName, network.AddressID("eth0", v.prefix))
		*a.TypedSpec() = network.AddressStatusSpec{Address: v.prefix, Local: v.prefix.Addr(), Broadcast: broadcast(v.prefix),
			LinkIndex: 2, LinkName: "eth0", Family: nethelpers.FamilyInet4, Scope: nethelpers.ScopeGlobal,
			Flags: nethelpers.AddressFlags(nethelpers.AddressPermanent)}
		out = append(out, a)
	}
	return out
}

func broadcast(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	for i := p.Bits(); i < 32; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	return netip.AddrFrom4(b)
}

func routes(v netView) []resource.Resource {
	if !v.prefix.IsValid() {
		return nil
	}
	subnet := v.prefix.Masked()
	conn := network.NewRouteStatus(network.NamespaceName,
		network.RouteID(nethelpers.TableMain, nethelpers.FamilyInet4, subnet, netip.Addr{}, 1024, "eth0"))
	*conn.TypedSpec() = network.RouteStatusSpec{Family: nethelpers.FamilyInet4, Destination: subnet, Source: v.prefix.Addr(),
		OutLinkIndex: 2, OutLinkName: "eth0", Table: nethelpers.TableMain, Priority: 1024, Scope: nethelpers.ScopeLink,
		Type: nethelpers.TypeUnicast, Protocol: nethelpers.ProtocolKernel}
	out := []resource.Resource{conn}
	if v.gateway.IsValid() {
		def := network.NewRouteStatus(network.NamespaceName,
			network.RouteID(nethelpers.TableMain, nethelpers.FamilyInet4, netip.Prefix{}, v.gateway, 1024, "eth0"))
		*def.TypedSpec() = network.RouteStatusSpec{Family: nethelpers.FamilyInet4, Source: v.prefix.Addr(), Gateway: v.gateway,
			OutLinkIndex: 2, OutLinkName: "eth0", Table: nethelpers.TableMain, Priority: 1024, Scope: nethelpers.ScopeGlobal,
			Type: nethelpers.TypeUnicast, Protocol: nethelpers.ProtocolStatic}
		out = append(out, def)
	}
	return out
}
