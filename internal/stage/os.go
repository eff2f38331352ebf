package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

type osInstall struct{ env *Env }

func (s *osInstall) Name() string { return OS }

func (s *osInstall) Targets() []run.Target {
	return s.env.hostTargets(func(h inventory.HostPlan) []run.Key { return []run.Key{run.On(Servers, h.Name)} })
}

func (s *osInstall) Run(ctx context.Context, st *run.Step) error {
	return notImplemented(OS)
}
