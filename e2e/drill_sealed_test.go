package e2e

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/tripod-dev/tripod/internal/drill"
)

// TestBackupOfASealedStateStaysSealed: a backup of a state sealed with age
// copies the machine configs and the Talos secrets bundle sealed, marks
// them so in the manifest, and holds none of the state's secret values in
// clear. The etcd snapshot is left out of the scan: it is etcd's data as
// etcd streams it, 0600 but not sealed (README, "Disaster-recovery drills").
func TestBackupOfASealedStateStaysSealed(t *testing.T) {
	sim := startSim(t, "--profile", "instant", "--seed", "5")
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir, inv := t.TempDir(), "../inventories/lab.yaml"
	withID := []string{"TRIPOD_AGE_IDENTITY=" + id.String()}
	if r := tripodEnv(t, sim, withID, "up", "-i", inv, "--state-dir", dir, "--encrypt-secrets", id.Recipient().String()); r.code != 0 {
		t.Fatalf("up: exit %d\n%s", r.code, r.stderr)
	}
	if r := tripodEnv(t, sim, withID, "backup", "-i", inv, "--state-dir", dir); r.code != 0 {
		t.Fatalf("backup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	backups, _ := filepath.Glob(filepath.Join(dir, drill.BackupsDir, "2*"))
	if len(backups) != 1 {
		t.Fatalf("backups: %v, want one", backups)
	}
	var m drill.Manifest
	readJSON(t, filepath.Join(backups[0], drill.ManifestFile), &m)
	sealed := 0
	for _, f := range m.Files {
		secret := strings.HasPrefix(f.Name, "talos/") || strings.HasPrefix(f.Name, "secrets/")
		if secret && (!f.Sealed || (strings.HasPrefix(f.Name, "talos/") && !strings.HasSuffix(f.Name, ".yaml.age"))) {
			t.Errorf("%s is not recorded sealed", f.Name)
		}
		if f.Sealed {
			sealed++
		}
	}
	if sealed == 0 {
		t.Fatal("no file of the backup is sealed")
	}
	needles := sealedValues(t, dir, id)
	if len(needles) < 30 {
		t.Fatalf("found only %d secret values to look for; the test would prove nothing", len(needles))
	}
	filepath.WalkDir(backups[0], func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() || e.Name() == drill.SnapshotFile {
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
}
