package stage

import (
	"context"

	"github.com/tripod-dev/tripod/internal/run"
)

type health struct{ env *Env }

func (s *health) Name() string { return Health }

func (s *health) Run(ctx context.Context, st *run.Step) error {
	return notImplemented(Health)
}

// Target IDs of health.
const (
	kubeconfigTarget = "kubeconfig"
	kubernetesTarget = "kubernetes"
)

// Targets: the kubeconfig once etcd is bootstrapped; Kubernetes health once
// every node is configured and etcd has all its members.
func (s *health) Targets() []run.Target {
	return []run.Target{
		{ID: kubeconfigTarget, Needs: []run.Key{run.On(Bootstrap, bootstrapTarget)}},
		{ID: kubernetesTarget, Needs: []run.Key{run.On(Health, kubeconfigTarget), run.All(Apply), run.On(Bootstrap, etcdTarget)}},
	}
}
