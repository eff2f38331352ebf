package drill

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SnapshotInfo is what VerifySnapshot found in an etcd snapshot.
type SnapshotInfo struct {
	Size   int64
	SHA256 string // of the whole file, as sha256sum prints it
	// Revision is the highest key revision the snapshot holds: a restore
	// from it brings the cluster back to that revision.
	Revision int64
	Keys     int // keys (all revisions) in the key bucket
}

// VerifySnapshot checks the etcd snapshot at path the way etcdutl snapshot
// restore does before it trusts one: the file ends in the SHA-256 of what
// precedes it (etcd appends it to every snapshot it streams), and what
// precedes it is a bbolt database with etcd's key and meta buckets.
func VerifySnapshot(path string) (SnapshotInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("failed to open the snapshot: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return SnapshotInfo{}, err
	}
	size := st.Size()
	// etcd's test: a database is whole pages (a multiple of 512 bytes); a
	// snapshot with its hash is that plus 32.
	if size < sha256.Size || size%512 != sha256.Size {
		return SnapshotInfo{}, fmt.Errorf("%s (%d bytes) is not an etcd snapshot with its integrity hash", path, size)
	}
	whole, body := sha256.New(), sha256.New()
	if _, err := io.CopyN(io.MultiWriter(whole, body), f, size-sha256.Size); err != nil {
		return SnapshotInfo{}, fmt.Errorf("failed to read the snapshot: %w", err)
	}
	tail := make([]byte, sha256.Size)
	if _, err := io.ReadFull(f, tail); err != nil {
		return SnapshotInfo{}, fmt.Errorf("failed to read the snapshot's hash: %w", err)
	}
	whole.Write(tail)
	if !bytes.Equal(body.Sum(nil), tail) {
		return SnapshotInfo{}, fmt.Errorf("%s: the etcd snapshot's hash does not match its content: it is damaged, take another", path)
	}
	info := SnapshotInfo{Size: size, SHA256: hex.EncodeToString(whole.Sum(nil))}
	info.Revision, info.Keys, err = snapshotRevision(path)
	return info, err
}

// snapshotRevision opens the snapshot's database read-only and reads the
// last revision of the key bucket (keys are 8-byte big-endian main
// revisions, '_', the sub revision).
func snapshotRevision(path string) (int64, int, error) {
	db, err := bolt.Open(path, 0o400, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return 0, 0, fmt.Errorf("%s is not an etcd database: %w", path, err)
	}
	defer db.Close()
	var rev int64
	keys := 0
	err = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("meta")) == nil {
			return errors.New("it has no meta bucket")
		}
		b := tx.Bucket([]byte("key"))
		if b == nil {
			return errors.New("it has no key bucket")
		}
		keys = b.Stats().KeyN
		if k, _ := b.Cursor().Last(); len(k) >= 8 {
			rev = int64(binary.BigEndian.Uint64(k[:8]))
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("%s is not an etcd snapshot: %w", path, err)
	}
	return rev, keys, nil
}
