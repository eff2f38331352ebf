package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/run"
)

type bootstrap struct{ env *Env }

func (s *bootstrap) Name() string { return Bootstrap }

func (s *bootstrap) Run(ctx context.Context, st *run.Step) error {
	return notImplemented(Bootstrap)
}

// Target IDs of bootstrap.
const (
	bootstrapTarget = "bootstrap"
	etcdTarget      = "etcd"
)

// Targets: Bootstrap needs only the first control plane configured; the
// etcd membership wait needs every control plane.
func (s *bootstrap) Targets() []run.Target {
	cps := s.env.Layout().ControlPlanes()
	etcd := run.Target{ID: etcdTarget, Needs: []run.Key{run.On(Bootstrap, bootstrapTarget)}}
	for _, cp := range cps {
		etcd.Needs = append(etcd.Needs, run.On(Apply, cp.Name))
	}
	return []run.Target{{ID: bootstrapTarget, Needs: []run.Key{run.On(Apply, cps[0].Name)}}, etcd}
}
