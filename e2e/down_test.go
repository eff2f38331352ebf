package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDownDeletesOnlyTheClustersOwn: a foreign server and a foreign VM sit
// beside the lab cluster; down with a wrong --confirm and a dry run change
// nothing; down deletes the cluster's VMs; with --release-servers it
// terminates its servers; the foreign ones are never touched.
func TestDownDeletesOnlyTheClustersOwn(t *testing.T) {
	sim := startSim(t, "--profile", "realistic", "--time-scale", "0.0005", "--preload", "testdata/foreign-preload.yaml")
	dir := t.TempDir()
	inv := "../inventories/lab.yaml"
	if r := tripod(t, sim, "up", "-i", inv, "--state-dir", dir); r.code != 0 {
		t.Fatalf("up: exit %d\n%s", r.code, r.stderr)
	}
	base := sim.requests().Mutating
	if r := tripod(t, sim, "down", "-i", inv, "--state-dir", dir, "--confirm", "prod", "--release-servers"); r.code != 1 {
		t.Fatalf("down with the wrong --confirm: exit %d", r.code)
	}
	r := tripod(t, sim, "down", "-i", inv, "--state-dir", dir, "--confirm", "lab", "--release-servers", "--dry-run", "-o", "json")
	if r.code != 0 {
		t.Fatalf("dry run: exit %d\n%s", r.code, r.stderr)
	}
	var planned []struct {
		Mutations []struct{ Verb, Object string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &planned); err != nil {
		t.Fatalf("dry run output: %v\n%s", err, r.stdout)
	}
	deletions := 0
	for _, p := range planned {
		for _, m := range p.Mutations {
			if strings.Contains(m.Object, "legacy-db") || strings.Contains(m.Object, "someone-else") {
				t.Errorf("dry run would touch a foreign resource: %s %s", m.Verb, m.Object)
			}
			if m.Verb == "delete" || m.Verb == "terminate" {
				deletions++
			}
		}
	}
	if deletions != 6+3 {
		t.Errorf("dry run lists %d deletions, want 6 VMs and 3 servers", deletions)
	}
	if got := sim.requests().Mutating; got != base {
		t.Fatalf("a refused and a dry-run down sent %d mutating requests", got-base)
	}
	if r := tripod(t, sim, "down", "-i", inv, "--state-dir", dir, "--confirm", "lab", "--release-servers"); r.code != 0 {
		t.Fatalf("down: exit %d\n%s", r.code, r.stderr)
	}
	var st worldState
	sim.getJSON("/state", &st)
	for _, vm := range st.Proxmox.VMs {
		if vm.Name != "legacy-db" {
			t.Errorf("VM %s survived down", vm.Name)
		}
	}
	foreign := false
	for _, s := range st.Scaleway.Servers {
		if s.Hostname == "someone-else" {
			foreign = s.Status == "ready"
			continue
		}
		if s.Status == "ready" {
			t.Errorf("server %s (%s) of the cluster is still ready", s.ID, s.Hostname)
		}
	}
	if !foreign {
		t.Error("the foreign server is gone or not ready")
	}
}
