package inventory

import (
	"fmt"
	"maps"
	"slices"
)

// The nodes' side of CheckBuilt: hosts and VMs matched by name.

// hostMoves are the built hosts whose private address changes.
func (k *builtCheck) hostMoves() []move {
	var out []move
	for i, az := range k.c.AZs {
		for j, h := range az.Hosts {
			from, ok := k.b.Hosts[h.Name]
			hp, _ := k.l.Host(h.Name)
			if !ok || from == hp.PrivateAddress {
				continue
			}
			m := move{node: h.Name, path: fmt.Sprintf("azs[%d].hosts[%d]", i, j), from: from, to: hp.PrivateAddress}
			if h.PrivateAddress.IsValid() {
				m.explicit = m.path + ".privateAddress"
			}
			out = append(out, m)
		}
	}
	return out
}

// vmMoves are the built VMs whose address changes. Explicit addresses are
// found by position: control plane n takes controlPlane.addresses[n-1], an
// AZ's k-th worker its workers.addresses[k].
func (k *builtCheck) vmMoves() []move {
	var out []move
	cp, perAZ := 0, map[string]int{}
	for _, vm := range k.l.VMs {
		var path, explicit string
		azi := k.azIndex(vm.AZ)
		if vm.Type == ControlPlaneNode {
			cp++
			path = fmt.Sprintf("azs[%d].controlPlanes", azi)
			if cp <= len(k.c.ControlPlane.Addresses) {
				explicit = fmt.Sprintf("controlPlane.addresses[%d]", cp-1)
			}
		} else {
			n := perAZ[vm.AZ]
			perAZ[vm.AZ]++
			path = fmt.Sprintf("azs[%d].workers", azi)
			if azi >= 0 && n < len(k.c.AZs[azi].Workers.Addresses) {
				explicit = fmt.Sprintf("azs[%d].workers.addresses[%d]", azi, n)
			}
		}
		b, ok := k.b.VMs[vm.Name]
		if !ok || b.Address == vm.Address {
			continue
		}
		out = append(out, move{node: vm.Name, vm: true, path: path, explicit: explicit, from: b.Address, to: vm.Address})
	}
	return out
}

// vmIdentities refuses built VMs that change AZ or VM ID, and built control
// planes the inventory no longer has.
func (k *builtCheck) vmIdentities() {
	inLayout := map[string]VMPlan{}
	for _, vm := range k.l.VMs {
		inLayout[vm.Name] = vm
		b, ok := k.b.VMs[vm.Name]
		if !ok {
			continue
		}
		path := fmt.Sprintf("azs[%d]", k.azIndex(vm.AZ))
		if b.AZ != vm.AZ {
			k.add(path, "%s cannot move from AZ %s to AZ %s on a live cluster: a VM cannot change AZ in place; %s", vm.Name, b.AZ, vm.AZ, k.procedure(vm.Name))
		}
		if b.VMID != vm.VMID {
			why := "its disks and its Proxmox configuration are named by it"
			if n := k.b.Nodes; n != nil && n.VMIDBase != k.c.Proxmox.VMIDBase {
				path, why = "proxmox.vmidBase", fmt.Sprintf("proxmox.vmidBase changed from %d to %d, and Proxmox names its disks and configuration by its ID", n.VMIDBase, k.c.Proxmox.VMIDBase)
			}
			k.add(path, "%s cannot change VM ID from %d to %d on a live cluster (%s); %s", vm.Name, b.VMID, vm.VMID, why, k.procedure(vm.Name))
		}
	}
	if n := k.b.Nodes; n != nil && n.ControlPlanes != k.c.ControlPlane.Count {
		return // the count's own refusal covers the control planes it drops
	}
	for _, name := range slices.Sorted(maps.Keys(k.b.VMs)) {
		if _, ok := inLayout[name]; !ok && k.b.VMs[name].Type == ControlPlaneNode {
			k.add("controlPlane", "control plane %s (%s) was built but the inventory no longer has it: etcd still counts it as a member; %s", name, k.b.VMs[name].Address, rebuild)
		}
	}
}

func (k *builtCheck) azIndex(name string) int {
	for i, az := range k.c.AZs {
		if az.Name == name {
			return i
		}
	}
	return -1
}
