package stage

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/tripod-dev/tripod/internal/retry"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/talos"
)

type health struct{ env *Env }

func (s *health) Name() string { return Health }

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

func (s *health) Run(ctx context.Context, st *run.Step) error {
	if st.Key.Target == kubeconfigTarget {
		return s.kubeconfig(ctx, st)
	}
	s.publishSummary(st)
	return s.kubernetes(ctx, st)
}

// Plan says what health would fetch and wait for once the cluster it
// needs exists.
func (s *health) Plan(ctx context.Context, st *run.Step) error {
	if st.Key.Target == kubeconfigTarget {
		st.Skip("would fetch the admin kubeconfig to %s once etcd is bootstrapped", s.statePath(talos.KubeconfigFile))
		return nil
	}
	s.publishSummary(st)
	n := len(s.env.Layout().VMs)
	st.Skip("would wait for the Kubernetes API at %s and %d/%d nodes Ready with their zone labels", s.env.Cluster().Talos.Endpoint, n, n)
	return nil
}

// TalosSummary is what an operator needs to reach the cluster.
type TalosSummary struct {
	Endpoint    string              // the Kubernetes API URL
	Kubeconfig  string              // absolute path of the admin kubeconfig (written by health/kubeconfig)
	Talosconfig string              // absolute path of the talosconfig (written by machineconfig/talosconfig)
	Sealed      bool                `json:",omitempty"` // both are sealed with age: tripod kubeconfig/talosconfig open them
	NodesPerAZ  map[string][]string // AZ name -> node names, control planes first
	AZs         []string            // AZ names in inventory order, for printing NodesPerAZ
}

func (s *health) publishSummary(st *run.Step) {
	sum := TalosSummary{
		Endpoint:    s.env.Cluster().Talos.Endpoint,
		Kubeconfig:  s.statePath(talos.KubeconfigFile),
		Talosconfig: s.statePath(talos.TalosconfigFile),
		Sealed:      s.env.State.Secrets.Encrypted(),
		NodesPerAZ:  map[string][]string{},
	}
	for _, az := range s.env.Cluster().AZs {
		sum.AZs = append(sum.AZs, az.Name)
	}
	for _, vm := range s.env.Layout().VMs {
		sum.NodesPerAZ[vm.AZ] = append(sum.NodesPerAZ[vm.AZ], vm.Name)
	}
	factsOf(st).SetTalos(sum)
}

// statePath is the absolute path where the secret file rel is kept.
func (s *health) statePath(rel string) string {
	p := s.env.State.SecretPath(rel)
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// kubeconfig fetches the admin kubeconfig through the Talos API and keeps
// it, unless the one written before still serves (each fetch mints a new
// client certificate).
func (s *health) kubeconfig(ctx context.Context, st *run.Step) error {
	path := s.statePath(talos.KubeconfigFile)
	b, _, err := s.env.talosBundle(st.DryRun())
	if err != nil {
		return err
	}
	old, err := readStateSecret(s.env, talos.KubeconfigFile)
	if err != nil {
		return err
	}
	if old != nil && talos.KubeconfigCurrent(old, b.Certs.K8s.Crt, s.env.Cluster().Talos.Endpoint, time.Now()) {
		st.Skip("kubeconfig is current (%s)", path)
		return nil
	}
	if st.DryRun() {
		st.Skip("would fetch the admin kubeconfig to %s", path)
		return nil
	}
	var data []byte
	err = s.env.talosCall(ctx, false, nil, func(ctx context.Context, c talosClient) error {
		return retry.Do(ctx, s.env.talosPolicy(st, 10*time.Minute), func(ctx context.Context) (err error) {
			data, err = c.Kubeconfig(ctx)
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("failed to fetch the kubeconfig: %w", err)
	}
	if _, err := talos.ParseKubeconfig(data); err != nil {
		return fmt.Errorf("the Talos API returned an unusable kubeconfig: %w", err)
	}
	if err := s.env.State.WriteSecretFile(talos.KubeconfigFile, data); err != nil {
		return err
	}
	st.Progress("wrote the admin kubeconfig to %s", path)
	return nil
}
