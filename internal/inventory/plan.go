package inventory

import (
	"fmt"
	"net/netip"
)

// MachineType is a Talos machine type.
type MachineType string

// The machine types.
const (
	ControlPlaneNode MachineType = "controlplane"
	WorkerNode       MachineType = "worker"
)

// Layout is the deterministic plan derived from an inventory: which host has
// which private address, and which VM runs where with which ID and address.
// It is a pure function of the inventory, so every run and every command
// (plan, up, status, down) agrees on it.
type Layout struct {
	Hosts []HostPlan // inventory order
	VMs   []VMPlan   // control planes 1..N, then each AZ's workers 1..k, in AZ order
}

// HostPlan is one host with everything derived about it.
type HostPlan struct {
	Name           string
	AZ             string
	AZIndex        int
	Provider       Provider
	Placement      string // Dedibox datacenter or Elastic Metal zone
	Offer          Offer
	Roles          []Role
	DataDisks      []string
	AdoptServerID  string
	PrivateAddress netip.Addr
	// Free capacity after the VMs placed on it.
	FreeThreads int
	FreeMemory  Size
}

// VMPlan is one Talos VM.
type VMPlan struct {
	Name    string // also the Talos hostname
	Type    MachineType
	Index   int // 1-based: among control planes, or among its AZ's workers
	AZ      string
	Host    string
	VMID    int
	Cores   int
	Memory  Size
	Disk    Size
	Address netip.Addr
	// Gateway is the VM's default route: network.gateway when set, else
	// its own host's private address (that host forwards and masquerades
	// the VMs' traffic out of its public bridge), so a VM's egress never
	// depends on another host or AZ. Invalid when the host has no address.
	Gateway netip.Addr
}

// ControlPlanes returns the control-plane VMs in order.
func (l *Layout) ControlPlanes() []VMPlan { return l.vmsOf(ControlPlaneNode) }

// Workers returns the worker VMs in order.
func (l *Layout) Workers() []VMPlan { return l.vmsOf(WorkerNode) }

func (l *Layout) vmsOf(t MachineType) []VMPlan {
	var out []VMPlan
	for _, v := range l.VMs {
		if v.Type == t {
			out = append(out, v)
		}
	}
	return out
}

// Host returns the plan of the named host.
func (l *Layout) Host(name string) (HostPlan, bool) {
	for _, h := range l.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return HostPlan{}, false
}

// HasRole reports whether the host has role r.
func (h Host) HasRole(r Role) bool {
	for _, x := range h.Roles {
		if x == r {
			return true
		}
	}
	return false
}

// HasRole reports whether the planned host has role r.
func (h HostPlan) HasRole(r Role) bool { return Host{Roles: h.Roles}.HasRole(r) }

// buildLayout plans hosts and VMs. It reports capacity and address-pool
// problems; structural problems are validated elsewhere and make it skip
// what it cannot plan.
func buildLayout(c *Cluster, offers OfferTable, f *findings) *Layout {
	l := &Layout{}
	used := reservedAddresses(c)
	hostAlloc := &allocator{r: c.Network.HostRange, used: used}
	for i, az := range c.AZs {
		for j, h := range az.Hosts {
			hp := HostPlan{Name: h.Name, AZ: az.Name, AZIndex: i, Provider: h.Provider, Placement: placement(az, h.Provider),
				Offer: offers[h.Offer], Roles: h.Roles, DataDisks: h.DataDisks, PrivateAddress: h.PrivateAddress}
			if h.Adopt != nil {
				hp.AdoptServerID = h.Adopt.ServerID
			}
			if !hp.PrivateAddress.IsValid() {
				hp.PrivateAddress = hostAlloc.next(f, fmt.Sprintf("azs[%d].hosts[%d].privateAddress", i, j),
					fmt.Sprintf("network.hostRange %s has no free address left for the plan; widen it or give explicit addresses", c.Network.HostRange))
			}
			hp.FreeThreads, hp.FreeMemory = hp.Offer.Allocatable(h)
			l.Hosts = append(l.Hosts, hp)
		}
	}
	planControlPlanes(c, l, used, f)
	for i := range c.AZs {
		planWorkers(c, l, i, used, f)
	}
	for i := range l.VMs {
		l.VMs[i].Gateway = gatewayOf(c, l, l.VMs[i])
	}
	return l
}

