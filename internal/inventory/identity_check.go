package inventory

import (
	"fmt"
	"net/netip"
	"strings"
)

// The safe procedures the refusals name.
//
// tripod down deletes the VMs and keeps the servers with their Proxmox
// cluster, network and Ceph: what the VMs carry changes with "down, then
// up"; what the hosts carry needs the servers released too.
const (
	rebuild        = "rebuild the cluster (tripod down, then up)"
	rebuildAll     = "rebuild the cluster (tripod down --release-servers, then up)"
	replaceWorker  = "tripod cannot re-address, renumber or move a running worker, so changing it means rebuilding the VMs (tripod down, then up)"
	rebuildControl = "a control plane's name, address and AZ are its etcd member's identity; to change them, " + rebuild
	rebuildHost    = "a host's private address carries corosync, Ceph and its VMs' bridge; to re-address a host, " + rebuildAll
)

// CheckBuilt compares the cluster as built with inventory c and its layout l
// and returns one error per change a live cluster cannot take in place, each
// one sentence naming the field, the old and the new value and the safe
// procedure. An address a node would get from the allocator because another
// field changed is named under that field, with every node it would move.
// Workers added or removed (scale out, scale in) are not refused; a worker
// that stays and changes address, VM ID or AZ is. It is pure: no I/O.
func CheckBuilt(built *Identity, c *Cluster, l *Layout) []Problem {
	if built == nil {
		return nil
	}
	k := &builtCheck{b: built, c: c, l: l}
	if built.Cluster != "" && built.Cluster != c.Name {
		k.refuse("name", built.Cluster, c.Name, "it names every VM, the ownership tags and the private network; "+rebuildAll)
		return k.out
	}
	k.scalars()
	k.moves = append(k.hostMoves(), k.vmMoves()...)
	k.addressPlan()
	k.vmIdentities()
	return k.out
}

// CheckBuilt is CheckBuilt for this inventory, each problem naming its
// file; nil when nothing built conflicts with it.
func (l *Loaded) CheckBuilt(built *Identity) Problems {
	probs := CheckBuilt(built, l.Cluster, l.Layout)
	for i := range probs {
		probs[i].File = l.File
	}
	if len(probs) == 0 {
		return nil
	}
	return Problems(probs)
}

type builtCheck struct {
	b     *Identity
	c     *Cluster
	l     *Layout
	moves []move
	out   []Problem
}

// move is a built node whose address the inventory changes.
type move struct {
	node     string
	vm       bool   // a VM, not a host
	path     string // where the node is declared
	explicit string // the explicit address's path, when the inventory sets it
	from, to netip.Addr
}

func (m move) String() string {
	return fmt.Sprintf("%s from %s to %s", m.node, m.from, addrOrNone(m.to))
}

func (k *builtCheck) add(path, format string, args ...any) {
	k.out = append(k.out, Problem{Path: path, Message: fmt.Sprintf(format, args...), Severity: SeverityError})
}

// refuse adds "path: cannot change from old to new on a live cluster: tail".
func (k *builtCheck) refuse(path string, old, new any, tail string) {
	k.add(path, "cannot change from %v to %v on a live cluster: %s", old, new, tail)
}

// scalars checks the fields that are not addresses.
func (k *builtCheck) scalars() {
	b, c := k.b, k.c
	if b.Network != nil && b.Network.VLAN != 0 && b.Network.VLAN != c.Network.VLAN {
		k.refuse("network.vlan", b.Network.VLAN, c.Network.VLAN, fmt.Sprintf("every host's private network membership and VM bridge are on VLAN %d, and moving them one by one cuts corosync, Ceph and etcd apart; set it back to %d, or %s", b.Network.VLAN, b.Network.VLAN, rebuildAll))
	}
	if b.ProxmoxCluster != "" && b.ProxmoxCluster != c.Proxmox.ClusterName {
		k.refuse("proxmox.clusterName", b.ProxmoxCluster, c.Proxmox.ClusterName, fmt.Sprintf("corosync cannot rename a cluster in place; set it back to %s, or %s", b.ProxmoxCluster, rebuild))
	}
	for i, p := range c.Ceph.Pools {
		if d, ok := b.Pools[p.Name]; ok && d != p.FailureDomain {
			k.refuse(fmt.Sprintf("ceph.pools[%d].failureDomain", i), d, p.FailureDomain, fmt.Sprintf("changing pool %s's CRUSH rule would move every placement group at once; set it back to %s, or add a new pool with failureDomain %s and move the VM disks to it", p.Name, d, p.FailureDomain))
		}
	}
	if n := b.Nodes; n != nil && n.Endpoint != c.Talos.Endpoint && n.VIP == c.Talos.VIP {
		k.refuse("talos.endpoint", n.Endpoint, c.Talos.Endpoint, "the control planes' certificates and every node's configuration carry it; "+rebuild)
	}
}

