// Package s3state keeps a state directory in an S3 bucket (Scaleway Object
// Storage, or any S3-compatible store), for teams and CI: the journal one
// object per record (a record is written whole or not at all, and never
// over another, so an upload cut short cannot lose an earlier record), the
// other files one object each under files/, the secrets always sealed with
// age, and a lock object taken with a conditional write and kept by a lease
// the live run renews. A run works on a fresh working copy of the bucket in
// a temporary directory; every journal record is in the bucket before it
// returns, so an intent is durable there before the paid call is sent.
package s3state

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tripod-dev/tripod/internal/netx"
	"github.com/tripod-dev/tripod/internal/state"
)

// store is a state.Backend over a bucket.
type store struct {
	b           *bucket
	lock        *lock
	secretFiles []string
	mu          sync.Mutex
	stored      map[string]storedFile // rel -> what the bucket holds of it
}

// storedFile is what the bucket holds of a file: its hash, and the file as
// it stood when it was read, so that a Sync re-reads only files whose inode,
// size or modification time changed since (an atomic write is a new inode;
// an append changes the size).
type storedFile struct {
	sum  [32]byte
	info fs.FileInfo // nil: read it again
}

// racyWindow: a file changed this recently may change again within the
// same timestamp tick without its stat showing it (git's "racily clean"
// entries), so its stat is not trusted and it is read again next time.
const racyWindow = 100 * time.Millisecond

func (f storedFile) unchanged(info fs.FileInfo) bool {
	return f.info != nil && os.SameFile(f.info, info) && f.info.Size() == info.Size() && f.info.ModTime().Equal(info.ModTime())
}

// Open takes the lock of the remote state at raw, copies it into a fresh
// working directory and opens that as the state directory, every change to
// it stored in the bucket. The secrets are sealed with age always: to
// opts.EncryptTo, else the recipients the state records, else the recipient
// of the identity in TRIPOD_AGE_IDENTITY(_FILE).
func Open(ctx context.Context, raw string, dial *netx.Dialer, opts state.Options) (*state.Dir, error) {
	b, err := openBucket(ctx, raw, dial)
	if err != nil {
		return nil, err
	}
	l, err := acquire(ctx, b, b.loc.Prefix+lockKey, opts.Command, b.loc.Lease)
	if err != nil {
		return nil, err
	}
	s := &store{b: b, lock: l, secretFiles: opts.SecretFiles, stored: map[string]storedFile{}}
	dir, err := s.open(ctx, opts)
	if err != nil {
		l.release(context.Background())
		return nil, err
	}
	return dir, nil
}

func (s *store) open(ctx context.Context, opts state.Options) (*state.Dir, error) {
	work, err := os.MkdirTemp("", "tripod-state-")
	if err != nil {
		return nil, fmt.Errorf("failed to make a working directory for %s: %w", s.b.loc, err)
	}
	fail := func(err error) (*state.Dir, error) { os.RemoveAll(work); return nil, err }
	n, err := s.pull(ctx, work)
	if err != nil {
		return fail(err)
	}
	if n == 0 && opts.MustExist {
		return fail(fmt.Errorf("%s holds no state: nothing was built with this state (check the URL, or run up first)", s.b.loc))
	}
	if opts.EncryptTo == "" {
		if opts.EncryptTo, err = defaultRecipients(work, s.b.loc); err != nil {
			return fail(err)
		}
	}
	opts.MustExist = false
	opts.Backend = s
	d, err := state.Open(work, opts)
	if err != nil {
		return fail(err)
	}
	s.lock.mu.Lock()
	s.lock.tick = func() { s.Sync(d.Path) } // an error shows at the next record
	s.lock.mu.Unlock()
	if h := s.lock.tookOver; h != nil {
		// Told as a local lock's dead holder is: the command says so.
		d.Lock.Recovered = &state.LockOwner{PID: h.PID, Host: h.Host, Command: h.Command, Since: h.Since}
	}
	return d, nil
}

// pull copies the bucket into work and returns how many objects it held.
func (s *store) pull(ctx context.Context, work string) (int, error) {
	files, err := s.b.list(ctx, s.b.loc.Prefix+filesDir)
	if err != nil {
		return 0, err
	}
	for _, key := range files {
		rel := strings.TrimPrefix(key, s.b.loc.Prefix+filesDir)
		if !fs.ValidPath(rel) || state.LocalOnly(rel) {
			continue
		}
		data, _, err := s.b.get(ctx, key)
		if err != nil {
			return 0, err
		}
		p := filepath.Join(work, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return 0, fmt.Errorf("failed to copy %s: %w", key, err)
		}
		if err := state.WriteFileAtomic(p, data, 0o600); err != nil {
			return 0, err
		}
		s.stored[rel] = storedFile{sum: sha256.Sum256(data)}
	}
	journal, err := s.pullJournal(ctx)
	if err != nil {
		return 0, err
	}
	if err := state.WriteFileAtomic(filepath.Join(work, "journal.jsonl"), journal, 0o600); err != nil {
		return 0, err
	}
	return len(files) + bytes.Count(journal, []byte("\n")), nil
}

