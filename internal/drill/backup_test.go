package drill

import (
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// fakeSnapshot writes a bbolt database shaped like etcd's (meta and key
// buckets, keys at revisions 1..rev) followed by its SHA-256, as etcd
// streams a snapshot.
func fakeSnapshot(t *testing.T, rev int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "db")
	db, err := bolt.Open(p, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucket([]byte("meta")); err != nil {
			return err
		}
		b, err := tx.CreateBucket([]byte("key"))
		if err != nil {
			return err
		}
		for i := 1; i <= rev; i++ {
			k := make([]byte, 17)
			binary.BigEndian.PutUint64(k, uint64(i))
			k[8] = '_'
			if err := b.Put(k, []byte("v")); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if err := os.WriteFile(p, append(data, sum[:]...), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestVerifySnapshotReadsTheRevisionAndRefusesDamage(t *testing.T) {
	p := fakeSnapshot(t, 7)
	info, err := VerifySnapshot(p)
	if err != nil {
		t.Fatal(err)
	}
	if info.Revision != 7 || info.Keys != 7 {
		t.Errorf("revision %d, keys %d; want 7, 7", info.Revision, info.Keys)
	}
	data, _ := os.ReadFile(p)
	data[4096] ^= 0xff // a flipped byte in the database
	os.WriteFile(p, data, 0o600)
	if _, err := VerifySnapshot(p); err == nil || !strings.Contains(err.Error(), "hash does not match") {
		t.Errorf("damaged snapshot: %v, want a hash mismatch", err)
	}
	os.WriteFile(p, data[:len(data)-32], 0o600) // no hash at all
	if _, err := VerifySnapshot(p); err == nil {
		t.Error("a database without its hash passed as a snapshot")
	}
}

func TestInterruptedAndDamagedBackupsAreIncomplete(t *testing.T) {
	root := t.TempDir()
	now := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	done, err := NewWriter(root, now)
	if err != nil {
		t.Fatal(err)
	}
	done.Add("a.txt", []byte("hello"), false)
	dir, err := done.Commit(&Manifest{Cluster: "lab", Created: now})
	if err != nil {
		t.Fatal(err)
	}
	killed, _ := NewWriter(root, now.Add(time.Minute))
	killed.Add("a.txt", []byte("hello"), false) // never committed
	list, err := List(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || !list[0].Complete || list[1].Complete || !strings.Contains(list[1].Problem, "partial") {
		t.Fatalf("list = %+v, want the committed one complete and the killed one partial", list)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "a.txt")); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("hellO"), 0o600)
	if list, _ = List(root); list[0].Complete {
		t.Error("a backup whose file no longer matches its checksum is listed complete")
	}
}