// gatewayOf is vm's default route (VMPlan.Gateway).
func gatewayOf(c *Cluster, l *Layout, vm VMPlan) netip.Addr {
	if c.Network.Gateway.IsValid() {
		return c.Network.Gateway
	}
	h, _ := l.Host(vm.Host)
	return h.PrivateAddress
}

// HostNAT reports whether tripod configures NAT on the hosts: when
// network.gateway is unset, each host routes its own VMs out.
func (c *Cluster) HostNAT() bool { return !c.Network.Gateway.IsValid() }

// planControlPlanes numbers control planes across the AZs (<cluster>-cp-n,
// VMID vmidBase+n) and gives them addresses from the first
// controlPlaneAddresses of network.nodeRange. Their count never changes
// after the first run, so the global numbering is stable.
func planControlPlanes(c *Cluster, l *Layout, used map[netip.Addr]bool, f *findings) {
	cp := c.ControlPlane
	block := controlPlaneBlock(c.Network.NodeRange)
	alloc := &allocator{r: block, used: used}
	full := fmt.Sprintf("the first %d addresses of network.nodeRange (%s) are kept for control planes, and the gateway, the VIP or explicit addresses leave too few of them for %d control planes; give explicit controlPlane.addresses",
		controlPlaneAddresses, blockString(block), cp.Count)
	cpN := 0
	for i, az := range c.AZs {
		n := 0
		if az.ControlPlanes != nil {
			n = *az.ControlPlanes
		}
		for k := 0; k < n; k++ {
			cpN++
			vm := VMPlan{Name: fmt.Sprintf("%s-cp-%d", c.Name, cpN), Type: ControlPlaneNode, Index: cpN, AZ: az.Name,
				VMID: c.Proxmox.VMIDBase + cpN, Cores: cp.Cores, Memory: cp.Memory, Disk: cp.Disk}
			if cpN <= len(cp.Addresses) {
				vm.Address = cp.Addresses[cpN-1]
			} else {
				vm.Address = alloc.next(f, "controlPlane.addresses", full)
			}
			l.place(&vm, i, fmt.Sprintf("azs[%d].controlPlanes", i), f)
			l.VMs = append(l.VMs, vm)
		}
	}
}

// planWorkers plans AZ i's workers. A worker's identity depends only on its
// AZ and its index k within it: name <cluster>-<az>-w-<k>, VMID
// vmidBase+1000*(i+1)+k, an address from the AZ's own block of
// network.nodeRange, and a host chosen after the AZ's control planes and
// its earlier workers. Changing another AZ's workers.count therefore moves
// nothing here, and scaling in drops exactly the highest indexes.
func planWorkers(c *Cluster, l *Layout, i int, used map[netip.Addr]bool, f *findings) {
	az := c.AZs[i]
	w := az.Workers
	block := workerBlock(c.Network.NodeRange, i, len(c.AZs))
	alloc := &allocator{r: block, used: used}
	full := fmt.Sprintf("%d workers do not all fit in AZ %s's block of network.nodeRange (%s; the range's first %d addresses go to control planes, the rest is split in %d equal blocks, one per AZ); give the extra workers explicit addresses in azs[%d].workers.addresses (widening network.nodeRange would move every worker's address)",
		w.Count, az.Name, blockString(block), controlPlaneAddresses, len(c.AZs), i)
	for k := 1; k <= w.Count; k++ {
		name := fmt.Sprintf("%s-%s-w-%d", c.Name, az.Name, k)
		if len(name) > 63 {
			f.errorf(fmt.Sprintf("azs[%d].name", i), "worker VM name %s is longer than 63 characters (a Talos hostname is a DNS label); shorten azs[%d].name or name", name, i)
			return
		}
		vm := VMPlan{Name: name, Type: WorkerNode, Index: k, AZ: az.Name,
			VMID: c.Proxmox.VMIDBase + workerVMIDStride*(i+1) + k, Cores: w.Cores, Memory: w.Memory, Disk: w.Disk}
		if k <= len(w.Addresses) {
			vm.Address = w.Addresses[k-1]
		} else if vm.Address = alloc.next(f, fmt.Sprintf("azs[%d].workers.count", i), full); !vm.Address.IsValid() && !block.IsZero() {
			return // reported once for the AZ
		}
		l.place(&vm, i, fmt.Sprintf("azs[%d].workers", i), f)
		l.VMs = append(l.VMs, vm)
	}
}
