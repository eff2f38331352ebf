package e2e

import (
	"strings"
	"testing"

	"filippo.io/age"
)

// TestPreflightCatchesWhatWouldFailLater: what can be checked before the
// first paid call is checked there. A patch every node refuses fails
// validate (exit 1, one line per node) and stops up and plan in preflight
// with zero mutating requests (it used to order three servers, install
// Proxmox, build Ceph and create six VMs, 69 mutations, before failing at
// machineconfig); so does an encrypted secrets store without an identity.
func TestPreflightCatchesWhatWouldFailLater(t *testing.T) {
	sim := startSim(t, "--profile", "realistic", "--time-scale", "0.0005")
	const bad = "testdata/invalid-machineconfig.yaml"
	const patch = "talos.patches[1]: machine config of "
	nodes := []string{"lab-cp-1", "lab-cp-2", "lab-cp-3", "lab-par-dc2-w-1", "lab-par-dc3-w-1", "lab-par-dc5-w-1"}

	r := tripod(t, sim, "validate", "-i", bad)
	if r.code != 1 || strings.Count(r.stderr, `unknown machine type "bogus"`) != len(nodes) {
		t.Fatalf("validate: exit %d, want 1 with one refusal per node:\n%s", r.code, r.stderr)
	}
	for _, n := range nodes {
		if !strings.Contains(r.stderr, bad+": "+patch+n+" (../../internal/talos/testdata/machine-type-bogus.yaml): invalid machine config: ") {
			t.Errorf("validate does not name %s and the patch:\n%s", n, r.stderr)
		}
	}
	for _, cmd := range []string{"plan", "up"} {
		r := tripod(t, sim, cmd, "-i", bad, "--state-dir", t.TempDir())
		if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "machine config of lab-par-dc5-w-1") || !strings.Contains(r.stdout+r.stderr, `unknown machine type "bogus"`) {
			t.Errorf("%s with configs every node refuses: exit %d\n%s\n%s", cmd, r.code, r.stdout, r.stderr)
		}
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	r = tripod(t, sim, "up", "-i", "../inventories/lab.yaml", "--state-dir", t.TempDir(), "--encrypt-secrets", id.Recipient().String())
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "TRIPOD_AGE_IDENTITY") {
		t.Errorf("up with an encrypted store and no identity: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if n := sim.requests().Mutating; n != 0 {
		t.Errorf("%d mutating requests before the refusals: %v", n, sim.requests().mutatingRoutes())
	}
}
