package stage

import (
	"os"
	"slices"
	"testing"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
	"github.com/tripod-dev/tripod/internal/simtest"
)

// TestTalosStagesOnProd3AZ: prod-3az.yaml's twelve nodes, a DNS-named
// endpoint and a control-plane-only patch; one etcd member per AZ, zone
// labels, nothing changed by a second run, and the run summary's fact.
func TestTalosStagesOnProd3AZ(t *testing.T) {
	if testing.Short() {
		t.Skip("twelve nodes and three etcd members")
	}
	tw := newTestWorld(t, "../../inventories/prod-3az.yaml", withProfile(simcore.Instant, 0.01), onVLAN)
	facts := &run.Facts{}
	rep, err := tw.talosRunFacts(tw.Env, false, nil, facts)
	mustSucceed(t, rep, err)
	checkEtcdWithTalosconfig(t, tw)
	checkNodesWithKubeconfig(t, tw, nil)
	checkSummary(t, tw, facts)
	checkSecondRun(t, tw, simtest.MachineConfigs(t, tw.Env.State.Path))
}

func checkSummary(t *testing.T, tw *testWorld, facts *run.Facts) {
	t.Helper()
	sum, ok := TalosSummaryOf(facts)
	if !ok {
		t.Fatal("no Talos summary fact")
	}
	if sum.Endpoint != tw.Env.Cluster().Talos.Endpoint {
		t.Errorf("summary endpoint %q", sum.Endpoint)
	}
	for _, p := range []string{sum.Kubeconfig, sum.Talosconfig} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("summary path %s: %v", p, err)
		}
	}
	total := 0
	for i, az := range tw.Env.Cluster().AZs {
		nodes := sum.NodesPerAZ[az.Name]
		total += len(nodes)
		if sum.AZs[i] != az.Name || len(nodes) == 0 || !slices.ContainsFunc(nodes, func(n string) bool { return n == tw.Env.Layout().ControlPlanes()[i].Name }) {
			t.Errorf("AZ %s: nodes %v", az.Name, nodes)
		}
	}
	if total != len(tw.Env.Layout().VMs) {
		t.Errorf("summary lists %d nodes, want %d", total, len(tw.Env.Layout().VMs))
	}
}
