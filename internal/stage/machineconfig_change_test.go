package stage

import (
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tripod-dev/tripod/internal/inventory"
	"github.com/tripod-dev/tripod/internal/run"
)

// labWithPatches loads lab.yaml with extra talos.patches after its own.
func labWithPatches(t *testing.T, patches string) *inventory.Loaded {
	t.Helper()
	data, err := os.ReadFile("../../inventories/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const own = "    - file: ../templates/common.yaml\n"
	inv, err := inventory.LoadBytes("lab.yaml", []byte(strings.Replace(string(data), own, own+patches, 1)), "../../inventories")
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func configSHAs(tw *testWorld) map[string]string {
	out := map[string]string{}
	for _, n := range tw.World.Talos.State().Nodes {
		out[n.Address] = n.ConfigSHA256
	}
	return out
}

// checkChangedConfig changes every node's config (a label, applied live)
// and the workers' (an environment variable, which needs a reboot): plan
// lists each apply and changes nothing, up applies each and waits for the
// workers' reboot, and the run after that changes nothing.
func checkChangedConfig(t *testing.T, tw *testWorld) {
	inv := labWithPatches(t, "    - inline:\n        machine:\n          nodeLabels:\n            tier: gold\n"+
		"    - inline:\n        machine:\n          env:\n            TRIPOD_TEST: \"1\"\n      target: worker\n")
	withInv := func() *Env { e := tw.fresh(); e.Inv = inv; return e }
	shas, vms := configSHAs(tw), tw.Env.Layout().VMs
	before := tw.World.Env.Log.Snapshot()
	rep, err := tw.talosRun(withInv(), true, nil)
	mustSucceed(t, rep, err)
	after := tw.World.Env.Log.Snapshot()
	if got := stepsOf(rep, Apply, run.StatusPlanned); len(got) != len(vms) {
		t.Errorf("plan lists applies on %v, want every VM", got)
	}
	for _, s := range rep.Steps {
		if s.Key.Stage != Apply || len(s.Mutations) != 1 {
			continue
		}
		want := "resolves to NO_REBOOT"
		if strings.Contains(s.Key.Target, "-w-") {
			want = "resolves to REBOOT"
		}
		if !strings.Contains(s.Mutations[0].Detail, want) {
			t.Errorf("%s: planned %q, want it to say %q", s.Key, s.Mutations[0].Detail, want)
		}
	}
	if d := after.Mutating - before.Mutating; d != 0 {
		t.Errorf("plan made %d mutating requests: %v", d, after.MutatingRoutes())
	}
	if got := configSHAs(tw); !mapsEqual(got, shas) {
		t.Error("plan changed a node's config")
	}
	rep, err = tw.talosRun(withInv(), false, nil)
	mustSucceed(t, rep, err)
	if got := stepsOf(rep, Apply, run.StatusChanged); len(got) != len(vms) {
		t.Errorf("up applied %v, want every VM", got)
	}
	for addr, sha := range configSHAs(tw) {
		if sha == shas[addr] {
			t.Errorf("node %s still runs its old config", addr)
		}
	}
	rep, err = tw.talosRun(withInv(), false, nil)
	mustSucceed(t, rep, err)
	if m := rep.Mutations(); len(m) != 0 {
		t.Errorf("the run after the change made mutations: %v", m)
	}
}

func mapsEqual(a, b map[string]string) bool {
	ka, kb := slices.Sorted(maps.Keys(a)), slices.Sorted(maps.Keys(b))
	if !slices.Equal(ka, kb) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
