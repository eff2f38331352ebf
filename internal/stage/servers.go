package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

type servers struct{ env *Env }

func (s *servers) Name() string { return Servers }

func (s *servers) Targets() []run.Target {
	return s.env.hostTargets(func(h inventory.HostPlan) []run.Key { return []run.Key{run.All(Preflight)} })
}

func (s *servers) Run(ctx context.Context, st *run.Step) error {
	return notImplemented(Servers)
}
