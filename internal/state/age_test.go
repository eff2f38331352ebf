package state

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

func newIdentity(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestEncryptSecretsWithAge(t *testing.T) {
	id := newIdentity(t)
	dir := filepath.Join(t.TempDir(), "secrets")
	plain, _ := NewSecrets(dir, "")
	plain.Put("root-password.h1", []byte("hunter2-very-secret"))

	// Turning encryption on re-seals what is there.
	t.Setenv(EnvAgeIdentity, id.String())
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

	// A later open, without --encrypt-secrets, keeps the store encrypted and
	// reads it with the identity from the environment.
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

	// An identity from a file works too.
	f := filepath.Join(t.TempDir(), "key.txt")
	os.WriteFile(f, []byte(id.String()+"\n"), 0o600)
	t.Setenv(EnvAgeIdentity, "")
	t.Setenv(EnvAgeIdentityFile, f)
	fromFile, err := NewSecrets(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := fromFile.Get("ssh-key"); err != nil || string(v) != "PRIVATE" {
		t.Fatalf("identity file: %q %v", v, err)
	}
	if _, err := NewSecrets(dir, "not-a-recipient"); err == nil {
		t.Fatal("a bad recipient was accepted")
	}
}

// snapshot is every file under dir with its content, to prove a refused
// open changed nothing.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() && filepath.Base(p) != "lock" && filepath.Base(p) != "journal.jsonl" {
			b, _ := os.ReadFile(p)
			out[p] = string(b)
		}
		return nil
	})
	return out
}

func sameFiles(t *testing.T, before, after map[string]string) {
	t.Helper()
	for p, b := range before {
		if after[p] != b {
			t.Errorf("%s changed", p)
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s appeared", p)
		}
	}
}

