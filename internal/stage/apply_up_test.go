package stage

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/sim/simcore"
	"github.com/tripod-dev/tripod/internal/simtest"
	"github.com/tripod-dev/tripod/internal/talos"
)

const bootstrapRoute = "/machine.MachineService/Bootstrap"
const applyRoute = "/machine.MachineService/ApplyConfiguration"

// TestTalosStagesOnLab brings lab.yaml's VMs to a healthy cluster through
// machineconfig, apply, bootstrap and health, then checks the cluster with
// the files the run wrote, and that runs after it change nothing unless the
// inventory changed. One world serves every subtest: etcd is heavy.
func TestTalosStagesOnLab(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml", withProfile(simcore.Instant, 0.01), onVLAN)
	events := &eventLog{}
	rep, err := tw.talosRun(tw.Env, false, events)
	mustSucceed(t, rep, err)
	configs := simtest.MachineConfigs(t, tw.Env.State.Path)
	if got := stepsOf(rep, Apply, run.StatusChanged); len(got) != len(tw.Env.Layout().VMs) {
		t.Errorf("applied %v, want every VM", got)
	}
	t.Run("etcd through the talosconfig", func(t *testing.T) { checkEtcdWithTalosconfig(t, tw) })
	t.Run("nodes through the kubeconfig", func(t *testing.T) { checkNodesWithKubeconfig(t, tw, nil) })
	t.Run("secrets never in events or errors", func(t *testing.T) { checkNoSecrets(t, tw, events.text()+reportErrors(rep)) })
	t.Run("second run changes nothing", func(t *testing.T) { checkSecondRun(t, tw, configs) })
	t.Run("plan of a converged cluster lists nothing", func(t *testing.T) {
		rep, err := tw.talosRun(tw.fresh(), true, nil)
		mustSucceed(t, rep, err)
		if m := rep.Mutations(); len(m) != 0 {
			t.Errorf("plan lists %v", m)
		}
		for _, s := range rep.Steps {
			if s.Status != run.StatusUnchanged {
				t.Errorf("%s: %s (%s)", s.Key, s.Status, s.Reason)
			}
		}
	})
	t.Run("changed config is planned then applied", func(t *testing.T) { checkChangedConfig(t, tw) })
}

func checkEtcdWithTalosconfig(t *testing.T, tw *testWorld) {
	tc := simtest.Talosconfig(t, tw.Env.State.Path)
	cps := tw.Env.Layout().ControlPlanes()
	var want []string
	for _, cp := range cps {
		want = append(want, cp.Name)
	}
	if eps := tc.Contexts[tc.Context].Endpoints; !slices.Equal(eps, talos.ControlPlaneEndpoints(tw.Env.Layout())) || len(eps) != len(cps) {
		t.Errorf("talosconfig endpoints %v, want every control plane", eps)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := talos.Secure(ctx, tw.Env.Dialer.DialContext, tc)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := c.EtcdMemberList(client.WithNode(ctx, cps[0].Address.String()), &machine.EtcdMemberListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range resp.GetMessages()[0].GetMembers() {
		if m.GetIsLearner() {
			t.Errorf("member %s is still a learner", m.GetHostname())
		}
		got = append(got, m.GetHostname())
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("etcd members %v, want one per control plane %v", got, want)
	}
}

// checkNodesWithKubeconfig lists the nodes with the written kubeconfig and
// checks each carries its zone label (and extra labels, when given).
func checkNodesWithKubeconfig(t *testing.T, tw *testWorld, extra map[string]string) {
	k := simtest.Kubeconfig(t, simtest.ReadPrivate(t, filepath.Join(tw.Env.State.Path, talos.KubeconfigFile)))
	if k.Server != tw.Env.Cluster().Talos.Endpoint {
		t.Errorf("kubeconfig server %s, want %s", k.Server, tw.Env.Cluster().Talos.Endpoint)
	}
	labels := simtest.NodeLabels(t, simtest.KubeClient(t, tw.Env.Dialer, k, 10*time.Second), k.Server)
	for _, vm := range tw.Env.Layout().VMs {
		l := labels[vm.Name]
		if l[talos.ZoneLabel] != vm.AZ || l[talos.RegionLabel] != tw.Env.Cluster().Scaleway.Region {
			t.Errorf("node %s labels %v, want zone %s", vm.Name, l, vm.AZ)
		}
		for k, v := range extra {
			if l[k] != v {
				t.Errorf("node %s: label %s=%q, want %q", vm.Name, k, l[k], v)
			}
		}
	}
}

func checkSecondRun(t *testing.T, tw *testWorld, configs map[string][]byte) {
	nodesBefore := tw.World.Talos.State().Nodes
	// apply compares configs with a dry-run ApplyConfiguration, which the
	// simulator, like a node, counts as a read.
	rep, _ := tw.Converged(t, "second run", func() *run.Report {
		rep, err := tw.talosRun(tw.fresh(), false, nil)
		mustSucceed(t, rep, err)
		return rep
	})
	after := tw.World.Env.Log.Snapshot()
	if nodesAfter := tw.World.Talos.State().Nodes; !slices.Equal(nodesBefore, nodesAfter) {
		t.Errorf("node state changed:\n%+v\n%+v", nodesBefore, nodesAfter)
	}
	if r := after.APIs[simcore.APITalos].Routes[bootstrapRoute]; r == nil || r.Total != 1 || r.Statuses["OK"] != 1 {
		t.Errorf("Bootstrap across both runs: %+v, want exactly one call", r)
	}
	if again := simtest.MachineConfigs(t, tw.Env.State.Path); !maps.EqualFunc(configs, again, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Error("configs of the second run differ from the first")
	}
	if got := stepsOf(rep, Apply, run.StatusUnchanged); len(got) != len(tw.Env.Layout().VMs) {
		t.Errorf("unchanged applies %v, want every VM", got)
	}
}
