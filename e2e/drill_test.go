package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/tripod-dev/tripod/internal/drill"
	"github.com/tripod-dev/tripod/internal/inventory"
)

// upLab brings the lab inventory up on a fresh simulator and returns it
// with its state directory.
func upLab(t *testing.T) (*simProc, *inventory.Loaded, string) {
	t.Helper()
	sim := startSim(t, "--profile", "instant", "--seed", "5")
	l, err := inventory.Load("../inventories/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if r := tripod(t, sim, "up", "-i", l.File, "--state-dir", dir); r.code != 0 {
		t.Fatalf("up: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	return sim, l, dir
}

// TestBackupIsAVerifiedSnapshotWithWhatARebuildNeeds: tripod backup
// writes one complete folder whose files match the manifest, 0600, with a
// snapshot etcd would restore (its appended hash matches, its database has
// etcd's buckets), uploads the same objects to S3 with the manifest last,
// and backup list shows it complete locally and in the bucket.
func TestBackupIsAVerifiedSnapshotWithWhatARebuildNeeds(t *testing.T) {
	sim, l, dir := upLab(t)
	srv, env := s3testForBackups(t)
	to := "s3://tripod-state/backups/lab?endpoint=" + srv.URL
	r := tripodEnv(t, sim, env, "backup", "-i", l.File, "--state-dir", dir, "--to", to)
	if r.code != 0 {
		t.Fatalf("backup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	entries, err := os.ReadDir(filepath.Join(dir, drill.BackupsDir))
	if err != nil || len(entries) != 1 || strings.HasPrefix(entries[0].Name(), ".") {
		t.Fatalf("backups/ holds %v (%v), want one complete folder", entries, err)
	}
	name := entries[0].Name()
	b := filepath.Join(dir, drill.BackupsDir, name)
	var m drill.Manifest
	readJSON(t, filepath.Join(b, drill.ManifestFile), &m)
	want := map[string]bool{drill.SnapshotFile: true, drill.SnapshotSumFile: true, drill.InventoryFile: true, "secrets/talos-secrets.yaml": true}
	for _, vm := range l.Layout.VMs {
		want["talos/"+vm.Name+".yaml"] = true
	}
	if m.Cluster != "lab" || m.Node == "" || len(m.Files) != len(want) {
		t.Fatalf("manifest: cluster %q node %q, %d files; want lab, a control plane, %d files", m.Cluster, m.Node, len(m.Files), len(want))
	}
	for _, f := range m.Files {
		p := filepath.Join(b, filepath.FromSlash(f.Name))
		data, err := os.ReadFile(p)
		if err != nil || !want[f.Name] {
			t.Fatalf("%s: %v (expected: %v)", f.Name, err, want[f.Name])
		}
		sum := sha256.Sum256(data)
		if int64(len(data)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("%s does not match the manifest", f.Name)
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f.Name, fi.Mode().Perm())
		}
	}
	checkEtcdSnapshot(t, filepath.Join(b, drill.SnapshotFile))
	sumLine, _ := os.ReadFile(filepath.Join(b, drill.SnapshotSumFile))
	if !strings.HasPrefix(string(sumLine), m.Files[0].SHA256+"  "+drill.SnapshotFile) {
		t.Errorf("the sha256 file says %q", sumLine)
	}
	inv, _ := os.ReadFile(l.File)
	if got, _ := os.ReadFile(filepath.Join(b, drill.InventoryFile)); !bytes.Equal(got, inv) {
		t.Error("the backed-up inventory differs from the file loaded")
	}

	// Every object was uploaded, the manifest last.
	for _, f := range append(m.Files, drill.File{Name: drill.ManifestFile}) {
		if n := srv.Count("PUT", "/tripod-state/backups/lab/"+name+"/"+f.Name); n != 1 {
			t.Errorf("%s uploaded %d times, want once", f.Name, n)
		}
	}
	for _, from := range []string{"", to} {
		args := []string{"backup", "list", "-i", l.File, "--state-dir", dir, "-o", "json"}
		if from != "" {
			args = append(args, "--from", from)
		}
		r := tripodEnv(t, sim, env, args...)
		var out struct{ Backups []drill.Backup }
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil {
			t.Fatalf("backup list %s: exit %d\n%s\n%s", from, r.code, r.stdout, r.stderr)
		}
		if len(out.Backups) != 1 || out.Backups[0].Name != name || !out.Backups[0].Complete || out.Backups[0].Size != m.Size() {
			t.Errorf("backup list %s = %+v, want %s complete with %d bytes", from, out.Backups, name, m.Size())
		}
	}
}

// checkEtcdSnapshot checks what etcdutl checks before a restore, without
// tripod's code: the last 32 bytes are the SHA-256 of the rest, which is a
// bbolt database with etcd's key and meta buckets.
func checkEtcdSnapshot(t *testing.T, p string) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil || len(data)%512 != sha256.Size {
		t.Fatalf("snapshot: %d bytes (%v), want a whole database and its hash", len(data), err)
	}
	sum := sha256.Sum256(data[:len(data)-sha256.Size])
	if !bytes.Equal(sum[:], data[len(data)-sha256.Size:]) {
		t.Fatal("the snapshot's appended hash does not match its database")
	}
	db, err := bolt.Open(p, 0o400, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("the snapshot is not a bbolt database: %v", err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		for _, b := range []string{"key", "meta", "members"} {
			if tx.Bucket([]byte(b)) == nil {
				t.Errorf("the snapshot has no %s bucket", b)
			}
		}
		return nil
	})
}

func readJSON(t *testing.T, p string, v any) {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
}