// A store that cannot be read back with the identity given is refused at
// open, with the sentence that says which identity to set, and nothing is
// written: neither a missing identity nor one of other recipients.
func TestOpenRefusesAnIdentityThatCannotReadBack(t *testing.T) {
	id, other := newIdentity(t), newIdentity(t)
	path := filepath.Join(t.TempDir(), "st")
	d, err := Open(path, Options{Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	d.Secrets.Put("root-password.h1", []byte("hunter2-very-secret"))
	d.Close()
	before := snapshot(t, path)
	for name, identity := range map[string]string{"missing": "", "wrong": other.String()} {
		t.Setenv(EnvAgeIdentity, identity)
		_, err := Open(path, Options{Command: "test", EncryptTo: id.Recipient().String()})
		want := map[string]string{"missing": "no identity is set", "wrong": "is not one of the recipients"}[name]
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), EnvAgeIdentity) || !strings.Contains(err.Error(), "nothing was changed") {
			t.Errorf("%s identity: %v", name, err)
		}
		sameFiles(t, before, snapshot(t, path))
	}
	// An encrypted store refuses the same way once recorded.
	t.Setenv(EnvAgeIdentity, id.String())
	d, err = Open(path, Options{Command: "test", EncryptTo: id.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	t.Setenv(EnvAgeIdentity, other.String())
	if _, err := Open(path, Options{Command: "test"}); err == nil || !strings.Contains(err.Error(), "is not one of the recipients") {
		t.Errorf("wrong identity on an encrypted store: %v", err)
	}
}

// Get tells why a secret cannot be used: only a secret never stored is
// ErrNoSecret.
func TestSecretErrorsSayWhy(t *testing.T) {
	id, other := newIdentity(t), newIdentity(t)
	t.Setenv(EnvAgeIdentity, id.String())
	dir := filepath.Join(t.TempDir(), "secrets")
	s, err := NewSecrets(dir, id.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	s.Put("root-password.h1", []byte("hunter2-very-secret"))
	p := filepath.Join(dir, "root-password.h1")

	os.Chmod(p, 0o644)
	_, err = s.Get("root-password.h1")
	var me *ModeError
	if want := p + " is mode 0644; tripod keeps secrets 0600: chmod 600 it if you trust its content"; err == nil || err.Error() != want || !errors.As(err, &me) {
		t.Errorf("loose mode: %v, want %q", err, want)
	}
	os.Chmod(p, 0o600)

	// A file sealed to someone else (copied from another store).
	foreign := &ageSealer{recipients: []age.Recipient{other.Recipient()}}
	b, _ := foreign.Seal([]byte("x"))
	WriteFileAtomic(p, b, 0o600)
	_, err = s.Get("root-password.h1")
	if err == nil || errors.Is(err, ErrNoSecret) || !strings.Contains(err.Error(), p+" is sealed to recipients the age identity in "+EnvAgeIdentity+" does not match") {
		t.Errorf("wrong identity: %v", err)
	}
	WriteFileAtomic(p, []byte("-----BEGIN AGE ENCRYPTED FILE-----\ngarbage\n"), 0o600)
	if _, err = s.Get("root-password.h1"); err == nil || errors.Is(err, ErrNoSecret) || !strings.Contains(err.Error(), "is not a readable age file") {
		t.Errorf("damaged: %v", err)
	}
	// A store opened without an identity (as the client-config commands
	// read one) says which to set.
	sealed, _ := s.sealer.Seal([]byte("client-key-data: K"))
	WriteFileAtomic(filepath.Join(filepath.Dir(dir), "kubeconfig.age"), sealed, 0o600)
	t.Setenv(EnvAgeIdentity, "")
	_, _, err = ReadSecretFile(filepath.Dir(dir), "kubeconfig")
	if err == nil || !strings.Contains(err.Error(), "no identity is set") {
		t.Errorf("missing identity: %v", err)
	}
}

// Changing recipients re-seals only once every sealed file opened with the
// current identity: otherwise nothing changes, and the old identity still
// opens everything, also what is sealed later.
func TestRecipientsChangeWithAWrongIdentityChangesNothing(t *testing.T) {
	old, next := newIdentity(t), newIdentity(t)
	path := filepath.Join(t.TempDir(), "st")
	t.Setenv(EnvAgeIdentity, old.String())
	d, err := Open(path, Options{Command: "test", EncryptTo: old.Recipient().String(), SecretFiles: []string{"kubeconfig"}})
	if err != nil {
		t.Fatal(err)
	}
	d.Secrets.Put("root-password.h1", []byte("hunter2-very-secret"))
	d.WriteSecretFile("kubeconfig", []byte("client-key-data: S3CRET"))
	d.Close()
	before := snapshot(t, path)

	// The new identity matches the new recipients but cannot open the store.
	t.Setenv(EnvAgeIdentity, next.String())
	if _, err := Open(path, Options{Command: "test", EncryptTo: next.Recipient().String()}); err == nil || !strings.Contains(err.Error(), "nothing was re-sealed") {
		t.Fatalf("re-seal with an identity that cannot open the store: %v", err)
	}
	sameFiles(t, before, snapshot(t, path))

	t.Setenv(EnvAgeIdentity, old.String())
	d, err = Open(path, Options{Command: "test"})
	if err != nil {
		t.Fatalf("the old identity no longer opens the store: %v", err)
	}
	d.Secrets.Put("ssh-key", []byte("PRIVATE"))
	for name, want := range map[string]string{"root-password.h1": "hunter2-very-secret", "ssh-key": "PRIVATE"} {
		if v, err := d.Secrets.Get(name); err != nil || string(v) != want {
			t.Errorf("%s: %q %v", name, v, err)
		}
	}
	d.Close()

	// With both identities the change goes through, for every sealed file.
	t.Setenv(EnvAgeIdentity, old.String()+"\n"+next.String())
	d, err = Open(path, Options{Command: "test", EncryptTo: next.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	t.Setenv(EnvAgeIdentity, next.String())
	d, err = Open(path, Options{Command: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if v, err := d.ReadSecretFile("kubeconfig"); err != nil || string(v) != "client-key-data: S3CRET" {
		t.Errorf("kubeconfig after the change: %q %v", v, err)
	}
	if v, err := d.Secrets.Get("ssh-key"); err != nil || string(v) != "PRIVATE" {
		t.Errorf("ssh-key after the change: %q %v", v, err)
	}
}

// Turning encryption on seals the clear copies of the files that hold keys
// outside secrets/, and removes them.
func TestOpenSealsClearSecretFiles(t *testing.T) {
	id := newIdentity(t)
	path := filepath.Join(t.TempDir(), "st")
	d, err := Open(path, Options{Command: "test", SecretFiles: []string{"talos/*.yaml", "kubeconfig"}})
	if err != nil {
		t.Fatal(err)
	}
	d.WriteSecretFile("talos/cp-1.yaml", []byte("key: CA-KEY-1"))
	d.WriteSecretFile("kubeconfig", []byte("client-key-data: CLIENT-KEY"))
	if _, err := os.Stat(filepath.Join(path, "kubeconfig")); err != nil {
		t.Fatalf("a clear store keeps kubeconfig at its path: %v", err)
	}
	d.Close()
	t.Setenv(EnvAgeIdentity, id.String())
	d, err = Open(path, Options{Command: "test", EncryptTo: id.Recipient().String(), SecretFiles: []string{"talos/*.yaml", "kubeconfig"}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for p, b := range snapshot(t, path) {
		if bytes.Contains([]byte(b), []byte("CA-KEY-1")) || bytes.Contains([]byte(b), []byte("CLIENT-KEY")) {
			t.Errorf("%s holds a key in clear", p)
		}
	}
	for rel, want := range map[string]string{"talos/cp-1.yaml": "key: CA-KEY-1", "kubeconfig": "client-key-data: CLIENT-KEY"} {
		if _, err := os.Stat(filepath.Join(path, rel)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the clear %s is still there: %v", rel, err)
		}
		if v, err := d.ReadSecretFile(rel); err != nil || string(v) != want {
			t.Errorf("%s: %q %v", rel, v, err)
		}
	}
	if got := d.SecretPath("kubeconfig"); got != filepath.Join(path, "kubeconfig.age") {
		t.Errorf("SecretPath = %s", got)
	}
}
