package stage

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/tripod-dev/tripod/internal/run"
	"github.com/tripod-dev/tripod/internal/simtest"
	"github.com/tripod-dev/tripod/internal/state"
	"github.com/tripod-dev/tripod/internal/talos"
)

// sealWorld reopens tw's state directory sealed to a new age identity, as
// tripod up --encrypt-secrets with TRIPOD_AGE_IDENTITY set does, and
// returns the identity.
func sealWorld(t *testing.T, tw *testWorld) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(state.EnvAgeIdentity, id.String())
	path := tw.Env.State.Path
	tw.Env.State.Close()
	sd, err := state.Open(path, state.Options{Command: "test", EncryptTo: id.Recipient().String(), SecretFiles: talos.SecretFiles})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sd.Close() })
	tw.Env.State = sd
	return id
}

// TestEncryptedLabRunKeepsNoSecretInClear brings lab up with the store
// sealed and then reads every file of the state directory: none holds a
// key or token of the Talos bundle, of a machine config, of the
// talosconfig or of the kubeconfig, or a host secret, in clear. The sealed
// files open with the identity, and a second run changes nothing.
func TestEncryptedLabRunKeepsNoSecretInClear(t *testing.T) {
	tw := newTestWorld(t, "../../inventories/lab.yaml")
	sealWorld(t, tw)
	rep, err := tw.up("")
	requireClean(t, rep, err)

	needles := sealedNeedles(t, tw.Env)
	if len(needles) < 20 {
		t.Fatalf("only %d secrets to look for: the scan would prove nothing", len(needles))
	}
	files := 0
	filepath.WalkDir(tw.Env.State.Path, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(tw.Env.State.Path, p)
		for what, s := range needles {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds the %s in clear", rel, what)
			}
		}
		return nil
	})
	for _, rel := range secretFilesOf(tw.Env) {
		if _, err := os.Stat(filepath.Join(tw.Env.State.Path, rel)); err == nil {
			t.Errorf("%s is in clear beside %s.age", rel, rel)
		}
		simtest.ReadPrivate(t, tw.Env.State.SecretPath(rel))
	}
	t.Logf("scanned %d files for %d secrets", files, len(needles))

	before := tw.mutations()
	rep, err = (&run.Runner{Stages: List(tw.fresh()), Pools: Pools}).Run(t.Context())
	requireClean(t, rep, err)
	if tw.mutations() != before {
		t.Errorf("the second run made %d mutating requests", tw.mutations()-before)
	}
	for _, s := range rep.Steps {
		if s.Key.Stage == MachineConfig && s.Status != run.StatusUnchanged {
			t.Errorf("%s: %s (%s)", s.Key, s.Status, s.Reason)
		}
	}
}

// secretFilesOf are the files outside secrets/ that hold keys.
func secretFilesOf(env *Env) []string {
	out := []string{talos.TalosconfigFile, talos.KubeconfigFile}
	for _, vm := range env.Layout().VMs {
		out = append(out, talos.ConfigFile(vm.Name))
	}
	return out
}

