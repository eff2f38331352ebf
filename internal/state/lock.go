package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// LockOwner is what a lock holder writes into the lock file, so a second run
// can say who holds it.
type LockOwner struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

// Lock is an exclusive lock on a state directory. It is an flock(2) on the
// lock file: the kernel releases it when the holder dies, however it dies, so
// a killed run never leaves a lock that needs a manual unlock.
type Lock struct {
	f *os.File
	// Recovered is the owner of a lock left by a process that is gone, if
	// the file named one: worth telling the user about, not an error.
	Recovered *LockOwner
}

// ErrLocked is returned when another live process holds the lock.
var ErrLocked = errors.New("state directory is locked")

// LockedError names the holder of the lock.
type LockedError struct {
	Path  string
	Owner LockOwner
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s is locked by %q (pid %d on %s, since %s); wait for it to finish, or stop it",
		e.Path, e.Owner.Command, e.Owner.PID, e.Owner.Host, e.Owner.Since.Format(time.RFC3339))
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// AcquireLock takes the lock of the state directory dir without waiting.
func AcquireLock(dir, command string) (*Lock, error) {
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to open lock file: %w", err)
	}
	prev := readOwner(f)
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			owner := LockOwner{}
			if prev != nil {
				owner = *prev
			}
			return nil, &LockedError{Path: dir, Owner: owner}
		}
		return nil, fmt.Errorf("failed to lock %s: %w", path, err)
	}
	l := &Lock{f: f}
	if prev != nil && prev.PID != 0 {
		l.Recovered = prev // we got the lock, so its previous holder is gone
	}
	host, _ := os.Hostname()
	owner, _ := json.Marshal(LockOwner{PID: os.Getpid(), Host: host, Command: command, Since: time.Now().UTC()})
	if err := f.Truncate(0); err == nil {
		f.WriteAt(owner, 0)
		f.Sync()
	}
	return l, nil
}

func readOwner(f *os.File) *LockOwner {
	b := make([]byte, 4096)
	n, _ := f.ReadAt(b, 0)
	var o LockOwner
	if n == 0 || json.Unmarshal(b[:n], &o) != nil {
		return nil
	}
	return &o
}

// Release clears the owner and releases the lock.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.Truncate(0)
	err := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
