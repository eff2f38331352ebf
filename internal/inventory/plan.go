package inventory

import (
	"fmt"
	"net/netip"
	"sort"
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
	VMs   []VMPlan   // control planes 1..N, then workers, in AZ order
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
	Index   int // 1-based within its type
	AZ      string
	Host    string
	VMID    int
	Cores   int
	Memory  Size
	Disk    Size
	Address netip.Addr
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

// placement is an AZ's datacenter or zone for a provider.
func placement(az AZ, p Provider) string {
	if p == ElasticMetal {
		return az.Zone
	}
	return az.Datacenter
}

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
				hp.PrivateAddress = hostAlloc.next(f, fmt.Sprintf("azs[%d].hosts[%d].privateAddress", i, j), "network.hostRange")
			}
			hp.FreeThreads, hp.FreeMemory = hp.Offer.Allocatable(h)
			l.Hosts = append(l.Hosts, hp)
		}
	}
	nodeAlloc := &allocator{r: c.Network.NodeRange, used: used}
	planVMs(c, l, nodeAlloc, f)
	return l
}

func planVMs(c *Cluster, l *Layout, alloc *allocator, f *findings) {
	cp := c.ControlPlane
	cpN, wN := 0, 0
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
				vm.Address = alloc.next(f, "controlPlane.addresses", "network.nodeRange")
			}
			l.place(&vm, i, fmt.Sprintf("azs[%d].controlPlanes", i), f)
			l.VMs = append(l.VMs, vm)
		}
	}
	for i, az := range c.AZs {
		w := az.Workers
		for k := 0; k < w.Count; k++ {
			wN++
			vm := VMPlan{Name: fmt.Sprintf("%s-w-%d", c.Name, wN), Type: WorkerNode, Index: wN, AZ: az.Name,
				VMID: c.Proxmox.VMIDBase + 100 + wN, Cores: w.Cores, Memory: w.Memory, Disk: w.Disk}
			if k < len(w.Addresses) {
				vm.Address = w.Addresses[k]
			} else {
				vm.Address = alloc.next(f, fmt.Sprintf("azs[%d].workers.addresses", i), "network.nodeRange")
			}
			l.place(&vm, i, fmt.Sprintf("azs[%d].workers", i), f)
			l.VMs = append(l.VMs, vm)
		}
	}
}

// place puts vm on the compute host of AZ azIndex with the most free memory
// (then threads, then name): VMs spread over hosts, and the choice is a pure
// function of the inventory.
func (l *Layout) place(vm *VMPlan, azIndex int, path string, f *findings) {
	var cands []*HostPlan
	for i := range l.Hosts {
		h := &l.Hosts[i]
		if h.AZIndex == azIndex && h.HasRole(RoleCompute) {
			cands = append(cands, h)
		}
	}
	if len(cands) == 0 {
		f.errorf(path, "AZ %s has no host with the compute role to run %s", vm.AZ, vm.Name)
		return
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.FreeMemory != b.FreeMemory {
			return a.FreeMemory > b.FreeMemory
		}
		if a.FreeThreads != b.FreeThreads {
			return a.FreeThreads > b.FreeThreads
		}
		return a.Name < b.Name
	})
	best := cands[0]
	if best.FreeMemory < vm.Memory || best.FreeThreads < vm.Cores {
		f.errorf(path, "%s (%d cores, %s) does not fit in AZ %s: the roomiest host, %s (%s), has %d threads and %s left after Proxmox, Ceph and the VMs before it",
			vm.Name, vm.Cores, vm.Memory, vm.AZ, best.Name, best.Offer.Name, best.FreeThreads, best.FreeMemory)
		return
	}
	best.FreeThreads -= vm.Cores
	best.FreeMemory -= vm.Memory
	vm.Host = best.Name
}

// allocator hands out addresses from a range in order, skipping used ones.
type allocator struct {
	r        Range
	used     map[netip.Addr]bool
	cur      netip.Addr
	reported bool
}

func (a *allocator) next(f *findings, path, rangePath string) netip.Addr {
	if a.r.IsZero() {
		return netip.Addr{}
	}
	if !a.cur.IsValid() {
		a.cur = a.r.First
	}
	for ; a.r.Contains(a.cur); a.cur = a.cur.Next() {
		if !a.used[a.cur] {
			addr := a.cur
			a.used[addr] = true
			a.cur = a.cur.Next()
			return addr
		}
	}
	if !a.reported {
		a.reported = true
		f.errorf(path, "%s %s has no free address left for the plan; widen it or give explicit addresses", rangePath, a.r)
	}
	return netip.Addr{}
}

// reservedAddresses are the addresses the allocators must skip: every
// explicit address, the gateway and the VIP.
func reservedAddresses(c *Cluster) map[netip.Addr]bool {
	used := map[netip.Addr]bool{}
	add := func(a netip.Addr) {
		if a.IsValid() {
			used[a] = true
		}
	}
	add(c.Network.Gateway)
	add(c.Talos.VIP)
	for _, a := range c.ControlPlane.Addresses {
		add(a)
	}
	for _, az := range c.AZs {
		for _, a := range az.Workers.Addresses {
			add(a)
		}
		for _, h := range az.Hosts {
			add(h.PrivateAddress)
		}
	}
	return used
}
