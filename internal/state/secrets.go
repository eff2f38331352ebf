package state

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"
)

// Sealer encrypts secrets at rest. The default stores them as they are
// (0600 files in a 0700 directory).
type Sealer interface {
	Seal(plain []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

type plainSealer struct{}

func (plainSealer) Seal(b []byte) ([]byte, error) { return b, nil }
func (plainSealer) Open(b []byte) ([]byte, error) { return b, nil }

// Secrets is the secrets store: one file per secret under secrets/. Values
// never appear in errors; names do.
type Secrets struct {
	dir    string
	sealer Sealer
	// locks holds one mutex per secret name (*sync.Mutex): generating one
	// secret (a Talos bundle takes a while) never holds up another.
	locks sync.Map
	// stored, when set, hands a written secret on to a Backend.
	stored func() error
}

// ErrNoSecret is returned by Get for a secret that was never stored.
var ErrNoSecret = errors.New("no such secret")

var secretNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}$`)

// NewSecrets opens the store in dir (created 0700). recipients, if not
// empty, are age recipients to encrypt the store to from now on (see age.go);
// a store already encrypted stays encrypted to the recipients it records.
// An encrypted store opens only with an identity of its recipients; a change
// of recipients re-seals every secret once all of them opened, and changes
// nothing otherwise.
func NewSecrets(dir, recipients string) (*Secrets, error) {
	return openSecrets(dir, recipients, "", nil)
}

func openSecrets(dir, recipients, root string, secretFiles []string) (*Secrets, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create secrets directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to protect secrets directory: %w", err)
	}
	sealer, changed, want, err := storeSealer(dir, recipients)
	if err != nil {
		return nil, err
	}
	s := &Secrets{dir: dir, sealer: sealer}
	a, ok := sealer.(*ageSealer)
	if !ok {
		return s, nil
	}
	if err := a.checkIdentity(dir); err != nil {
		return nil, err
	}
	if err := s.sealFiles(a, changed, root, secretFiles); err != nil {
		return nil, err
	}
	if changed {
		if err := WriteFileAtomic(filepath.Join(dir, recipientsFile), []byte(want+"\n"), 0o600); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Encrypted reports whether the store seals its secrets with age.
func (s *Secrets) Encrypted() bool {
	_, ok := s.sealer.(*ageSealer)
	return ok
}

func (s *Secrets) path(name string) (string, error) {
	if !secretNameRE.MatchString(name) {
		return "", fmt.Errorf("invalid secret name %q", name)
	}
	return filepath.Join(s.dir, name), nil
}

// Get returns a secret, or ErrNoSecret. Every other failure says which file
// and what to do: a file others can read is refused rather than used (it
// may have been copied or exposed), and a sealed one that does not open
// names the identity to set.
func (s *Secrets) Get(name string) ([]byte, error) {
	p, err := s.path(name)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoSecret
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read secret %s: %w", name, err)
	}
	if err := private(p, st); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("failed to read secret %s: %w", name, err)
	}
	if !s.Encrypted() && isAgeArmor(b) {
		return nil, fmt.Errorf("%s is age-encrypted but the store records no recipients (secrets/%s is missing): restore that file", p, recipientsFile)
	}
	plain, err := s.sealer.Open(b)
	if err != nil {
		return nil, openError(s.sealer, p, err)
	}
	return plain, nil
}

// Put stores a secret atomically with mode 0600.
func (s *Secrets) Put(name string, value []byte) error {
	p, err := s.path(name)
	if err != nil {
		return err
	}
	sealed, err := s.sealer.Seal(value)
	if err != nil {
		return fmt.Errorf("failed to encrypt secret %s: %w", name, err)
	}
	if err := WriteFileAtomic(p, sealed, 0o600); err != nil {
		return err
	}
	if s.stored != nil {
		return s.stored()
	}
	return nil
}

// GetOrCreate returns the stored secret, or generates, stores and returns
// it: secrets are generated once and reused, so re-runs render identical
// configs.
func (s *Secrets) GetOrCreate(name string, gen func() ([]byte, error)) ([]byte, error) {
	l, _ := s.locks.LoadOrStore(name, new(sync.Mutex))
	mu := l.(*sync.Mutex)
	mu.Lock()
	defer mu.Unlock()
	v, err := s.Get(name)
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, ErrNoSecret) {
		return nil, err
	}
	v, err = gen()
	if err != nil {
		return nil, fmt.Errorf("failed to generate secret %s: %w", name, err)
	}
	if err := s.Put(name, v); err != nil {
		return nil, err
	}
	return v, nil
}

// Delete removes a secret; a secret that does not exist is not an error.
func (s *Secrets) Delete(name string) error {
	p, err := s.path(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("failed to delete secret %s: %w", name, err)
	}
	return syncDir(s.dir)
}

// ModeError refuses a secret file others can read or write: it may have
// been copied or exposed, so tripod does not use it without the operator's
// word.
type ModeError struct {
	Path string
	Mode fs.FileMode
}

func (e *ModeError) Error() string {
	return fmt.Sprintf("%s is mode %04o; tripod keeps secrets 0600: chmod 600 it if you trust its content", e.Path, e.Mode)
}

func private(path string, st fs.FileInfo) error {
	if m := st.Mode().Perm(); m&0o077 != 0 {
		return &ModeError{Path: path, Mode: m}
	}
	return nil
}
