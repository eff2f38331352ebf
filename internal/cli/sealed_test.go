package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/talos"
)

// A first encrypted run whose identity is missing, or is not one of the
// recipients, is refused before the runner starts: it would order servers
// and then fail on the first secret it reads back. Nothing is journaled
// (no intent to order), nothing is sealed.
func TestEncryptedUpWithoutAMatchingIdentityOrdersNothing(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	for name, tc := range map[string]struct{ identity, want string }{
		"missing": {"", "no identity is set"},
		"wrong":   {other.String(), "is not one of the recipients"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(state.EnvAgeIdentity, tc.identity)
			t.Setenv(state.EnvAgeIdentityFile, "")
			dir := t.TempDir()
			code, _, errs := runCLI(t, "up", "-i", labInventory, "--state-dir", dir, "--sim", "--until", "servers", "--encrypt-secrets", id.Recipient().String())
			if code != 1 || !strings.Contains(errs, tc.want) || !strings.Contains(errs, state.EnvAgeIdentity) {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if j, _ := os.ReadFile(filepath.Join(dir, "journal.jsonl")); len(bytes.TrimSpace(j)) != 0 {
				t.Errorf("the refused run journaled:\n%s", j)
			}
			if _, err := os.Stat(filepath.Join(dir, "secrets", ".age-recipients")); err == nil {
				t.Error("the refused run recorded the recipients")
			}
		})
	}
}

// With the store sealed, kubeconfig and talosconfig hand out the clear
// config only on request (--out FILE, --out -, --merge), and say how when
// asked for a path; without the identity they say which to set.
func TestClientConfigsOpenSealedFiles(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	t.Setenv(state.EnvAgeIdentity, id.String())
	stateDir, home := t.TempDir(), t.TempDir()
	d, err := state.Open(stateDir, state.Options{Command: "test", EncryptTo: id.Recipient().String(), SecretFiles: talos.SecretFiles})
	if err != nil {
		t.Fatal(err)
	}
	kc := fakeKubeconfig("https://10.20.0.10:6443")
	d.WriteSecretFile(talos.KubeconfigFile, kc)
	d.Close()
	kube := filepath.Join(home, "kube", "config")
	t.Setenv("KUBECONFIG", kube)
	var out, errb bytes.Buffer
	s := Streams{In: strings.NewReader(""), Out: &out, Err: &errb}
	sealed := filepath.Join(stateDir, "kubeconfig.age")

	err = runCommand(t, newKubeconfigCommand(s), &out, &errb, "-i", labInventory, "--state-dir", stateDir)
	if want := sealed + " is sealed with age: pass --out FILE to write it in clear, --out - to print it, or --merge"; err == nil || err.Error() != want {
		t.Errorf("path of a sealed kubeconfig: %v", err)
	}
	if err := runCommand(t, newKubeconfigCommand(s), &out, &errb, "-i", labInventory, "--state-dir", stateDir, "--out", "-"); err != nil || out.String() != string(kc) {
		t.Errorf("--out -: %v\n%s", err, out.String())
	}
	to := filepath.Join(home, "kc")
	if err := runCommand(t, newKubeconfigCommand(s), &out, &errb, "-i", labInventory, "--state-dir", stateDir, "--out", to); err != nil || strings.TrimSpace(out.String()) != to {
		t.Errorf("--out FILE: %v %q", err, out.String())
	}
	if b, err := os.ReadFile(to); err != nil || !bytes.Equal(b, kc) {
		t.Errorf("--out wrote %q %v", b, err)
	}
	if fi, _ := os.Stat(to); fi == nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("--out FILE is not 0600: %v", fi)
	}
	if err := runCommand(t, newKubeconfigCommand(s), &out, &errb, "-i", labInventory, "--state-dir", stateDir, "--merge"); err != nil {
		t.Errorf("--merge: %v", err)
	}
	if b, _ := os.ReadFile(kube); !bytes.Contains(b, []byte("https://10.20.0.10:6443")) {
		t.Errorf("--merge wrote %s", b)
	}

	t.Setenv(state.EnvAgeIdentity, "")
	err = runCommand(t, newKubeconfigCommand(s), &out, &errb, "-i", labInventory, "--state-dir", stateDir, "--out", "-")
	if err == nil || !strings.Contains(err.Error(), sealed+" is sealed with age and no identity is set: set "+state.EnvAgeIdentity) || out.Len() != 0 {
		t.Errorf("without an identity: %v %q", err, out.String())
	}
	err = runCommand(t, newTalosconfigCommand(s), &out, &errb, "-i", labInventory, "--state-dir", stateDir, "--out", "-")
	if err == nil || !strings.Contains(err.Error(), "no talosconfig at "+filepath.Join(stateDir, "talosconfig.age")+" yet") {
		t.Errorf("talosconfig not written yet: %v", err)
	}
}
