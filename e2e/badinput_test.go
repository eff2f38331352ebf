package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInputChangesNothing gives every command broken input, and checks
// each exits non-zero with a sentence naming the file or API and what to
// do, and that nothing remote changed.
func TestBadInputChangesNothing(t *testing.T) {
	sim := startSim(t, "--profile", "realistic", "--time-scale", "0.0005")
	inv := "../inventories/lab.yaml"
	broken := "../internal/inventory/testdata/invalid-unknown-offer.yaml"
	dir := t.TempDir()
	mutations := func() int { return sim.requests().Mutating }

	expect := func(name string, r result, wants ...string) {
		t.Helper()
		if r.code == 0 {
			t.Errorf("%s: exit 0", name)
			return
		}
		for _, w := range wants {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", name, w, r.stderr)
			}
		}
	}
	for _, cmd := range [][]string{{"validate"}, {"plan"}, {"up"}, {"status"}, {"down", "--confirm", "t1"}} {
		args := append(append([]string{}, cmd...), "-i", broken, "--state-dir", dir)
		if cmd[0] == "validate" {
			args = []string{"validate", "-i", broken}
		}
		expect(strings.Join(cmd, " ")+" with a broken inventory", tripod(t, sim, args...), "invalid-unknown-offer.yaml:25:16: azs[2].hosts[0].offer: unknown offer")
	}
	expect("status without a state directory", tripod(t, sim, "status", "-i", inv, "--state-dir", filepath.Join(dir, "nope")), "does not exist")
	file := filepath.Join(t.TempDir(), "a-file")
	os.WriteFile(file, nil, 0o600)
	expect("up with a file as state directory", tripod(t, sim, "up", "-i", inv, "--state-dir", file), "is a file")

	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "journal.jsonl"), []byte("{\"seq\":1,\"kind\":\"intent\"}\nnot json\n{\"seq\":3,\"kind\":\"done\"}\n"), 0o600)
	expect("up with a corrupted journal", tripod(t, sim, "up", "-i", inv, "--state-dir", bad), "journal", "corrupted at line 2", "move it aside")

	wrongKey := []string{}
	for _, kv := range sim.env {
		if strings.HasPrefix(kv, "SCW_SECRET_KEY=") {
			kv = "SCW_SECRET_KEY=00000000-0000-4000-8000-000000000000"
		}
		wrongKey = append(wrongKey, kv)
	}
	refused := &simProc{t: t, env: wrongKey, admin: sim.admin}
	expect("up with credentials Scaleway refuses", tripod(t, refused, "up", "-i", inv, "--state-dir", t.TempDir()), "Scaleway")

	if n := mutations(); n != 0 {
		t.Errorf("bad input led to %d mutating requests: %v", n, sim.requests().mutatingRoutes())
	}

	// A secret others can read stops the run before it is used.
	good := t.TempDir()
	if r := tripod(t, sim, "up", "-i", inv, "--state-dir", good, "--until", "os"); r.code != 0 {
		t.Fatalf("up --until os: exit %d\n%s", r.code, r.stderr)
	}
	secret := filepath.Join(good, "secrets", "pve-token.lab-pve-1")
	if err := os.Chmod(secret, 0o644); err != nil {
		t.Fatal(err)
	}
	expect("up with a world-readable secret", tripod(t, sim, "up", "-i", inv, "--state-dir", good), secret+" is mode 0644; tripod keeps secrets 0600: chmod 600 it")
	// The host whose secret was refused got nothing more; the others went on.
	var st struct {
		Proxmox struct {
			Networks map[string][]struct{ Name string } `json:"networks"`
		} `json:"proxmox"`
	}
	sim.getJSON("/state", &st)
	hasBridge := func(host string) bool {
		for _, i := range st.Proxmox.Networks[host] {
			if i.Name == "vmbr1" {
				return true
			}
		}
		return false
	}
	if hasBridge("lab-pve-1") {
		t.Error("lab-pve-1 was changed although its secret was refused")
	}
	if !hasBridge("lab-pve-2") || !hasBridge("lab-pve-3") {
		t.Error("unrelated hosts did not go on when lab-pve-1's secret was refused")
	}

	// A secret whose content is broken stops what needs it, with its name
	// (in a world of its own: the one above already has lab's servers).
	sim = startSim(t, "--profile", "realistic", "--time-scale", "0.0005")
	brokenKey := t.TempDir()
	if r := tripod(t, sim, "up", "-i", inv, "--state-dir", brokenKey, "--until", "os"); r.code != 0 {
		t.Fatalf("up --until os: exit %d\n%s", r.code, r.stderr)
	}
	os.WriteFile(filepath.Join(brokenKey, "secrets", "ssh-key"), []byte("not a key\n"), 0o600)
	created := func() int { return sim.requests().APIs["proxmox"].Routes["POST /api2/json/cluster/config"].Mutating }
	before := created()
	expect("up with a broken SSH key", tripod(t, sim, "up", "-i", inv, "--state-dir", brokenKey, "--until", "pvecluster"), "secret ssh-key is not an SSH private key")
	if created() != before {
		t.Error("a Proxmox cluster was created with a broken SSH key in the state directory")
	}
}
