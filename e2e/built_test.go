package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLiveClusterRefusesIdentityEdits: once lab is up, an address-plan edit
// validate would otherwise accept (network.gateway inside the node range,
// which shifts a control plane) is refused by validate, plan and up, each
// naming the field, both values and every node it would move, before a
// single request is sent. A fresh state directory pointed at the same
// live cluster with another VLAN is refused too, before any change.
func TestLiveClusterRefusesIdentityEdits(t *testing.T) {
	sim := startSim(t, "--profile", "realistic", "--time-scale", "0.0005", "--seed", "7")
	dir := t.TempDir()
	if r := tripod(t, sim, "up", "-i", "../inventories/lab.yaml", "--state-dir", dir); r.code != 0 {
		t.Fatalf("up: exit %d\n%s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "built.json")); err != nil {
		t.Errorf("up recorded no cluster as built: %v", err)
	}

	gateway := editedLab(t, "  vlan: 120\n", "  vlan: 120\n  gateway: 10.20.0.52\n")
	wants := []string{
		"network.gateway: cannot change from unset (each VM's own host) to 10.20.0.52 on a live cluster",
		"lab-cp-3 from 10.20.0.52 to 10.20.0.53",
		"rebuild the cluster (tripod down, then up)",
	}
	before := sim.requests()
	for _, cmd := range []string{"validate", "plan", "up"} {
		r := tripod(t, sim, cmd, "-i", gateway, "--state-dir", dir)
		if r.code == 0 {
			t.Errorf("%s with network.gateway edited on a live cluster: exit 0", cmd)
		}
		for _, w := range wants {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", cmd, w, r.stderr)
			}
		}
	}
	if after := sim.requests(); after.Total != before.Total || after.Mutating != before.Mutating {
		t.Errorf("the refused edit sent %d requests, %d mutating: %v", after.Total-before.Total, after.Mutating-before.Mutating, after.mutatingRoutes())
	}

	// A fresh state directory knows nothing of what was built: the live
	// cluster is observed before anything is sent. Its servers carry the
	// state directory that built it, so that refusal comes first; the live
	// VLAN check (for servers from before state IDs) is the stage test
	// TestPreflightRefusesLiveVLANChange.
	vlan := editedLab(t, "vlan: 120", "vlan: 130")
	before = sim.requests()
	r := tripod(t, sim, "up", "-i", vlan, "--state-dir", t.TempDir())
	if r.code == 0 {
		t.Errorf("up from a fresh state directory with another VLAN: exit 0")
	}
	for _, w := range []string{"cluster lab is managed from another state directory", "use that one, or adopt its servers"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("fresh state directory: stderr lacks %q:\n%s", w, r.stderr)
		}
	}
	if after := sim.requests(); after.Mutating != before.Mutating {
		t.Errorf("the refused VLAN change made %d mutating requests: %v", after.Mutating-before.Mutating, after.mutatingRoutes())
	}
}

// editedLab writes lab.yaml with old replaced by new to a temporary
// directory and returns its path; its patch file still resolves.
func editedLab(t *testing.T, old, new string) string {
	t.Helper()
	data, err := os.ReadFile("../inventories/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	if !strings.Contains(s, old) {
		t.Fatalf("lab.yaml has no %q", old)
	}
	dir := t.TempDir()
	templates, err := filepath.Abs("../templates/common.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(dir, templates)
	if err != nil {
		t.Fatal(err)
	}
	s = strings.Replace(s, old, new, 1)
	s = strings.Replace(s, "file: ../templates/common.yaml", "file: "+rel, 1)
	p := filepath.Join(dir, "lab.yaml")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
