package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

type images struct{ env *Env }

func (s *images) Name() string { return Images }

func (s *images) Targets() []run.Target {
	return s.env.hostTargets(func(h inventory.HostPlan) []run.Key { return []run.Key{run.On(OS, h.Name)} })
}

func (s *images) Run(ctx context.Context, st *run.Step) error {
	return notImplemented(Images)
}
