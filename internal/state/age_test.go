package state

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestEncryptSecretsWithAge(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "secrets")
	plain, _ := NewSecrets(dir, "")
	plain.Put("root-password.h1", []byte("hunter2-very-secret"))

	// Turning encryption on re-seals what is there.
	t.Setenv(EnvAgeIdentity, "")
	enc, err := NewSecrets(dir, id.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "root-password.h1"))
	if strings.Contains(string(raw), "hunter2") || !strings.Contains(string(raw), "BEGIN AGE ENCRYPTED FILE") {
		t.Fatalf("secret not encrypted at rest:\n%s", raw)
	}
	if !enc.Encrypted() {
		t.Fatal("store does not report encryption")
	}
	if _, err := enc.Get("root-password.h1"); !errors.Is(err, ErrNoIdentity) {
		t.Fatalf("without an identity: %v", err)
	}

	// A later open, without --encrypt-secrets, keeps the store encrypted and
	// reads it with the identity from the environment.
	t.Setenv(EnvAgeIdentity, id.String())
	again, err := NewSecrets(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	v, err := again.Get("root-password.h1")
	if err != nil || string(v) != "hunter2-very-secret" {
		t.Fatalf("decrypt: %q %v", v, err)
	}
	again.Put("ssh-key", []byte("PRIVATE"))
	raw, _ = os.ReadFile(filepath.Join(dir, "ssh-key"))
	if strings.Contains(string(raw), "PRIVATE") {
		t.Fatal("a new secret was written in the clear to an encrypted store")
	}

	// An identity from a file works too; a wrong one is refused clearly.
	other, _ := age.GenerateX25519Identity()
	f := filepath.Join(t.TempDir(), "key.txt")
	os.WriteFile(f, []byte(other.String()+"\n"), 0o600)
	t.Setenv(EnvAgeIdentity, "")
	t.Setenv(EnvAgeIdentityFile, f)
	wrong, _ := NewSecrets(dir, "")
	if _, err := wrong.Get("ssh-key"); err == nil || strings.Contains(err.Error(), "PRIVATE") {
		t.Fatalf("wrong identity: %v", err)
	}
	if _, err := NewSecrets(dir, "not-a-recipient"); err == nil {
		t.Fatal("a bad recipient was accepted")
	}
}
