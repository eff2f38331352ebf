package stage

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A joined host's token secret lost from the state directory is the
// cluster's token again (copied, nothing sent); a lost pin of a joined
// host is re-pinned from the first host's record of it, with a warning.
func TestLostTokenAndPinOfAJoinedHostComeBackFromTheCluster(t *testing.T) {
	w := newPVEWorld(t, "../../inventories/lab.yaml")
	rep, err := w.run(w.Env, PVECluster, false)
	requirePVEClean(t, rep, err)
	secrets := filepath.Join(w.Env.State.Path, "secrets")
	if err := os.Remove(filepath.Join(secrets, secretPVEToken("lab-pve-2"))); err != nil {
		t.Fatal(err)
	}
	pin := filepath.Join(w.Env.State.Path, "pins", "lab-pve-3")
	if err := os.WriteFile(pin, []byte(strings.Repeat("AB:", 31)+"AB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	before := w.mutations()
	rep, err = w.run(w.fresh(), PVECluster, false)
	requirePVEClean(t, rep, err)
	if n := w.mutations() - before; n != 0 {
		t.Errorf("recovering made %d mutating requests: %v", n, w.World.Env.Log.Snapshot().MutatingRoutes())
	}
	cluster, _ := w.Env.State.Secrets.Get(secretPVEToken("lab-pve-1"))
	got, _ := w.Env.State.Secrets.Get(secretPVEToken("lab-pve-2"))
	if len(got) == 0 || string(got) != string(cluster) {
		t.Error("lab-pve-2 did not get the cluster's token back")
	}
	if b, _ := os.ReadFile(pin); strings.TrimSpace(string(b)) != w.World.Proxmox.Fingerprint("lab-pve-3") {
		t.Errorf("lab-pve-3 pinned %q, it serves %s", b, w.World.Proxmox.Fingerprint("lab-pve-3"))
	}
	if !slices.ContainsFunc(w.warnings(), func(m string) bool { return strings.Contains(m, "re-pinned it from lab-pve-1") }) {
		t.Errorf("no warning about the re-pin: %v", w.warnings())
	}
}
