package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommandsTightenLoosenedModes: a command that opens a state directory
// left 0777, with a kubeconfig left 0666, tightens both and warns once,
// naming each path and its old mode.
func TestCommandsTightenLoosenedModes(t *testing.T) {
	startWorld(t)
	dir := t.TempDir()
	if code, _, errs := runCLI(t, "up", "-i", labInventory, "--state-dir", dir, "--until", "preflight"); code != 0 {
		t.Fatalf("up --until preflight: exit %d\n%s", code, errs)
	}
	kube := filepath.Join(dir, "kubeconfig")
	os.WriteFile(kube, []byte("apiVersion: v1\n"), 0o600)
	os.Chmod(kube, 0o666)
	os.Chmod(dir, 0o777)
	code, _, errs := runCLI(t, "up", "-i", labInventory, "--state-dir", dir, "--until", "preflight")
	for _, want := range []string{
		"warning: " + dir + " was mode 0777, open to other users; tightened it to 0700",
		"warning: " + kube + " was mode 0666, open to other users; tightened it to 0600",
	} {
		if code != 0 || !strings.Contains(errs, want) {
			t.Errorf("exit %d; want %q in:\n%s", code, want, errs)
		}
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, kube: 0o600} {
		if fi, _ := os.Stat(p); fi.Mode().Perm() != want {
			t.Errorf("%s is %04o, want %04o", p, fi.Mode().Perm(), want)
		}
	}
	if _, _, errs := runCLI(t, "up", "-i", labInventory, "--state-dir", dir, "--until", "preflight"); strings.Contains(errs, "tightened") {
		t.Errorf("the next command warned again:\n%s", errs)
	}
}
