package inventory

import "net/netip"

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
	// Nodes is what every VM carries, set with the first VM; tripod down
	// (which deletes the VMs) forgets it with them.
	Nodes *BuiltNodes `json:"nodes,omitempty"`
	// VMs maps each built VM's name to what identifies it.
	VMs map[string]BuiltVM `json:"vms,omitempty"`
}

// BuiltNetwork is the private network as the hosts were put on it. The host
// range is kept only to name the edit that moved a host.
type BuiltNetwork struct {
	Subnet    netip.Prefix `json:"subnet"`
	VLAN      int          `json:"vlan,omitempty"` // 0: no Dedibox host, Scaleway picks it
	HostRange string       `json:"hostRange,omitempty"`
}

// BuiltNodes is the part of the address plan and of the Talos layer every
// VM carries: network.gateway (unset when each VM routes through its own
// host, whose address the host entries pin), the VIP the control planes hold and
// the allocator skips, the API endpoint, how many control planes etcd has.
// The node range and VM ID base are kept only to name the edit that moved
// or renumbered a VM.
type BuiltNodes struct {
	Gateway       netip.Addr `json:"gateway,omitzero"`
	VIP           netip.Addr `json:"vip,omitzero"`
	Endpoint      string     `json:"endpoint"`
	ControlPlanes int        `json:"controlPlanes"`
	NodeRange     string     `json:"nodeRange,omitempty"`
	VMIDBase      int        `json:"vmidBase"`
}

// BuiltVM is what identifies one built VM.
type BuiltVM struct {
	Type    MachineType `json:"type"`
	VMID    int         `json:"vmid"`
	Address netip.Addr  `json:"address"`
	AZ      string      `json:"az"`
}

// NewIdentity is an empty identity of cluster c: nothing built yet.
func NewIdentity(c *Cluster) *Identity {
	return &Identity{Version: IdentityVersion, Cluster: c.Name}
}

// The Record methods add what a stage has just built; each reports whether
// the identity changed (so the caller writes it only then). They record
// the inventory's values: a stage that succeeded made the live cluster
// match them.

// RecordNetwork records the private network: its subnet, and its VLAN when
// a Dedibox host is on it (Scaleway picks an Elastic Metal network's VLAN;
// network.vlan does not apply to it).
func (id *Identity) RecordNetwork(c *Cluster) bool {
	n := &BuiltNetwork{Subnet: c.Network.Subnet, HostRange: c.Network.HostRange.String()}
	for _, az := range c.AZs {
		for _, h := range az.Hosts {
			if h.Provider == Dedibox {
				n.VLAN = c.Network.VLAN
			}
		}
	}
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

// RecordVM records a VM, and with the first one what every VM carries.
func (id *Identity) RecordVM(c *Cluster, vm VMPlan) bool {
	changed := false
	if id.Nodes == nil {
		id.Nodes = &BuiltNodes{Gateway: c.Network.Gateway, VIP: c.Talos.VIP, Endpoint: c.Talos.Endpoint,
			ControlPlanes: c.ControlPlane.Count, NodeRange: c.Network.NodeRange.String(), VMIDBase: c.Proxmox.VMIDBase}
		changed = true
	}
	b := BuiltVM{Type: vm.Type, VMID: vm.VMID, Address: vm.Address, AZ: vm.AZ}
	if old, ok := id.VMs[vm.Name]; ok && old == b {
		return changed
	}
	if id.VMs == nil {
		id.VMs = map[string]BuiltVM{}
	}
	id.VMs[vm.Name] = b
	return true
}

// ForgetVMs forgets the VMs and what they carry, once tripod down has
// deleted them: the next up builds them afresh, from the inventory as it is
// then.
func (id *Identity) ForgetVMs() bool {
	changed := id.Nodes != nil || len(id.VMs) > 0
	id.Nodes, id.VMs = nil, nil
	return changed
}

// Empty reports whether nothing has been recorded as built.
func (id *Identity) Empty() bool {
	return id.Network == nil && len(id.Hosts) == 0 && id.ProxmoxCluster == "" && len(id.Pools) == 0 &&
		id.Nodes == nil && len(id.VMs) == 0
}
