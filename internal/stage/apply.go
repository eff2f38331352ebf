package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

type apply struct{ env *Env }

func (s *apply) Name() string { return Apply }

func (s *apply) Targets() []run.Target {
	return s.env.vmTargets(func(vm inventory.VMPlan) []run.Key {
		return []run.Key{run.On(VMs, vm.Name), run.On(MachineConfig, vm.Name)}
	})
}

func (s *apply) Run(ctx context.Context, st *run.Step) error {
	return notImplemented(Apply)
}
