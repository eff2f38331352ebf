package stage

import (
	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

// firstHost is the host that creates the Proxmox cluster: the first host of
// the first AZ, a pure function of the inventory.
func (e *Env) firstHost() inventory.HostPlan { return e.Layout().Hosts[0] }

// hostTargets is one target per host, each needing needs(host).
func (e *Env) hostTargets(needs func(h inventory.HostPlan) []run.Key) []run.Target {
	var out []run.Target
	for _, h := range e.Layout().Hosts {
		out = append(out, run.Target{ID: h.Name, Needs: needs(h), Placement: h.AZ})
	}
	return out
}

// vmTargets is one target per VM.
func (e *Env) vmTargets(needs func(vm inventory.VMPlan) []run.Key) []run.Target {
	var out []run.Target
	for _, vm := range e.Layout().VMs {
		out = append(out, run.Target{ID: vm.Name, Needs: needs(vm), Placement: vm.AZ})
	}
	return out
}
