package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/run"
)

type pveCluster struct{ env *Env }

func (s *pveCluster) Name() string { return PVECluster }

func (s *pveCluster) Run(ctx context.Context, st *run.Step) error {
	return notImplemented(PVECluster)
}

// Targets: the first host measures round-trip times between all hosts and
// creates the cluster, so it needs every host installed; each other host
// joins once it is installed and the cluster exists, one join at a time.
func (s *pveCluster) Targets() []run.Target {
	first := s.env.firstHost().Name
	var out []run.Target
	for _, h := range s.env.Layout().Hosts {
		t := run.Target{ID: h.Name, Needs: []run.Key{run.On(OS, h.Name)}}
		if h.Name == first {
			t.Needs = []run.Key{run.All(OS)}
		} else {
			t.Needs = append(t.Needs, run.On(PVECluster, first))
			t.Pools = []string{"pvecluster-join"}
		}
		out = append(out, t)
	}
	return out
}
