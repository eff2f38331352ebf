package e2e

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// TestEncryptedRunSealsEverySecret runs lab with --encrypt-secrets: first
// without the identity (refused before any mutating request), then with it.
// Every secret the run keeps (the store's files, the bundle's keys and
// tokens, the machine configs' secrets, the client configs' keys), opened
// with the identity, is then looked for in every file of the state
// directory: none may be there in clear. tripod kubeconfig hands the
// kubeconfig out only on request.
func TestEncryptedRunSealsEverySecret(t *testing.T) {
	sim := startSim(t, "--profile", "realistic", "--time-scale", "0.0005")
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	inv := "../inventories/lab.yaml"
	up := []string{"up", "-i", inv, "--state-dir", dir, "--encrypt-secrets", id.Recipient().String()}
	r := tripod(t, sim, up...)
	if m := sim.requests().mutatingRoutes(); len(m) != 0 {
		t.Fatalf("up without an identity sent %v before it failed", m)
	}
	if r.code != 1 || !strings.Contains(r.stderr, "no identity is set") {
		t.Fatalf("up without an identity: exit %d\n%s", r.code, r.stderr)
	}
	withID := []string{"TRIPOD_AGE_IDENTITY=" + id.String()}
	if r := tripodEnv(t, sim, withID, up...); r.code != 0 {
		t.Fatalf("up: exit %d\n%s", r.code, r.stderr)
	}

	needles := sealedValues(t, dir, id)
	if len(needles) < 30 {
		t.Fatalf("found only %d secret values to look for; the test would prove nothing", len(needles))
	}
	t.Logf("looking for %d secret values", len(needles))
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		b, _ := os.ReadFile(p)
		for name, v := range needles {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%s holds %s in clear", p, name)
			}
		}
		return nil
	})
	for _, rel := range []string{"kubeconfig", "talosconfig", "talos/lab-cp-1.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, rel)); err == nil {
			t.Errorf("%s is in clear", rel)
		}
	}

	kc := []string{"kubeconfig", "-i", inv, "--state-dir", dir}
	if r := tripodEnv(t, nil, withID, kc...); r.code != 1 || !strings.Contains(r.stderr, "kubeconfig.age is sealed with age: pass --out FILE") {
		t.Errorf("kubeconfig path of a sealed store: exit %d %q", r.code, r.stderr)
	}
	if r := tripodEnv(t, nil, withID, append(kc, "--out", "-")...); r.code != 0 || !strings.Contains(r.stdout, "client-key-data") {
		t.Errorf("kubeconfig --out -: exit %d %q", r.code, r.stderr)
	}
}

// sealedValues opens every sealed file of dir with id and gathers the
// secret values it holds, as secretValues does for a clear store.
func sealedValues(t *testing.T, dir string, id age.Identity) map[string]string {
	t.Helper()
	mirror := t.TempDir()
	os.MkdirAll(filepath.Join(mirror, "secrets"), 0o700)
	var clientAndConfigs []byte
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		b, _ := os.ReadFile(p)
		if !bytes.HasPrefix(b, []byte(armor.Header)) {
			return nil
		}
		rd, err := age.Decrypt(armor.NewReader(bytes.NewReader(b)), id)
		if err != nil {
			t.Fatalf("%s does not open with the identity: %v", p, err)
		}
		plain, _ := io.ReadAll(rd)
		if filepath.Base(filepath.Dir(p)) == "secrets" {
			os.WriteFile(filepath.Join(mirror, "secrets", filepath.Base(p)), plain, 0o600)
		} else {
			clientAndConfigs = append(append(clientAndConfigs, plain...), '\n')
		}
		return nil
	})
	out := secretValues(t, mirror)
	for i, m := range secretField.FindAllStringSubmatch(string(clientAndConfigs), -1) {
		out[fmt.Sprintf("config value %d (%s)", i, m[1])] = m[2]
	}
	for i, line := range strings.Split(string(clientAndConfigs), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "client-key-data: "); ok && k == "" && len(v) > 16 {
			out[fmt.Sprintf("kubeconfig client key (line %d)", i)] = v
		}
	}
	return out
}
