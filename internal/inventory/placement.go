package inventory

import "sort"

// Placement: where each planned VM runs. This file is the one place to
// change it: which host of an AZ a VM goes to (place), and what an AZ's
// placement name is for a provider. Everything else (names, VM IDs,
// addresses) is in plan.go and plan_addr.go and does not depend on it.

// placement is an AZ's datacenter or zone for a provider.
func placement(az AZ, p Provider) string {
	if p == ElasticMetal {
		return az.Zone
	}
	return az.Datacenter
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
