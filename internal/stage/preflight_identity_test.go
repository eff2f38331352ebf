package stage

import (
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/tripod-dev/tripod/internal/state"
)

// TestUnreadableSecretsStoreStopsBeforeAnyOrder: an encrypted secrets store
// without an identity, or with one that is not a recipient, is refused
// before anything is ordered: the run could store the hosts' root passwords
// but never read them back. Opening the state directory already refuses
// it, so no stage runs at all.
func TestUnreadableSecretsStoreStopsBeforeAnyOrder(t *testing.T) {
	owner, _ := age.GenerateX25519Identity()
	stranger, _ := age.GenerateX25519Identity()
	for _, tc := range []struct {
		name, identity string
		want           []string
	}{
		{"no identity", "", []string{"no identity is set", state.EnvAgeIdentity, "nothing was changed"}},
		{"not a recipient", stranger.String(), []string{"the age identity in " + state.EnvAgeIdentity + " is not one of the recipients", "nothing was changed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(state.EnvAgeIdentity, tc.identity)
			t.Setenv(state.EnvAgeIdentityFile, "")
			tw := newTestWorld(t, "../../inventories/lab.yaml")
			sd, err := state.Open(filepath.Join(t.TempDir(), "state"), state.Options{Command: "test", EncryptTo: owner.Recipient().String()})
			if err == nil {
				sd.Close()
				t.Fatal("the state directory opened with an identity that cannot read back what it seals")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			if n := tw.mutations(); n != 0 {
				t.Errorf("%d mutating requests", n)
			}
		})
	}
}

// TestStoredSecretTheIdentityCannotOpen: the identity opens what the store
// seals now, but a secret already stored was sealed to another recipient:
// refused before any order, naming the secret.
func TestStoredSecretTheIdentityCannotOpen(t *testing.T) {
	old, _ := age.GenerateX25519Identity()
	current, _ := age.GenerateX25519Identity()
	dir := filepath.Join(t.TempDir(), "state")
	t.Setenv(state.EnvAgeIdentityFile, "")
	t.Setenv(state.EnvAgeIdentity, old.String())
	sd, err := state.Open(dir, state.Options{Command: "test", EncryptTo: old.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.Secrets.Put("pve-root.lab-pve-1", []byte("x")); err != nil {
		t.Fatal(err)
	}
	sd.Close()
	// The recipients file now names another key: the old secret stays
	// sealed to the old one.
	if err := state.WriteFileAtomic(filepath.Join(dir, "secrets", ".age-recipients"), []byte(current.Recipient().String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(state.EnvAgeIdentity, current.String())
	sd, err = state.Open(dir, state.Options{Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sd.Close() })
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	tw.Env.State = sd
	rep, err := runUp(tw.Env)
	checkStoppedInPreflight(t, tw, rep, err, identityTarget, "does not open the stored secrets", "pve-root.lab-pve-1 is sealed to recipients")
}
