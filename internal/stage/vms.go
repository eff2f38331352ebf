package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

type vms struct{ env *Env }

func (s *vms) Name() string { return VMs }

func (s *vms) Run(ctx context.Context, st *run.Step) error {
	return notImplemented(VMs)
}

// Targets: a VM needs its host in the cluster (a node holding guests cannot
// join), the ISO on its host, the bridge on its host and the pool its disk
// goes on.
func (s *vms) Targets() []run.Target {
	storage := s.env.Cluster().Proxmox.VMStorage
	return s.env.vmTargets(func(vm inventory.VMPlan) []run.Key {
		return []run.Key{
			run.On(PVECluster, vm.Host), run.On(Images, vm.Host), run.On(Network, vm.Host),
			run.On(Ceph, cephPoolID(storage)), run.On(Ceph, cephHealth),
		}
	})
}
