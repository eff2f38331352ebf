package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/run"
)

type preflight struct{ env *Env }

func (s *preflight) Name() string { return Preflight }

func (s *preflight) Targets() []run.Target {
	return []run.Target{{ID: "account"}}
}

func (s *preflight) Run(ctx context.Context, st *run.Step) error {
	return notImplemented(Preflight)
}