// sealedNeedles are every secret a lab run keeps, read through the store:
// the bundle's keys and tokens (as PEM lines and as the base64 configs
// carry them), every secret value of the machine configs, the talosconfig
// and the kubeconfig, and the hosts' secrets.
func sealedNeedles(t *testing.T, env *Env) map[string]string {
	t.Helper()
	out := bundleNeedles(t, env)
	data, err := env.State.Secrets.Get(secretTalosBundle)
	if err != nil {
		t.Fatal(err)
	}
	b, err := talos.LoadBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string][]byte{"OS CA key": b.Certs.OS.Key, "Kubernetes CA key": b.Certs.K8s.Key, "etcd CA key": b.Certs.Etcd.Key,
		"aggregator CA key": b.Certs.K8sAggregator.Key, "service account key": b.Certs.K8sServiceAccount.Key} {
		out[name+" (base64)"] = base64.StdEncoding.EncodeToString(key)[:40]
	}
	out["cluster ID"] = b.Cluster.ID
	for _, rel := range secretFilesOf(env) {
		plain, err := env.State.ReadSecretFile(rel)
		if errors.Is(err, fs.ErrNotExist) { // written in clear: still scan for it
			plain, err = os.ReadFile(filepath.Join(env.State.Path, rel))
		}
		if err != nil {
			t.Fatalf("%s does not open: %v", rel, err)
		}
		for what, s := range yamlSecrets(t, plain) {
			if len(s) >= 8 {
				out[rel+" "+what] = s
			}
		}
	}
	names := []string{secretSSHKey}
	for _, h := range env.Layout().Hosts {
		names = append(names, secretRootPassword(h.Name), secretPVEToken(h.Name))
	}
	for _, name := range names {
		v, err := env.State.Secrets.Get(name)
		if err != nil {
			t.Fatalf("secret %s: %v", name, err)
		}
		for i, line := range strings.Split(strings.TrimSpace(string(v)), "\n") {
			if !strings.HasPrefix(line, "-----") && len(line) >= 12 {
				out[name+" line "+string(rune('0'+i%10))] = line
			}
		}
	}
	maps.DeleteFunc(out, func(_, v string) bool { return len(v) < 8 }) // an empty value (aescbc off) matches anything
	return out
}

// TestUnreadableRootPasswordIsNotMissing: a host already runs Proxmox VE
// and its root password is in the store but cannot be used (others can
// read the file; it is sealed to someone else). The run says exactly that,
// never that tripod holds no password or that the server should be
// reinstalled, and sends nothing.
func TestUnreadableRootPasswordIsNotMissing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		seal  bool
		spoil func(t *testing.T, path string)
		want  string
	}{
		{"mode 0644", false, func(t *testing.T, p string) { os.Chmod(p, 0o644) },
			" is mode 0644; tripod keeps secrets 0600: chmod 600 it if you trust its content"},
		{"sealed to another identity", true, func(t *testing.T, p string) {
			other, _ := age.GenerateX25519Identity()
			var buf bytes.Buffer
			aw := armor.NewWriter(&buf)
			w, _ := age.Encrypt(aw, other.Recipient())
			w.Write([]byte("not-for-you"))
			w.Close()
			aw.Close()
			if err := state.WriteFileAtomic(p, buf.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
		}, " is sealed to recipients the age identity in " + state.EnvAgeIdentity + " does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tw := newTestWorld(t, "../../inventories/lab.yaml")
			if tc.seal {
				sealWorld(t, tw)
			}
			rep, err := tw.runScw(tw.Env, OS, false)
			requireClean(t, rep, err)
			path := filepath.Join(tw.Env.State.Path, "secrets", secretRootPassword("lab-pve-1"))
			tc.spoil(t, path)
			before := tw.mutations()
			rep, err = tw.runScw(tw.fresh(), OS, false)
			if err == nil {
				t.Fatal("the run used a root password it cannot trust")
			}
			// The host's os step, or preflight's check of the store when
			// the secret cannot be opened at all, says why; everything
			// else only waits on it.
			var got string
			for _, s := range rep.Failed() {
				msg := errString(s.Err)
				switch {
				case s.Key == (run.Key{Stage: OS, Target: "lab-pve-1"}) && !strings.HasPrefix(msg, "needs "),
					s.Key == (run.Key{Stage: Preflight, Target: identityTarget}):
					got = msg
				case strings.HasPrefix(msg, "needs "):
				default:
					t.Errorf("%s failed too: %v", s.Key, s.Err)
				}
				if strings.Contains(msg, "reinstall") || strings.Contains(msg, "holds no root password") {
					t.Errorf("%s: reinstall advice: %q", s.Key, msg)
				}
			}
			if !strings.Contains(got, path+tc.want) {
				t.Errorf("lab-pve-1: %q, want %q", got, path+tc.want)
			}
			if tw.mutations() != before {
				t.Errorf("the run made %d mutating requests", tw.mutations()-before)
			}
		})
	}
}
