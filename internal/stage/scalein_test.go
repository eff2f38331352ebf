package stage

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/sim/kube"
	"github.com/tripod-dev/tripod/internal/simtest"
	"github.com/tripod-dev/tripod/internal/talos"
)

// labWithWorkers is lab.yaml with the first AZ's (par-dc2's) workers.count
// set to n.
func labWithWorkers(t *testing.T, n int) *inventory.Loaded {
	t.Helper()
	data, err := os.ReadFile("../../inventories/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(data), "count: 1", fmt.Sprintf("count: %d", n), 1)
	l, err := inventory.LoadBytes("lab.yaml", []byte(s), "../../inventories")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// use makes the next runs read inv, as a tripod run on the edited file would.
func (tw *testWorld) use(inv *inventory.Loaded) {
	e := tw.fresh()
	e.Inv = inv
	tw.Env = e
}

// clusterView is every VM as the simulated Proxmox and Kubernetes see it:
// name -> "VMID, host, address, status, zone label" ("no node" when the
// Kubernetes API has none).
func (tw *testWorld) clusterView(t *testing.T) map[string]string {
	t.Helper()
	zones := map[string]string{}
	for name, labels := range tw.nodeLabels(t) {
		zones[name] = "zone " + labels[talos.ZoneLabel]
	}
	out := map[string]string{}
	for _, vm := range tw.World.Proxmox.State().VMs {
		z := zones[vm.Name]
		if z == "" {
			z = "no node"
		}
		out[vm.Name] = fmt.Sprintf("VMID %d on %s at %s, %s, %s", vm.VMID, vm.Node, vm.IPCIDR, vm.Status, z)
		delete(zones, vm.Name)
	}
	for name := range zones {
		out[name] = "node without a VM"
	}
	return out
}

// nodeLabels reads every node's labels through the kubeconfig up wrote.
func (tw *testWorld) nodeLabels(t *testing.T) map[string]map[string]string {
	t.Helper()
	hc, server, err := tw.Env.kubeClient()
	if err != nil {
		t.Fatal(err)
	}
	return simtest.NodeLabels(t, hc, server)
}

// mutationObjects lists a report's mutations as "verb object".
func mutationObjects(rep *run.Report) []string {
	var out []string
	for _, m := range rep.Mutations() {
		out = append(out, m.Verb+" "+m.Object)
	}
	return out
}

// checkOnly fails unless every mutation of rep concerns one of names.
func checkOnly(t *testing.T, what string, rep *run.Report, names ...string) {
	t.Helper()
	for _, m := range mutationObjects(rep) {
		if !slices.ContainsFunc(names, func(n string) bool { return strings.Contains(m, n) }) {
			t.Errorf("%s: %q concerns none of %v", what, m, names)
		}
	}
}

// converges runs up and then up again: the second run must make no
// mutating request and report no mutation.
func (tw *testWorld) converges(t *testing.T, what string) {
	t.Helper()
	if rep, err := tw.up(""); err != nil {
		t.Fatalf("%s: up: %v\n%+v", what, err, rep.Failed())
	}
	tw.Converged(t, what+": second up", func() *run.Report {
		rep, err := tw.up("")
		if err != nil {
			t.Fatalf("%s: second up: %v\n%+v", what, err, rep.Failed())
		}
		return rep
	})
}

// TestScaleOutAndInKeepsEveryOtherVM is issue 12's scenario on a live lab
// cluster: raising par-dc2's workers.count from 1 to 2 adds exactly one VM,
// in par-dc2 on lab-pve-1, and changes nothing about any other VM (VMID,
// host, address, zone label); lowering it back removes exactly that VM and
// its node (cordoned, drained of its pods, deleted), the others unchanged.
// The plan before each up lists exactly those changes and sends nothing;
// a second up after each makes no mutation.
func TestScaleOutAndInKeepsEveryOtherVM(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	tw.converges(t, "lab")
	before := tw.clusterView(t)
	if len(before) != 6 {
		t.Fatalf("lab has %d VMs, want 6: %v", len(before), before)
	}
	for _, vm := range tw.Env.Layout().VMs {
		if want := fmt.Sprintf("VMID %d on %s at %s/24, running, zone %s", vm.VMID, vm.Host, vm.Address, vm.AZ); before[vm.Name] != want {
			t.Errorf("%s: %s, want %s", vm.Name, before[vm.Name], want)
		}
	}

	const added = "lab-par-dc2-w-2"
	tw.use(labWithWorkers(t, 2))
	sent := tw.mutations()
	plan, err := tw.plan("")
	if err != nil || tw.mutations() != sent {
		t.Fatalf("plan of the scale-out: %v, %d mutating requests", err, tw.mutations()-sent)
	}
	if got := mutationObjects(plan); !slices.Contains(got, "create VM 2002 "+added+" on lab-pve-1") {
		t.Errorf("plan of the scale-out lists %v; want the creation of VM 2002 %s on lab-pve-1", got, added)
	}
	checkOnly(t, "plan of the scale-out", plan, added, "VM 2002")
	t.Logf("plan of the scale-out: %q", mutationObjects(plan))
	tw.converges(t, "scale-out")
	after := tw.clusterView(t)
	if want := "VMID 2002 on lab-pve-1 at 10.20.0.56/24, running, zone par-dc2"; after[added] != want {
		t.Errorf("new VM %s: %q, want %q", added, after[added], want)
	}
	delete(after, added)
	if !maps.Equal(after, before) {
		t.Errorf("scale-out changed other VMs:\n before %v\n after  %v", before, after)
	}

	// A workload on the worker that goes: the drain must evict it.
	k := tw.World.Talos.KubeCluster(strings.TrimPrefix(tw.Env.Cluster().Talos.Endpoint, "https://"))
	k.SetPod(kube.Pod{Namespace: "default", Name: "web-1", Node: added, OwnerKind: "ReplicaSet", OwnerName: "web-5d9"})
	tw.use(labWithWorkers(t, 1))
	sent = tw.mutations()
	plan, err = tw.plan("")
	if err != nil || tw.mutations() != sent {
		t.Fatalf("plan of the scale-in: %v, %d mutating requests", err, tw.mutations()-sent)
	}
	want := []string{"cordon node " + added, "evict pod default/web-1 from node " + added, "delete node " + added,
		"stop VM 2002 " + added + " on lab-pve-1", "delete VM 2002 " + added + " on lab-pve-1"}
	if got := mutationObjects(plan); !slices.Equal(got, want) {
		t.Errorf("plan of the scale-in lists\n %q\nwant\n %q", got, want)
	}
	tw.converges(t, "scale-in")
	if got := tw.clusterView(t); !maps.Equal(got, before) {
		t.Errorf("after the scale-in:\n %v\nwant the cluster as before the scale-out:\n %v", got, before)
	}
	for _, p := range k.Pods() {
		if p.Node == added {
			t.Errorf("pod %s/%s still on the removed node", p.Namespace, p.Name)
		}
	}
	// The node stays gone: the simulated kubelet of a deleted VM does not
	// register it again.
	time.Sleep(50 * time.Millisecond)
	if _, ok := tw.nodeLabels(t)[added]; ok {
		t.Errorf("node %s came back", added)
	}

	// Scaling out again makes a new VM with a new disk at the same address:
	// it boots into maintenance mode and is configured again.
	tw.use(labWithWorkers(t, 2))
	rep, err := tw.up("")
	if err != nil {
		t.Fatalf("second scale-out: %v\n%+v", err, rep.Failed())
	}
	if got := mutationObjects(rep); !slices.Contains(got, "apply machine config of "+added+" (10.20.0.56)") {
		t.Errorf("second scale-out made %q; want the new VM configured from maintenance mode", got)
	}
}