// input is one field the allocators read: changing it can move nodes.
type input struct {
	path      string
	old, new  string
	forbidden string // why it cannot change at all ("" when it can, if nothing moves)
	hosts     bool   // moves hosts
	vms       bool   // moves VMs
	procedure string // how to change it safely
}

func (k *builtCheck) inputs() []input {
	var out []input
	cn := k.c.Network
	if n := k.b.Network; n != nil {
		out = append(out,
			input{"network.subnet", n.Subnet.String(), cn.Subnet.String(), "every host's bridge, corosync, Ceph and every VM use it", true, true, rebuildAll},
			input{"network.hostRange", n.HostRange, cn.HostRange.String(), "", true, false, rebuildAll})
	}
	if n := k.b.Nodes; n != nil {
		out = append(out,
			input{"network.gateway", gatewayString(n.Gateway), gatewayString(cn.Gateway), "every VM's network configuration and machine config carry its route", true, true, rebuild},
			input{"talos.vip", addrOrNone(n.VIP), addrOrNone(k.c.Talos.VIP), "the control planes hold it and every node reaches the API through it", true, true, rebuild},
			input{"network.nodeRange", n.NodeRange, cn.NodeRange.String(), "", false, true, rebuild},
			input{"controlPlane.count", fmt.Sprint(n.ControlPlanes), fmt.Sprint(k.c.ControlPlane.Count),
				"etcd has one member per control plane and tripod cannot add or remove members in place", false, true, rebuild})
	}
	return out
}

// addressPlan refuses each changed allocator input, naming the nodes it
// would move, then each move no changed input explains.
func (k *builtCheck) addressPlan() {
	explained := make([]bool, len(k.moves))
	for _, in := range k.inputs() {
		if in.old == in.new {
			continue
		}
		var moved []string
		for i, m := range k.moves {
			if m.explicit == "" && ((m.vm && in.vms) || (!m.vm && in.hosts)) {
				moved = append(moved, m.String())
				explained[i] = true
			}
		}
		proc := "to change the address plan, " + in.procedure
		if in.path == "controlPlane.count" {
			proc = "to change it, " + in.procedure
		}
		switch {
		case len(moved) > 0 && in.forbidden != "":
			k.refuse(in.path, in.old, in.new, in.forbidden+", and it would move "+joinAnd(moved)+"; "+proc)
		case len(moved) > 0:
			k.refuse(in.path, in.old, in.new, "it would move "+joinAnd(moved)+"; "+proc)
		case in.forbidden != "":
			k.refuse(in.path, in.old, in.new, in.forbidden+"; "+proc)
		}
	}
	var edited []string
	for _, m := range k.moves {
		if m.explicit != "" {
			edited = append(edited, m.explicit)
		}
	}
	for i, m := range k.moves {
		if explained[i] {
			continue
		}
		path, why := m.path, "the allocator now hands out addresses in another order (an explicit address or a node added before it)"
		switch {
		case m.explicit != "":
			path, why = m.explicit, "the inventory sets it"
		case len(edited) > 0:
			why = "the allocator hands out addresses in order, and " + joinAnd(edited) + " changed"
		}
		k.add(path, "%s cannot change address from %s to %s on a live cluster: %s; %s", m.node, m.from, addrOrNone(m.to), why, k.procedure(m.node))
	}
}

// procedure is the safe way to change a built node.
func (k *builtCheck) procedure(node string) string {
	if vm, ok := k.b.VMs[node]; ok {
		if vm.Type == WorkerNode {
			return replaceWorker
		}
		return rebuildControl
	}
	return rebuildHost
}

// gatewayString names network.gateway's value, or what an unset one means.
func gatewayString(a netip.Addr) string {
	if !a.IsValid() {
		return "unset (each VM's own host)"
	}
	return a.String()
}

func addrOrNone(a netip.Addr) string {
	if !a.IsValid() {
		return "none"
	}
	return a.String()
}

// joinAnd renders "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	if len(items) <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
