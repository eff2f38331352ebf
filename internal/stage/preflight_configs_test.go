package stage

import (
	"context"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/run"
)

// runUp runs the whole run on env, as up does.
func runUp(env *Env) (*run.Report, error) {
	r := &run.Runner{Stages: List(env), Pools: Pools, Facts: &run.Facts{}}
	return r.Run(context.Background())
}

// checkStoppedInPreflight: the run failed at preflight/target with every
// wanted text and sent no mutating request; no server was ordered.
func checkStoppedInPreflight(t *testing.T, tw *testWorld, rep *run.Report, err error, target string, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("the run succeeded")
	}
	msg := failure(rep, run.On(Preflight, target))
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("preflight/%s: %q lacks %q", target, msg, w)
		}
	}
	if n := tw.mutations(); n != 0 {
		t.Errorf("%d mutating requests before the refusal: %v", n, tw.World.Env.Log.Snapshot().MutatingRoutes())
	}
	if got := stepsOf(rep, Servers, run.StatusBlocked); len(got) != len(tw.Env.Layout().Hosts) {
		t.Errorf("servers blocked: %v, want every host", got)
	}
}

// TestInvalidMachineConfigStopsBeforeAnyOrder: a patch that makes every
// node's config invalid is refused by preflight, for every node at once,
// naming the node, the patch and the machinery's message, before a single
// server is ordered (it used to fail at machineconfig after 69 mutations).
func TestInvalidMachineConfigStopsBeforeAnyOrder(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	tw.Env.Inv = labWithPatches(t, "    - inline:\n        machine:\n          network:\n            hostname: other\n      target: controlplane\n")
	// Preflight alone stores nothing: its bundle is a throwaway.
	rep, err := (&run.Runner{Stages: List(tw.Env), Until: Preflight}).Run(context.Background())
	if err == nil || failure(rep, run.On(Preflight, configsTarget)) == "" {
		t.Fatalf("preflight accepted the configs: %v", err)
	}
	if _, err := tw.Env.State.Secrets.Get(secretTalosBundle); err == nil {
		t.Error("the throwaway bundle of the check was stored")
	}
	rep, err = runUp(tw.Env)
	var wants []string
	for _, cp := range tw.Env.Layout().ControlPlanes() {
		wants = append(wants, "machine config of "+cp.Name+": talos.patches[1] (inline): invalid machine config: static hostname is already set in v1alpha1 config")
	}
	checkStoppedInPreflight(t, tw, rep, err, configsTarget, wants...)
	if msg := failure(rep, run.On(Preflight, configsTarget)); strings.Contains(msg, "worker") {
		t.Errorf("a control-plane patch was blamed on a worker: %s", msg)
	}
}