// pullJournal reads the journal's records in order into journal.jsonl's
// form, each one checked against the key it is stored under.
func (s *store) pullJournal(ctx context.Context) ([]byte, error) {
	keys, err := s.b.list(ctx, s.b.loc.Prefix+journalDir)
	if err != nil {
		return nil, err
	}
	sort.Strings(keys)
	var out bytes.Buffer
	for i, key := range keys {
		data, _, err := s.b.get(ctx, key)
		if err != nil {
			return nil, err
		}
		var r state.Record
		if err := json.Unmarshal(data, &r); err != nil || r.Seq != int64(i+1) || key != s.journalKey(r.Seq) {
			return nil, fmt.Errorf("journal record %s of %s is not record %d (%v): the journal has a gap or a stranger in it; move it aside to continue: tripod rediscovers servers and VMs by their ownership tags", key, s.b.loc, i+1, err)
		}
		out.Write(bytes.TrimSpace(data))
		out.WriteByte('\n')
	}
	return out.Bytes(), nil
}

func (s *store) journalKey(seq int64) string {
	return fmt.Sprintf("%s%s%012d.json", s.b.loc.Prefix, journalDir, seq)
}

// AppendJournal writes the record as a new object, one that must not
// exist: a run that lost the lock without knowing cannot overwrite the
// record of the run that took it.
func (s *store) AppendJournal(r state.Record, line []byte) error {
	if err := s.lock.check(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	key := s.journalKey(r.Seq)
	_, err := s.b.put(ctx, key, line, condNone, "")
	if isPrecondition(err) {
		// A retried put whose first answer was lost finds its own record.
		if got, _, gerr := s.b.get(ctx, key); gerr == nil && bytes.Equal(got, line) {
			return nil
		}
		return fmt.Errorf("journal record %d of %s exists already: another run wrote to this state; %w", r.Seq, s.b.loc, ErrLockLost)
	}
	if err != nil {
		return s.b.explain("store journal record", err)
	}
	return nil
}

// Sync stores the files of work that changed since the last Sync, and
// removes those gone from it. A secret in clear is refused, never stored.
// It runs before every journal record and after every write, so it reads
// only the files whose stat changed; Close reads them all.
func (s *store) Sync(work string) error { return s.sync(work, false) }

func (s *store) sync(work string, full bool) error {
	if err := s.lock.check(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	seen := map[string]bool{}
	err := filepath.WalkDir(work, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(work, p)
		rel = filepath.ToSlash(rel)
		if state.LocalOnly(rel) {
			return nil
		}
		seen[rel] = true
		info, err := e.Info()
		if err == nil {
			if old, ok := s.stored[rel]; ok && !full && old.unchanged(info) {
				return nil
			}
			var data []byte
			if data, err = os.ReadFile(p); err == nil {
				return s.store(ctx, rel, data, info)
			}
		}
		if errors.Is(err, fs.ErrNotExist) {
			delete(seen, rel) // renamed away under us
			return nil
		}
		return fmt.Errorf("failed to read %s: %w", p, err)
	})
	if err != nil {
		return err
	}
	for rel := range s.stored {
		if !seen[rel] {
			if err := s.b.remove(ctx, s.b.loc.Prefix+filesDir+rel); err != nil {
				return err
			}
			delete(s.stored, rel)
		}
	}
	return nil
}

// store puts one file's data in the bucket unless the bucket holds it
// already, and remembers the file as it stood (info, taken before the read:
// a change after it shows in the next stat).
func (s *store) store(ctx context.Context, rel string, data []byte, info fs.FileInfo) error {
	sum := sha256.Sum256(data)
	if time.Since(info.ModTime()) < racyWindow {
		info = nil
	}
	if old, ok := s.stored[rel]; ok && old.sum == sum {
		s.stored[rel] = storedFile{sum: sum, info: info}
		return nil
	}
	if state.Secret(rel, s.secretFiles) && !state.LooksSealed(data) {
		return fmt.Errorf("refusing to store %s in %s: it holds secrets and is not sealed with age", rel, s.b.loc)
	}
	if _, err := s.b.put(ctx, s.b.loc.Prefix+filesDir+rel, data, condAny, ""); err != nil {
		return s.b.explain("store "+rel, err)
	}
	s.stored[rel] = storedFile{sum: sum, info: info}
	return nil
}

// Close stores the last changes, releases the lock and removes the working
// copy.
func (s *store) Close(work string) error {
	err := s.sync(work, true)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if lerr := s.lock.release(ctx); err == nil {
		err = lerr
	}
	if rerr := os.RemoveAll(work); err == nil {
		err = rerr
	}
	return err
}
