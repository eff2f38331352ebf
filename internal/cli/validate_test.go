package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/siderolabs/talos/pkg/machinery/config/generate/secrets"

	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/talos"
)

// TestValidateUsesTheStoredBundle: validate checks the configs with the
// state directory's own bundle, read without a lock or a write; a store it
// cannot read (encrypted, no identity) is noted and a throwaway bundle used
// instead; a state directory that does not exist is not created.
func TestValidateUsesTheStoredBundle(t *testing.T) {
	const inv = "../../inventories/lab.yaml"
	id, _ := age.GenerateX25519Identity()
	t.Setenv(state.EnvAgeIdentityFile, "")
	t.Setenv(state.EnvAgeIdentity, id.String())
	dir := filepath.Join(t.TempDir(), "state")
	sd, err := state.Open(dir, state.Options{Command: "test", EncryptTo: id.Recipient().String()})
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := talos.NewBundle(secrets.NewClock(), "v1.13.9")
	if err == nil {
		err = sd.Secrets.Put("talos-secrets.yaml", bundle)
	}
	if err != nil {
		t.Fatal(err)
	}
	sd.Close()

	before := tree(t, dir)
	code, out, errs := runCLI(t, "validate", "-i", inv, "--state-dir", dir)
	if code != 0 || !strings.Contains(out, "6 machine configs validate") || strings.Contains(errs, "note:") {
		t.Fatalf("with the identity: code %d out %q err %q", code, out, errs)
	}
	if after := tree(t, dir); after != before {
		t.Errorf("validate changed the state directory:\n%s\nnow:\n%s", before, after)
	}
	t.Setenv(state.EnvAgeIdentity, "")
	code, out, errs = runCLI(t, "validate", "-i", inv, "--state-dir", dir)
	if code != 0 || !strings.Contains(out, "6 machine configs validate") ||
		!strings.Contains(errs, "note: machine configs checked with a throwaway secrets bundle: the stored one could not be read:") ||
		!strings.Contains(errs, state.EnvAgeIdentity) {
		t.Fatalf("without the identity: code %d out %q err %q", code, out, errs)
	}
	none := filepath.Join(t.TempDir(), "none")
	if code, _, errs := runCLI(t, "validate", "-i", inv, "--state-dir", none); code != 0 {
		t.Fatalf("without a state directory: code %d err %q", code, errs)
	}
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Errorf("validate created the state directory: %v", err)
	}
}

// tree lists every file under dir with its size, mode and modification time.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %d %v %v\n", p, fi.Size(), fi.Mode(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
