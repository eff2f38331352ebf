package state

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/tripod-dev/tripod/internal/crashpoint"
)

// Dir is an open, locked state directory.
type Dir struct {
	Path  string
	RunID string
	// ID is the directory's identity, made once (state-id): every server
	// ordered from this directory carries it.
	ID      string
	Lock    *Lock
	Journal *Journal
	Secrets *Secrets
	// Tightened lists the modes Open found open to other users and
	// tightened (see TightenModes), for the command to warn about.
	Tightened []ModeChange
	// Backend is where the directory is kept when Path is a working copy
	// (remote state); nil for a directory that is its own home.
	Backend Backend
}

// DefaultPath is .tripod/<cluster>/ beside the inventory file.
func DefaultPath(inventoryFile, cluster string) string {
	return filepath.Join(filepath.Dir(inventoryFile), ".tripod", cluster)
}

// Options tune Open.
type Options struct {
	Command string // recorded in the lock file
	// EncryptTo are age recipients ("age1...", comma-separated) to encrypt
	// the secrets store to; empty keeps the store as it is.
	EncryptTo string
	// SecretFiles are glob patterns, relative to the state directory, of the
	// files outside secrets/ that hold secret material (see sealed.go): with
	// encryption on, a clear copy of one is sealed when the directory opens.
	SecretFiles []string
	// MustExist refuses a directory that does not exist yet (status, down).
	MustExist bool
	// Crash is told the journal's crash points (crash tests only; nil
	// ignores them).
	Crash crashpoint.Hook
	// Backend, when set, makes path a working copy of a state kept
	// elsewhere (see Backend); every journal record and file change is
	// handed to it.
	Backend Backend
}

// Open creates (0700) or opens the state directory at path, takes its lock
// and opens the journal and secrets store. An encrypted store opens only
// with an identity of its recipients, so a run that could not read back
// what it seals is refused before it does anything. Close releases
// everything.
func Open(path string, opts Options) (*Dir, error) {
	if st, err := os.Stat(path); err == nil {
		if !st.IsDir() {
			return nil, fmt.Errorf("state directory %s is a file; point --state-dir at a directory", path)
		}
	} else if errors.Is(err, fs.ErrNotExist) {
		if opts.MustExist {
			return nil, fmt.Errorf("state directory %s does not exist: nothing was built from this inventory here (or pass --state-dir)", path)
		}
		if err := os.MkdirAll(path, 0o700); err != nil {
			return nil, fmt.Errorf("failed to create state directory %s: %w", path, err)
		}
	} else {
		return nil, fmt.Errorf("cannot use state directory %s: %w", path, err)
	}
	// Before anything is read or written in it: a directory others can
	// enter exposes every file created in it from now on.
	tightened, err := TightenModes(path)
	if err != nil {
		return nil, err
	}
	lock, err := AcquireLock(path, opts.Command)
	if err != nil {
		return nil, err
	}
	id, err := loadOrCreateID(path)
	if err != nil {
		lock.Release()
		return nil, err
	}
	run := newRunID()
	j, err := OpenJournal(filepath.Join(path, "journal.jsonl"), run)
	if err != nil {
		lock.Release()
		return nil, err
	}
	j.Crash = opts.Crash
	if b := opts.Backend; b != nil {
		// Files first: a secret generated before an intent must be as
		// durable as the intent.
		j.mirror = func(r Record, line []byte) error {
			if err := b.Sync(path); err != nil {
				return err
			}
			return b.AppendJournal(r, line)
		}
	}
	sec, err := openSecrets(filepath.Join(path, "secrets"), opts.EncryptTo, path, opts.SecretFiles)
	if err != nil {
		j.Close()
		lock.Release()
		return nil, err
	}
	if opts.Backend != nil {
		sec.stored = func() error { return opts.Backend.Sync(path) }
		// What opening made (the state ID, a re-sealed store) is stored now.
		if err := opts.Backend.Sync(path); err != nil {
			j.Close()
			lock.Release()
			return nil, err
		}
	}
	return &Dir{Path: path, RunID: run, ID: id, Lock: lock, Journal: j, Secrets: sec, Tightened: tightened, Backend: opts.Backend}, nil
}

// Close closes the journal, hands the last changes to the backend (which
// releases its lock) and releases the lock.
func (d *Dir) Close() error {
	err := d.Journal.Close()
	if d.Backend != nil {
		if berr := d.Backend.Close(d.Path); err == nil {
			err = berr
		}
	}
	if lerr := d.Lock.Release(); err == nil {
		err = lerr
	}
	return err
}

// File returns the path of a file in the state directory, creating its
// parent (0700).
func (d *Dir) File(rel string) (string, error) {
	p := filepath.Join(d.Path, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", fmt.Errorf("failed to create %s: %w", filepath.Dir(p), err)
	}
	return p, nil
}

// WriteFile writes rel atomically with perm.
func (d *Dir) WriteFile(rel string, data []byte, perm os.FileMode) error {
	p, err := d.File(rel)
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(p, data, perm); err != nil {
		return err
	}
	return d.stored()
}

// stored hands what was just written to the backend, if any: a file the
// run relies on (a secret, a rendered config) is in the bucket before the
// run goes on to use it.
func (d *Dir) stored() error {
	if d.Backend == nil {
		return nil
	}
	return d.Backend.Sync(d.Path)
}

func newRunID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
