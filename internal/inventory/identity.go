package inventory

import (
	"net/netip"
	"slices"
)

// IdentityVersion is the format of a recorded Identity.
const IdentityVersion = 1

// Identity is the cluster as built: the parts of the inventory a live
// cluster cannot change in place (addresses, the network, the control
// planes, the Proxmox cluster name, the pools' failure domains). It is
// recorded in the state directory piece by piece, each piece once the stage
// that builds it has succeeded, and compared with the inventory before a run
// (CheckBuilt). A nil section or a missing entry means "not built yet": it
// may still change freely.
type Identity struct {
	Version int    `json:"version"`
	Cluster string `json:"cluster"`
	// Network is set once a host has joined the private network.
	Network *BuiltNetwork `json:"network,omitempty"`
	// Hosts maps a host's name to its private address, once its bridge
	// carries it.
	Hosts map[string]netip.Addr `json:"hosts,omitempty"`
	// ProxmoxCluster is the Proxmox cluster's name, once it is created.
	ProxmoxCluster string `json:"proxmoxCluster,omitempty"`
	// Pools maps a Ceph pool's name to its failure domain, once it exists.
	Pools map[string]FailureDomain `json:"pools,omitempty"`
	// ControlPlaneCount is controlPlane.count, once a control plane VM
	// exists (etcd's membership follows from it).
	ControlPlaneCount int `json:"controlPlaneCount,omitempty"`
	// VMIDBase is proxmox.vmidBase, once a VM exists; it only explains
	// which edit renumbered a VM.
	VMIDBase int `json:"vmidBase,omitempty"`
	// VMs maps each built VM's name to what identifies it.
	VMs map[string]BuiltVM `json:"vms,omitempty"`
	// Endpoint is set once a control plane carries its configuration.
	Endpoint *BuiltEndpoint `json:"endpoint,omitempty"`
}

// BuiltNetwork is the address plan and VLAN the private network was built
// with. The ranges are kept only to name the edit that moved a node.
type BuiltNetwork struct {
	Subnet  netip.Prefix `json:"subnet"`
	Gateway netip.Addr   `json:"gateway"`
	// VIP is reserved in the address plan from the start, so it belongs to
	// it even before a control plane holds it.
	VIP       netip.Addr `json:"vip,omitzero"`
	VLAN      int        `json:"vlan"`
	HostRange string     `json:"hostRange,omitempty"`
	NodeRange string     `json:"nodeRange,omitempty"`
}

// BuiltVM is what identifies one built VM.
type BuiltVM struct {
	Type    MachineType `json:"type"`
	VMID    int         `json:"vmid"`
	Address netip.Addr  `json:"address"`
	AZ      string      `json:"az"`
}

// BuiltEndpoint is the Kubernetes API endpoint the control planes'
// certificates and every node's configuration carry.
type BuiltEndpoint struct {
	Endpoint string `json:"endpoint"`
}

// NewIdentity is an empty identity of cluster c: nothing built yet.
func NewIdentity(c *Cluster) *Identity {
	return &Identity{Version: IdentityVersion, Cluster: c.Name}
}

// The Record methods add what a stage has just built; each reports whether
// the identity changed (so the caller writes it only then). They record
// the inventory's values: a stage that succeeded made the live cluster
// match them.

// RecordNetwork records the address plan (subnet, gateway, VIP, ranges)
// and the VLAN.
func (id *Identity) RecordNetwork(c *Cluster) bool {
	n := &BuiltNetwork{Subnet: c.Network.Subnet, Gateway: c.Network.Gateway, VIP: c.Talos.VIP, VLAN: c.Network.VLAN,
		HostRange: c.Network.HostRange.String(), NodeRange: c.Network.NodeRange.String()}
	if id.Network != nil && *id.Network == *n {
		return false
	}
	id.Network = n
	return true
}

// RecordHost records a host's private address.
func (id *Identity) RecordHost(h HostPlan) bool {
	if a, ok := id.Hosts[h.Name]; ok && a == h.PrivateAddress {
		return false
	}
	if id.Hosts == nil {
		id.Hosts = map[string]netip.Addr{}
	}
	id.Hosts[h.Name] = h.PrivateAddress
	return true
}

// RecordProxmox records the Proxmox cluster's name.
func (id *Identity) RecordProxmox(c *Cluster) bool {
	if id.ProxmoxCluster == c.Proxmox.ClusterName {
		return false
	}
	id.ProxmoxCluster = c.Proxmox.ClusterName
	return true
}

// RecordPool records a Ceph pool's failure domain.
func (id *Identity) RecordPool(p Pool) bool {
	if d, ok := id.Pools[p.Name]; ok && d == p.FailureDomain {
		return false
	}
	if id.Pools == nil {
		id.Pools = map[string]FailureDomain{}
	}
	id.Pools[p.Name] = p.FailureDomain
	return true
}

// RecordVM records a VM, and with the first control plane the control-plane
// count.
func (id *Identity) RecordVM(c *Cluster, vm VMPlan) bool {
	b := BuiltVM{Type: vm.Type, VMID: vm.VMID, Address: vm.Address, AZ: vm.AZ}
	changed := id.VMIDBase != c.Proxmox.VMIDBase
	id.VMIDBase = c.Proxmox.VMIDBase
	if vm.Type == ControlPlaneNode && id.ControlPlaneCount != c.ControlPlane.Count {
		id.ControlPlaneCount, changed = c.ControlPlane.Count, true
	}
	if old, ok := id.VMs[vm.Name]; ok && old == b {
		return changed
	}
	if id.VMs == nil {
		id.VMs = map[string]BuiltVM{}
	}
	id.VMs[vm.Name] = b
	return true
}

// RecordEndpoint records the API endpoint.
func (id *Identity) RecordEndpoint(c *Cluster) bool {
	e := &BuiltEndpoint{Endpoint: c.Talos.Endpoint}
	if id.Endpoint != nil && *id.Endpoint == *e {
		return false
	}
	id.Endpoint = e
	return true
}

// ForgetRemovedWorkers drops the workers the layout no longer has: scaling
// in is legal, and the name is free for a new worker afterwards. Control
// planes are kept (removing one is refused, not forgotten).
func (id *Identity) ForgetRemovedWorkers(l *Layout) bool {
	changed := false
	for name, vm := range id.VMs {
		if vm.Type == WorkerNode && !slices.ContainsFunc(l.VMs, func(v VMPlan) bool { return v.Name == name }) {
			delete(id.VMs, name)
			changed = true
		}
	}
	return changed
}

// Empty reports whether nothing has been recorded as built.
func (id *Identity) Empty() bool {
	return id.Network == nil && len(id.Hosts) == 0 && id.ProxmoxCluster == "" && len(id.Pools) == 0 &&
		len(id.VMs) == 0 && id.Endpoint == nil
}
