package talos

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A snapshot from etcd's Snapshot API is the bbolt database followed by
// its SHA-256; a database file copied from a data directory has no hash.
// etcdutl tells them apart by size: pages are 512-byte aligned.
func snapshotDB(data []byte, skipHashCheck bool) ([]byte, error) {
	if len(data)%512 == sha256.Size {
		db, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
		if got := sha256.Sum256(db); !bytes.Equal(got[:], sum) && !skipHashCheck {
			return nil, fmt.Errorf("expected sha256 %x, got %x", sum, got)
		}
		return db, nil
	}
	if !skipHashCheck {
		return nil, errors.New("snapshot missing hash but --skip-hash-check=false")
	}
	return data, nil
}

// checkSnapshot is what Bootstrap with recover_etcd verifies before it
// starts: an uploaded snapshot that etcd could restore.
func checkSnapshot(path string, skipHashCheck bool) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return status.Error(codes.FailedPrecondition, "no etcd snapshot was uploaded with EtcdRecover")
	}
	if err != nil {
		return err
	}
	if _, err := snapshotDB(data, skipHashCheck); err != nil {
		return status.Errorf(codes.InvalidArgument, "error recovering etcd from snapshot: %v", err)
	}
	return nil
}

// restoreSnapshot loads a snapshot's keys into a freshly bootstrapped
// member. Where etcdutl would rebuild the member's WAL around the database,
// the simulator replays the latest value of every live key: the data comes
// back, revisions and leases start afresh.
func restoreSnapshot(ctx context.Context, cli *clientv3.Client, path string, skipHashCheck bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	db, err := snapshotDB(data, skipHashCheck)
	if err != nil {
		return err
	}
	kvs, err := latestKeys(path+".db", db)
	if err != nil {
		return err
	}
	var ops []clientv3.Op
	for _, kv := range kvs {
		ops = append(ops, clientv3.OpPut(string(kv.Key), string(kv.Value)))
		if len(ops) == 100 {
			if _, err := cli.Txn(ctx).Then(ops...).Commit(); err != nil {
				return err
			}
			ops = nil
		}
	}
	if len(ops) > 0 {
		_, err = cli.Txn(ctx).Then(ops...).Commit()
	}
	return err
}

// latestKeys reads the MVCC key bucket of a snapshot database, revision by
// revision, and keeps each key's last version unless it was deleted.
func latestKeys(tmp string, db []byte) ([]*mvccpb.KeyValue, error) {
	if err := os.WriteFile(tmp, db, 0o600); err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	b, err := bolt.Open(tmp, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("snapshot is not an etcd database: %w", err)
	}
	defer b.Close()
	latest := map[string]*mvccpb.KeyValue{}
	var order []string
	err = b.View(func(tx *bolt.Tx) error {
		bucket := tx.Bucket([]byte("key"))
		if bucket == nil {
			return errors.New("snapshot has no key bucket")
		}
		return bucket.ForEach(func(rev, v []byte) error {
			kv := &mvccpb.KeyValue{}
			if err := kv.Unmarshal(v); err != nil {
				return err
			}
			k := string(kv.Key)
			if _, seen := latest[k]; !seen {
				order = append(order, k)
			}
			// A revision key of 18 bytes ending in 't' marks a deletion.
			if len(rev) == 18 && rev[17] == 't' {
				latest[k] = nil
			} else {
				latest[k] = kv
			}
			return nil
		})
	})
	var out []*mvccpb.KeyValue
	for _, k := range order {
		if kv := latest[k]; kv != nil {
			out = append(out, kv)
		}
	}
	return out, err
}
